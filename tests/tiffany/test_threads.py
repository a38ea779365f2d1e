"""to_thread: results and exceptions come back; the kernel keeps running meanwhile and is
woken through its self-pipe, not by polling (virtual time stands still while a thread works)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

import tiffany
from tiffany import Instrument, VirtualClock


class _IoWaits(Instrument):
    def __init__(self) -> None:
        self.timeouts: list[float | None] = []

    def before_io_wait(self, timeout: float | None) -> None:
        self.timeouts.append(timeout)


def _add(a: int, b: int) -> int:
    return a + b


def test_to_thread_returns_the_result_and_passes_args() -> None:
    async def main() -> int:
        return await tiffany.to_thread(_add, 20, 22)

    assert tiffany.run(main, clock=VirtualClock()) == 42


def test_to_thread_runs_the_function_in_another_thread() -> None:
    async def main() -> tuple[int, int]:
        here = threading.get_ident()
        there = await tiffany.to_thread(threading.get_ident)
        return here, there

    here, there = tiffany.run(main, clock=VirtualClock())
    assert here != there


def test_to_thread_raises_the_exception_of_the_function() -> None:
    class Failure(Exception):
        pass

    def broken(message: str) -> None:
        raise Failure(message)

    async def main() -> str:
        with pytest.raises(Failure, match="in the thread") as info:
            await tiffany.to_thread(broken, "in the thread")
        return str(info.value)

    assert tiffany.run(main, clock=VirtualClock()) == "in the thread"


def test_an_unhandled_thread_exception_fails_only_its_task() -> None:
    def broken() -> None:
        raise ValueError("thread failure")

    async def main() -> tuple[str, int]:
        task = await tiffany.spawn(tiffany.to_thread, broken)
        other = await tiffany.spawn(tiffany.to_thread, _add, 1, 2)
        with pytest.raises(tiffany.TaskError) as info:
            await task.join()
        return str(info.value.__cause__), await other.join()

    assert tiffany.run(main, clock=VirtualClock()) == ("thread failure", 3)


def test_many_threads_at_once_each_result_reaches_its_own_task() -> None:
    async def main() -> list[int]:
        tasks = [await tiffany.spawn(tiffany.to_thread, _add, i, i) for i in range(16)]
        return [await t.join() for t in tasks]

    assert tiffany.run(main, clock=VirtualClock()) == [2 * i for i in range(16)]


def test_other_tasks_keep_running_while_a_thread_blocks() -> None:
    release = threading.Event()
    log: list[str] = []

    async def other() -> None:
        for i in range(3):
            log.append(f"other {i}")
            await tiffany.yield_now()
        release.set()  # only a running kernel can let the thread finish

    def blocking() -> str:
        return "released" if release.wait(5) else "timed out: the kernel was blocked"

    async def main() -> str:
        await tiffany.spawn(other)
        result = await tiffany.to_thread(blocking)
        log.append(result)
        return result

    try:
        assert tiffany.run(main, clock=VirtualClock()) == "released"
    finally:
        release.set()
    assert log == ["other 0", "other 1", "other 2", "released"]


def test_the_kernel_is_woken_by_the_self_pipe_and_virtual_time_stands_still() -> None:
    waits = _IoWaits()

    async def main() -> tuple[float, float, bool]:
        await tiffany.spawn(tiffany.sleep, 100)  # a timer the clock could jump to
        before = tiffany.current_time()
        await tiffany.to_thread(time.sleep, 0.02)
        after = tiffany.current_time()
        with tiffany.move_on_after(0.001) as scope:
            await tiffany.to_thread(time.sleep, 0.02)
        return before, after, scope.cancelled_caught

    before, after, caught = tiffany.run(main, clock=VirtualClock(), instruments=[waits])
    assert before == after == 0.0, "virtual time does not move while a thread works"
    assert caught is False, "so a virtual timeout cannot fire during the thread"
    blocking_waits = [t for t in waits.timeouts if t is None]
    assert len(blocking_waits) >= 1, "the kernel waits without a timeout for the pipe"
    assert len(waits.timeouts) <= 6, f"polled instead of waiting: {waits.timeouts}"


def test_to_thread_on_the_real_clock_wakes_without_polling() -> None:
    waits = _IoWaits()

    async def main() -> str:
        await tiffany.to_thread(time.sleep, 0.02)
        return "done"

    assert tiffany.run(main, instruments=[waits]) == "done"
    assert waits.timeouts.count(None) >= 1
    assert len(waits.timeouts) <= 3, f"polled instead of waiting: {waits.timeouts}"


def test_calls_share_at_most_max_threads_workers_and_reuse_them() -> None:
    """Eight calls at once on a kernel of two threads run on two workers, and later
    calls reuse them rather than start new ones."""
    both_running = threading.Barrier(2)
    seen: set[int] = set()

    def work() -> None:
        seen.add(threading.get_ident())
        both_running.wait(timeout=30)  # only two run at once; each pair meets here

    async def main() -> None:
        async with tiffany.TaskGroup() as group:
            for _ in range(8):
                await group.spawn(tiffany.to_thread, work)
        for _ in range(3):
            seen.add(await tiffany.to_thread(threading.get_ident))

    kernel = tiffany.Kernel(clock=VirtualClock(), max_threads=2)
    kernel.run(main)
    assert len(seen) == 2


_ABANDONS_A_HANGING_CALL = """
import threading, tiffany

async def main():
    started = threading.Event()
    async def call():
        await tiffany.to_thread(lambda: (started.set(), threading.Event().wait()), cancellable=True)
    task = await tiffany.spawn(call)
    await tiffany.to_thread(started.wait)
    await task.cancel()
    print("cancelled", flush=True)

tiffany.run(main)
"""


def test_a_program_exits_while_an_abandoned_call_still_hangs() -> None:
    """A cancellable call whose caller walked away (a model request that never answers)
    does not keep the process alive once the kernel has finished."""
    done = subprocess.run(
        [sys.executable, "-c", _ABANDONS_A_HANGING_CALL],
        capture_output=True,
        text=True,
        timeout=120,  # a failure detector only: the fixed program exits at once
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert (done.returncode, done.stdout) == (0, "cancelled\n"), done.stderr
