"""Router overhead per request: the same API calls against one daemon and against the
cluster router (``tiffany daemon --cluster local --shards 1``) in front of one shard.

    python bench/tiffany/router_overhead.py [--clients 1,8] [--requests 2000] [--json]

Starts both as subprocesses (the router starts a local Ray cluster of its own, with
usage statistics off), then runs the same keep-alive clients as ``daemon_rps.py``
against each. The overhead is the router's latency minus the daemon's, per endpoint
and client count: the hop the router adds (HTTP in, a Ray actor call, a portal call
into the shard's kernel, and back). ``health`` and ``metrics`` fan out to every shard,
so with one shard they measure one such call plus the merge.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import daemon_rps
from daemonlib import make_workdir, percentile
from rich.console import Console
from rich.table import Table

from tiffany.daemon.client import DaemonClient


@dataclass
class Row:
    endpoint: str
    clients: int
    requests: int
    daemon_p50_ms: float
    router_p50_ms: float
    overhead_p50_ms: float
    daemon_rps: float
    router_rps: float
    errors: int


def _start(workdir: Path, name: str, cluster: bool) -> tuple[subprocess.Popen[bytes], Path]:
    socket_path = workdir / f"{name}.sock"
    command = [
        sys.executable, "-m", "tiffany.cli", "daemon", "--socket", str(socket_path),
        "--state", str(workdir / f"{name}-state"), "--config", str(workdir / "daemon.toml"),
        "--log-level", "WARNING",
    ]  # fmt: skip
    if cluster:
        command += ["--cluster", "local", "--shards", "1"]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "TMPDIR": "/tmp"}
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL, env=env)
    return process, socket_path


def _measure(
    socket_path: Path, endpoint: str, clients: int, requests: int
) -> tuple[float, float, int]:
    seconds, latencies, errors = daemon_rps._load(str(socket_path), endpoint, clients, requests)
    return percentile(latencies, 0.5) * 1000, requests / seconds, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--endpoints", default="task,health,spawn")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",")]
    endpoints = args.endpoints.split(",")

    workdir = make_workdir("tfy-ro-")
    processes = []
    rows: list[Row] = []
    try:
        daemon, daemon_socket = _start(workdir, "daemon", cluster=False)
        processes.append(daemon)
        router, router_socket = _start(workdir, "router", cluster=True)
        processes.append(router)
        ids = {}
        for socket_path, timeout in ((daemon_socket, 20), (router_socket, 120)):
            with DaemonClient(socket_path) as client:
                client.wait_until_ready(timeout=timeout)
                ids[socket_path] = client.spawn("noop")["id"]
        for endpoint in endpoints:
            for clients in counts:
                requests = args.requests // (4 if endpoint == "spawn" else 1)
                results = []
                for socket_path in (daemon_socket, router_socket):
                    if endpoint == "task":
                        daemon_rps.ENDPOINTS["task"] = (
                            "GET",
                            f"/tasks/{ids[socket_path]}",
                            None,
                            200,
                        )
                    results.append(_measure(socket_path, endpoint, clients, requests))
                (d50, drps, derr), (r50, rrps, rerr) = results
                method, target, _, _ = daemon_rps.ENDPOINTS[endpoint]
                rows.append(
                    Row(
                        endpoint=f"{method} {'/tasks/{id}' if endpoint == 'task' else target}",
                        clients=clients,
                        requests=requests,
                        daemon_p50_ms=d50,
                        router_p50_ms=r50,
                        overhead_p50_ms=r50 - d50,
                        daemon_rps=drps,
                        router_rps=rrps,
                        errors=derr + rerr,
                    )
                )
        for socket_path in (daemon_socket, router_socket):
            with DaemonClient(socket_path) as client:
                client.shutdown(grace=1)
        for process in processes:
            process.wait(60)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return
    table = Table(title="router overhead per request (one shard behind the router vs one daemon)")
    columns = ("endpoint", "clients", "requests", "daemon p50 ms", "router p50 ms",
               "overhead p50 ms", "daemon req/s", "router req/s", "errors")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for r in rows:
        table.add_row(
            r.endpoint, str(r.clients), str(r.requests), f"{r.daemon_p50_ms:.2f}",
            f"{r.router_p50_ms:.2f}", f"{r.overhead_p50_ms:.2f}", f"{r.daemon_rps:,.0f}",
            f"{r.router_rps:,.0f}", str(r.errors),
        )  # fmt: skip
    Console(width=150).print(table)


if __name__ == "__main__":
    main()
