"""Shared by the runtime benchmark's driver and its children: sizes, results, the child CLI.

A child is ``python bench/tiffany/workloads_<runtime>.py --workload NAME --scale S``; it
runs one workload ``--repeats`` times in this one process (a fresh event loop each time)
and prints one JSON line with the best repeat. Each workload times itself with
``time.perf_counter`` around the work only: interpreter start, imports and building or
tearing down the event loop are not counted.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import pstats
import random
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: The workloads, in the order the table shows them.
WORKLOADS: tuple[str, ...] = ("spawn_join", "pingpong", "yields", "timers", "echo", "million")

#: What one operation is, per workload (the unit of "ops/s"). Spawning and joining the
#: tasks is inside the timing of every workload; for "yields" and "timers" it is not
#: counted as an operation.
UNITS: dict[str, str] = {
    "spawn_join": "tasks spawned+joined",
    "pingpong": "items handed across",
    "yields": "yields",
    "timers": "timers fired",
    "echo": "64 B round trips",
    "million": "coroutines spawned, run and joined",
}

# Sizes at --scale 1 (the numbers).
SPAWN_TASKS = 100_000
#: TonIO's published methodology: a million coroutines, each yielding once, all alive at once.
MILLION_TASKS = 1_000_000
PINGPONG_SWITCHES = 1_000_000
YIELD_TASKS = 10_000
YIELDS_PER_TASK = 10
TIMERS = 10_000
TIMER_MAX_SECONDS = 0.100
TIMER_SEED = 20_240_611
ECHO_CLIENTS = 100
ECHO_ROUND_TRIPS = 1_000
ECHO_MESSAGE = bytes(range(64))
ECHO_HOST = "127.0.0.1"

#: ``--quick`` shrinks every count about 20x.
QUICK_SCALE = 0.05


def _scaled(count: int, scale: float) -> int:
    return max(1, math.ceil(count * scale))


@dataclass(frozen=True)
class Sizes:
    """Workload sizes for one ``scale`` (1.0: the issue's numbers)."""

    scale: float = 1.0

    @property
    def spawn_tasks(self) -> int:
        return _scaled(SPAWN_TASKS, self.scale)

    @property
    def million_tasks(self) -> int:
        return _scaled(MILLION_TASKS, self.scale)

    @property
    def pingpong_rounds(self) -> int:
        """Round trips of the ping-pong: each hands two items across."""
        return _scaled(PINGPONG_SWITCHES // 2, self.scale)

    @property
    def yield_tasks(self) -> int:
        return _scaled(YIELD_TASKS, self.scale)

    @property
    def yields_per_task(self) -> int:
        return YIELDS_PER_TASK

    @property
    def timers(self) -> int:
        return _scaled(TIMERS, self.scale)

    @property
    def echo_clients(self) -> int:
        return ECHO_CLIENTS

    @property
    def echo_round_trips(self) -> int:
        """Round trips per client."""
        return _scaled(ECHO_ROUND_TRIPS, self.scale)

    def timer_durations(self) -> list[float]:
        """The same seeded durations, uniform in [0, 100 ms], for every runtime."""
        rng = random.Random(TIMER_SEED)
        return [rng.uniform(0.0, TIMER_MAX_SECONDS) for _ in range(self.timers)]


@dataclass
class Measurement:
    """One timed repeat: ``ops`` operations in ``seconds``, plus workload-specific extras."""

    ops: int
    seconds: float
    extra: dict[str, float] = field(default_factory=dict)


def lateness_extra(lateness: Sequence[float], cpu_seconds: float) -> dict[str, float]:
    """Mean, 99th percentile and worst timer lateness, in milliseconds, and the CPU time
    per timer in microseconds: the wall time of this workload is set by the clock, the
    CPU time by the runtime's timer machinery."""
    if not lateness:
        return {}
    ordered = sorted(lateness)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "lateness_mean_ms": sum(ordered) / len(ordered) * 1e3,
        "lateness_p99_ms": p99 * 1e3,
        "lateness_max_ms": ordered[-1] * 1e3,
        "cpu_us_per_timer": cpu_seconds / len(ordered) * 1e6,
    }


def check_echo(data: bytes) -> None:
    if data != ECHO_MESSAGE:
        raise AssertionError(f"echo returned {len(data)} bytes that differ from what was sent")


Workload = Callable[[Sizes], Measurement]


def _profile(workload: Workload, sizes: Sizes, top: int) -> None:
    """Run ``workload`` once more under cProfile and print where the time went."""
    profiler = cProfile.Profile()
    profiler.enable()
    workload(sizes)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(top)


def child_main(
    runtime: str,
    workloads: Mapping[str, Workload],
    argv: Sequence[str] | None = None,
    configure: Callable[[argparse.Namespace], str] | None = None,
) -> None:
    """The ``__main__`` of a workload module: run one workload, print one JSON line.

    ``configure`` (optional) reads the parsed arguments, sets the runtime up and returns
    the runtime's name to report (``asyncio`` with ``--uvloop`` becomes ``uvloop``).
    """
    parser = argparse.ArgumentParser(description=f"one {runtime} benchmark workload")
    parser.add_argument("--workload", required=True, choices=sorted(workloads))
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: full size")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many")
    parser.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=25,
        metavar="TOP",
        help="profile one extra repeat with cProfile; print the TOP functions to stderr",
    )
    if configure is not None:
        loops = parser.add_mutually_exclusive_group()
        loops.add_argument("--uvloop", action="store_true", help="use uvloop's event loop")
        loops.add_argument("--rloop", action="store_true", help="use rloop's event loop")
    args = parser.parse_args(argv)
    if configure is not None:
        runtime = configure(args)
    sizes = Sizes(args.scale)
    workload = workloads[args.workload]
    runs = [workload(sizes) for _ in range(max(1, args.repeats))]
    best = min(runs, key=lambda m: m.seconds)
    if args.profile:
        _profile(workload, sizes, args.profile)
    record: dict[str, Any] = {
        "runtime": runtime,
        "workload": args.workload,
        "scale": args.scale,
        "repeats": len(runs),
        "ops": best.ops,
        "seconds": best.seconds,
        "ops_per_sec": best.ops / best.seconds if best.seconds > 0 else math.inf,
        "all_seconds": [m.seconds for m in runs],
        "extra": best.extra,
    }
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()
