"""Shared by the daemon's benchmarks: a throwaway daemon to load, and the figures of a run.

``daemon_rps.py``, ``daemon_grpc.py`` and ``router_overhead.py`` start ``tiffany daemon``
as a subprocess in a temporary directory of its own (socket, state, config and a ``noop``
agent), so that a run never meets a user's daemon and leaves nothing behind; and they
report the same figures, measured the same way, so that their tables can be compared.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiffany.daemon.client import DaemonClient

if TYPE_CHECKING:
    from tiffany.daemon.rpc.client import GrpcDaemonClient

AGENTS = "async def noop(**kwargs):\n    return None\n"

CONFIG = """
[daemon]
python_path = ["."]
keep_finished = 1000
max_connections = 1024

[agents.noop]
entry = "bench_agents:noop"
"""


def make_workdir(prefix: str) -> Path:
    """A new directory under /tmp with the ``noop`` agent and a ``daemon.toml`` serving it."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    (workdir / "bench_agents.py").write_text(AGENTS)
    (workdir / "daemon.toml").write_text(CONFIG)
    return workdir


@dataclass(frozen=True)
class Daemon:
    """A running daemon: ``pid`` to read its CPU time from, ``socket`` to load it through."""

    pid: int
    socket: Path


@contextmanager
def running_daemon(*, grpc: bool = False) -> Iterator[Daemon]:
    """A daemon (with its gRPC service if ``grpc``) that is ready and has run task 1.

    When the block ends, the daemon is asked to shut down; if the block raised, or the
    daemon is still running after that, it is killed. Its directory is removed either way.
    """
    workdir = make_workdir("tfy-bench-")
    socket_path = workdir / "d.sock"
    command = [
        sys.executable, "-m", "tiffany.cli", "daemon", "--socket", str(socket_path),
        "--state", str(workdir / "state"), "--config", str(workdir / "daemon.toml"),
        "--log-level", "WARNING",
    ]  # fmt: skip
    if grpc:
        command.append("--grpc")
    process = subprocess.Popen(command, cwd=workdir, stderr=subprocess.DEVNULL)
    try:
        with _ready_client(socket_path, grpc) as client:
            client.wait_until_ready(timeout=20)
            client.spawn("noop")  # task 1, for the operations that read a task
        yield Daemon(pid=process.pid, socket=socket_path)
        with DaemonClient(socket_path) as client:
            client.shutdown(grace=1)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def _ready_client(socket_path: Path, grpc: bool) -> DaemonClient | GrpcDaemonClient:
    """The client to wait with: the gRPC service starts after the HTTP API, so with it on,
    the daemon is ready when gRPC answers."""
    if not grpc:
        return DaemonClient(socket_path)
    from tiffany.daemon.rpc.client import GrpcDaemonClient

    return GrpcDaemonClient(socket_path)


def shares(requests: int, clients: int) -> list[int]:
    """How many of ``requests`` each of ``clients`` sends: all of them, as even as can be."""
    return [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of ``pid`` (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


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
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "daemon_cpu_us": cpu,
        "errors": errors,
    }
