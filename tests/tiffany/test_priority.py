"""Priorities: urgent first, FIFO within a level, aging against starvation, re-prioritising."""

from __future__ import annotations

import pytest

import tiffany
from tiffany import Instrument, Priority, Task, VirtualClock
from tiffany.kernel import AGING_INTERVAL


async def _note(log: list[str], name: str) -> None:
    log.append(name)


def test_priority_levels_exist_in_order_of_urgency() -> None:
    levels = [Priority.CRITICAL, Priority.HIGH, Priority.NORMAL, Priority.LOW, Priority.IDLE]
    assert sorted(levels) == levels
    assert len(set(levels)) == 5


def test_a_ready_task_of_a_more_urgent_level_runs_first() -> None:
    log: list[str] = []

    async def main() -> None:
        for priority in (Priority.LOW, Priority.IDLE, Priority.NORMAL, Priority.CRITICAL):
            await tiffany.spawn(_note, log, priority.name, priority=priority)
        await tiffany.spawn(_note, log, "HIGH", priority=Priority.HIGH)
        await tiffany.sleep(1)

    tiffany.run(main, clock=VirtualClock())
    assert log == ["CRITICAL", "HIGH", "NORMAL", "LOW", "IDLE"]


def test_a_spawned_task_starts_only_when_its_spawner_traps() -> None:
    log: list[str] = []

    async def main() -> None:
        await tiffany.spawn(_note, log, "critical child", priority=Priority.CRITICAL)
        log.append("main goes on")
        await tiffany.yield_now()
        log.append("main after yield")

    tiffany.run(main, clock=VirtualClock())
    assert log == ["main goes on", "critical child", "main after yield"]


def test_fifo_within_a_level() -> None:
    log: list[str] = []

    async def worker(name: str) -> None:
        for round_ in range(3):
            log.append(f"{name}{round_}")
            await tiffany.yield_now()

    async def main() -> None:
        tasks = [await tiffany.spawn(worker, n, priority=Priority.LOW) for n in "abcd"]
        for task in tasks:
            await task.join()

    tiffany.run(main, clock=VirtualClock())
    assert log == [f"{n}{r}" for r in range(3) for n in "abcd"]


def test_yield_now_lets_only_equal_or_more_urgent_tasks_go_first() -> None:
    log: list[str] = []

    async def urgent() -> None:
        for i in range(3):
            log.append(f"high{i}")
            await tiffany.yield_now()

    async def main() -> None:
        await tiffany.spawn(_note, log, "low", priority=Priority.LOW)
        await tiffany.spawn(urgent, priority=Priority.HIGH)
        await tiffany.yield_now()
        log.append("main")
        await tiffany.sleep(1)

    tiffany.run(main, clock=VirtualClock())
    assert log == ["high0", "high1", "high2", "main", "low"]


def test_a_woken_urgent_task_runs_before_the_remaining_less_urgent_ones() -> None:
    log: list[str] = []

    async def main() -> None:
        event = tiffany.Event()

        async def urgent() -> None:
            await event.wait()
            log.append("H")

        async def first_low() -> None:
            event.set()
            log.append("L0")

        high = await tiffany.spawn(urgent, priority=Priority.HIGH)
        await tiffany.spawn(first_low, priority=Priority.LOW)
        for i in range(1, 5):
            await tiffany.spawn(_note, log, f"L{i}", priority=Priority.LOW)
        await high.join()
        await tiffany.sleep(1)

    tiffany.run(main, clock=VirtualClock())
    assert log == ["L0", "H", "L1", "L2", "L3", "L4"]


def test_a_woken_task_is_queued_at_its_own_level() -> None:
    order: list[str] = []

    async def sleeper(name: str) -> None:
        await tiffany.sleep(1)
        order.append(name)

    async def main() -> None:
        for name, priority in (
            ("idle", Priority.IDLE),
            ("normal", Priority.NORMAL),
            ("critical", Priority.CRITICAL),
            ("low", Priority.LOW),
        ):
            await tiffany.spawn(sleeper, name, priority=priority)
        await tiffany.sleep(2)

    tiffany.run(main, clock=VirtualClock())
    assert order == ["critical", "normal", "low", "idle"], "all woke at t=1: urgent first"


# -- changing priority ---------------------------------------------------------------------


class _StepCounter(Instrument):
    def __init__(self) -> None:
        self.steps: dict[str, int] = {}

    def before_task_step(self, task: Task) -> None:
        self.steps[task.name] = self.steps.get(task.name, 0) + 1


