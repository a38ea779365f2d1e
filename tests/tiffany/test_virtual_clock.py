"""The virtual clock: exact timeouts, instant hours, manual advance, FIFO timers and
deterministic replay of a whole program."""

from __future__ import annotations

import math
import random

import pytest

import tiffany
from tiffany import Instrument, Task, VirtualClock

# -- exact deadlines ----------------------------------------------------------------------


def test_timeouts_happen_at_exactly_the_virtual_deadline() -> None:
    async def main() -> list[float]:
        times: list[float] = []
        with tiffany.move_on_after(0.25):
            await tiffany.sleep(10)
        times.append(tiffany.current_time())
        with pytest.raises(tiffany.TooSlowError), tiffany.fail_after(1.5):
            await tiffany.Event().wait()
        times.append(tiffany.current_time())
        with tiffany.move_on_at(1010.0):
            await tiffany.sleep(100)
        times.append(tiffany.current_time())
        return times

    assert tiffany.run(main, clock=VirtualClock(start=1000.0)) == [1000.25, 1001.75, 1010.0]


def test_each_timeout_of_many_concurrent_tasks_fires_at_its_own_deadline() -> None:
    fired: dict[int, float] = {}

    async def waiter(i: int) -> None:
        with tiffany.move_on_after(i * 0.5):
            await tiffany.Event().wait()
        fired[i] = tiffany.current_time()

    async def main() -> None:
        async with tiffany.TaskGroup() as group:
            for i in (7, 3, 9, 1, 5):
                await group.spawn(waiter, i)

    tiffany.run(main, clock=VirtualClock())
    assert fired == {i: i * 0.5 for i in (1, 3, 5, 7, 9)}
    assert list(fired) == [1, 3, 5, 7, 9], "they fire in deadline order"


def test_sleep_and_sleep_until_wake_at_the_exact_time() -> None:
    async def main() -> list[float]:
        times = []
        await tiffany.sleep(0.1)
        times.append(tiffany.current_time())
        await tiffany.sleep_until(42.5)
        times.append(tiffany.current_time())
        await tiffany.sleep_until(10)  # in the past: returns without moving time
        times.append(tiffany.current_time())
        await tiffany.sleep(0)
        times.append(tiffany.current_time())
        return times

    assert tiffany.run(main, clock=VirtualClock()) == [0.1, 42.5, 42.5, 42.5]


