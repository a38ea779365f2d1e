"""Helpers of the workflow tests: real run folders, real kernels, scripted step runners."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import tiffany
from tokimon.retry import RetryPolicy
from tokimon.trace import read_trace
from tokimon.workflow import (
    StepContext,
    StepOutcome,
    WorkflowReport,
    WorkflowSpec,
    resume_workflow,
    run_workflow,
)
from tokimon.workspace import RunPaths, Workspace

GOAL = "make the failing test pass"


def new_run(tmp_path: Path) -> RunPaths:
    paths, _ = Workspace(tmp_path / ".tokimon").new_run(GOAL, tmp_path, "scripted:test")
    return paths


def workflow(*steps: dict[str, Any]) -> WorkflowSpec:
    return WorkflowSpec.model_validate({"steps": list(steps)})


def step(step_id: str, *depends_on: str, role: str = "Implementer", **extra: Any) -> dict[str, Any]:
    return {"id": step_id, "role": role, "depends_on": list(depends_on), **extra}


def diamond() -> WorkflowSpec:
    return workflow(step("a"), step("b", "a"), step("c", "a"), step("d", "b", "c"))


def succeed(summary: str = "done", **outputs: Any) -> StepOutcome:
    return StepOutcome("SUCCEEDED", outputs, summary)


def fail(failure: str, **fields: Any) -> StepOutcome:
    return StepOutcome("FAILED", {}, f"failed: {failure}", failure=failure, **fields)


Runner = Callable[[StepContext], Awaitable[StepOutcome]]


def run(
    paths: RunPaths,
    spec: WorkflowSpec,
    runner: Runner,
    *,
    policy: RetryPolicy | None = None,
    concurrency: int = 4,
    step_timeout: float | None = None,
) -> WorkflowReport:
    """One workflow on a fresh kernel with a virtual clock."""

    async def main() -> WorkflowReport:
        return await run_workflow(
            paths,
            GOAL,
            spec,
            runner,
            policy=policy,
            concurrency=concurrency,
            step_timeout=step_timeout,
        )

    return tiffany.run(main, clock=tiffany.VirtualClock())


def resume(paths: RunPaths, runner: Runner, **options: Any) -> WorkflowReport:
    async def main() -> WorkflowReport:
        return await resume_workflow(paths, runner, **options)

    return tiffany.run(main, clock=tiffany.VirtualClock())


def events(paths: RunPaths, kind: str) -> list[dict[str, Any]]:
    return [event for event in read_trace(paths.trace) if event["kind"] == kind]


def state_changes(paths: RunPaths, step_id: str) -> list[str]:
    """The states ``step_id`` passed through, from the trace."""
    return [e["to"] for e in events(paths, "step.state") if e["step"] == step_id]


def by_attempt(outcomes: Sequence[StepOutcome]) -> Runner:
    """A runner answering attempt *n* of every step with ``outcomes[n - 1]``."""

    async def runner(context: StepContext) -> StepOutcome:
        return outcomes[context.attempt - 1]

    return runner
