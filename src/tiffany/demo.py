"""A small program that exercises the kernel end to end; ``tiffany demo`` runs it.

A producer feeds jobs into a bounded channel (backpressure), workers of different
priorities take them, send each over TCP to an echo server on 127.0.0.1 under a timeout,
and a task group ties their lifetimes together. It doubles as a first example to read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import net
from .api import current_time, run, spawn
from .cancel import fail_after
from .channel import Channel
from .errors import TooSlowError
from .group import TaskGroup
from .priority import Priority
from .traps import sleep


@dataclass
class DemoReport:
    """What the demo did, for a table or for ``--json``."""

    jobs: int
    echoed: int = 0
    timed_out: int = 0
    per_worker: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    port: int = 0


async def _echo(stream: net.SocketStream) -> None:
    while data := await stream.recv():
        if data.startswith(b"slow"):
            await sleep(0.5)  # a job the worker's timeout will give up on
        await stream.sendall(data)


async def _worker(name: str, jobs: Channel[bytes], port: int, report: DemoReport) -> None:
    async with await net.open_tcp("127.0.0.1", port) as stream:
        async for job in jobs:
            try:
                with fail_after(0.2):
                    await stream.sendall(job)
                    reply = await stream.recv_exactly(len(job))
            except TooSlowError:
                report.timed_out += 1
                return  # the connection is mid-reply; this worker retires
            assert reply == job
            report.echoed += 1
            report.per_worker[name] = report.per_worker.get(name, 0) + 1


async def _demo(jobs: int) -> DemoReport:
    report = DemoReport(jobs=jobs)
    started = current_time()
    listener = await net.listen_tcp("127.0.0.1", 0)
    report.port = listener.port
    server = await spawn(listener.serve, _echo, name="echo-server", priority=Priority.HIGH)
    channel: Channel[bytes] = Channel(maxsize=4)
    async with TaskGroup() as group:
        for index, priority in enumerate((Priority.HIGH, Priority.NORMAL, Priority.LOW)):
            name = f"worker-{index}-{priority.name.lower()}"
            await group.spawn(
                _worker, name, channel, listener.port, report, name=name, priority=priority
            )
        for number in range(jobs):
            await channel.send(b"job-%06d" % number)  # waits while the workers are busy
        await channel.send(b"slow job")
        channel.close()
    await server.cancel()
    listener.close()
    report.seconds = current_time() - started
    return report


def run_demo(jobs: int = 1000) -> DemoReport:
    """Run the demo on a fresh kernel and return its report."""
    return run(_demo, jobs)
