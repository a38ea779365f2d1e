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
import time
from dataclasses import asdict, dataclass

from daemonlib import measure, running_daemon, shares
from rich.console import Console
from rich.table import Table

import tiffany
from tiffany.daemon.http import HttpClient

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


def _load(
    socket_path: str, endpoint: str, clients: int, requests: int
) -> tuple[float, list[float], int]:
    method, target, body, expected = ENDPOINTS[endpoint]
    latencies: list[float] = []
    errors = 0
    per_client = shares(requests, clients)

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

    results: list[Result] = []
    with running_daemon() as daemon:
        for endpoint in endpoints:
            for clients in counts:
                requests = args.spawn_requests if endpoint == "spawn" else args.requests
                row = measure(daemon.pid, requests, _load, str(daemon.socket), endpoint, clients)
                results.append(
                    Result(
                        endpoint=f"{ENDPOINTS[endpoint][0]} {ENDPOINTS[endpoint][1]}",
                        clients=clients,
                        **row,
                    )
                )

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
