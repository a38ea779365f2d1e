"""Graceful shutdown, system tasks and restart policies, on the virtual clock."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

import tiffany
from tiffany import Kernel, Restart, ShutdownReport, VirtualClock


async def _sleeper(seconds: float, log: list[str]) -> float:
    try:
        await tiffany.sleep(seconds)
        return seconds
    finally:
        log.append(f"finally {seconds}")


def test_shutdown_drains_until_grace_then_cancels_and_reports_by_name() -> None:
    log: list[str] = []

    async def main() -> tuple[ShutdownReport, float]:
        for seconds in (1, 2, 50):
            await tiffany.spawn(_sleeper, seconds, log, name=f"job-{seconds}")
        report = await tiffany.shutdown(grace=5)
        return report, tiffany.current_time()

    report, now = tiffany.run(main, clock=VirtualClock())
    assert report.finished == ["job-1", "job-2"]
    assert report.cancelled == ["job-50"]
    assert report.failed == []
    assert now == 5.0, "the drain waits exactly the grace period for the slow task"
    assert log == ["finally 1", "finally 2", "finally 50"], "no finally is skipped"


def test_shutdown_ends_early_when_everything_finishes_in_time() -> None:
    async def main() -> tuple[ShutdownReport, float]:
        await tiffany.spawn(_sleeper, 3, [], name="quick")
        report = await tiffany.shutdown(grace=60)
        return report, tiffany.current_time()

    report, now = tiffany.run(main, clock=VirtualClock())
    assert report.finished == ["quick"]
    assert now == 3.0


def test_spawn_during_shutdown_raises_shutting_down() -> None:
    async def main() -> None:
        tiffany.current_kernel().request_shutdown(grace=1)
        await tiffany.spawn(_sleeper, 1, [])

    with pytest.raises(tiffany.ShuttingDown):
        tiffany.run(main, clock=VirtualClock())


def test_failed_tasks_and_cleanups_and_closeables_are_reported_in_order() -> None:
    order: list[str] = []

    class Resource:
        def close(self) -> None:
            order.append("closed resource")

    async def fails() -> None:
        await tiffany.sleep(1)
        raise ValueError("boom")

    async def async_cleanup() -> None:
        await tiffany.sleep(0.5)
        order.append("async cleanup")

    async def main() -> ShutdownReport:
        kernel = tiffany.current_kernel()
        kernel.add_cleanup(lambda: order.append("sync cleanup"))
        kernel.add_cleanup(async_cleanup)
        kernel.register_closeable(Resource())
        await tiffany.spawn(fails, name="fails")
        return await tiffany.shutdown(grace=10)

    report = tiffany.run(main, clock=VirtualClock())
    assert report.failed == ["fails"]
    assert order == ["async cleanup", "sync cleanup", "closed resource"]


def test_system_tasks_outlive_user_tasks_and_stop_last() -> None:
    events: list[str] = []

    async def system_ticker() -> None:
        try:
            while True:
                await tiffany.sleep(1)
        finally:
            events.append("system stopped")

    async def user_task() -> None:
        try:
            await tiffany.sleep(100)
        finally:
            events.append("user stopped")

    async def main() -> ShutdownReport:
        await tiffany.spawn(system_ticker, system=True, name="ticker")
        await tiffany.spawn(user_task, name="user")
        return await tiffany.shutdown(grace=2)

    report = tiffany.run(main, clock=VirtualClock())
    assert events == ["user stopped", "system stopped"]
    assert "ticker" in report.cancelled and "user" in report.cancelled
    assert report.cancelled.index("user") < report.cancelled.index("ticker")


def test_system_tasks_do_not_keep_the_kernel_alive() -> None:
    async def forever() -> None:
        await tiffany.sleep(float("inf"))

    async def main() -> str:
        await tiffany.spawn(forever, system=True)
        return "done"

    assert tiffany.run(main, clock=VirtualClock()) == "done"


def test_restart_policy_runs_a_failing_task_again_with_backoff() -> None:
    attempts: list[float] = []

    async def flaky() -> str:
        attempts.append(tiffany.current_time())
        if len(attempts) < 3:
            raise ConnectionError("not yet")
        return "up"

    async def main() -> str:
        task = await tiffany.spawn(flaky, restart=Restart(backoff=1, max_backoff=10))
        result: str = await task.join()
        return result

    assert tiffany.run(main, clock=VirtualClock()) == "up"
    assert attempts == [0.0, 1.0, 3.0], "backoff doubles between restarts"


def test_restart_policy_gives_up_after_its_limit() -> None:
    async def broken() -> None:
        raise RuntimeError("always")

    async def main() -> None:
        task = await tiffany.spawn(broken, restart=Restart(max_restarts=2, backoff=0.1))
        await task.join()

    with pytest.raises(tiffany.TaskError) as info:
        tiffany.run(main, clock=VirtualClock())
    assert isinstance(info.value.__cause__, RuntimeError)


def test_sigterm_starts_a_graceful_shutdown_and_run_returns() -> None:
    finished: list[str] = []

    async def worker() -> None:
        await tiffany.to_thread(os.kill, os.getpid(), signal.SIGTERM)
        await tiffany.sleep(0.01)
        finished.append("worker")

    async def main() -> None:
        await tiffany.spawn(worker, name="worker")
        await tiffany.sleep(3600)

    kernel = Kernel(handle_signals=True, shutdown_grace=0.2)
    assert kernel.run(main) is None
    report = kernel.shutdown_report
    assert report is not None
    assert report.reason == "SIGTERM"
    assert finished == ["worker"], "the in-flight task finished within the grace"
    assert report.cancelled == ["main"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, "handlers are restored"


def test_second_sigint_forces_immediate_cancel() -> None:
    async def stubborn() -> None:
        await tiffany.sleep(3600)

    async def main() -> None:
        await tiffany.spawn(stubborn, name="stubborn")
        await tiffany.to_thread(os.kill, os.getpid(), signal.SIGINT)
        await tiffany.sleep(0.01)
        await tiffany.to_thread(os.kill, os.getpid(), signal.SIGINT)
        await tiffany.sleep(3600)

    kernel = Kernel(handle_signals=True, shutdown_grace=3600)
    kernel.run(main)
    report = kernel.shutdown_report
    assert report is not None
    assert report.forced
    assert sorted(report.cancelled) == ["main", "stubborn"]


def test_signal_receiver_gets_signals_as_a_stream() -> None:
    async def main() -> list[int]:
        received: list[int] = []
        with tiffany.open_signal_receiver(signal.SIGUSR1, signal.SIGHUP) as signals:
            await tiffany.to_thread(os.kill, os.getpid(), signal.SIGUSR1)
            await tiffany.to_thread(os.kill, os.getpid(), signal.SIGHUP)
            async for signum in signals:
                received.append(signum)
                if len(received) == 2:
                    break
        return received

    previous = signal.getsignal(signal.SIGHUP)
    assert tiffany.run(main) == [signal.SIGUSR1, signal.SIGHUP]
    assert signal.getsignal(signal.SIGHUP) is previous


def _waiting_for_io(native_id: int) -> bool:
    """Whether the thread waits in epoll/select/poll (not, say, for the GIL)."""
    wchan = Path(f"/proc/self/task/{native_id}/wchan").read_text()
    return "poll" in wchan or "select" in wchan


@pytest.mark.skipif(not Path("/proc/self/wchan").is_file(), reason="reads /proc (Linux)")
@pytest.mark.timeout(60)
def test_a_signal_that_lands_on_another_thread_still_wakes_an_idle_kernel() -> None:
    """The OS may hand a process's signal to any of its threads; Python runs the handler
    in the main thread only, once that thread runs again. A kernel idle in select() must
    be woken all the same (the C handler writes to the kernel's wake-up descriptor)."""
    main_thread = threading.get_native_id()
    ready = threading.Event()

    def other_thread() -> None:
        ready.wait()
        while not _waiting_for_io(main_thread):  # until the kernel waits with no timeout
            time.sleep(0.001)
        signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)  # to this thread

    async def main() -> int:
        with tiffany.open_signal_receiver(signal.SIGUSR1) as signals:
            ready.set()
            return await signals.receive()

    sender = threading.Thread(target=other_thread)
    sender.start()
    try:
        assert tiffany.run(main) == signal.SIGUSR1
    finally:
        sender.join()
