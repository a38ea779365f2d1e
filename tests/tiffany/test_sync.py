"""Event, Lock, Semaphore and Condition: wake-ups, ownership, FIFO hand-off, limits."""

from __future__ import annotations

import pytest

import tiffany
from tiffany import Condition, Event, Lock, Semaphore, VirtualClock

# -- Event -------------------------------------------------------------------------------


def test_event_set_wakes_every_waiter_at_that_time() -> None:
    woke: list[tuple[int, float]] = []

    async def main() -> None:
        event = Event()

        async def waiter(i: int) -> None:
            await event.wait()
            woke.append((i, tiffany.current_time()))

        tasks = [await tiffany.spawn(waiter, i) for i in range(4)]
        await tiffany.sleep(3)
        assert not woke
        assert not event.is_set()
        event.set()
        assert event.is_set()
        for task in tasks:
            await task.join()

    tiffany.run(main, clock=VirtualClock())
    assert woke == [(i, 3.0) for i in range(4)]


def test_event_wait_returns_at_once_while_set_and_blocks_again_after_clear() -> None:
    async def main() -> list[tuple[str, float]]:
        log: list[tuple[str, float]] = []
        event = Event()
        event.set()
        await event.wait()
        log.append(("set: no wait", tiffany.current_time()))
        event.clear()
        assert not event.is_set()

        async def setter() -> None:
            await tiffany.sleep(2)
            event.set()

        await tiffany.spawn(setter)
        await event.wait()
        log.append(("cleared: waited", tiffany.current_time()))
        return log

    assert tiffany.run(main, clock=VirtualClock()) == [
        ("set: no wait", 0.0),
        ("cleared: waited", 2.0),
    ]


def test_event_set_twice_is_harmless() -> None:
    async def main() -> bool:
        event = Event()
        event.set()
        event.set()
        await event.wait()
        return event.is_set()

    assert tiffany.run(main, clock=VirtualClock()) is True


# -- Lock --------------------------------------------------------------------------------


def test_lock_gives_mutual_exclusion() -> None:
    log: list[str] = []

    async def main() -> None:
        lock = Lock()

        async def critical(name: str) -> None:
            async with lock:
                log.append(f"{name} in")
                await tiffany.sleep(1)
                log.append(f"{name} out")

        async with tiffany.TaskGroup() as group:
            for name in "abc":
                await group.spawn(critical, name)

    tiffany.run(main, clock=VirtualClock())
    assert log == ["a in", "a out", "b in", "b out", "c in", "c out"]


def test_lock_is_handed_to_waiters_in_fifo_order() -> None:
    order: list[str] = []

    async def main() -> None:
        lock = Lock()
        await lock.acquire()

        async def waiter(name: str) -> None:
            async with lock:
                order.append(name)

        for name in ("w3", "w1", "w2"):
            await tiffany.spawn(waiter, name, name=name)
            await tiffany.sleep(1)
        lock.release()
        await tiffany.sleep(1)

    tiffany.run(main, clock=VirtualClock())
    assert order == ["w3", "w1", "w2"]


def test_lock_release_hands_ownership_straight_to_the_next_waiter() -> None:
    async def main() -> tuple[str | None, bool, list[str]]:
        lock = Lock()
        got: list[str] = []

        async def waiter() -> None:
            async with lock:
                got.append("waiter")

        await lock.acquire()
        task = await tiffany.spawn(waiter, name="waiter")
        await tiffany.sleep(1)
        lock.release()
        owner = lock.owner.name if lock.owner is not None else None
        barged = lock.acquire_nowait()  # the releaser cannot take it back
        await task.join()
        return owner, barged, got

    assert tiffany.run(main, clock=VirtualClock()) == ("waiter", False, ["waiter"])


