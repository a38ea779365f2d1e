"""The engine runs a DAG in dependency order, bounded, durably, and contains failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_fixtures import (
    GOAL,
    diamond,
    events,
    fail,
    new_run,
    resume,
    run,
    state_changes,
    step,
    succeed,
    workflow,
)

import tiffany
from tokimon.artifacts import StepArtifacts
from tokimon.errors import RunLocked, WorkflowInvalid, WorkspaceError
from tokimon.workflow import InputRef, StepContext, StepOutcome, load_state, run_workflow


def test_a_diamond_runs_in_dependency_order_within_the_concurrency_limit(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    log: list[tuple[float, str, str]] = []
    running: set[str] = set()
    peak = 0

    async def runner(context: StepContext) -> StepOutcome:
        nonlocal peak
        running.add(context.step.id)
        peak = max(peak, len(running))
        log.append((tiffany.current_time(), "start", context.step.id))
        await tiffany.sleep(10)
        running.discard(context.step.id)
        log.append((tiffany.current_time(), "end", context.step.id))
        return succeed(f"{context.step.id} done")

    report = run(paths, diamond(), runner, concurrency=2)

    assert report.status == "succeeded"
    assert report.states() == dict.fromkeys("abcd", "SUCCEEDED")
    assert peak == 2
    started = {name: when for when, what, name in log if what == "start"}
    ended = {name: when for when, what, name in log if what == "end"}
    assert ended["a"] <= started["b"] and ended["a"] <= started["c"]
    assert started["b"] == started["c"] == 10  # b and c overlap: the limit is 2
    assert started["d"] >= max(ended["b"], ended["c"]) == 20
    for name in "abcd":
        assert state_changes(paths, name) == ["READY", "RUNNING", "SUCCEEDED"]


def test_one_slot_runs_one_step_at_a_time_most_urgent_first(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    spec = workflow(
        step("a"),
        step("low", "a", priority="low"),
        step("normal", "a"),
        step("critical", "a", priority="critical"),
    )
    order: list[str] = []
    running = 0

    async def runner(context: StepContext) -> StepOutcome:
        nonlocal running
        running += 1
        assert running == 1
        order.append(context.step.id)
        await tiffany.sleep(1)
        running -= 1
        return succeed()

    run(paths, spec, runner, concurrency=1)
    assert order == ["a", "critical", "normal", "low"]


def test_outputs_flow_to_dependents_and_are_stored_per_attempt(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    spec = workflow(
        step("plan"),
        step(
            "build",
            "plan",
            inputs={
                "plan": {"step": "plan"},
                "files": {"step": "plan", "output": "files"},
                "note": "literal text",
            },
        ),
    )
    seen: dict[str, object] = {}

    async def runner(context: StepContext) -> StepOutcome:
        if context.step.id == "plan":
            return succeed("edit two files", files=["a.py", "b.py"])
        seen.update(context.inputs)
        seen["upstream"] = context.upstream["plan"]["outputs"]
        return succeed("built")

    run(paths, spec, runner)
    assert seen == {
        "plan": "edit two files",
        "files": ["a.py", "b.py"],
        "note": "literal text",
        "upstream": {"files": ["a.py", "b.py"]},
    }
    stored = StepArtifacts(paths, "plan").read(1)
    assert stored["summary"] == "edit two files" and stored["state"] == "SUCCEEDED"
    assert (paths.step_artifacts("plan") / "outputs.json").is_file()


def test_a_missing_upstream_output_fails_the_step_that_needs_it(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    spec = workflow(
        step("plan"),
        step("build", "plan", inputs={"files": InputRef(step="plan", output="files").model_dump()}),
    )

    async def runner(context: StepContext) -> StepOutcome:
        return succeed("no files listed")

    report = run(paths, spec, runner)
    build = next(s for s in report.steps if s.id == "build")
    assert build.state == "FAILED"
    assert "needs output 'files' of step 'plan', which produced: nothing" in build.summary


def test_a_raising_worker_fails_its_step_only(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    spec = workflow(step("a"), step("broken", "a"), step("after", "broken"), step("side", "a"))

    async def runner(context: StepContext) -> StepOutcome:
        if context.step.id == "broken":
            raise ZeroDivisionError("the worker divided by zero")
        return succeed()

    report = run(paths, spec, runner)
    assert report.states() == {
        "a": "SUCCEEDED",
        "broken": "FAILED",
        "after": "SKIPPED",
        "side": "SUCCEEDED",
    }
    assert report.status == "failed"
    broken = next(s for s in report.steps if s.id == "broken")
    assert broken.summary == "the worker raised ZeroDivisionError: the worker divided by zero"
    log = paths.worker_log("broken-1").read_text()
    assert "Traceback" in log and "ZeroDivisionError" in log
    after = next(s for s in report.steps if s.id == "after")
    assert after.reason is not None and "broken (FAILED)" in after.reason
    assert state_changes(paths, "after") == ["READY", "SKIPPED"]


def test_a_step_over_its_timeout_fails_at_the_deadline(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    spec = workflow(step("slow", timeout=5, max_attempts=1), step("quick"))
    ended: dict[str, float] = {}

    async def runner(context: StepContext) -> StepOutcome:
        if context.step.id == "slow":
            await tiffany.sleep(3600)
        ended[context.step.id] = tiffany.current_time()
        return succeed()

    report = run(paths, spec, runner, step_timeout=60)
    assert report.states() == {"slow": "FAILED", "quick": "SUCCEEDED"}
    slow = next(s for s in report.steps if s.id == "slow")
    assert slow.summary == "timeout: the step did not finish within 5 s"
    attempt = load_state(paths).steps["slow"].attempts[0]
    assert attempt.duration == 5


def test_state_on_disk_follows_every_transition(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    seen: list[tuple[str, int]] = []

    async def runner(context: StepContext) -> StepOutcome:
        saved = load_state(context.run)
        record = saved.steps[context.step.id]
        seen.append((record.state.value, len(record.attempts)))
        return succeed()

    run(paths, workflow(step("only")), runner)
    assert seen == [("RUNNING", 1)]
    saved = json.loads(paths.workflow_state.read_text())
    assert saved["status"] == "succeeded" and saved["goal"] == GOAL
    assert saved["steps"]["only"]["state"] == "SUCCEEDED"
    assert saved["steps"]["only"]["attempts"][0]["outputs_file"] == (
        "artifacts/steps/only/outputs.json"
    )
    assert [e["kind"] for e in events(paths, "workflow.end")] == ["workflow.end"]


def test_malformed_outcomes_and_outputs_fail_the_step(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    spec = workflow(step("text", max_attempts=1), step("object", max_attempts=2))

    async def runner(context: StepContext) -> StepOutcome:
        if context.step.id == "text":
            return "all good"  # type: ignore[return-value]
        return succeed(handle=object())

    report = run(paths, spec, runner)
    summaries = {s.id: s.summary for s in report.steps}
    assert report.states() == {"text": "FAILED", "object": "FAILED"}
    assert summaries["text"] == "the worker returned 'all good', not a StepOutcome"
    assert summaries["object"].startswith("the worker's outputs are not JSON")
    assert state_changes(paths, "object")[2:] == ["FAILED", "RETRY_PENDING", "RUNNING", "FAILED"]
    assert StepArtifacts(paths, "object").read(2)["outputs"] == {}


def test_an_invalid_workflow_is_refused_before_anything_runs(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    spec = workflow(step("a", "b"), step("b", "a"))

    async def main() -> None:
        await run_workflow(paths, GOAL, spec, lambda c: succeed())  # type: ignore[arg-type,return-value]

    with pytest.raises(WorkflowInvalid, match="dependency cycle"):
        tiffany.run(main)
    assert not paths.workflow_state.exists()


def test_running_a_run_twice_is_refused(tmp_path: Path) -> None:
    paths = new_run(tmp_path)

    async def runner(context: StepContext) -> StepOutcome:
        return succeed()

    run(paths, workflow(step("a")), runner)
    with pytest.raises(WorkspaceError, match="already has a workflow; resume it"):
        run(paths, workflow(step("a")), runner)


def test_resume_of_a_finished_run_runs_nothing(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    calls: list[str] = []

    async def runner(context: StepContext) -> StepOutcome:
        calls.append(context.step.id)
        return succeed()

    run(paths, diamond(), runner)
    report = resume(paths, runner)
    assert report.status == "succeeded"
    assert sorted(calls) == ["a", "b", "c", "d"]


def test_a_run_held_by_another_process_cannot_be_resumed(tmp_path: Path) -> None:
    paths = new_run(tmp_path)

    async def runner(context: StepContext) -> StepOutcome:
        return fail("not yet", lesson=None)

    run(paths, workflow(step("a", max_attempts=1)), runner)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from tokimon.workspace import RunPaths\n"
            "with RunPaths(Path(sys.argv[1])).locked():\n"
            "    print('held', flush=True); sys.stdin.read()",
            str(paths.root),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert paths.is_live()
        with pytest.raises(RunLocked, match=f"run {paths.id} is being executed by process"):
            resume(paths, runner)
    finally:
        holder.communicate("")
    assert not paths.is_live()


def test_a_cancelled_run_stops_resumable(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    spec = workflow(step("quick"), step("slow", "quick"))

    async def runner(context: StepContext) -> StepOutcome:
        if context.step.id == "slow":
            await tiffany.sleep(3600)
        return succeed()

    async def main() -> bool:
        with tiffany.move_on_after(60) as scope:  # the user pressed Ctrl-C, say
            await run_workflow(paths, GOAL, spec, runner)
        return scope.cancelled_caught

    assert tiffany.run(main, clock=tiffany.VirtualClock())
    saved = load_state(paths)
    assert saved.status == "running" and saved.steps["slow"].state.value == "RUNNING"
    assert [e["error"] for e in events(paths, "workflow.stopped")] == ["Cancelled: "]
    assert not paths.is_live()

    async def quick(context: StepContext) -> StepOutcome:
        return succeed()

    assert resume(paths, quick).states() == {"quick": "SUCCEEDED", "slow": "SUCCEEDED"}
