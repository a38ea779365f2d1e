"""What the workflow engine costs per step and per trace event, with no model in the way.

    python bench/tokimon/orchestration_overhead.py [--steps 10,50,200] [--events N]
                                                   [--repeats R] [--dir PATH] [--json]

Every number is the best of R runs in this process, timed with ``time.perf_counter``:

- ``engine``: a workflow of N independent steps whose runner returns at once, from
  ``tiffany.run`` to the report: validation, dispatch, the state file written atomically
  (fsync included) after each of the 3 transitions of a step, the outputs file, the trace;
- ``tiffany``: the same N trivial coroutines spawned and joined on a tiffany kernel;
- ``asyncio``: the same N trivial coroutines under ``asyncio.gather``;
- ``state write``: one atomic ``workflow_state.json`` write at that workflow size;
- ``trace event``: one ``Trace.emit`` (redaction, JSON, one ``write``) of a step event;
- ``tool call``: one call of a no-op tool through the toolset (argument validation,
  timeout scope, output bound, its two events), with and without the trace installed:
  the difference is the trace's share (bounding, redaction, two writes).

The ratio column divides the engine's time per step by asyncio's time per coroutine.
Run files go to a temporary folder (``--dir`` to put them on another disk: the fsyncs
dominate, so the disk decides).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel

import tiffany
from tiffany.models import ToolCall
from tokimon.tools import ToolContext, ToolOutput, Toolset, define_tool
from tokimon.trace import Trace
from tokimon.workflow import StepContext, StepOutcome, WorkflowSpec, run_workflow
from tokimon.workflow.state import WorkflowState, save_state
from tokimon.workspace import RunPaths, Workspace

OUTCOME = StepOutcome("SUCCEEDED", {"ok": True}, "done")


async def trivial_runner(context: StepContext) -> StepOutcome:
    return OUTCOME


async def trivial() -> bool:
    return True


def spec_of(steps: int) -> WorkflowSpec:
    return WorkflowSpec.model_validate(
        {"steps": [{"id": f"s{i}", "role": "Implementer"} for i in range(steps)]}
    )


def best(repeats: int, once: Callable[[], float]) -> float:
    return min(once() for _ in range(repeats))


def time_engine(root: Path, steps: int) -> float:
    paths, _ = Workspace(root).new_run("benchmark", root, "none")
    spec = spec_of(steps)
    started = time.perf_counter()
    report = tiffany.run(run_workflow, paths, "benchmark", spec, trivial_runner)
    elapsed = time.perf_counter() - started
    assert report.succeeded, report
    return elapsed


def time_tiffany(steps: int) -> float:
    async def main() -> None:
        tasks = [await tiffany.spawn(trivial) for _ in range(steps)]
        for task in tasks:
            await task.join()

    started = time.perf_counter()
    tiffany.run(main)
    return time.perf_counter() - started


def time_asyncio(steps: int) -> float:
    async def main() -> None:
        await asyncio.gather(*(trivial() for _ in range(steps)))

    started = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - started


def time_state_write(root: Path, steps: int, writes: int = 20) -> float:
    paths = RunPaths(root / f"state-{steps}")
    paths.create()
    state = WorkflowState.new(paths.id, "benchmark", spec_of(steps))
    started = time.perf_counter()
    for _ in range(writes):
        save_state(paths, state)
    return (time.perf_counter() - started) / writes


def time_trace_events(root: Path, events: int) -> float:
    with Trace(root / "events.jsonl") as trace:
        started = time.perf_counter()
        for index in range(events):
            trace.emit("step.state", step=f"s{index}", attempt=1, **{"from": "READY"}, to="RUNNING")
        return (time.perf_counter() - started) / events


class Echo(BaseModel):
    """Return the text as the result."""

    text: str


async def echo(args: Echo, context: ToolContext) -> ToolOutput:
    return ToolOutput(args.text)


def time_tool_calls(root: Path, calls: int, traced: bool) -> float:
    """One call of a no-op tool through the toolset (validation, timeout scope, bounding,
    events), with the trace installed or not."""
    (root / "repo").mkdir(exist_ok=True)
    toolset = Toolset(root / "repo", tools=[define_tool(Echo, echo, name="echo", timeout=5)])
    call = ToolCall("t1", "echo", {"text": "line of tool output\n" * 50})

    async def main() -> float:
        with Trace(root / "tools.jsonl") as trace:
            if traced:
                tiffany.current_kernel().add_instrument(trace)
            started = time.perf_counter()
            for _ in range(calls):
                await toolset.execute(call)
            return (time.perf_counter() - started) / calls

    result: float = tiffany.run(main)
    return result


def measure(root: Path, sizes: list[int], events: int, repeats: int) -> dict[str, Any]:
    rows = []
    calls = max(1, events // 10)
    for steps in sizes:
        engine = best(repeats, partial(time_engine, root / "ws", steps)) / steps
        kernel = best(repeats, partial(time_tiffany, steps)) / steps
        gathered = best(repeats, partial(time_asyncio, steps)) / steps
        rows.append(
            {
                "steps": steps,
                "engine_us_per_step": engine * 1e6,
                "tiffany_us_per_task": kernel * 1e6,
                "asyncio_us_per_coroutine": gathered * 1e6,
                "ratio_to_asyncio": engine / gathered,
                "state_write_us": time_state_write(root, steps) * 1e6,
            }
        )
    return {
        "rows": rows,
        "trace_event_us": best(repeats, partial(time_trace_events, root, events)) * 1e6,
        "tool_call_us": best(repeats, partial(time_tool_calls, root, calls, False)) * 1e6,
        "tool_call_traced_us": best(repeats, partial(time_tool_calls, root, calls, True)) * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--steps", default="10,50,200", help="workflow sizes, comma-separated")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where run files go")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    sizes = [int(size) for size in args.steps.split(",")]
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        result = measure(Path(folder), sizes, args.events, args.repeats)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{'steps':>6} {'engine µs/step':>15} {'tiffany µs/task':>16} "
        f"{'asyncio µs/coro':>16} {'ratio':>8} {'state write µs':>15}"
    )
    for row in result["rows"]:
        print(
            f"{row['steps']:>6} {row['engine_us_per_step']:>15.1f} "
            f"{row['tiffany_us_per_task']:>16.2f} {row['asyncio_us_per_coroutine']:>16.2f} "
            f"{row['ratio_to_asyncio']:>8.0f} {row['state_write_us']:>15.1f}"
        )
    print(f"trace event: {result['trace_event_us']:.1f} µs/event")
    print(
        f"tool call (no-op tool): {result['tool_call_us']:.1f} µs untraced, "
        f"{result['tool_call_traced_us']:.1f} µs traced"
    )


if __name__ == "__main__":
    main()
