"""tiffany.from_thread: a thread started by to_thread calls back into its kernel; the call
runs inside the caller's cancel scope; any other thread gets a clear error."""

from __future__ import annotations

import threading
import traceback

import pytest

import tiffany
from tiffany import VirtualClock


async def _add(a: int, b: int) -> int:
    await tiffany.yield_now()
    return a + b


def test_run_and_run_sync_reach_the_kernel_that_started_the_thread() -> None:
    kernel_thread: list[int] = []

    def work() -> tuple[int, int]:
        total = tiffany.from_thread.run(_add, 20, 22)
        ident = tiffany.from_thread.run_sync(threading.get_ident)
        return total, ident

    async def main() -> tuple[int, int]:
        kernel_thread.append(threading.get_ident())
        return await tiffany.to_thread(work)

    total, ident = tiffany.run(main, clock=VirtualClock())
    assert total == 42
    assert ident == kernel_thread[0]  # run_sync ran on the kernel's thread


def test_run_sync_may_touch_tiffany_objects_a_task_waits_on() -> None:
    async def main() -> str:
        ready = tiffany.Event()
        waiter = await tiffany.spawn(ready.wait)
        await tiffany.to_thread(tiffany.from_thread.run_sync, ready.set)
        await waiter.join()
        return "woken"

    assert tiffany.run(main, clock=VirtualClock()) == "woken"


def test_an_exception_reaches_the_thread_with_its_traceback() -> None:
    async def broken_in_kernel() -> None:
        await tiffany.yield_now()
        raise ValueError("from the kernel side")

    def work() -> list[str]:
        try:
            tiffany.from_thread.run(broken_in_kernel)
        except ValueError as error:
            return [frame.name for frame in traceback.extract_tb(error.__traceback__)]
        raise AssertionError("the exception did not reach the thread")

    async def main() -> list[str]:
        return await tiffany.to_thread(work)

    frames = tiffany.run(main, clock=VirtualClock())
    assert frames[-1] == "broken_in_kernel"
    assert "work" in frames


def test_cancelling_the_to_thread_caller_cancels_the_call_in_flight() -> None:
    seen: list[str] = []

    async def main() -> None:
        started, never = tiffany.Event(), tiffany.Event()

        async def wait_forever() -> None:
            started.set()
            try:
                await never.wait()
            finally:
                seen.append("cleanup ran")

        def work() -> None:
            try:
                tiffany.from_thread.run(wait_forever)
            except tiffany.Cancelled:
                seen.append("thread got Cancelled")
                raise

        task = await tiffany.spawn(tiffany.to_thread, work)
        await started.wait()
        await task.cancel()
        assert task.cancelled

    tiffany.run(main, clock=VirtualClock())
    assert seen == ["cleanup ran", "thread got Cancelled"]


def test_many_worker_threads_call_back_in_order_none_lost_or_doubled() -> None:
    threads, calls = 16, 200
    log: list[tuple[int, int]] = []

    async def record(worker: int, n: int) -> int:
        log.append((worker, n))
        return n

    def work(worker: int) -> list[int]:
        return [tiffany.from_thread.run(record, worker, n) for n in range(calls)]

    async def main() -> list[list[int]]:
        tasks = [await tiffany.spawn(tiffany.to_thread, work, w) for w in range(threads)]
        return [await t.join() for t in tasks]

    results = tiffany.run(main)
    assert results == [list(range(calls))] * threads
    assert len(log) == threads * calls
    for worker in range(threads):
        assert [n for w, n in log if w == worker] == list(range(calls))


def test_from_the_kernels_own_thread_is_an_error_naming_what_to_do() -> None:
    async def main() -> None:
        with pytest.raises(RuntimeError, match=r"kernel's own thread.*await the function"):
            tiffany.from_thread.run(_add, 1, 2)
        with pytest.raises(RuntimeError, match="kernel's own thread"):
            tiffany.from_thread.run_sync(threading.get_ident)

    tiffany.run(main, clock=VirtualClock())


def test_from_a_thread_tiffany_did_not_start_is_an_error_naming_the_portal() -> None:
    with pytest.raises(RuntimeError, match=r"to_thread\(\).*start_portal"):
        tiffany.from_thread.run(_add, 1, 2)
    errors: list[BaseException] = []

    def foreign() -> None:
        try:
            tiffany.from_thread.run_sync(threading.get_ident)
        except RuntimeError as error:
            errors.append(error)

    thread = threading.Thread(target=foreign)
    thread.start()
    thread.join()
    assert len(errors) == 1 and "start_portal" in str(errors[0])


def test_a_thread_that_outlives_its_kernel_is_told_the_kernel_stopped() -> None:
    go, finished = threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    async def main() -> None:
        started = tiffany.Event()

        def work() -> None:
            tiffany.from_thread.run_sync(started.set)
            go.wait()
            try:
                tiffany.from_thread.run(_add, 1, 2)
            except RuntimeError as error:
                outcome.append(error)
            finished.set()

        async def walk_away_when_cancelled() -> None:
            await tiffany.to_thread(work, cancellable=True)

        task = await tiffany.spawn(walk_away_when_cancelled)
        await started.wait()
        await task.cancel()  # walks away from its thread

    tiffany.run(main)
    go.set()
    assert finished.wait(10)
    assert len(outcome) == 1 and "has stopped" in str(outcome[0])
