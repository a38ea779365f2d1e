"""The five benchmark workloads on trio.

    python bench/tiffany/workloads_trio.py --workload NAME [--scale S] [--repeats R]

Tasks are started with ``nursery.start_soon``; leaving the nursery is the join.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from time import perf_counter, process_time

import trio
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


async def _trivial() -> None:
    return None


def _spawn_and_join(n: int, body: Callable[[], Awaitable[None]]) -> Measurement:
    """Start ``n`` tasks of ``body`` in a nursery; its end joins them: the timed part."""

    async def main() -> float:
        started = perf_counter()
        async with trio.open_nursery() as nursery:
            for _ in range(n):
                nursery.start_soon(body)
        return perf_counter() - started

    seconds: float = trio.run(main)
    return Measurement(n, seconds)


def spawn_join(sizes: Sizes) -> Measurement:
    return _spawn_and_join(sizes.spawn_tasks, _trivial)


async def _yield_once() -> None:
    await trio.lowlevel.checkpoint()


def million(sizes: Sizes) -> Measurement:
    return _spawn_and_join(sizes.million_tasks, _yield_once)


def pingpong(sizes: Sizes) -> Measurement:
    rounds = sizes.pingpong_rounds

    async def main() -> float:
        ping_send, ping_recv = trio.open_memory_channel[int](1)
        pong_send, pong_recv = trio.open_memory_channel[int](1)

        async def ponger() -> None:
            for _ in range(rounds):
                await pong_send.send(await ping_recv.receive())

        started = perf_counter()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(ponger)
            for i in range(rounds):
                await ping_send.send(i)
                await pong_recv.receive()
        return perf_counter() - started

    seconds: float = trio.run(main)
    return Measurement(2 * rounds, seconds)


def yields(sizes: Sizes) -> Measurement:
    n, per_task = sizes.yield_tasks, sizes.yields_per_task

    async def yielder() -> None:
        for _ in range(per_task):
            await trio.lowlevel.checkpoint()  # what trio.sleep(0) does, minus a call

    async def main() -> float:
        started = perf_counter()
        async with trio.open_nursery() as nursery:
            for _ in range(n):
                nursery.start_soon(yielder)
        return perf_counter() - started

    seconds: float = trio.run(main)
    return Measurement(n * per_task, seconds)


def timers(sizes: Sizes) -> Measurement:
    durations = sizes.timer_durations()
    lateness: list[float] = []

    async def sleeper(seconds: float) -> None:
        started = perf_counter()
        await trio.sleep(seconds)
        lateness.append(perf_counter() - started - seconds)

    async def main() -> tuple[float, float]:
        started, cpu_started = perf_counter(), process_time()
        async with trio.open_nursery() as nursery:
            for d in durations:
                nursery.start_soon(sleeper, d)
        return perf_counter() - started, process_time() - cpu_started

    seconds, cpu_seconds = trio.run(main)
    return Measurement(len(durations), seconds, lateness_extra(lateness, cpu_seconds))


async def _echo_handler(stream: trio.SocketStream) -> None:
    while data := await stream.receive_some(65536):
        await stream.send_all(data)


async def _echo_client(port: int, round_trips: int) -> None:
    size = len(ECHO_MESSAGE)
    async with await trio.open_tcp_stream(ECHO_HOST, port) as stream:
        for _ in range(round_trips):
            await stream.send_all(ECHO_MESSAGE)
            data = await stream.receive_some(size)
            while len(data) < size:
                chunk = await stream.receive_some(size - len(data))
                if not chunk:
                    raise EOFError("the echo server closed the connection")
                data += chunk
            check_echo(bytes(data))


def echo(sizes: Sizes) -> Measurement:
    clients, round_trips = sizes.echo_clients, sizes.echo_round_trips

    async def main() -> float:
        async with trio.open_nursery() as server_nursery:
            serve = functools.partial(
                trio.serve_tcp, _echo_handler, 0, host=ECHO_HOST, backlog=max(128, clients)
            )
            listeners = await server_nursery.start(serve)
            port = listeners[0].socket.getsockname()[1]
            started = perf_counter()
            async with trio.open_nursery() as nursery:
                for _ in range(clients):
                    nursery.start_soon(_echo_client, port, round_trips)
            elapsed = perf_counter() - started
            server_nursery.cancel_scope.cancel()
        return elapsed

    seconds: float = trio.run(main)
    return Measurement(clients * round_trips, seconds)


WORKLOADS: dict[str, Workload] = {
    "spawn_join": spawn_join,
    "pingpong": pingpong,
    "yields": yields,
    "timers": timers,
    "echo": echo,
    "million": million,
}

if __name__ == "__main__":
    child_main("trio", WORKLOADS)
