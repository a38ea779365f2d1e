"""Portals: foreign threads call into a kernel (one started for the block, or the running
one); results, exceptions with tracebacks, cancellation from the thread side, FIFO per
thread under many threads, graceful close with calls in flight, no polling."""

from __future__ import annotations

import re
import threading
import traceback
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

import pytest

import tiffany
from tiffany import Instrument


async def _double(n: int) -> int:
    await tiffany.yield_now()
    return 2 * n


def test_call_and_call_sync_run_in_the_portals_kernel_thread() -> None:
    async def where() -> int:
        await tiffany.yield_now()
        return threading.get_ident()

    with tiffany.start_portal() as portal:
        assert portal.call(_double, 21) == 42
        kernel_thread = portal.call(where)
        assert portal.call_sync(threading.get_ident) == kernel_thread
        assert kernel_thread != threading.get_ident()


def test_many_threads_calling_at_once_lose_nothing_and_keep_each_threads_order() -> None:
    threads, calls = 16, 200
    log: list[tuple[int, int]] = []
    results: dict[int, list[int]] = {}

    async def record(worker: int, n: int) -> int:
        log.append((worker, n))  # at the task's first step: spawn order per thread
        await tiffany.yield_now()
        return n

    with tiffany.start_portal() as portal:

        def client(worker: int) -> None:
            handles = [portal.spawn(record, worker, n) for n in range(calls // 2)]
            called = [portal.call(record, worker, n) for n in range(calls // 2, calls)]
            results[worker] = [h.result() for h in handles] + called

        pool = [threading.Thread(target=client, args=(w,)) for w in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()

    assert results == {w: list(range(calls)) for w in range(threads)}
    assert len(log) == len(set(log)) == threads * calls
    for worker in range(threads):
        assert [n for w, n in log if w == worker] == list(range(calls))


def test_an_exception_arrives_with_its_traceback() -> None:
    async def fails_in_the_kernel() -> None:
        await tiffany.yield_now()
        raise KeyError("missing")

    with tiffany.start_portal() as portal:
        with pytest.raises(KeyError, match="missing") as info:
            portal.call(fails_in_the_kernel)
        handle = portal.spawn(fails_in_the_kernel)
        with pytest.raises(KeyError):
            handle.result()
        with pytest.raises(ZeroDivisionError):
            portal.call_sync(divmod, 1, 0)
    frames = [frame.name for frame in traceback.extract_tb(info.tb)]
    assert frames[0] == "test_an_exception_arrives_with_its_traceback"
    assert frames[-1] == "fails_in_the_kernel"


def test_cancel_from_the_thread_cancels_the_task_after_its_cleanup() -> None:
    cleanup: list[str] = []
    with tiffany.start_portal() as portal:
        started, never = portal.call_sync(tiffany.Event), portal.call_sync(tiffany.Event)

        async def wait_forever() -> None:
            started.set()
            try:
                await never.wait()
            finally:
                cleanup.append("ran")

        handle = portal.spawn(wait_forever)
        portal.call(started.wait)
        assert not handle.done()
        with pytest.raises(TimeoutError):
            handle.result(timeout=0.01)
        assert handle.cancel() is True
        with pytest.raises(CancelledError):
            handle.result()
        assert cleanup == ["ran"]
        assert handle.done() and handle.cancelled()
        assert handle.cancel() is False  # already over

        finished = portal.spawn(_double, 4)
        assert finished.result() == 8
        assert finished.cancel() is False and finished.result() == 8


def test_cancel_before_the_task_started_still_cancels_it() -> None:
    with tiffany.start_portal() as portal:
        never = portal.call_sync(tiffany.Event)
        handle = portal.spawn(never.wait)
        handle.cancel()
        with pytest.raises(CancelledError):
            handle.result()


class _OnShutdown(Instrument):
    """Sets a thread-side flag when the kernel's shutdown begins."""

    def __init__(self) -> None:
        self.begun = threading.Event()

    def event(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "shutdown.requested":
            self.begun.set()


def test_closing_drains_calls_in_flight_then_cancels_what_outlives_the_grace() -> None:
    watcher = _OnShutdown()
    cleanup: list[str] = []

    async def finishes_once_shutdown_begins() -> str:
        await tiffany.to_thread(watcher.begun.wait)
        return "finished during the drain"

    async def never_finishes() -> None:
        try:
            await tiffany.Event().wait()
        finally:
            cleanup.append("cancelled at the grace's end")

    with tiffany.start_portal(shutdown_grace=0.2, instruments=[watcher]) as portal:
        draining = portal.spawn(finishes_once_shutdown_begins)
        stuck = portal.spawn(never_finishes)
        portal.call(tiffany.yield_now)  # both have started
    assert draining.result() == "finished during the drain"
    with pytest.raises(CancelledError):
        stuck.result()
    assert cleanup == ["cancelled at the grace's end"]


def test_close_while_threads_are_calling_leaves_none_waiting_forever() -> None:
    outcomes: list[str] = []
    lock = threading.Lock()
    portal_ready = threading.Event()
    holder: list[tiffany.Portal] = []

    def client() -> None:
        portal_ready.wait()
        portal = holder[0]
        while True:
            try:
                portal.call(tiffany.yield_now)
            except tiffany.PortalClosed:
                outcome = "refused"
            except CancelledError:
                outcome = "cancelled"
            else:
                continue
            with lock:
                outcomes.append(outcome)
            return

    pool = [threading.Thread(target=client) for _ in range(8)]
    for thread in pool:
        thread.start()
    with tiffany.start_portal(shutdown_grace=0.0) as portal:
        holder.append(portal)
        portal_ready.set()
        portal.call(tiffany.yield_now)
    for thread in pool:
        thread.join()
    assert len(outcomes) == 8 and set(outcomes) <= {"refused", "cancelled"}


def test_calls_after_close_raise_a_clear_error() -> None:
    with tiffany.start_portal() as portal:
        pass
    assert portal.closed
    with pytest.raises(tiffany.PortalClosed, match="portal is closed"):
        portal.call(_double, 1)
    with pytest.raises(tiffany.PortalClosed):
        portal.call_sync(threading.get_ident)
    with pytest.raises(tiffany.PortalClosed):
        portal.spawn(_double, 1)


def test_a_portal_called_from_its_own_kernel_thread_is_an_error() -> None:
    with tiffany.start_portal() as portal:

        def reenter() -> None:
            portal.call_sync(threading.get_ident)

        with pytest.raises(RuntimeError, match="its own kernel's thread"):
            portal.call_sync(reenter)


class _IoWaits(Instrument):
    def __init__(self) -> None:
        self.timeouts: list[float | None] = []

    def before_io_wait(self, timeout: float | None) -> None:
        self.timeouts.append(timeout)


def test_an_idle_portal_kernel_blocks_on_its_wake_pipe_rather_than_polling() -> None:
    waits = _IoWaits()
    with tiffany.start_portal(instruments=[waits]) as portal:
        for n in range(20):
            assert portal.call(_double, n) == 2 * n
        seen = list(waits.timeouts)
    assert seen and set(seen) <= {None, 0}
    assert len(seen) < 200  # a handful of waits per call, not a spinning loop


def test_open_portal_lets_foreign_threads_reach_the_running_kernel() -> None:
    async def main() -> list[int]:
        got: list[int] = []
        arrived = tiffany.Event()

        async def deliver(n: int) -> None:
            got.append(n)
            if len(got) == 3:
                arrived.set()

        async with tiffany.open_portal() as portal:
            thread = threading.Thread(target=lambda: [portal.call(deliver, n) for n in range(3)])
            thread.start()
            await arrived.wait()  # only the thread can wake this: no deadlock is reported
        thread.join()
        assert portal.closed
        return got

    assert tiffany.run(main) == [0, 1, 2]


def test_the_guides_examples_of_calling_in_from_threads_run_as_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    guide = Path(__file__).parents[2] / "docs" / "tiffany" / "guide.md"
    section = guide.read_text().split("## Calling in from other threads")[1].split("\n## ")[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 2
    for block in blocks:
        exec(compile(block, str(guide), "exec"), {"__name__": "guide_example"})
    printed = capsys.readouterr().out
    assert "cancelled from this thread" in printed and "portal is closed" in printed


def test_a_system_portal_is_served_while_the_kernel_drains() -> None:
    """A server's handler threads (the daemon's gRPC service) call in through a system
    portal: their calls are system tasks, so they are answered while the kernel drains at
    shutdown, when it takes no new ordinary task, and do not hold the drain up."""
    answers: list[Any] = []

    async def probe() -> tuple[bool, bool]:
        task = tiffany.current_task()
        return task.system, tiffany.current_kernel().shutting_down

    async def main() -> None:
        release = tiffany.Event()
        draining = threading.Event()

        async def holder() -> None:
            await release.wait()  # an ordinary task: the drain waits for it

        def thread_side(plain: Any, system: Any) -> None:
            draining.wait()
            try:
                plain.call(probe)
            except BaseException as error:
                answers.append(type(error).__name__)
            answers.append(system.call(probe))
            system.call_sync(release.set)

        async with tiffany.open_portal() as plain, tiffany.open_portal(system=True) as system:
            await tiffany.spawn(holder)
            thread = threading.Thread(target=thread_side, args=(plain, system))
            thread.start()
            draining.set()
            report = await tiffany.shutdown(10.0)
        thread.join()
        assert not report.forced

    tiffany.run(main)
    assert answers == ["ShuttingDown", (True, True)]
