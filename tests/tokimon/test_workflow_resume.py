"""A run killed at any point resumes from disk: finished steps stay finished, the step
that was running runs again as a new attempt."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_fixtures import GOAL, events, new_run, resume, run, step, succeed, workflow

import tokimon.workflow.engine as engine_module
from tokimon.errors import WorkspaceError
from tokimon.workflow import StepContext, StepOutcome, load_state
from tokimon.workflow.state import save_state

CHILD = """
import sys
from pathlib import Path

import tiffany
from tokimon.workflow import StepOutcome, WorkflowSpec, run_workflow
from tokimon.workspace import RunPaths

paths, counts = RunPaths(Path(sys.argv[1])), Path(sys.argv[2])


async def runner(context):
    with (counts / f"{context.step.id}.runs").open("a") as runs:
        runs.write(f"{context.attempt}\\n")
    if context.step.id == "second":
        print("second is running", flush=True)
        while not (counts / "never").exists():  # blocks until the process is killed
            await tiffany.sleep(0.05)
    return StepOutcome("SUCCEEDED", {"n": context.attempt}, f"{context.step.id} done")


spec = WorkflowSpec.model_validate(
    {
        "steps": [
            {"id": "first", "role": "Implementer"},
            {"id": "second", "role": "Implementer", "depends_on": ["first"],
             "inputs": {"plan": {"step": "first"}}},
            {"id": "third", "role": "Reviewer", "depends_on": ["second"]},
        ]
    }
)
tiffany.run(run_workflow, paths, sys.argv[3], spec, runner)
"""


def test_kill_9_mid_step_then_resume_finishes_without_redoing_done_steps(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    counts = tmp_path / "counts"
    counts.mkdir()
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), str(paths.root), str(counts), GOAL],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "second is running\n"
        saved = json.loads(paths.workflow_state.read_text())
        assert saved["steps"]["first"]["state"] == "SUCCEEDED"
        assert saved["steps"]["second"]["state"] == "RUNNING"
        assert paths.is_live()
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()  # type: ignore[union-attr]
    assert child.returncode == -signal.SIGKILL
    assert not paths.is_live()  # the kernel dropped the flock with the process

    seen: list[tuple[str, int, object]] = []

    async def runner(context: StepContext) -> StepOutcome:
        seen.append((context.step.id, context.attempt, context.inputs.get("plan")))
        with (counts / f"{context.step.id}.runs").open("a") as runs:
            runs.write(f"{context.attempt}\n")
        return succeed(f"{context.step.id} done")

    report = resume(paths, runner)

    assert report.status == "succeeded"
    assert seen == [("second", 2, "first done"), ("third", 1, None)]
    assert (counts / "first.runs").read_text() == "1\n"
    assert (counts / "second.runs").read_text() == "1\n2\n"
    second = load_state(paths).steps["second"].attempts
    assert [a.state for a in second] == ["INTERRUPTED", "SUCCEEDED"]
    assert second[1].outputs_file == "artifacts/steps/second/outputs.v2.json"
    assert [e["step"] for e in events(paths, "attempt.interrupted")] == ["second"]
    trace = [e["seq"] for e in events(paths, "step.state")]
    assert trace == sorted(trace) and len(set(trace)) == len(trace)
    assert [e["kind"] for e in events(paths, "workflow.resume")] == ["workflow.resume"]


class Crash(BaseException):
    """The process dying right after a state write: nothing after it happens."""


def test_a_crash_after_any_state_write_resumes_to_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = workflow(step("a"), step("b", "a"), step("c", "a"), step("d", "b", "c"))

    async def runner(context: StepContext) -> StepOutcome:
        if context.step.id == "b" and context.attempt == 1:
            return StepOutcome("FAILED", {}, "first try fails", failure="boom")
        return succeed(f"{context.step.id} done")

    crash_after = 0
    while True:
        crash_after += 1
        paths = new_run(tmp_path / str(crash_after))
        writes = 0

        def crashing_save(paths_: object, state: object, limit: int = crash_after) -> None:
            nonlocal writes
            save_state(paths_, state)  # type: ignore[arg-type]
            writes += 1
            if writes == limit:
                raise Crash

        monkeypatch.setattr(engine_module, "save_state", crashing_save)
        try:
            run(paths, spec, runner)
        except Crash:
            pass
        else:
            break  # every write point has been crashed at
        monkeypatch.setattr(engine_module, "save_state", save_state)
        done = {i for i, r in load_state(paths).steps.items() if r.state.value == "SUCCEEDED"}
        calls: list[str] = []

        async def counting(context: StepContext, calls: list[str] = calls) -> StepOutcome:
            calls.append(context.step.id)
            return await runner(context)

        report = resume(paths, counting)
        assert report.states() == dict.fromkeys("abcd", "SUCCEEDED"), crash_after
        assert not done & set(calls), f"crash after write {crash_after} redid {done & set(calls)}"
        for record in load_state(paths).steps.values():
            assert [a.state for a in record.attempts].count("SUCCEEDED") == 1
    assert crash_after > 17  # 17 writes: the first, 15 transitions, the final status


def test_an_interrupted_attempt_does_not_use_up_the_attempt_budget(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    spec = workflow(step("only", max_attempts=1))

    async def dies(context: StepContext) -> StepOutcome:
        raise Crash  # the process goes away in the middle of the attempt

    with pytest.raises(Crash):
        run(paths, spec, dies)
    assert load_state(paths).steps["only"].state.value == "RUNNING"
    assert [e["error"] for e in events(paths, "workflow.stopped")] == ["Crash: "]

    async def works(context: StepContext) -> StepOutcome:
        assert context.lesson is None  # an interruption teaches nothing
        return succeed()

    assert resume(paths, works).states() == {"only": "SUCCEEDED"}
    attempts = load_state(paths).steps["only"].attempts
    assert [(a.number, a.state) for a in attempts] == [(1, "INTERRUPTED"), (2, "SUCCEEDED")]
    assert attempts[0].signature == attempts[1].signature
    assert not list(paths.lessons.iterdir())


def test_resume_leaves_finished_failures_alone(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    spec = workflow(step("fix", max_attempts=1), step("review", "fix"))

    async def runner(context: StepContext) -> StepOutcome:
        return StepOutcome("FAILED", {}, "no luck", failure="boom")

    first = run(paths, spec, runner)
    calls: list[str] = []

    async def counting(context: StepContext) -> StepOutcome:
        calls.append(context.step.id)
        return succeed()

    again = resume(paths, counting)
    assert first.states() == again.states() == {"fix": "FAILED", "review": "SKIPPED"}
    assert calls == [] and again.status == "failed"


def test_a_run_without_or_with_an_unreadable_state_is_refused_clearly(tmp_path: Path) -> None:
    paths = new_run(tmp_path)

    async def runner(context: StepContext) -> StepOutcome:
        return succeed()

    with pytest.raises(WorkspaceError, match="never got past planning"):
        resume(paths, runner)
    paths.workflow_state.write_text('{"schema_version": 99}')
    with pytest.raises(WorkspaceError, match="schema version 99, newer than this tokimon"):
        resume(paths, runner)
    paths.workflow_state.write_text('{"steps": ')
    with pytest.raises(WorkspaceError, match="is not valid JSON"):
        resume(paths, runner)
    assert not paths.is_live()
