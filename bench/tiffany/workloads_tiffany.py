"""The five benchmark workloads on tiffany (see ``run.py``).

python bench/tiffany/workloads_tiffany.py --workload NAME [--scale S] [--repeats R]
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import perf_counter, process_time

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

import tiffany
from tiffany import net


async def _trivial() -> None:
    return None


def _spawn_and_join(n: int, body: Callable[[], Awaitable[None]]) -> Measurement:
    """Spawn ``n`` tasks of ``body`` at once, then join each: the timed part."""

    async def main() -> float:
        started = perf_counter()
        tasks = [await tiffany.spawn(body) for _ in range(n)]
        for task in tasks:
            await task.join()
        return perf_counter() - started

    return Measurement(n, tiffany.run(main))


def spawn_join(sizes: Sizes) -> Measurement:
    return _spawn_and_join(sizes.spawn_tasks, _trivial)


async def _yield_once() -> None:
    await tiffany.yield_now()


def million(sizes: Sizes) -> Measurement:
    return _spawn_and_join(sizes.million_tasks, _yield_once)


def pingpong(sizes: Sizes) -> Measurement:
    rounds = sizes.pingpong_rounds

    async def main() -> float:
        ping: tiffany.Channel[int] = tiffany.Channel(1)
        pong: tiffany.Channel[int] = tiffany.Channel(1)

        async def ponger() -> None:
            for _ in range(rounds):
                await pong.send(await ping.recv())

        started = perf_counter()
        task = await tiffany.spawn(ponger)
        for i in range(rounds):
            await ping.send(i)
            await pong.recv()
        await task.join()
        return perf_counter() - started

    return Measurement(2 * rounds, tiffany.run(main))


def yields(sizes: Sizes) -> Measurement:
    n, per_task = sizes.yield_tasks, sizes.yields_per_task

    async def yielder() -> None:
        for _ in range(per_task):
            await tiffany.yield_now()

    async def main() -> float:
        started = perf_counter()
        tasks = [await tiffany.spawn(yielder) for _ in range(n)]
        for task in tasks:
            await task.join()
        return perf_counter() - started

    return Measurement(n * per_task, tiffany.run(main))


def timers(sizes: Sizes) -> Measurement:
    durations = sizes.timer_durations()
    lateness: list[float] = []

    async def sleeper(seconds: float) -> None:
        started = perf_counter()
        await tiffany.sleep(seconds)
        lateness.append(perf_counter() - started - seconds)

    async def main() -> tuple[float, float]:
        started, cpu_started = perf_counter(), process_time()
        tasks = [await tiffany.spawn(sleeper, d) for d in durations]
        for task in tasks:
            await task.join()
        return perf_counter() - started, process_time() - cpu_started

    seconds, cpu_seconds = tiffany.run(main)
    return Measurement(len(durations), seconds, lateness_extra(lateness, cpu_seconds))


async def _echo_handler(stream: net.SocketStream) -> None:
    while data := await stream.recv():
        await stream.sendall(data)


async def _echo_client(port: int, round_trips: int) -> None:
    size = len(ECHO_MESSAGE)
    async with await net.open_tcp(ECHO_HOST, port) as stream:
        for _ in range(round_trips):
            await stream.sendall(ECHO_MESSAGE)
            data = await stream.recv(size)
            while len(data) < size:
                chunk = await stream.recv(size - len(data))
                if not chunk:
                    raise EOFError("the echo server closed the connection")
                data += chunk
            check_echo(data)


def echo(sizes: Sizes) -> Measurement:
    clients, round_trips = sizes.echo_clients, sizes.echo_round_trips

    async def main() -> float:
        listener = await net.listen_tcp(ECHO_HOST, 0, backlog=max(128, clients))
        server = await tiffany.spawn(listener.serve, _echo_handler)
        started = perf_counter()
        port = listener.port
        tasks = [await tiffany.spawn(_echo_client, port, round_trips) for _ in range(clients)]
        for task in tasks:
            await task.join()
        elapsed = perf_counter() - started
        await server.cancel()
        listener.close()
        return elapsed

    return Measurement(clients * round_trips, tiffany.run(main))


WORKLOADS: dict[str, Workload] = {
    "spawn_join": spawn_join,
    "pingpong": pingpong,
    "yields": yields,
    "timers": timers,
    "echo": echo,
    "million": million,
}

if __name__ == "__main__":
    child_main("tiffany", WORKLOADS)
