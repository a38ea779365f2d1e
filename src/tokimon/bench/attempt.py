"""One attempt at a task: an isolated copy, the agent in its own process, then the check.

Honesty is built into the order of things. The agent gets a fresh git repository of the
task's ``repo/`` and its own workspace, and never the task folder, so it cannot see the
hidden ``check/`` files; only after it has finished are those copied over the tree, so an
agent that edited or deleted the visible tests cannot pass by it (which test files it
changed is recorded as ``tests_touched``). The agent runs as ``python -m tokimon run`` in a
process group of its own, so a timeout kills all it started and a crash ends this attempt
only. The budget goes to the agent as a spending limit, which refuses a model call before
it would cross it.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cocowiki.index.suites import is_test_file

from ..jsonfile import read_json, write_json
from ..trace import iter_trace
from .task import BenchTask

#: What an attempt's ``status`` can be.
STATUSES = ("solved", "failed", "budget_exhausted", "timeout", "crashed")
ORACLE = "oracle"
"""The model name of ``--oracle`` attempts: each task's own ``oracle.jsonl``."""
CHECK_TIMEOUT_S = 600.0
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "tokimon bench",
    "GIT_AUTHOR_EMAIL": "bench@tokimon.invalid",
    "GIT_COMMITTER_NAME": "tokimon bench",
    "GIT_COMMITTER_EMAIL": "bench@tokimon.invalid",
}


@dataclass(frozen=True)
class AttemptSpec:
    """Attempt ``number`` (from 1) of ``task`` with ``model`` (a spec, or :data:`ORACLE`)."""

    task: BenchTask
    number: int
    model: str

    @property
    def name(self) -> str:
        """The attempt's folder name, unique within a suite run."""
        return f"{self.task.suite}--{self.task.id}--{self.number}"

    def model_spec(self) -> str:
        return f"scripted:{self.task.oracle}" if self.model == ORACLE else self.model


