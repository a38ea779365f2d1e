"""The benchmark workloads on asyncio, or on uvloop's or rloop's loop (``--uvloop``, ``--rloop``).

python bench/tiffany/workloads_asyncio.py --workload NAME [--scale S] [--uvloop | --rloop]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
from collections.abc import Callable, Coroutine
from time import perf_counter, process_time
from typing import Any, TypeVar

from benchlib import (
    ECHO_HOST,
    ECHO_MESSAGE,
    Measurement,
    Sizes,
    Workload,
    check_echo,
    child_main,
    lateness_extra,
)

T = TypeVar("T")

#: Builds each repeat's event loop: asyncio's default, or uvloop's after ``use_uvloop``.
_loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None


def use_loop(name: str) -> None:
    """Run every workload on ``uvloop``'s or ``rloop``'s event loop from now on."""
    global _loop_factory
    module = importlib.import_module(name)
    _loop_factory = module.new_event_loop


def _run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    with asyncio.Runner(loop_factory=_loop_factory) as runner:
        return runner.run(main())


async def _trivial() -> None:
    return None


def _spawn_and_join(n: int, body: Callable[[], Coroutine[Any, Any, None]]) -> Measurement:
    """Spawn ``n`` tasks of ``body`` at once, then join each: the timed part."""

    async def main() -> float:
        started = perf_counter()
        tasks = [asyncio.create_task(body()) for _ in range(n)]
        for task in tasks:
            await task
        return perf_counter() - started

    return Measurement(n, _run(main))


def spawn_join(sizes: Sizes) -> Measurement:
    return _spawn_and_join(sizes.spawn_tasks, _trivial)


async def _yield_once() -> None:
    await asyncio.sleep(0)


def million(sizes: Sizes) -> Measurement:
    return _spawn_and_join(sizes.million_tasks, _yield_once)


def pingpong(sizes: Sizes) -> Measurement:
    rounds = sizes.pingpong_rounds

    async def main() -> float:
        ping: asyncio.Queue[int] = asyncio.Queue(1)
        pong: asyncio.Queue[int] = asyncio.Queue(1)

        async def ponger() -> None:
            for _ in range(rounds):
                await pong.put(await ping.get())

        started = perf_counter()
        task = asyncio.create_task(ponger())
        for i in range(rounds):
            await ping.put(i)
            await pong.get()
        await task
        return perf_counter() - started

    return Measurement(2 * rounds, _run(main))


def yields(sizes: Sizes) -> Measurement:
    n, per_task = sizes.yield_tasks, sizes.yields_per_task

    async def yielder() -> None:
        for _ in range(per_task):
            await asyncio.sleep(0)

    async def main() -> float:
        started = perf_counter()
        tasks = [asyncio.create_task(yielder()) for _ in range(n)]
        for task in tasks:
            await task
        return perf_counter() - started

    return Measurement(n * per_task, _run(main))


def timers(sizes: Sizes) -> Measurement:
    durations = sizes.timer_durations()
    lateness: list[float] = []

    async def sleeper(seconds: float) -> None:
        started = perf_counter()
        await asyncio.sleep(seconds)
        lateness.append(perf_counter() - started - seconds)

    async def main() -> tuple[float, float]:
        started, cpu_started = perf_counter(), process_time()
        tasks = [asyncio.create_task(sleeper(d)) for d in durations]
        for task in tasks:
            await task
        return perf_counter() - started, process_time() - cpu_started

    seconds, cpu_seconds = _run(main)
    return Measurement(len(durations), seconds, lateness_extra(lateness, cpu_seconds))


#: The server's connection tasks, awaited after the timing so none is cut off at exit.
_handlers: set[asyncio.Task[Any]] = set()


async def _echo_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    task = asyncio.current_task()
    if task is not None:
        _handlers.add(task)
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()
        await writer.wait_closed()


async def _echo_client(port: int, round_trips: int) -> None:
    reader, writer = await asyncio.open_connection(ECHO_HOST, port)
    try:
        for _ in range(round_trips):
            writer.write(ECHO_MESSAGE)
            await writer.drain()
            check_echo(await reader.readexactly(len(ECHO_MESSAGE)))
    finally:
        writer.close()
        await writer.wait_closed()


def echo(sizes: Sizes) -> Measurement:
    clients, round_trips = sizes.echo_clients, sizes.echo_round_trips

    async def main() -> float:
        server = await asyncio.start_server(_echo_handler, ECHO_HOST, 0, backlog=max(128, clients))
        port = server.sockets[0].getsockname()[1]
        started = perf_counter()
        tasks = [asyncio.create_task(_echo_client(port, round_trips)) for _ in range(clients)]
        for task in tasks:
            await task
        elapsed = perf_counter() - started
        await asyncio.gather(*_handlers)
        _handlers.clear()
        server.close()
        await server.wait_closed()
        return elapsed

    return Measurement(clients * round_trips, _run(main))


WORKLOADS: dict[str, Workload] = {
    "spawn_join": spawn_join,
    "pingpong": pingpong,
    "yields": yields,
    "timers": timers,
    "echo": echo,
    "million": million,
}


def _configure(args: argparse.Namespace) -> str:
    for name in ("uvloop", "rloop"):
        if getattr(args, name):
            use_loop(name)
            return name
    return "asyncio"


if __name__ == "__main__":
    child_main("asyncio", WORKLOADS, configure=_configure)
