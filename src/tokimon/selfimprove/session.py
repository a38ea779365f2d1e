"""One session: the agent on the goal in its own worktree, then its change and its score.

A session is a job for :func:`tiffany.cluster.run_jobs` (a local process or a Ray task),
so it takes only picklable values and finds everything else on disk. It runs the agent
as the benchmark harness runs an attempt (``python -m tokimon run`` in a process group
of its own, killed on timeout), with the evaluation command as ``--test-command``: each
step's check, so a retry is allowed only on fewer failing tests. Afterwards:

- the repository's ``AGENTS.md`` is the agent's start sequence; a template stands in
  where there is none and is removed before anything is recorded;
- the change inside the paths becomes a temporary commit on the session's base (what a
  merge would take); changes outside the paths are recorded in ``outside_paths.diff``
  and dropped, so the evaluation judges exactly what could be merged;
- ``session.json`` is written last and atomically: a session folder with it is finished.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tiffany.models import Redactor

from ..bench.attempt import last_json, run_in_group, run_spending
from ..jsonfile import write_json
from . import gitrepo
from .evaluation import evaluate, show_command

AGENTS_MD = "AGENTS.md"
AGENTS_TEMPLATE = """\
# Working on this repository

This file was written by `tokimon self-improve` because the repository has none.

1. Read the goal, the evaluation summary of master and the inputs you were given.
2. Look around before changing anything: list the files, read the ones the goal names
   and the tests that cover them.
3. Run the evaluation (`run_tests`) to see what fails before you change anything.
4. Make the smallest change that fixes the failures the goal is about; keep to the
   paths you were told may be merged.
5. Run the evaluation again; finish only when it passes, or say why it cannot.
"""
_SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD")


@dataclass(frozen=True)
class SessionSpec:
    """What a session needs, all of it picklable."""

    number: int
    folder: Path
    """``sessions/session-<n>/``: the worktree is its ``workspace/``."""
    base: str
    """The master commit the worktree was made from."""
    brief: str
    model: str
    eval_command: tuple[str, ...]
    paths: tuple[str, ...]
    timeout_s: float

    @property
    def workspace(self) -> Path:
        return self.folder / "workspace"

    @property
    def record_file(self) -> Path:
        return self.folder / "session.json"


def redactor_for(env: Mapping[str, str]) -> Redactor:
    """A redactor that knows the secrets in ``env`` (keys, tokens, passwords)."""
    secrets = [v for k, v in env.items() if any(word in k.upper() for word in _SECRET_WORDS)]
    return Redactor(secrets)


def run_session(spec: SessionSpec, env: Mapping[str, str]) -> dict[str, Any]:
    """Run the session; its record, also written to ``session.json``. Never raises: a
    failure of the harness itself is a ``crashed`` record."""
    started = time.monotonic()
    try:
        record = _run(spec, env)
    except Exception as exc:
        record = {
            "number": spec.number,
            "model": spec.model,
            "status": "crashed",
            "failure": f"the session's harness failed: {exc}",
            "traceback": traceback.format_exc(limit=5),
        }
    record["metrics"] = {
        **record.get("metrics", {}),
        "wall_s": round(time.monotonic() - started, 3),
    }
    record = dict(redactor_for(env)(record))
    write_json(spec.record_file, record)
    return record


def _run(spec: SessionSpec, env: Mapping[str, str]) -> dict[str, Any]:
    tree = spec.workspace
    template = not (tree / AGENTS_MD).exists()
    if template:
        (tree / AGENTS_MD).write_text(AGENTS_TEMPLATE, encoding="utf-8")
    agent = _run_agent(spec, env)
    if template:
        (tree / AGENTS_MD).unlink(missing_ok=True)
    change = _record_change(spec)
    evaluation = evaluate(tree, spec.eval_command)
    return {
        "number": spec.number,
        "model": spec.model,
        "base": spec.base,
        "agents_md": "template" if template else "repository",
        **agent,
        **change,
        "evaluation": evaluation,
    }


def _run_agent(spec: SessionSpec, env: Mapping[str, str]) -> dict[str, Any]:
    agent_space = spec.folder / "agent"
    command = [sys.executable, "-m", "tokimon", "run", spec.brief, "--repo", str(spec.workspace)]
    command += ["--workspace", str(agent_space), "--model", spec.model, "--json", "--no-live"]
    command += ["--test-command", show_command(spec.eval_command)]
    run_env = {**env, "TOKIMON_WORKSPACE": str(agent_space)}
    done = run_in_group(command, spec.workspace, run_env, spec.timeout_s)
    result: dict[str, Any] = {"status": "ran", "failure": None, "run_status": None, "plan": []}
    if done is None:
        result.update(status="timeout", failure=f"no result within {spec.timeout_s:.0f} s")
    else:
        (spec.folder / "agent.log").write_text(done.stdout, encoding="utf-8")
        report = last_json(done.stdout)
        if report is None or "status" not in report:
            tail = "\n".join(done.stdout.strip().splitlines()[-6:])
            result.update(status="crashed", failure=f"the agent crashed: {tail}")
        else:
            result["run_status"] = report["status"]
            result["run_report"] = report.get("report")
            result["plan"] = [
                {key: step.get(key) for key in ("id", "role", "state", "attempts", "summary")}
                for step in report.get("steps", [])
            ]
            if report["status"] != "succeeded":
                result["failure"] = report.get("error") or f"the run ended {report['status']}"
    result["metrics"] = run_spending(agent_space)
    return result


def _record_change(spec: SessionSpec) -> dict[str, Any]:
    """Commit the change inside the paths on the base; record and drop the rest."""
    tree, git = spec.workspace, gitrepo.git
    git(tree, "reset", "-q", "--soft", spec.base)  # whatever the agent committed itself
    git(tree, "reset", "-q")
    git(tree, "add", "-A", "--", *spec.paths)
    outside = gitrepo.changes(tree, ["."])
    outside = [path for path in outside if not gitrepo.inside(path, spec.paths)]
    if outside:
        git(tree, "add", "-A", "-N", "--", ".")
        patch = git(tree, "diff", "--", ".", *(f":(exclude){p}" for p in spec.paths))
        (spec.folder / "outside_paths.diff").write_text(patch, encoding="utf-8")
        git(tree, "reset", "-q")
        git(tree, "add", "-A", "--", *spec.paths)
    commit = gitrepo.commit(tree, f"self-improve session {spec.number} (temporary)")
    git(tree, "reset", "-q", "--hard", commit)
    git(tree, "clean", "-fdq")
    patch = git(tree, "diff", spec.base, commit)
    (spec.folder / "diff.patch").write_text(patch, encoding="utf-8")
    return {
        "commit": commit,
        "diff": {**gitrepo.diff_stat(tree, spec.base, commit), "file": "diff.patch"},
        "outside_paths": outside,
    }