def test_a_task_that_releases_and_reacquires_in_a_loop_cannot_starve_a_waiter() -> None:
    log: list[str] = []

    async def main() -> None:
        lock = Lock()

        async def greedy() -> None:
            for i in range(3):
                async with lock:
                    log.append(f"greedy{i}")
                    await tiffany.sleep(1)

        async def polite() -> None:
            await tiffany.sleep(0.5)
            async with lock:
                log.append("polite")

        async with tiffany.TaskGroup() as group:
            await group.spawn(greedy)
            await group.spawn(polite)

    tiffany.run(main, clock=VirtualClock())
    assert log == ["greedy0", "polite", "greedy1", "greedy2"]


def test_lock_is_not_reentrant() -> None:
    async def main() -> bool:
        lock = Lock()
        async with lock:
            with pytest.raises(RuntimeError, match="not reentrant"):
                await lock.acquire()
            return lock.locked()

    assert tiffany.run(main, clock=VirtualClock()) is True


def test_only_the_owner_may_release_a_lock() -> None:
    async def main() -> tuple[str, str | None]:
        lock = Lock()
        with pytest.raises(RuntimeError, match="only the task that holds"):
            lock.release()  # not held at all

        async def holder() -> None:
            await lock.acquire()
            await tiffany.sleep(10)

        await tiffany.spawn(holder, name="holder")
        await tiffany.sleep(1)
        with pytest.raises(RuntimeError, match="only the task that holds") as info:
            lock.release()  # held by another task
        owner = lock.owner.name if lock.owner is not None else None
        return str(info.value), owner

    _, owner = tiffany.run(main, clock=VirtualClock())
    assert owner == "holder"


def test_lock_acquire_nowait() -> None:
    async def main() -> list[bool]:
        lock = Lock()
        first = lock.acquire_nowait()
        locked = lock.locked()
        lock.release()
        return [first, locked, lock.locked()]

    assert tiffany.run(main, clock=VirtualClock()) == [True, True, False]


# -- Semaphore ----------------------------------------------------------------------------


def test_semaphore_limits_concurrency() -> None:
    inside = 0
    peak = 0
    entered: list[tuple[str, float]] = []

    async def main() -> None:
        sem = Semaphore(2)

        async def worker(name: str) -> None:
            nonlocal inside, peak
            async with sem:
                inside += 1
                peak = max(peak, inside)
                entered.append((name, tiffany.current_time()))
                await tiffany.sleep(1)
                inside -= 1

        async with tiffany.TaskGroup() as group:
            for name in "abcde":
                await group.spawn(worker, name)

    tiffany.run(main, clock=VirtualClock())
    assert peak == 2
    assert entered == [("a", 0.0), ("b", 0.0), ("c", 1.0), ("d", 1.0), ("e", 2.0)]


def test_semaphore_waiters_are_served_fifo_and_units_are_handed_off() -> None:
    async def main() -> tuple[list[str], int, bool]:
        sem = Semaphore(0)
        order: list[str] = []

        async def waiter(name: str) -> None:
            await sem.acquire()
            order.append(name)

        for name in ("z", "x", "y"):
            await tiffany.spawn(waiter, name)
        await tiffany.sleep(1)
        sem.release()
        value_after_handoff = sem.value
        barged = sem.acquire_nowait()
        sem.release()
        sem.release()
        await tiffany.sleep(1)
        return order, value_after_handoff, barged

    assert tiffany.run(main, clock=VirtualClock()) == (["z", "x", "y"], 0, False)


def test_semaphore_value_and_acquire_nowait() -> None:
    async def main() -> list[object]:
        sem = Semaphore(2)
        out: list[object] = [sem.value, sem.acquire_nowait(), sem.acquire_nowait()]
        out += [sem.value, sem.acquire_nowait()]
        sem.release()
        out.append(sem.value)
        return out

    assert tiffany.run(main, clock=VirtualClock()) == [2, True, True, 0, False, 1]


def test_semaphore_max_value_refuses_extra_releases() -> None:
    async def main() -> int:
        sem = Semaphore(1, max_value=2)
        sem.release()
        with pytest.raises(ValueError, match="released more often"):
            sem.release()
        return sem.value

    assert tiffany.run(main, clock=VirtualClock()) == 2