def test_changing_priority_while_queued_moves_the_task_and_keeps_it_queued_once() -> None:
    log: list[str] = []
    counter = _StepCounter()

    async def main() -> list[Priority]:
        a = await tiffany.spawn(_note, log, "a", name="a", priority=Priority.LOW)
        b = await tiffany.spawn(_note, log, "b", name="b", priority=Priority.LOW)
        c = await tiffany.spawn(_note, log, "c", name="c", priority=Priority.LOW)
        c.priority = Priority.HIGH
        b.priority = Priority.CRITICAL
        b.priority = Priority.LOW  # back again: now behind a
        a.priority = Priority.IDLE
        a.priority = Priority.IDLE  # no change: stays where it is
        await tiffany.sleep(1)
        return [a.priority, b.priority, c.priority]

    priorities = tiffany.run(main, clock=VirtualClock(), instruments=[counter])
    assert log == ["c", "b", "a"]
    assert priorities == [Priority.IDLE, Priority.LOW, Priority.HIGH]
    assert counter.steps["a"] == counter.steps["b"] == counter.steps["c"] == 1


def test_changing_priority_of_a_blocked_task_applies_when_it_wakes() -> None:
    order: list[str] = []

    async def sleeper(name: str) -> None:
        await tiffany.sleep(1)
        order.append(name)

    async def main() -> None:
        first = await tiffany.spawn(sleeper, "first")
        await tiffany.spawn(sleeper, "second")
        await tiffany.sleep(0.5)
        first.priority = Priority.IDLE
        await tiffany.sleep(1)

    tiffany.run(main, clock=VirtualClock())
    assert order == ["second", "first"]


def test_a_priority_can_be_given_as_an_int() -> None:
    async def main() -> Priority:
        task = await tiffany.spawn(tiffany.sleep, 0, priority=1)
        await task.join()
        return task.priority

    assert tiffany.run(main, clock=VirtualClock()) is Priority.HIGH


def test_an_unknown_priority_is_refused() -> None:
    async def main() -> None:
        with pytest.raises(ValueError):
            await tiffany.spawn(tiffany.sleep, 0, priority=17)

    tiffany.run(main, clock=VirtualClock())


# -- starvation freedom ---------------------------------------------------------------------


def test_low_and_idle_tasks_make_progress_under_a_stream_of_high_tasks() -> None:
    high_steps = 0
    progress: dict[str, list[int]] = {"LOW": [], "IDLE": []}

    async def high_worker() -> None:
        nonlocal high_steps
        for _ in range(2):
            high_steps += 1
            await tiffany.yield_now()

    async def feeder(rounds: int) -> None:
        """A stream of HIGH work: two new HIGH tasks every step, for ``rounds`` steps."""
        nonlocal high_steps
        for _ in range(rounds):
            high_steps += 1
            await tiffany.spawn(high_worker, priority=Priority.HIGH)
            await tiffany.spawn(high_worker, priority=Priority.HIGH)
            await tiffany.yield_now()

    async def background(name: str) -> None:
        while True:
            progress[name].append(high_steps)
            await tiffany.yield_now()

    async def main() -> int:
        low = await tiffany.spawn(background, "LOW", priority=Priority.LOW)
        idle = await tiffany.spawn(background, "IDLE", priority=Priority.IDLE)
        stream = await tiffany.spawn(feeder, 1000, priority=Priority.HIGH)
        await stream.join()
        total = high_steps
        await low.cancel()
        await idle.cancel()
        return total

    total = tiffany.run(main, clock=VirtualClock())
    assert total == 5000
    for name, levels_below_high in (("LOW", 2), ("IDLE", 3)):
        during = [s for s in progress[name] if s < total]
        # the first run: after at most one aging step per level to climb, plus slack
        assert during, f"{name} never ran while HIGH work kept coming"
        assert during[0] <= (levels_below_high + 1) * AGING_INTERVAL, (name, during[0])
        # and it keeps running: the gap between two runs is bounded
        gaps = [b - a for a, b in zip([0, *during], during, strict=False)]
        assert max(gaps) <= 4 * AGING_INTERVAL, (name, max(gaps))
        assert len(during) >= total // (4 * AGING_INTERVAL), (name, len(during))


def test_without_contention_aging_does_not_reorder_levels() -> None:
    log: list[str] = []

    async def worker(name: str, rounds: int) -> None:
        for _ in range(rounds):
            await tiffany.yield_now()
        log.append(name)

    async def main() -> None:
        await tiffany.spawn(worker, "idle", 1, priority=Priority.IDLE)
        await tiffany.spawn(worker, "high", 3, priority=Priority.HIGH)
        await tiffany.sleep(1)

    tiffany.run(main, clock=VirtualClock())
    assert log == ["high", "idle"]