def test_an_hour_of_sleeping_moves_virtual_time_by_exactly_an_hour() -> None:
    async def sleeper(seconds: int, rounds: int) -> float:
        for _ in range(rounds):
            await tiffany.sleep(seconds)
        return tiffany.current_time()

    async def main() -> tuple[float, list[float]]:
        await tiffany.sleep(3600)
        t1 = tiffany.current_time()
        tasks = [await tiffany.spawn(sleeper, s, 3600 // s) for s in (1, 60, 900)]
        return t1, [await t.join() for t in tasks]

    clock = VirtualClock()
    assert tiffany.run(main, clock=clock) == (3600.0, [7200.0, 7200.0, 7200.0])
    assert clock.now() == 7200.0


def test_time_stands_still_while_any_task_can_run() -> None:
    log: list[tuple[str, float]] = []

    async def busy() -> None:
        for _ in range(500):
            await tiffany.yield_now()
        log.append(("busy done", tiffany.current_time()))

    async def sleeper() -> None:
        await tiffany.sleep(0.001)
        log.append(("sleeper woke", tiffany.current_time()))

    async def main() -> None:
        await tiffany.spawn(sleeper)
        await tiffany.spawn(busy)
        await tiffany.sleep(1)

    tiffany.run(main, clock=VirtualClock())
    assert log == [("busy done", 0.0), ("sleeper woke", 0.001)]


# -- manual time --------------------------------------------------------------------------


def test_without_autojump_time_moves_only_through_advance_from_a_driver_task() -> None:
    clock = VirtualClock(autojump=False)
    advances: list[float] = []
    woke: list[tuple[float, int]] = []

    async def sleeper() -> None:
        await tiffany.sleep(3)
        woke.append((tiffany.current_time(), len(advances)))

    async def driver() -> None:
        for _ in range(5):
            clock.advance(1)
            advances.append(clock.now())
            await tiffany.yield_now()  # timers that fell due fire at this pass...
            await tiffany.yield_now()  # ...and their tasks run before the next advance

    async def main() -> float:
        s = await tiffany.spawn(sleeper)
        d = await tiffany.spawn(driver)
        await d.join()
        await s.join()
        return tiffany.current_time()

    assert tiffany.run(main, clock=clock) == 5.0
    assert advances == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert woke == [(3.0, 3)], "woken once time reached its deadline, not before"


def test_without_autojump_a_timeout_fires_only_after_advance() -> None:
    clock = VirtualClock(autojump=False)

    async def main() -> tuple[bool, float, int]:
        steps = 0

        async def driver() -> None:
            nonlocal steps
            while True:
                steps += 1
                clock.advance(0.5)
                await tiffany.yield_now()
                await tiffany.yield_now()

        d = await tiffany.spawn(driver)
        with tiffany.move_on_after(2) as scope:
            await tiffany.sleep(100)
        result = scope.cancelled_caught, tiffany.current_time(), steps
        await d.cancel()
        return result

    assert tiffany.run(main, clock=clock) == (True, 2.0, 4)


def test_without_autojump_blocking_on_timers_alone_is_a_deadlock_with_a_hint() -> None:
    async def main() -> None:
        await tiffany.sleep(1)

    with pytest.raises(tiffany.Deadlock, match="autojump"):
        tiffany.run(main, clock=VirtualClock(autojump=False))


def test_virtual_clock_refuses_to_go_backwards_or_start_at_infinity() -> None:
    clock = VirtualClock(start=5.0)
    with pytest.raises(ValueError):
        clock.advance(-1)
    clock.jump_to(3.0)
    assert clock.now() == 5.0
    clock.jump_to(8.0)
    assert clock.now() == 8.0
    with pytest.raises(ValueError):
        VirtualClock(start=math.inf)


# -- timer order --------------------------------------------------------------------------


def test_timers_with_the_same_deadline_fire_in_the_order_they_were_set() -> None:
    order: list[str] = []

    async def at_five(name: str) -> None:
        await tiffany.sleep_until(5)
        order.append(name)

    async def later(name: str, start: float) -> None:
        await tiffany.sleep(start)
        await tiffany.sleep(5 - start)  # the same deadline, set later
        order.append(name)

    async def main() -> None:
        for name in ("c", "a", "b"):
            await tiffany.spawn(at_five, name)
        await tiffany.spawn(later, "set at 2", 2)
        await tiffany.spawn(later, "set at 1", 1)
        await tiffany.spawn(at_five, "d")
        await tiffany.sleep(10)

    tiffany.run(main, clock=VirtualClock())
    assert order == ["c", "a", "b", "d", "set at 1", "set at 2"]


def test_same_deadline_timeouts_fire_in_the_order_their_scopes_were_entered() -> None:
    order: list[int] = []

    async def waiter(i: int) -> None:
        with tiffany.move_on_at(3):
            await tiffany.Event().wait()
        order.append(i)

    async def main() -> None:
        async with tiffany.TaskGroup() as group:
            for i in (4, 2, 8, 6):
                await group.spawn(waiter, i)

    tiffany.run(main, clock=VirtualClock())
    assert order == [4, 2, 8, 6]


# -- deterministic replay ------------------------------------------------------------------


class _Recorder(Instrument):
    """Records every task hook as (hook, task id, task name) and events by kind."""

    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []

    def task_spawned(self, task: Task) -> None:
        self.events.append(("spawned", task.id, task.name))

    def task_scheduled(self, task: Task) -> None:
        self.events.append(("scheduled", task.id))

    def before_task_step(self, task: Task) -> None:
        self.events.append(("before", task.id))

    def after_task_step(self, task: Task) -> None:
        self.events.append(("after", task.id))

    def task_exited(self, task: Task) -> None:
        self.events.append(("exited", task.id, task.state.value))

    def event(self, kind: str, data: dict[str, object]) -> None:
        self.events.append(("event", kind))


def _replay_program(seed: int) -> tuple[list[tuple[object, ...]], list[str], float]:
    """Many tasks, random sleeps, a channel, a lock and cancellations; returns what the
    instrument saw, what the program logged and the final virtual time."""
    rng = random.Random(seed)
    log: list[str] = []
    recorder = _Recorder()

    async def producer(i: int, channel: tiffany.Channel[tuple[int, int]]) -> None:
        for k in range(6):
            await tiffany.sleep(rng.uniform(0, 2))
            await channel.send((i, k))
            log.append(f"{tiffany.current_time():.6f} p{i} sent {k}")

    async def consumer(
        j: int, channel: tiffany.Channel[tuple[int, int]], lock: tiffany.Lock, totals: list[int]
    ) -> None:
        async for i, k in channel:
            async with lock:
                await tiffany.sleep(rng.uniform(0, 0.5))
                totals[0] += i * 10 + k
                log.append(f"{tiffany.current_time():.6f} c{j} got p{i}:{k} total={totals[0]}")

    async def flaky(n: int) -> None:
        try:
            with tiffany.move_on_after(rng.uniform(0.5, 3)) as scope:
                await tiffany.sleep(rng.uniform(0.5, 3))
            log.append(f"{tiffany.current_time():.6f} flaky{n} timeout={scope.cancelled_caught}")
            await tiffany.sleep(100)
        finally:
            log.append(f"{tiffany.current_time():.6f} flaky{n} finally")

    async def main() -> None:
        channel: tiffany.Channel[tuple[int, int]] = tiffany.Channel(2)
        lock = tiffany.Lock()
        totals = [0]
        flakies = [await tiffany.spawn(flaky, n, name=f"flaky{n}") for n in range(4)]
        consumers = [
            await tiffany.spawn(consumer, j, channel, lock, totals, name=f"c{j}") for j in range(3)
        ]
        async with tiffany.TaskGroup() as producers:
            for i in range(4):
                await producers.spawn(producer, i, channel, name=f"p{i}")
        channel.close()
        for c in consumers:
            await c.join()
        for task in flakies:
            await tiffany.sleep(rng.uniform(0, 1))
            await task.cancel()
        tiffany.emit("replay.done", total=totals[0])
        log.append(f"{tiffany.current_time():.6f} total {totals[0]}")

    clock = VirtualClock()
    tiffany.run(main, clock=clock, instruments=[recorder])
    return recorder.events, log, clock.now()


def test_a_program_run_twice_on_a_virtual_clock_produces_the_same_events() -> None:
    events1, log1, end1 = _replay_program(seed=1234)
    events2, log2, end2 = _replay_program(seed=1234)
    assert len(events1) > 300, "the program is big enough to make replay meaningful"
    assert len(log1) > 50
    assert sum(1 for e in events1 if e[0] == "spawned") >= 12
    assert any("timeout=True" in line for line in log1)
    assert any(e[0] == "exited" and e[2] == "cancelled" for e in events1)
    assert events1 == events2
    assert log1 == log2
    assert end1 == end2


def test_the_replay_recording_is_sensitive_to_the_schedule() -> None:
    events1, log1, _ = _replay_program(seed=1234)
    events2, log2, _ = _replay_program(seed=99)
    assert log1 != log2
    assert events1 != events2


def test_timers_stay_exact_after_many_cancelled_timers() -> None:
    async def main() -> list[float]:
        times: list[float] = []
        sleepers = [await tiffany.spawn(tiffany.sleep, 2 + i / 100) for i in range(300)]
        for i in range(300):
            with tiffany.move_on_after(50 + i):  # exits early: its timer goes stale
                await tiffany.sleep(0.001)
        times.append(tiffany.current_time())
        for task in sleepers[::2]:
            await task.cancel()
        await tiffany.sleep(1)
        times.append(tiffany.current_time())
        for task in sleepers[1::2]:
            await task.join()
        times.append(tiffany.current_time())
        with tiffany.move_on_after(7) as scope:
            await tiffany.sleep(60)
        times.append(tiffany.current_time() if scope.cancelled_caught else -1.0)
        return times

    assert tiffany.run(main, clock=VirtualClock()) == pytest.approx(
        [0.3, 1.3, 4.99, 11.99], abs=1e-9
    )


def test_the_clock_jumps_only_to_deadlines_that_still_exist() -> None:
    async def main() -> list[float]:
        times: list[float] = []
        with tiffany.fail_after(100):  # exits after 1 s: its deadline is gone
            await tiffany.sleep(1)
        sleeper = await tiffany.spawn(tiffany.sleep, 50)
        await sleeper.cancel()  # its timer is gone too
        times.append(tiffany.current_time())
        try:
            await tiffany.Event().wait()  # nothing can ever wake this
        except tiffany.Deadlock:
            times.append(tiffany.current_time())
        return times

    assert tiffany.run(main, clock=VirtualClock()) == [1.0, 1.0]