def test_semaphore_rejects_bad_initial_values() -> None:
    with pytest.raises(ValueError):
        Semaphore(-1)
    with pytest.raises(ValueError):
        Semaphore(3, max_value=2)
    assert Semaphore(2, max_value=2).max_value == 2


# -- Condition ----------------------------------------------------------------------------


def test_condition_notify_wakes_one_waiter_in_fifo_order() -> None:
    woke: list[tuple[str, float]] = []

    async def main() -> None:
        cond = Condition()

        async def waiter(name: str) -> None:
            async with cond:
                await cond.wait()
                assert cond.lock.owner is tiffany.current_task()
                woke.append((name, tiffany.current_time()))

        for name in ("b", "a", "c"):
            await tiffany.spawn(waiter, name)
        await tiffany.sleep(1)
        for _ in range(3):
            async with cond:
                cond.notify()
            await tiffany.sleep(1)

    tiffany.run(main, clock=VirtualClock())
    assert woke == [("b", 1.0), ("a", 2.0), ("c", 3.0)]


def test_condition_notify_n_and_notify_all() -> None:
    woke: list[tuple[int, float]] = []

    async def main() -> None:
        cond = Condition()

        async def waiter(i: int) -> None:
            async with cond:
                await cond.wait()
                woke.append((i, tiffany.current_time()))

        for i in range(5):
            await tiffany.spawn(waiter, i)
        await tiffany.sleep(1)
        async with cond:
            cond.notify(2)
        await tiffany.sleep(1)
        async with cond:
            cond.notify_all()
        await tiffany.sleep(1)

    tiffany.run(main, clock=VirtualClock())
    assert woke == [(0, 1.0), (1, 1.0), (2, 2.0), (3, 2.0), (4, 2.0)]


def test_condition_waiter_runs_only_after_the_notifier_releases_the_lock() -> None:
    log: list[str] = []

    async def main() -> None:
        cond = Condition()

        async def waiter() -> None:
            async with cond:
                await cond.wait()
                log.append("waiter has the lock")

        await tiffany.spawn(waiter)
        await tiffany.sleep(1)
        async with cond:
            cond.notify()
            await tiffany.sleep(1)  # still holding the lock
            log.append("notifier releases")
        await tiffany.sleep(1)

    tiffany.run(main, clock=VirtualClock())
    assert log == ["notifier releases", "waiter has the lock"]


def test_condition_wait_for_checks_the_predicate_with_the_lock_held() -> None:
    async def main() -> tuple[list[int], list[int], float]:
        cond = Condition()
        items: list[int] = []
        checks: list[int] = []

        def enough() -> bool:
            assert cond.lock.owner is tiffany.current_task()
            checks.append(len(items))
            return len(items) >= 3

        async def producer() -> None:
            for i in range(5):
                await tiffany.sleep(1)
                async with cond:
                    items.append(i)
                    cond.notify_all()

        await tiffany.spawn(producer)
        async with cond:
            await cond.wait_for(enough)
            got = list(items)
        return checks, got, tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == ([0, 1, 2, 3], [0, 1, 2], 3.0)


def test_condition_wait_and_notify_need_the_lock() -> None:
    async def main() -> None:
        cond = Condition()
        with pytest.raises(RuntimeError, match="holding its lock"):
            await cond.wait()
        with pytest.raises(RuntimeError, match="holding its lock"):
            cond.notify()
        with pytest.raises(RuntimeError, match="holding its lock"):
            cond.notify_all()

    tiffany.run(main, clock=VirtualClock())


def test_condition_can_share_an_existing_lock() -> None:
    async def main() -> bool:
        lock = Lock()
        cond = Condition(lock)
        async with cond:
            return lock.locked() and cond.locked() and lock.owner is tiffany.current_task()

    assert tiffany.run(main, clock=VirtualClock()) is True
