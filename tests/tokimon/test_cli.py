"""``tokimon run / resume / runs / inspect`` as a user types them."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from agent_fixtures import (
    FIX_STEP,
    FIXING_TURNS,
    GOAL,
    KEY,
    MODEL,
    call,
    copy_repo,
    env_for,
    plan,
)
from agent_fixtures import clean_env as clean_env
from rich.console import Console
from typer.testing import CliRunner

from tiffany.models.testing import ScriptedServer
from tokimon.cli import app
from tokimon.console import LiveSteps
from tokimon.trace import read_trace
from tokimon.workflow import load_state
from tokimon.workspace import Workspace


def tokimon(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def test_run_then_runs_and_inspect(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    with ScriptedServer([plan(FIX_STEP), *FIXING_TURNS]) as server:
        result = tokimon("run", GOAL, "--repo", str(repo), "--json", env=env_for(server))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "succeeded" and report["changed_files"] == ["dates.py"]
    run_id = report["run_id"]
    assert "last = DAYS_IN_MONTH[month - 1]" in (repo / "dates.py").read_text()

    listed = json.loads(tokimon("runs", "--repo", str(repo), "--json").stdout)
    assert [(r["id"], r["status"], r["goal"]) for r in listed["runs"]] == [
        (run_id, "succeeded", GOAL)
    ]
    human = tokimon("runs", "--repo", str(repo)).stdout
    assert run_id in human and "succeeded" in human

    shown = tokimon("inspect", run_id[-6:], "--repo", str(repo), "--json")
    data = json.loads(shown.stdout)
    assert data["status"] == "succeeded" and data["steps"][0]["state"] == "SUCCEEDED"
    step = tokimon("inspect", run_id, "--repo", str(repo), "--step", "fix").stdout
    assert "step fix (Implementer): SUCCEEDED" in step and "strategy=direct" in step

    trace = tokimon("inspect", run_id, "--repo", str(repo), "--trace").stdout
    assert "model.call.finish" in trace and "tool.call.finish" in trace
    assert "step.state fix READY -> RUNNING" in trace and "run.end" in trace
    assert KEY not in trace
    events = json.loads(tokimon("inspect", run_id, "--repo", str(repo), "--trace", "--json").stdout)
    kinds = [e["kind"] for e in events["events"]]
    assert kinds[0] == "run.run" and kinds[-1] == "run.end"
    only_fix = json.loads(
        tokimon(
            "inspect", "latest", "--repo", str(repo), "--trace", "--step", "fix", "--json"
        ).stdout
    )["events"]
    assert only_fix and all(
        e.get("step") == "fix" or e.get("task_name") == "step:fix" for e in only_fix
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", GOAL], "no model given: pass --model provider:model"),
        (["run", GOAL, "--model", "nonsense"], "must look like provider:model"),
        (["run", "  ", "--model", MODEL], "the goal is empty"),
        (["run", GOAL, "--model", MODEL, "--repo", "/no/such/dir"], "is not a directory"),
        (["inspect", "run-nope"], "no run 'run-nope'"),
        (["resume", "latest"], "there are no runs"),
        (["run", GOAL, "--model", MODEL, "--test-command", "pytest 'x"], "No closing quotation"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = tokimon(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.startswith(f"tokimon {args[0]}: error: ")
    assert "Traceback" not in result.output
    as_json = tokimon(*args, "--json")
    assert as_json.exit_code == 2 and message in json.loads(as_json.stdout)["error"]


def test_inspect_of_an_unknown_step_names_the_steps(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    with ScriptedServer([plan(FIX_STEP), *FIXING_TURNS]) as server:
        assert tokimon("run", GOAL, "--repo", str(repo), env=env_for(server)).exit_code == 0
    result = tokimon("inspect", "latest", "--repo", str(repo), "--step", "nope")
    assert result.exit_code == 2 and "has no step 'nope'; its steps: fix" in result.stderr
    again = tokimon("resume", "latest", "--repo", str(repo), env={"TOKIMON_MODEL": MODEL})
    assert again.exit_code == 2 and "already ended (succeeded); nothing to resume" in again.stderr


def _tools_of_the_fix_step(repo: Path) -> list[str]:
    run = Workspace.locate(repo).find("latest")
    starts = [e for e in read_trace(run.trace) if e["kind"] == "worker.start"]
    return [str(name) for name in starts[0]["tools"]]


def test_the_workspace_config_file_turns_web_fetch_on(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    with ScriptedServer([plan(FIX_STEP), *FIXING_TURNS]) as server:
        assert tokimon("run", GOAL, "--repo", str(repo), env=env_for(server)).exit_code == 0
    assert "web_fetch" not in _tools_of_the_fix_step(repo)  # off by default

    # The workspace's config.toml is read by every run (and resume) in it.
    config = repo / ".tokimon" / "config.toml"
    config.write_text('[tools.web]\nenabled = true\nallowed_hosts = ["docs.python.org"]\n')
    with ScriptedServer([plan(FIX_STEP), *FIXING_TURNS]) as server:
        assert tokimon("run", GOAL, "--repo", str(repo), env=env_for(server)).exit_code == 0
    assert "web_fetch" in _tools_of_the_fix_step(repo)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tools]\nmax_output_bytes = 'lots'\n", "tools.max_output_bytes"),
        ("[tool]\n", "unknown table(s) tool"),
        ("[tools\n", "is not valid TOML"),
    ],
)
def test_a_bad_config_file_is_one_line_and_exit_2(tmp_path: Path, text: str, message: str) -> None:
    repo = copy_repo(tmp_path)
    config = tmp_path / "tokimon.toml"
    config.write_text(text)
    result = tokimon(
        "run", GOAL, "--repo", str(repo), "--config", str(config), env={"TOKIMON_MODEL": MODEL}
    )
    assert result.exit_code == 2 and message in result.stderr and str(config) in result.stderr
    assert "Traceback" not in result.output


def start_run(
    repo: Path, server: ScriptedServer, requests: int, *options: str
) -> subprocess.Popen[bytes]:
    """``tokimon run GOAL`` in a process of its own, once the server has had ``requests``."""
    process = subprocess.Popen(
        [sys.executable, "-c", "from tokimon.cli import main; main()", "run", GOAL, *options],
        cwd=repo,
        env={**os.environ, **env_for(server)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while len(server.requests) < requests:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, f"the run never made {requests} model requests"
        time.sleep(0.02)
    return process


def test_ctrl_c_stops_a_run_at_once_and_leaves_it_resumable(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    with ScriptedServer([plan(FIX_STEP), {"fault": "hang"}]) as server:
        process = start_run(repo, server, requests=2)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
        server.release()
    assert process.returncode == 130
    assert stderr.decode() == (
        "tokimon run: error: interrupted; `tokimon resume latest` continues the run\n"
    )
    [run] = json.loads(tokimon("runs", "--repo", str(repo), "--json").stdout)["runs"]
    assert run["status"] == "interrupted"


def test_a_run_killed_mid_step_resumes_without_planning_again(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    script = [plan(FIX_STEP), call("read_file", path="dates.py"), {"fault": "hang"}, *FIXING_TURNS]
    with ScriptedServer(script) as server:
        tests = "{python} -m pytest -q -p no:cacheprovider --junitxml={junitxml}"
        # the worker's second call hangs
        process = start_run(repo, server, 3, "--test-command", tests)
        process.send_signal(signal.SIGKILL)
        process.wait()
        server.release()
        [paths] = [paths for paths, _ in Workspace.locate(repo).runs()]
        assert load_state(paths).steps["fix"].state.value == "RUNNING"
        listed = json.loads(tokimon("runs", "--repo", str(repo), "--json").stdout)
        assert listed["runs"][0]["status"] == "interrupted"

        resumed = tokimon("resume", paths.id, "--repo", str(repo), "--json", env=env_for(server))
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.stdout)["status"] == "succeeded"
    attempts = load_state(paths).steps["fix"].attempts
    assert [a.state for a in attempts] == ["INTERRUPTED", "SUCCEEDED"]
    info = json.loads(paths.run_json.read_text())
    assert [s["kind"] for s in info["sessions"]] == ["run", "resume"]
    trace = read_trace(paths.trace)
    assert [e["kind"] for e in trace].count("plan.accepted") == 1
    # the resumed session ran the tests with the command the run was started with
    assert info["test_command"] == tests.split()
    [test_run] = [e for e in trace if e["kind"] == "tool.call.finish" and e["name"] == "run_tests"]
    assert "command: python -m pytest -q -p no:cacheprovider" in test_run["content"]


def test_the_live_view_follows_the_steps_of_the_trace() -> None:
    view = LiveSteps(io.StringIO(), "tokimon run")
    records: list[dict[str, Any]] = [
        {"kind": "plan.accepted", "steps": ["triage", "fix"]},
        {"kind": "step.state", "step": "triage", "from": "READY", "to": "RUNNING", "attempt": 1},
        {"kind": "tool.call.start", "name": "run_tests", "task_name": "step:triage"},
        {"kind": "step.state", "step": "triage", "from": "RUNNING", "to": "SUCCEEDED"},
        {"kind": "step.state", "step": "fix", "from": "READY", "to": "RUNNING", "attempt": 2},
        {"kind": "model.call.finish", "task_name": "step:fix"},  # not shown: no redraw
    ]
    with view.showing():
        for record in records:
            view(record)
    screen = io.StringIO()
    Console(file=screen, width=100).print(view.render())
    rows = [" ".join(line.replace("│", " ").split()) for line in screen.getvalue().splitlines()]
    assert "tokimon run — running" in rows[0]
    assert "triage SUCCEEDED 1 run_tests" in rows and "fix RUNNING 2" in rows


def test_a_run_that_died_while_planning_plans_again_on_resume(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    paths, _ = Workspace.locate(repo).new_run(GOAL, repo, MODEL)  # as a dead `run` left it
    with ScriptedServer([plan(FIX_STEP), *FIXING_TURNS]) as server:
        result = tokimon("resume", "latest", "--repo", str(repo), "--json", env=env_for(server))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "succeeded"
    info = json.loads(paths.run_json.read_text())
    assert [s["kind"] for s in info["sessions"]] == ["resume"]
    assert "last = DAYS_IN_MONTH[month - 1]" in (repo / "dates.py").read_text()


def test_max_calls_refuses_the_call_past_it_and_the_run_fails_saying_so(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    with ScriptedServer([plan(FIX_STEP), *FIXING_TURNS]) as server:
        result = tokimon(
            "run", GOAL, "--repo", str(repo), "--max-calls", "2", "--json", env=env_for(server)
        )
        assert len(server.requests) == 2  # the plan and one turn; the third was never sent
    assert result.exit_code == 1 and json.loads(result.stdout)["status"] != "succeeded"
    run = Workspace.locate(repo).find("latest")
    refused = [e for e in read_trace(run.trace) if e["kind"] == "model.call.error"]
    assert refused and {e["error_kind"] for e in refused} == {"budget"}
    assert "limit of 2 model calls is reached" in refused[0]["error"]
