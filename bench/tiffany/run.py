"""tiffany against asyncio (plain, uvloop, rloop) and trio: operations per second, one table.

    python bench/tiffany/run.py                      # full run, best of 3 (a few minutes)
    python bench/tiffany/run.py --quick              # ~20x smaller, best of 1 (seconds)
    python bench/tiffany/run.py --only pingpong,echo --runtimes tiffany,asyncio
    python bench/tiffany/run.py --json               # one JSON document on stdout

Workloads (sizes at full scale):

- spawn_join: spawn 100,000 trivial tasks, then join each;
- pingpong:   two tasks hand 1,000,000 items across a pair of bounded channels of size 1
              (one per direction); one switch is one item handed across;
- yields:     10,000 tasks each yield 10 times (ops: 100,000 yields);
- timers:     10,000 tasks each sleep a seeded random 0-100 ms on the real clock; also
              reports how late the timers fired (mean, p99, worst);
- echo:       an echo server on 127.0.0.1 and 100 clients x 1,000 round trips of 64 bytes,
              all in one process and one event loop;
- million:    1,000,000 coroutines spawned at once, each yielding once, then joined (the
              methodology TonIO publishes: 2.94 s on asyncio, 0.71 s on TonIO, Python
              3.14, their machine; TonIO does not install on this Python, so its figures
              are cited, not measured).

Every (runtime, workload) pair runs in a fresh interpreter (``workloads_<runtime>.py``),
which repeats the workload on a fresh event loop and reports its best repeat as one JSON
line; the timing is ``time.perf_counter`` around the workload only. The ratio column is
tiffany's ops/s divided by the peer's: above 1 means tiffany is faster.

To see where one runtime spends its time on one workload, run its child with --profile:

    python bench/tiffany/workloads_tiffany.py --workload echo --scale 0.3 --profile 30
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchlib import QUICK_SCALE, UNITS, WORKLOADS
from rich.console import Console
from rich.table import Table

import tiffany

HERE = Path(__file__).resolve().parent
LATENESS = ("mean", "p99", "max")


@dataclass(frozen=True)
class Runtime:
    key: str  # what --runtimes takes
    label: str  # what the table shows
    script: str
    flags: tuple[str, ...] = ()
    package: str | None = None  # distribution whose version the header shows


RUNTIMES: tuple[Runtime, ...] = (
    Runtime("tiffany", "tiffany", "workloads_tiffany.py", package="tiffany-platform"),
    Runtime("asyncio", "asyncio", "workloads_asyncio.py"),
    Runtime("uvloop", "asyncio+uvloop", "workloads_asyncio.py", ("--uvloop",), "uvloop"),
    Runtime("rloop", "asyncio+rloop", "workloads_asyncio.py", ("--rloop",), "rloop"),
    Runtime("trio", "trio", "workloads_trio.py", package="trio"),
)
_BY_NAME: dict[str, Runtime] = {r.key: r for r in RUNTIMES} | {r.label: r for r in RUNTIMES}


def _names(values: list[str] | None, known: dict[str, Any], what: str) -> list[str]:
    """Comma-separated (and repeatable) names, checked against ``known``, in given order."""
    if not values:
        return list(known)
    names: list[str] = []
    for value in values:
        for name in filter(None, (part.strip() for part in value.split(","))):
            if name not in known:
                raise SystemExit(f"unknown {what} {name!r}; choose from {', '.join(known)}")
            if name not in names:
                names.append(name)
    return names


def run_child(
    runtime: Runtime, workload: str, scale: float, repeats: int, timeout: float
) -> dict[str, Any]:
    """Run one workload on one runtime in a fresh interpreter; its JSON record or an error."""
    command = [
        sys.executable,
        str(HERE / runtime.script),
        "--workload",
        workload,
        "--scale",
        repr(scale),
        "--repeats",
        str(repeats),
        *runtime.flags,
    ]
    base: dict[str, Any] = {"runtime": runtime.key, "label": runtime.label, "workload": workload}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return base | {"error": f"timed out after {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return base | {"error": tail}
    record: dict[str, Any] = json.loads(lines[-1])
    return record | base


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
    }
    # The children import the same tiffany (same interpreter and path): say which build.
    info["tiffany_build"] = "compiled by mypyc" if tiffany.COMPILED else "pure Python"
    for runtime in RUNTIMES:
        if runtime.package is not None:
            try:
                info[f"{runtime.key}_version"] = importlib.metadata.version(runtime.package)
            except importlib.metadata.PackageNotFoundError:
                info[f"{runtime.key}_version"] = None
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ratios(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per workload: tiffany's ops/s over each peer's (above 1: tiffany is faster)."""
    rate = {(r["workload"], r["runtime"]): r["ops_per_sec"] for r in results if "error" not in r}
    table: dict[str, dict[str, float]] = {}
    for (workload, runtime), ops in rate.items():
        mine = rate.get((workload, "tiffany"))
        if runtime != "tiffany" and mine is not None and ops > 0:
            table.setdefault(workload, {})[runtime] = mine / ops
    return table


def _ratio_cell(value: float | None) -> str:
    if value is None:
        return "-"
    colour = "green" if value >= 1.0 else "red"
    return f"[{colour}]{value:.2f}x[/{colour}]"


