"""Per-step cost of the built-in instruments, as a ratio to a kernel with none.

    python bench/tiffany/instrument_overhead.py [--steps N] [--repeats R]

Each configuration runs the same workload (tasks that yield in a loop) in this process,
best of R runs; a step is one resumption of a task by the kernel.
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

import tiffany
from tiffany.telemetry import JsonTracer, Metrics, SlowStepDetector

TASKS = 100


def _workload(steps: int) -> Callable[[], object]:
    per_task = max(1, steps // TASKS)

    async def spinner() -> None:
        for _ in range(per_task):
            await tiffany.yield_now()

    async def main() -> None:
        tasks = [await tiffany.spawn(spinner) for _ in range(TASKS)]
        for task in tasks:
            await task.join()

    return main


def _best_seconds(instruments: Callable[[], list[object]], steps: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        main = _workload(steps)
        started = time.perf_counter()
        tiffany.run(main, instruments=instruments())  # type: ignore[arg-type]
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    configurations: dict[str, Callable[[], list[object]]] = {
        "none": lambda: [],
        "Metrics": lambda: [Metrics()],
        "SlowStepDetector": lambda: [SlowStepDetector(threshold=1.0)],
        "JsonTracer (task events)": lambda: [JsonTracer(io.StringIO())],
        "Metrics + SlowStepDetector": lambda: [Metrics(), SlowStepDetector(threshold=1.0)],
    }
    baseline = _best_seconds(configurations["none"], args.steps, args.repeats)
    table = Table(title=f"instrument overhead, {args.steps:,} steps, best of {args.repeats}")
    table.add_column("instruments")
    table.add_column("ns / step", justify="right")
    table.add_column("ratio to none", justify="right")
    for name, make in configurations.items():
        seconds = baseline if name == "none" else _best_seconds(make, args.steps, args.repeats)
        table.add_row(name, f"{seconds / args.steps * 1e9:,.0f}", f"{seconds / baseline:.2f}")
    Console().print(table)


if __name__ == "__main__":
    main()
