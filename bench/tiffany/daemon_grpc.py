"""The daemon's gRPC service against its HTTP API, in one run, over Unix sockets.

    python bench/tiffany/daemon_grpc.py [--clients 1,8] [--requests 2000]
                                        [--ops health,show,spawn,ps] [--json]

Starts ``tiffany daemon --grpc`` as a subprocess (its own temporary sockets, state and
config), then for each operation and client count runs the same load twice: N threads
each with its own blocking HTTP client (:class:`DaemonClient`, keep-alive), then N
threads each with its own gRPC client (:class:`GrpcDaemonClient`, one channel each).
Both clients are what ``tiffany`` uses, so this is what a script sees. Reports
requests/s, p50/p99 latency, the daemon's CPU time per request (from /proc) and the ratio
gRPC/HTTP of requests/s. Needs the ``grpc`` extra.

Both paths end in the same kernel; they differ in the transport and in who runs the
handler: the HTTP API answers in a task of the daemon's kernel, a gRPC call in one of
grpcio's threads that hands the work to the kernel through a portal and waits.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from daemonlib import measure, running_daemon, shares
from rich.console import Console
from rich.table import Table

from tiffany.daemon.client import DaemonClient
from tiffany.daemon.rpc import require_grpc

#: What each operation calls on a client (both clients have the same methods).
OPS: dict[str, Callable[[Any], Any]] = {
    "health": lambda client: client.health(),
    "show": lambda client: client.task(1),
    "ps": lambda client: client.tasks(limit=20),
    "spawn": lambda client: client.spawn("noop"),  # waits for the record's fsync
}


@dataclass
class Result:
    op: str
    transport: str
    clients: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    daemon_cpu_us: float | None
    errors: int


def _load(
    make_client: Callable[[], Any], op: str, clients: int, requests: int
) -> tuple[float, list[float], int]:
    call = OPS[op]
    per_client = shares(requests, clients)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    made = [make_client() for _ in range(clients)]
    for client in made:
        call(client)  # connect before the clock starts
    start = threading.Barrier(clients + 1)

    def work(n: int) -> None:
        client, mine = made[n], latencies[n]
        start.wait()
        for _ in range(per_client[n]):
            began = time.perf_counter()
            try:
                call(client)
            except Exception:
                errors[n] += 1
            mine.append(time.perf_counter() - began)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    for client in made:
        client.close()
    return seconds, [x for mine in latencies for x in mine], sum(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,8", help="comma-separated client counts")
    parser.add_argument("--requests", type=int, default=2000, help="requests per run")
    parser.add_argument("--spawn-requests", type=int, default=500, help="requests per run of spawn")
    parser.add_argument("--ops", default="health,show,ps,spawn")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    require_grpc()
    from tiffany.daemon.rpc.client import GrpcDaemonClient

    counts = [int(c) for c in args.clients.split(",")]
    ops = args.ops.split(",")
    for name in ops:
        if name not in OPS:
            parser.error(f"unknown op {name!r}; choose from {', '.join(OPS)}")

    results: list[Result] = []
    with running_daemon(grpc=True) as daemon:
        transports: dict[str, Callable[[], Any]] = {
            "http": lambda: DaemonClient(daemon.socket),
            "grpc": lambda: GrpcDaemonClient(daemon.socket),
        }
        for op in ops:
            for clients in counts:
                requests = args.spawn_requests if op == "spawn" else args.requests
                for transport, make in transports.items():
                    row = measure(daemon.pid, requests, _load, make, op, clients)
                    results.append(Result(op=op, transport=transport, clients=clients, **row))

    rps = {(r.op, r.clients, r.transport): r.rps for r in results}
    ratios = {
        f"{op}@{clients}": rps[(op, clients, "grpc")] / rps[(op, clients, "http")]
        for op in ops
        for clients in counts
    }
    if args.json:
        print(json.dumps({"results": [asdict(r) for r in results], "ratios": ratios}, indent=2))
        return
    table = Table(title="tiffany daemon: gRPC vs HTTP over Unix sockets (blocking clients)")
    columns = ("op", "clients", "transport", "req/s", "p50 ms", "p99 ms", "daemon µs/req")
    for column in (*columns, "errors", "grpc/http"):
        table.add_column(column, justify="left" if column in ("op", "transport") else "right")
    for r in results:
        ratio = f"{ratios[f'{r.op}@{r.clients}']:.2f}x" if r.transport == "grpc" else ""
        table.add_row(
            r.op,
            str(r.clients),
            r.transport,
            f"{r.rps:,.0f}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            "n/a" if r.daemon_cpu_us is None else f"{r.daemon_cpu_us:.0f}",
            str(r.errors),
            ratio,
        )
    Console(width=max(120, Console().width)).print(table)


if __name__ == "__main__":
    main()
