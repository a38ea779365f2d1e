"""Requests per second of the daemon's API over its Unix socket.

    python bench/tiffany/daemon_rps.py [--clients 1,8,32] [--requests 5000]
                                       [--endpoints health,task,spawn,metrics] [--json]

Starts ``tiffany daemon`` as a subprocess (its own temporary socket, state and config),
then, for each endpoint and client count, runs N concurrent keep-alive clients (tiffany
tasks speaking HTTP/1.1 through h11, in this process) until the requests are done.
Reports requests/s, latency percentiles and the daemon's own CPU time per request (from
/proc, so the client's cost is not counted in it).

``spawn`` is ``POST /agents/noop/spawn``: each answer waits for the record to reach the
disk (group commit: concurrent spawns share an fsync), so it measures durability too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import tiffany
from tiffany.daemon.client import DaemonClient
from tiffany.daemon.http import HttpClient

AGENTS = "async def noop(**kwargs):\n    return None\n"

CONFIG = """
[daemon]
python_path = ["."]
keep_finished = 1000
max_connections = 1024

[agents.noop]
entry = "bench_rps_agents:noop"
"""

ENDPOINTS: dict[str, tuple[str, str, bytes | None, int]] = {
    "health": ("GET", "/health", None, 200),
    "task": ("GET", "/tasks/1", None, 200),
    "spawn": ("POST", "/agents/noop/spawn", b"{}", 201),  # waits for the fsync
    "metrics": ("GET", "/metrics", None, 200),
}


@dataclass
class Result:
    endpoint: str
    clients: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    daemon_cpu_us: float | None  # daemon CPU time per request
    errors: int


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of ``pid`` (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _load(
    socket_path: str, endpoint: str, clients: int, requests: int
) -> tuple[float, list[float], int]:
    method, target, body, expected = ENDPOINTS[endpoint]
    latencies: list[float] = []
    errors = 0
    per_client = [
        requests // clients + (1 if i < requests % clients else 0) for i in range(clients)
    ]

    async def client(count: int) -> None:
        nonlocal errors
        async with await HttpClient.connect_unix(socket_path) as http:
            for _ in range(count):
                started = time.perf_counter()
                response = await http.request(method, target, body=body)
                latencies.append(time.perf_counter() - started)
                if response.status != expected:
                    errors += 1

    async def main() -> float:
        started = time.perf_counter()
        async with tiffany.TaskGroup() as group:
            for count in per_client:
                await group.spawn(client, count)
        return time.perf_counter() - started

    seconds: float = tiffany.run(main)
    return seconds, latencies, errors


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(
    pid: int, requests: int, load: Callable[..., tuple[float, list[float], int]], *args: Any
) -> dict[str, Any]:
    """``load(*args, requests)`` (seconds, latencies, errors) against the daemon ``pid``, as
    the fields of a result row: rate, p50/p99 latency, daemon CPU time per request."""
    cpu_before = _cpu_seconds(pid)
    seconds, latencies, errors = load(*args, requests)
    cpu_after = _cpu_seconds(pid)
    cpu = (
        (cpu_after - cpu_before) / requests * 1e6
        if cpu_before is not None and cpu_after is not None
        else None
    )
    return {
        "requests": requests,
        "seconds": seconds,
        "rps": requests / seconds,
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "daemon_cpu_us": cpu,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,8,32", help="comma-separated client counts")
    parser.add_argument("--requests", type=int, default=5000, help="requests per run")
    parser.add_argument(
        "--spawn-requests", type=int, default=1000, help="requests per run of the spawn endpoint"
    )
    parser.add_argument("--endpoints", default="health,task,spawn,metrics")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",")]
    endpoints = args.endpoints.split(",")
    for name in endpoints:
        if name not in ENDPOINTS:
            parser.error(f"unknown endpoint {name!r}; choose from {', '.join(ENDPOINTS)}")

    workdir = Path(tempfile.mkdtemp(prefix="tfy-bench-", dir="/tmp"))
    (workdir / "bench_rps_agents.py").write_text(AGENTS)
    (workdir / "daemon.toml").write_text(CONFIG)
    socket_path = workdir / "d.sock"
    daemon = subprocess.Popen(
        [
            sys.executable, "-m", "tiffany.cli", "daemon", "--socket", str(socket_path),
            "--state", str(workdir / "state"), "--config", str(workdir / "daemon.toml"),
            "--log-level", "WARNING",
        ],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    results: list[Result] = []
    try:
        with DaemonClient(socket_path) as client:
            client.wait_until_ready(timeout=20)
            client.spawn("noop")  # task 1, for the "task" endpoint
        for endpoint in endpoints:
            for clients in counts:
                requests = args.spawn_requests if endpoint == "spawn" else args.requests
                row = measure(daemon.pid, requests, _load, str(socket_path), endpoint, clients)
                results.append(
                    Result(
                        endpoint=f"{ENDPOINTS[endpoint][0]} {ENDPOINTS[endpoint][1]}",
                        clients=clients,
                        **row,
                    )
                )
        with DaemonClient(socket_path) as client:
            client.shutdown(grace=1)
        daemon.wait(30)
    finally:
        if daemon.poll() is None:
            daemon.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
        return
    table = Table(
        title="tiffany daemon API over a Unix socket (keep-alive clients in another process)"
    )
    columns = ("endpoint", "clients", "requests", "req/s", "p50 ms", "p99 ms", "daemon µs/req")
    for column in (*columns, "errors"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for r in results:
        table.add_row(
            r.endpoint,
            str(r.clients),
            str(r.requests),
            f"{r.rps:,.0f}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            "n/a" if r.daemon_cpu_us is None else f"{r.daemon_cpu_us:.0f}",
            str(r.errors),
        )
    console = Console()
    if console.width < 110:
        console = Console(width=110)  # one row per line, even when piped
    console.print(table)


if __name__ == "__main__":
    main()