def print_tables(
    console: Console,
    meta: dict[str, Any],
    results: list[dict[str, Any]],
    runtimes: list[Runtime],
    workloads: list[str],
) -> None:
    by_key = {(r["workload"], r["runtime"]): r for r in results}
    peers = [r for r in runtimes if r.key != "tiffany"]
    has_tiffany = any(r.key == "tiffany" for r in runtimes)
    versions = ", ".join(
        f"{r.label} {meta[f'{r.key}_version']}"
        + (f" ({meta['tiffany_build']})" if r.key == "tiffany" else "")
        for r in RUNTIMES
        if meta.get(f"{r.key}_version") and r in runtimes
    )
    console.print(
        f"Python {meta['python']} ({meta['implementation']}) on {meta['platform']}, "
        f"{meta['machine']}, {meta['cpu']}, {meta['cpus']} CPUs"
    )
    if versions:
        console.print(versions)
    title = (
        f"operations per second, best of {meta['repeats']}"
        f"{' (quick: scale ' + str(meta['scale']) + ')' if meta['scale'] != 1.0 else ''}"
    )
    table = Table(title=title)
    table.add_column("workload")
    table.add_column("op", style="dim")
    for runtime in runtimes:
        table.add_column(runtime.label, justify="right")
    if has_tiffany:
        for peer in peers:
            table.add_column(f"tiffany/{peer.label}", justify="right")
    ratio = ratios(results)
    for workload in workloads:
        row = [workload, UNITS[workload]]
        for runtime in runtimes:
            record = by_key.get((workload, runtime.key))
            if record is None or "error" in record:
                row.append("[red]failed[/red]")
            else:
                row.append(f"{record['ops_per_sec']:,.0f}")
        if has_tiffany:
            row += [_ratio_cell(ratio.get(workload, {}).get(peer.key)) for peer in peers]
        table.add_row(*row)
    console.print(table)

    if "timers" in workloads:
        # The clock sets this workload's wall time for every runtime; the CPU each timer
        # costs is what tells the runtimes' timer machinery apart.
        late = Table(title="timers: lateness (ms) and CPU per timer (µs); lower is better")
        late.add_column("runtime")
        for column in LATENESS:
            late.add_column(column, justify="right")
        late.add_column("CPU µs/timer", justify="right")
        late.add_column("tiffany's CPU advantage", justify="right")
        ours = by_key.get(("timers", "tiffany"), {}).get("extra", {}).get("cpu_us_per_timer")
        for runtime in runtimes:
            record = by_key.get(("timers", runtime.key))
            if record is None or "error" in record:
                continue
            extra = record["extra"]
            cells = [f"{extra.get(f'lateness_{k}_ms', math.nan):.2f}" for k in LATENESS]
            cpu = extra.get("cpu_us_per_timer")
            cells.append("-" if cpu is None else f"{cpu:.2f}")
            advantage = cpu / ours if cpu and ours and runtime.key != "tiffany" else None
            cells.append(_ratio_cell(advantage))
            late.add_row(runtime.label, *cells)
        console.print(late)

    for record in results:
        if "error" in record:
            console.print(
                f"[red]{record['label']} / {record['workload']} failed:[/red] {record['error']}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="tiffany vs asyncio, uvloop, rloop and trio: ops/s and ratios",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"workloads: {', '.join(WORKLOADS)}; runtimes: {', '.join(r.key for r in RUNTIMES)}",
    )
    parser.add_argument("--quick", action="store_true", help="~20x smaller, best of 1")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead")
    parser.add_argument("--only", action="append", metavar="NAME[,NAME]", help="workloads")
    parser.add_argument("--runtimes", action="append", metavar="NAME[,NAME]", help="runtimes")
    parser.add_argument("--repeats", type=int, help="best of this many (default 3, quick 1)")
    parser.add_argument("--scale", type=float, help="size factor (default 1, quick 0.05)")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds per runtime and workload"
    )
    args = parser.parse_args(argv)

    workloads = _names(args.only, {w: w for w in WORKLOADS}, "workload")
    runtime_names = _names(args.runtimes, _BY_NAME, "runtime")
    runtimes: list[Runtime] = []
    for name in runtime_names:
        if _BY_NAME[name] not in runtimes:
            runtimes.append(_BY_NAME[name])
    runtimes.sort(key=RUNTIMES.index)
    scale = args.scale if args.scale is not None else (QUICK_SCALE if args.quick else 1.0)
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 3)

    progress = Console(stderr=True)
    results: list[dict[str, Any]] = []
    started = time.perf_counter()
    for workload in workloads:
        for runtime in runtimes:
            t0 = time.perf_counter()
            record = run_child(runtime, workload, scale, repeats, args.timeout)
            results.append(record)
            outcome = (
                f"[red]failed: {record['error']}[/red]"
                if "error" in record
                else f"{record['ops_per_sec']:,.0f} ops/s"
            )
            progress.print(
                f"  {workload:<10} {runtime.label:<15} {outcome}  "
                f"[dim]({time.perf_counter() - t0:.1f} s)[/dim]",
                highlight=False,
            )

    meta = machine_info() | {
        "scale": scale,
        "repeats": repeats,
        "total_seconds": time.perf_counter() - started,
    }
    if args.json:
        document = {"meta": meta, "results": results, "ratios": ratios(results)}
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        # Piped output gets rich's default 80 columns, too narrow for the table.
        width = None if sys.stdout.isatty() else 160
        print_tables(Console(width=width), meta, results, runtimes, workloads)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
