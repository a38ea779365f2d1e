"""The manager end to end: a goal, a scripted model over real HTTP, real files, real pytest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from agent_fixtures import (
    FIX_STEP,
    FIXING_TURNS,
    GOAL,
    KEY,
    MODEL,
    call,
    copy_repo,
    final,
    model_client,
    plan,
    step,
)
from agent_fixtures import clean_env as clean_env

import tiffany
from tiffany.models.testing import ScriptedServer
from tokimon.artifacts import StepArtifacts
from tokimon.manager import Manager, ManagerSettings, RunOutcome
from tokimon.tools import Toolset
from tokimon.trace import read_trace
from tokimon.workspace import Workspace


def run_goal(
    repo: Path, script: list[dict[str, Any]], goal: str = GOAL, **settings: Any
) -> tuple[RunOutcome, ScriptedServer]:
    with ScriptedServer(script) as server:
        manager = Manager(
            Workspace.locate(repo),
            model_client(server),
            Toolset(repo),
            model_name=MODEL,
            settings=ManagerSettings(**settings),
        )
        outcome = tiffany.run(manager.run, goal)
    return outcome, server


def pytest_passes(repo: Path) -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0


def test_a_run_fixes_the_failing_test_and_reports_it(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    assert not pytest_passes(repo)

    outcome, server = run_goal(repo, [plan(FIX_STEP), *FIXING_TURNS], goal=f"{GOAL} ({KEY})")

    assert pytest_passes(repo)
    assert outcome.status == "succeeded" and outcome.error is None
    paths = outcome.paths
    info = json.loads(paths.run_json.read_text())
    assert info["status"] == "succeeded"
    assert info["report"] == "reports/report.md"
    assert [s["kind"] for s in info["sessions"]] == ["run"] and info["sessions"][0]["ended_at"]
    report = json.loads((paths.reports / "report.json").read_text())
    assert report["status"] == "succeeded"
    assert report["changed_files"] == ["dates.py"]
    assert [(s["id"], s["state"], s["attempts"]) for s in report["steps"]] == [
        ("fix", "SUCCEEDED", 1)
    ]
    assert report["spent"]["model_calls"] == 5 and report["spent"]["tool_calls"] == 4
    assert (
        "# Run " in outcome.report_path.read_text()
        and "succeeded" in outcome.report_path.read_text()
    )
    outputs = StepArtifacts(paths, "fix").latest()
    assert outputs is not None and outputs["progress"] == {"failing_tests": 0}
    assert outputs["artifacts"][0].startswith("dates.py@")

    # the worker saw its role's prompt and only its role's tools
    worker_request = server.requests[1].body
    assert "You are the Implementer" in worker_request["messages"][0]["content"]
    offered = [tool["function"]["name"] for tool in worker_request["tools"]]
    assert offered == [*Toolset(repo).for_role("Implementer").names, "delegate"]
    assert "Fix dates.parse" in worker_request["messages"][1]["content"]

    # the trace has every model call and tool call, and no key
    trace = read_trace(paths.trace)
    finished = [e for e in trace if e["kind"] == "model.call.finish"]
    assert len(finished) == 5
    assert all(e["usage"]["input_tokens"] > 0 and e["latency"] >= 0 for e in finished)
    assert [c["name"] for e in finished for c in e["tool_calls"]] == [
        "read_file",
        "apply_patch",
        "run_tests",
    ]
    starts = [e for e in trace if e["kind"] == "model.call.start"]
    assert all(len(e["messages_digest"]) == 16 for e in starts)
    tools = [e for e in trace if e["kind"] == "tool.call.finish"]
    assert [e["name"] for e in tools] == ["list_dir", "read_file", "apply_patch", "run_tests"]
    assert all(e["duration"] >= 0 and not e["is_error"] for e in tools)
    assert "1 passed" in tools[-1]["content"] or "passed" in tools[-1]["content"]
    assert {e["task_name"] for e in tools[1:]} == {"step:fix"}
    # the key was in the goal: the trace and the logs keep it out (run.json keeps the goal)
    for file in [paths.trace, *paths.logs.iterdir()]:
        assert KEY not in file.read_text(), file
    assert "[REDACTED]" in paths.trace.read_text()
    assert "planned 1 step(s): fix (Implementer)" in paths.manager_log.read_text()
    assert "apply_patch" in paths.worker_log("fix-1").read_text()


def test_a_malformed_plan_is_asked_again_with_its_problems(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    script = [
        call("grep", pattern="def parse"),  # the planner may look around first
        {"text": 'Plan: {"steps": [oops'},
        plan(step("fix", role="Fixer"), step("check", role="Reviewer", depends_on=["nope"])),
        plan(step("check", role="TestTriager")),
        final(summary="one test fails: month lengths"),
    ]
    outcome, server = run_goal(repo, script)

    assert outcome.status == "succeeded"
    invalid = [e for e in read_trace(outcome.paths.trace) if e["kind"] == "plan.invalid"]
    assert [e["ask"] for e in invalid] == [1, 2]
    assert "does not parse" in invalid[0]["problems"][0]
    second = invalid[1]["problems"]
    assert any("unknown role 'Fixer'" in p for p in second)
    assert any("missing input 'task'" in p for p in second)
    assert any("unknown step 'nope'" in p for p in second)
    assert "dates.py:10: def parse(text):" in server.requests[1].body["messages"][-1]["content"]
    # the model was shown every problem of its plan, in the same conversation
    feedback = server.requests[3].body["messages"][-1]["content"]
    assert feedback.startswith("That plan cannot be used:") and "unknown role 'Fixer'" in feedback
    assert len(server.requests[3].body["messages"]) == 8


def test_a_model_that_never_plans_validly_fails_the_run_with_a_report(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    outcome, _ = run_goal(repo, [{"text": "I would rather not."}] * 2, max_plan_asks=2)

    assert outcome.status == "failed"
    assert outcome.error is not None and "no valid plan in 2 asks" in outcome.error
    assert "holds no JSON object" in outcome.error
    info = json.loads(outcome.paths.run_json.read_text())
    assert info["status"] == "failed" and "no valid plan" in info["error"]
    assert "no valid plan" in outcome.report_path.read_text()
    assert not outcome.paths.workflow_state.exists()


def test_a_claimed_success_with_failing_tests_fails_the_step(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    script = [
        plan({**FIX_STEP, "max_attempts": 1}),
        call("run_tests", targets=["tests/test_dates.py"]),
        final(summary="all good"),
    ]
    outcome, _ = run_goal(repo, script)

    assert outcome.status == "failed"
    [fix] = outcome.report["steps"]
    assert fix["state"] == "FAILED"
    assert "its last test run did not pass" in fix["failure"]
    assert "test_parse_knows_month_lengths" in fix["failure"]
    assert StepArtifacts(outcome.paths, "fix").latest()["progress"] == {"failing_tests": 1}  # type: ignore[index]


def test_a_failed_attempt_is_retried_with_a_lesson_and_a_new_strategy(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    script = [
        plan(FIX_STEP),
        final("failed", "could not find the cause", failure="no idea yet"),
        *FIXING_TURNS,
    ]
    outcome, server = run_goal(repo, script)

    assert outcome.status == "succeeded" and pytest_passes(repo)
    [fix] = outcome.report["steps"]
    assert fix["attempts"] == 2
    [lesson] = outcome.report["lessons"]
    assert "no idea yet" in (outcome.paths.root / lesson).read_text()
    second_brief = server.requests[2].body["messages"][1]["content"]
    assert "strategy 'reproduce-first'" in second_brief
    assert "Lesson from the previous attempt" in second_brief and "no idea yet" in second_brief


def test_a_later_step_gets_what_an_earlier_one_reported(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    failing = "tests/test_dates.py::test_parse_knows_month_lengths"
    triage = step("triage", role="TestTriager")
    fix = step(
        "fix",
        inputs={
            "task": "Fix the failing test.",
            "failing": {"step": "triage", "output": "failing"},
        },
        depends_on=["triage"],
    )
    script = [
        plan(triage, fix),
        call("run_tests"),
        final(summary="month lengths are not checked", outputs={"failing": [failing]}),
        *FIXING_TURNS,
    ]
    outcome, server = run_goal(repo, script)

    assert outcome.status == "succeeded" and pytest_passes(repo)
    assert [s["state"] for s in outcome.report["steps"]] == ["SUCCEEDED", "SUCCEEDED"]
    triager = server.requests[1].body
    offered = [t["function"]["name"] for t in triager["tools"]]
    assert offered == [*Toolset(repo).for_role("TestTriager").names, "delegate"]
    brief = server.requests[3].body["messages"][1]["content"]
    assert f"- failing: ['{failing}']" in brief
    assert "triage (SUCCEEDED): month lengths are not checked" in brief


def test_a_model_error_in_a_step_fails_the_step_not_the_run(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    script = [plan({**FIX_STEP, "max_attempts": 1}), {"error": {"status": 500}}]
    outcome, _ = run_goal(repo, script)

    assert outcome.status == "failed" and outcome.error is None
    [fix] = outcome.report["steps"]
    assert fix["state"] == "FAILED" and "the model call failed" in fix["summary"]
    assert "scripted error 500" in fix["failure"]