def attempt_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` for attempts, with relative ``PYTHONPATH`` entries made absolute.

    Agents and checks run in the attempt's tree, where ``PYTHONPATH=src`` would name the
    task's own ``src/`` (or nothing) instead of the tokimon that runs the suite."""
    chosen = dict(env)
    if chosen.get("PYTHONPATH"):
        entries = chosen["PYTHONPATH"].split(os.pathsep)
        chosen["PYTHONPATH"] = os.pathsep.join(str(Path(e).resolve()) if e else e for e in entries)
    return chosen


def run_attempt(spec: AttemptSpec, folder: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """Run the attempt in ``folder`` and return its record, also written to ``attempt.json``
    (last, atomically: a folder with that file is a finished attempt)."""
    folder.mkdir(parents=True, exist_ok=True)
    tree = folder / "tree"
    shutil.rmtree(tree, ignore_errors=True)  # a half-done attempt from before a crash
    shutil.rmtree(folder / "workspace", ignore_errors=True)
    started = time.monotonic()
    task = spec.task
    prepare_tree(task.repo, tree)
    agent = _run_agent(spec, tree, folder, env)
    record: dict[str, Any] = {
        "task": task.id,
        "suite": task.suite,
        "category": task.category,
        "difficulty": task.difficulty,
        "attempt": spec.number,
        "model": spec.model,
        **agent,
        "tests_touched": sorted(p for p in changed_files(tree) if is_test_file(p)),
    }
    passed, output = judge(task, tree, env)
    record["check_output"] = output
    record["solved"] = passed
    if passed:
        record["status"] = "solved"
    elif record["status"] == "ran":
        record["status"] = "failed"
        record["failure"] = record["failure"] or "the check failed"
    record["wall_s"] = round(time.monotonic() - started, 3)
    write_json(folder / "attempt.json", record)
    return record


def prepare_tree(source: Path, tree: Path) -> None:
    """``source`` copied to ``tree`` as a git repository with one commit."""
    shutil.copytree(source, tree, ignore=shutil.ignore_patterns("__pycache__", ".git"))
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "start", "--allow-empty"]):
        git(tree, *args)


def changed_files(tree: Path) -> list[str]:
    """Every path the agent added, changed or deleted since the starting commit."""
    out = git(tree, "status", "--porcelain", "--untracked-files=all", "--no-renames")
    return sorted({line[3:].strip('"') for line in out.splitlines() if line.strip()})


def judge(task: BenchTask, tree: Path, env: Mapping[str, str]) -> tuple[bool, str]:
    """Copy the hidden check files over ``tree``, run the check; (passed, output's tail).

    ``{python}`` in the check stands for the Python that runs tokimon, as it does in a
    ``test_command``."""
    if task.hidden.is_dir():
        shutil.copytree(task.hidden, tree, dirs_exist_ok=True)
    command = task.check.replace("{python}", shlex.quote(sys.executable))
    done = run_in_group(["bash", "-c", command], tree, env, CHECK_TIMEOUT_S)
    if done is None:
        return False, f"the check did not finish in {CHECK_TIMEOUT_S:.0f} s"
    return done.returncode == 0, _tail(done.stdout)


def _run_agent(
    spec: AttemptSpec, tree: Path, folder: Path, env: Mapping[str, str]
) -> dict[str, Any]:
    task = spec.task
    workspace = folder / "workspace"
    command = [sys.executable, "-m", "tokimon", "run", task.goal, "--repo", str(tree)]
    command += ["--workspace", str(workspace), "--model", spec.model_spec(), "--json"]
    command += ["--no-live"]
    if task.test_command:
        command += ["--test-command", task.test_command]
    if task.budget.model_calls:
        command += ["--max-calls", str(task.budget.model_calls)]
    if task.budget.tokens:
        command += ["--max-tokens", str(task.budget.tokens)]
    done = run_in_group(command, tree, {**env, "TOKIMON_WORKSPACE": str(workspace)}, task.timeout_s)
    result: dict[str, Any] = {"status": "ran", "failure": None, "run_status": None}
    if done is None:
        result.update(status="timeout", failure=f"no result within {task.timeout_s:.0f} s")
    else:
        (folder / "agent.log").write_text(done.stdout, encoding="utf-8")
        report = last_json(done.stdout)
        if report is None or "status" not in report:
            result.update(status="crashed", failure=f"the agent crashed: {_tail(done.stdout, 6)}")
        else:
            result["run_status"] = report["status"]
            if report["status"] != "succeeded":
                result["failure"] = report.get("error") or f"the run ended {report['status']}"
    result.update(run_spending(workspace))
    if result["budget_exhausted"] and result["status"] == "ran":
        result["status"] = "budget_exhausted"
        result["failure"] = "the budget was spent before the task was done"
    return result


def run_spending(workspace: Path) -> dict[str, Any]:
    """Steps, retries, calls, tokens, cost and tool calls by name, from the run's files."""
    totals: dict[str, Any] = {"model_calls": 0, "input_tokens": 0, "output_tokens": 0}
    cost: float | None = 0.0
    tools: Counter[str] = Counter()
    refused = False
    steps = retries = 0
    for run in sorted((workspace / "runs").glob("run-*")):
        for event in iter_trace(run / "trace.jsonl"):
            kind = event.get("kind")
            if kind == "model.call.finish":
                usage = event.get("usage") or {}
                totals["model_calls"] += 1
                totals["input_tokens"] += int(usage.get("input_tokens", 0))
                totals["output_tokens"] += int(usage.get("output_tokens", 0))
                price = event.get("cost")
                cost = None if price is None or cost is None else cost + float(price)
            elif kind == "tool.call.finish":
                tools[str(event.get("name"))] += 1
            elif kind == "model.call.error" and event.get("error_kind") == "budget":
                refused = True
        report = run / "reports" / "report.json"
        if report.is_file():
            for step in read_json(report).get("steps", []):
                steps += 1
                retries += max(int(step.get("attempts", 1)) - 1, 0)
    return {
        **totals,
        "cost": cost,
        "steps": steps,
        "retries": retries,
        "tool_calls": dict(sorted(tools.items())),
        "budget_exhausted": refused,
    }


def run_in_group(
    command: list[str], cwd: Path, env: Mapping[str, str], timeout: float
) -> subprocess.CompletedProcess[str] | None:
    """Run in a process group of its own; None (and the group killed) on timeout."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return None
    return subprocess.CompletedProcess(command, process.returncode, out, None)


def git(tree: Path, *args: str) -> str:
    """Run git in ``tree`` with the bench's identity; its output, or RuntimeError."""
    done = subprocess.run(
        ["git", *args],
        cwd=tree,
        env={**os.environ, **_GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {tree}: {done.stderr.strip()}")
    return done.stdout


def last_json(output: str) -> dict[str, Any] | None:
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            return value if isinstance(value, dict) else None
    return None


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
