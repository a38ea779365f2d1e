"""Cancellation: delivered at the next trap, in every blocking trap, level-triggered,
shielded, nested, as timeouts (move_on_after, fail_after) and through task.cancel()."""

from __future__ import annotations

import contextlib
import math
import socket
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType

import pytest

import tiffany
from tiffany import Cancelled, CancelScope, Task, TaskState, VirtualClock

Blocker = Callable[[], Awaitable[object]]
#: Runs in the main task to prepare a blocking operation; returns the operation.
Factory = Callable[[contextlib.ExitStack], Awaitable[Blocker]]


# -- the blocking traps ------------------------------------------------------------------


async def _sleep(stack: contextlib.ExitStack) -> Blocker:
    return lambda: tiffany.sleep(100)


async def _sleep_until(stack: contextlib.ExitStack) -> Blocker:
    return lambda: tiffany.sleep_until(100)


async def _sleep_forever(stack: contextlib.ExitStack) -> Blocker:
    return lambda: tiffany.sleep(math.inf)


async def _join(stack: contextlib.ExitStack) -> Blocker:
    target = await tiffany.spawn(tiffany.sleep, 100)
    return target.join


async def _event_wait(stack: contextlib.ExitStack) -> Blocker:
    return tiffany.Event().wait


async def _lock_acquire(stack: contextlib.ExitStack) -> Blocker:
    lock = tiffany.Lock()

    async def hold() -> None:
        async with lock:
            await tiffany.sleep(1000)

    await tiffany.spawn(hold)
    await tiffany.yield_now()  # the holder takes the lock and keeps it
    assert lock.locked()
    return lock.acquire


async def _semaphore_acquire(stack: contextlib.ExitStack) -> Blocker:
    return tiffany.Semaphore(0).acquire


async def _condition_wait(stack: contextlib.ExitStack) -> Blocker:
    condition = tiffany.Condition()

    async def wait() -> None:
        async with condition:
            await condition.wait()

    return wait


async def _channel_send_full(stack: contextlib.ExitStack) -> Blocker:
    channel: tiffany.Channel[int] = tiffany.Channel(1)
    channel.send_nowait(0)
    return lambda: channel.send(1)


async def _channel_send_rendezvous(stack: contextlib.ExitStack) -> Blocker:
    channel: tiffany.Channel[int] = tiffany.Channel(0)
    return lambda: channel.send(1)


async def _channel_recv_empty(stack: contextlib.ExitStack) -> Blocker:
    channel: tiffany.Channel[int] = tiffany.Channel(4)
    return channel.recv


async def _task_group_exit(stack: contextlib.ExitStack) -> Blocker:
    async def body() -> None:
        async with tiffany.TaskGroup() as group:
            await group.spawn(tiffany.sleep, 100)
        # the body is done; the group waits for its child in __aexit__

    return body


async def _wait_readable(stack: contextlib.ExitStack) -> Blocker:
    a, b = socket.socketpair()
    stack.enter_context(a)
    stack.enter_context(b)
    return lambda: tiffany.wait_readable(a)


async def _wait_writable(stack: contextlib.ExitStack) -> Blocker:
    a, b = socket.socketpair()
    stack.enter_context(a)
    stack.enter_context(b)
    a.setblocking(False)
    with contextlib.suppress(BlockingIOError):
        while True:
            a.send(b"x" * 65536)
    return lambda: tiffany.wait_writable(a)


BLOCKING_TRAPS = [
    pytest.param(_sleep, id="sleep"),
    pytest.param(_sleep_until, id="sleep_until"),
    pytest.param(_sleep_forever, id="sleep_inf"),
    pytest.param(_join, id="join"),
    pytest.param(_event_wait, id="Event.wait"),
    pytest.param(_lock_acquire, id="Lock.acquire"),
    pytest.param(_semaphore_acquire, id="Semaphore.acquire"),
    pytest.param(_condition_wait, id="Condition.wait"),
    pytest.param(_channel_send_full, id="Channel.send-full"),
    pytest.param(_channel_send_rendezvous, id="Channel.send-maxsize0"),
    pytest.param(_channel_recv_empty, id="Channel.recv-empty"),
    pytest.param(_task_group_exit, id="TaskGroup-exit"),
    pytest.param(_wait_readable, id="wait_readable"),
    pytest.param(_wait_writable, id="wait_writable"),
]


@pytest.mark.parametrize("factory", BLOCKING_TRAPS)
def test_task_cancel_interrupts_every_blocking_trap(factory: Factory) -> None:
    log: list[object] = []

    async def main() -> tuple[TaskState, str | None, TaskState, float]:
        with contextlib.ExitStack() as stack:
            blocker = await factory(stack)

            async def victim() -> None:
                try:
                    log.append("blocking")
                    await blocker()
                    log.append("returned")
                except Cancelled:
                    log.append(("cancelled", tiffany.current_time()))
                    raise
                finally:
                    log.append("finally")

            task = await tiffany.spawn(victim)
            await tiffany.sleep(1)
            state, waiting_on = task.state, task.waiting_on
            await task.cancel()
            return state, waiting_on, task.state, tiffany.current_time()

    before, waiting_on, after, now = tiffany.run(main, clock=VirtualClock())
    assert before is TaskState.BLOCKED
    assert waiting_on is not None
    assert log == ["blocking", ("cancelled", 1.0), "finally"]
    assert after is TaskState.CANCELLED
    assert now == 1.0


@pytest.mark.parametrize("factory", BLOCKING_TRAPS)
def test_a_timeout_interrupts_every_blocking_trap_at_its_deadline(factory: Factory) -> None:
    async def main() -> tuple[bool, float, list[str]]:
        log: list[str] = []
        with contextlib.ExitStack() as stack:
            blocker = await factory(stack)
            await tiffany.sleep(0.5)
            with tiffany.move_on_after(2) as scope:
                await blocker()
                log.append("returned")
            return scope.cancelled_caught, tiffany.current_time(), log

    caught, now, log = tiffany.run(main, clock=VirtualClock())
    assert caught is True
    assert now == 2.5
    assert log == []


# -- what a cancelled wait leaves behind ----------------------------------------------------


def test_a_cancelled_lock_waiter_never_gets_the_lock_and_the_next_one_does() -> None:
    async def main() -> tuple[str | None, list[str]]:
        lock = tiffany.Lock()
        got: list[str] = []

        async def waiter(name: str) -> None:
            async with lock:
                got.append(name)

        await lock.acquire()
        first = await tiffany.spawn(waiter, "first", name="first")
        second = await tiffany.spawn(waiter, "second", name="second")
        await tiffany.sleep(1)
        await first.cancel()
        lock.release()  # handed straight to the next live waiter
        owner = lock.owner.name if lock.owner is not None else None
        await second.join()
        return owner, got

    owner, got = tiffany.run(main, clock=VirtualClock())
    assert owner == "second"
    assert got == ["second"]


def test_a_cancelled_semaphore_waiter_does_not_consume_a_unit() -> None:
    async def main() -> tuple[list[str], int]:
        sem = tiffany.Semaphore(0)
        got: list[str] = []

        async def waiter(name: str) -> None:
            await sem.acquire()
            got.append(name)

        a = await tiffany.spawn(waiter, "a")
        b = await tiffany.spawn(waiter, "b")
        await tiffany.sleep(1)
        await a.cancel()
        sem.release()
        await b.join()
        return got, sem.value

    assert tiffany.run(main, clock=VirtualClock()) == (["b"], 0)


def test_a_cancelled_send_on_a_full_channel_does_not_deliver_its_item() -> None:
    async def main() -> list[int]:
        channel: tiffany.Channel[int] = tiffany.Channel(1)
        await channel.send(0)
        sender = await tiffany.spawn(channel.send, 1)
        await tiffany.sleep(1)
        await sender.cancel()
        channel.close()
        return [item async for item in channel]

    assert tiffany.run(main, clock=VirtualClock()) == [0]


def test_a_cancelled_receiver_does_not_steal_an_item() -> None:
    async def main() -> tuple[object, object]:
        channel: tiffany.Channel[str] = tiffany.Channel(0)
        first = await tiffany.spawn(channel.recv)
        second = await tiffany.spawn(channel.recv)
        await tiffany.sleep(1)
        await first.cancel()
        await channel.send("item")
        return first.state, await second.join()

    assert tiffany.run(main, clock=VirtualClock()) == (TaskState.CANCELLED, "item")


def test_after_a_cancelled_wait_readable_the_socket_can_be_waited_on_again() -> None:
    a, b = socket.socketpair()

    async def reader() -> tuple[bytes, float]:
        await tiffany.wait_readable(a)
        return a.recv(10), tiffany.current_time()

    async def main() -> tuple[bytes, float]:
        first = await tiffany.spawn(tiffany.wait_readable, a)
        await tiffany.sleep(1)
        await first.cancel()
        second = await tiffany.spawn(reader)  # no BusyResourceError: the first left
        await tiffany.sleep(1)
        b.send(b"ping")
        result: tuple[bytes, float] = await second.join()
        return result

    with a, b:
        assert tiffany.run(main, clock=VirtualClock()) == (b"ping", 2.0)


def test_condition_wait_cancelled_takes_the_lock_back_before_it_raises() -> None:
    log: list[tuple[str, float]] = []

    async def main() -> None:
        condition = tiffany.Condition()

        async def waiter() -> None:
            async with condition:
                try:
                    await condition.wait()
                finally:
                    me = tiffany.current_task()
                    owns = condition.lock.owner is me
                    log.append((f"waiter finally owns={owns}", tiffany.current_time()))

        task = await tiffany.spawn(waiter)
        await tiffany.sleep(1)
        async with condition:  # main holds the lock while the waiter is cancelled
            await task.cancel(wait=False)
            await tiffany.sleep(2)
            log.append(("main releases", tiffany.current_time()))
        await task.wait()
        log.append(("after", tiffany.current_time()))
        assert task.state is TaskState.CANCELLED
        assert not condition.locked()

    tiffany.run(main, clock=VirtualClock())
    assert log == [
        ("main releases", 3.0),
        ("waiter finally owns=True", 3.0),
        ("after", 3.0),
    ]


# -- to_thread ----------------------------------------------------------------------------


def test_to_thread_cancellable_returns_at_once_and_drops_the_result() -> None:
    release = threading.Event()
    finished = threading.Event()
    log: list[str] = []

    def blocking() -> int:
        release.wait(5)
        finished.set()
        return 42

    async def victim() -> None:
        try:
            await tiffany.to_thread(blocking, cancellable=True)
            log.append("returned")
        finally:
            log.append("finally")

    async def main() -> tuple[str | None, bool, TaskState]:
        task = await tiffany.spawn(victim)
        await tiffany.yield_now()
        waiting_on = task.waiting_on
        await task.cancel()
        thread_done_when_cancelled = finished.is_set()
        release.set()
        return waiting_on, thread_done_when_cancelled, task.state

    try:
        waiting_on, thread_done, state = tiffany.run(main, clock=VirtualClock())
    finally:
        release.set()
    assert waiting_on == "thread"
    assert thread_done is False, "cancel returned while the thread was still running"
    assert state is TaskState.CANCELLED
    assert log == ["finally"]
    assert finished.wait(5)


def test_to_thread_not_cancellable_waits_for_the_thread_then_cancels_at_next_trap() -> None:
    release = threading.Event()
    log: list[object] = []

    def blocking() -> int:
        release.wait(5)
        return 42

    async def victim() -> None:
        try:
            value = await tiffany.to_thread(blocking, cancellable=False)
            log.append(("thread returned", value))
            await tiffany.yield_now()
            log.append("not reached")
        except Cancelled:
            log.append("cancelled at the next trap")
            raise

    async def main() -> tuple[TaskState, str | None, TaskState]:
        task = await tiffany.spawn(victim)
        await tiffany.yield_now()
        await task.cancel(wait=False)
        for _ in range(3):
            await tiffany.yield_now()
        state, waiting_on = task.state, task.waiting_on
        release.set()
        await task.wait()
        return state, waiting_on, task.state

    try:
        during, waiting_on, after = tiffany.run(main, clock=VirtualClock())
    finally:
        release.set()
    assert (during, waiting_on) == (TaskState.BLOCKED, "thread"), "it waits for the thread"
    assert log == [("thread returned", 42), "cancelled at the next trap"]
    assert after is TaskState.CANCELLED


# -- delivery and cleanup -------------------------------------------------------------------


def test_cancellation_is_delivered_at_the_next_trap_not_before() -> None:
    log: list[str] = []

    async def main() -> bool:
        with CancelScope() as scope:
            scope.cancel()
            log.append("still running after cancel()")
            x = sum(range(10))  # plain code runs on
            log.append(f"computed {x}")
            try:
                await tiffany.yield_now()
            except Cancelled:
                log.append("cancelled at the trap")
                raise
            log.append("not reached")
        return scope.cancelled_caught

    assert tiffany.run(main, clock=VirtualClock()) is True
    assert log == ["still running after cancel()", "computed 45", "cancelled at the trap"]


def test_a_task_cancelled_before_it_starts_runs_until_its_first_trap() -> None:
    log: list[str] = []

    async def victim() -> None:
        log.append("started")
        try:
            await tiffany.sleep(1)
        except Cancelled:
            log.append("cancelled at first trap")
            raise

    async def main() -> TaskState:
        task = await tiffany.spawn(victim)
        await task.cancel()
        return task.state

    assert tiffany.run(main, clock=VirtualClock()) is TaskState.CANCELLED
    assert log == ["started", "cancelled at first trap"]


def test_cancelled_is_not_caught_by_except_exception() -> None:
    log: list[str] = []

    async def victim() -> None:
        try:
            await tiffany.sleep(10)
        except Exception:
            log.append("swallowed by except Exception")  # must not happen

    async def main() -> TaskState:
        task = await tiffany.spawn(victim)
        await tiffany.sleep(1)
        await task.cancel()
        return task.state

    assert issubclass(Cancelled, BaseException) and not issubclass(Cancelled, Exception)
    assert tiffany.run(main, clock=VirtualClock()) is TaskState.CANCELLED
    assert log == []


class _AsyncResource:
    """An async context manager whose exit awaits (shielded) before it lets go."""

    def __init__(self, log: list[tuple[str, float]]) -> None:
        self.log = log

    async def __aenter__(self) -> _AsyncResource:
        self.log.append(("opened", tiffany.current_time()))
        return self

    async def __aexit__(
        self,
        et: type[BaseException] | None,
        e: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with CancelScope(shield=True):
            await tiffany.sleep(0.5)
        self.log.append((f"closed after {et.__name__ if et else None}", tiffany.current_time()))


def test_a_cancelled_task_cleans_up_in_finally_and_async_with() -> None:
    log: list[tuple[str, float]] = []

    async def victim() -> None:
        try:
            async with _AsyncResource(log):
                await tiffany.sleep(100)
        finally:
            log.append(("finally", tiffany.current_time()))

    async def main() -> float:
        task = await tiffany.spawn(victim)
        await tiffany.sleep(2)
        await task.cancel()
        return tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == 2.5
    assert log == [("opened", 0.0), ("closed after Cancelled", 2.5), ("finally", 2.5)]


def test_cancellation_is_level_triggered_every_trap_in_the_scope_raises() -> None:
    async def main() -> tuple[list[str], bool]:
        log: list[str] = []
        with CancelScope() as scope:
            scope.cancel()
            for name, trap in (
                ("yield", tiffany.yield_now),
                ("sleep", lambda: tiffany.sleep(1)),
                ("event", tiffany.Event().wait),
            ):
                try:
                    await trap()
                    log.append(f"{name} returned")
                except Cancelled:
                    log.append(f"{name} cancelled")
        return log, scope.cancelled_caught

    log, caught = tiffany.run(main, clock=VirtualClock())
    assert log == ["yield cancelled", "sleep cancelled", "event cancelled"]
    assert caught is False, "every Cancelled was swallowed inside, none reached the scope"


def test_a_cancelled_task_that_swallows_cancelled_is_cancelled_again_at_its_next_trap() -> None:
    log: list[str] = []

    async def stubborn() -> None:
        try:
            await tiffany.sleep(10)
        except Cancelled:
            log.append("swallowed once")
        try:
            await tiffany.sleep(10)
        except Cancelled:
            log.append("cancelled again")
            raise

    async def main() -> tuple[TaskState, float]:
        task = await tiffany.spawn(stubborn)
        await tiffany.sleep(1)
        await task.cancel()
        return task.state, tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == (TaskState.CANCELLED, 1.0)
    assert log == ["swallowed once", "cancelled again"]


# -- shields ----------------------------------------------------------------------------


def test_a_shielded_scope_protects_its_body_from_outer_cancellation() -> None:
    async def main() -> list[tuple[str, float]]:
        log: list[tuple[str, float]] = []
        with CancelScope() as outer:
            outer.cancel()
            with CancelScope(shield=True):
                await tiffany.sleep(3)
                log.append(("shielded sleep done", tiffany.current_time()))
            try:
                await tiffany.yield_now()
            except Cancelled:
                log.append(("cancelled after the shield", tiffany.current_time()))
                raise
        log.append(("outer caught", float(outer.cancelled_caught)))
        return log

    assert tiffany.run(main, clock=VirtualClock()) == [
        ("shielded sleep done", 3.0),
        ("cancelled after the shield", 3.0),
        ("outer caught", 1.0),
    ]


def test_a_shield_protects_cleanup_from_task_cancel_and_timeouts() -> None:
    log: list[tuple[str, float]] = []

    async def victim() -> None:
        try:
            await tiffany.sleep(100)
        finally:
            with CancelScope(shield=True):
                await tiffany.sleep(4)
                log.append(("cleanup step 1", tiffany.current_time()))
                await tiffany.sleep(1)
                log.append(("cleanup step 2", tiffany.current_time()))

    async def main() -> None:
        task = await tiffany.spawn(victim)
        with tiffany.move_on_after(1):
            await task.join()  # main's own timeout fires first: it only stops waiting
        await task.cancel()

    tiffany.run(main, clock=VirtualClock())
    assert log == [("cleanup step 1", 5.0), ("cleanup step 2", 6.0)]


def test_a_shielded_scope_is_still_cancelled_by_its_own_deadline() -> None:
    async def main() -> tuple[bool, float]:
        with CancelScope() as outer:
            outer.cancel()
            with tiffany.move_on_after(2, shield=True) as inner:
                await tiffany.sleep(10)
        return inner.cancelled_caught and not outer.cancelled_caught, tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == (True, 2.0)


def test_removing_a_shield_delivers_the_pending_cancellation_at_once() -> None:
    log: list[tuple[str, float]] = []

    async def main() -> None:
        shield = CancelScope(shield=True)

        async def victim() -> None:
            try:
                with shield:
                    await tiffany.sleep(100)
            except Cancelled:
                log.append(("cancelled", tiffany.current_time()))
                raise

        task = await tiffany.spawn(victim)
        await tiffany.sleep(1)
        await task.cancel(wait=False)
        await tiffany.sleep(1)
        assert task.state is TaskState.BLOCKED, "shielded: still asleep"
        shield.shield = False
        await task.wait()
        log.append(("done", tiffany.current_time()))

    tiffany.run(main, clock=VirtualClock())
    assert log == [("cancelled", 2.0), ("done", 2.0)]


# -- nested scopes --------------------------------------------------------------------------


def test_nested_scopes_the_inner_deadline_is_caught_by_the_inner_scope() -> None:
    async def main() -> list[tuple[str, float, bool]]:
        log: list[tuple[str, float, bool]] = []
        with tiffany.move_on_after(5) as outer:
            with tiffany.move_on_after(2) as inner:
                await tiffany.sleep(10)
            log.append(("after inner", tiffany.current_time(), inner.cancelled_caught))
            await tiffany.sleep(10)
        log.append(("after outer", tiffany.current_time(), outer.cancelled_caught))
        return log

    assert tiffany.run(main, clock=VirtualClock()) == [
        ("after inner", 2.0, True),
        ("after outer", 5.0, True),
    ]


def test_nested_scopes_the_outer_deadline_passes_through_the_inner_scope() -> None:
    async def main() -> tuple[bool, bool, float, list[str]]:
        log: list[str] = []
        with tiffany.move_on_after(2) as outer:
            with tiffany.move_on_after(5) as inner:
                await tiffany.sleep(10)
            log.append("after inner: not reached")
        return inner.cancelled_caught, outer.cancelled_caught, tiffany.current_time(), log

    assert tiffany.run(main, clock=VirtualClock()) == (False, True, 2.0, [])


def test_cancelling_one_of_two_sibling_scopes_leaves_the_other_alone() -> None:
    async def main() -> list[tuple[str, bool, float]]:
        log: list[tuple[str, bool, float]] = []
        with CancelScope() as first:
            first.cancel()
            await tiffany.sleep(1)
        log.append(("first", first.cancelled_caught, tiffany.current_time()))
        with CancelScope() as second:
            await tiffany.sleep(1)
        log.append(("second", second.cancelled_caught, tiffany.current_time()))
        return log

    assert tiffany.run(main, clock=VirtualClock()) == [
        ("first", True, 0.0),
        ("second", False, 1.0),
    ]


def test_cancelling_a_scope_in_another_task_wakes_it() -> None:
    async def main() -> tuple[bool, float]:
        scope = CancelScope()
        result: list[tuple[bool, float]] = []

        async def worker() -> None:
            with scope:
                await tiffany.sleep(100)
            result.append((scope.cancelled_caught, tiffany.current_time()))

        task = await tiffany.spawn(worker)
        await tiffany.sleep(3)
        scope.cancel()
        await task.join()
        return result[0]

    assert tiffany.run(main, clock=VirtualClock()) == (True, 3.0)


def test_scopes_must_be_exited_in_reverse_order() -> None:
    async def main() -> None:
        outer = CancelScope()
        inner = CancelScope()
        outer.__enter__()
        inner.__enter__()
        with pytest.raises(RuntimeError, match="reverse order"):
            outer.__exit__(None, None, None)
        inner.__exit__(None, None, None)
        outer.__exit__(None, None, None)

    tiffany.run(main, clock=VirtualClock())


def test_a_scope_can_be_entered_only_once() -> None:
    async def main() -> None:
        scope = CancelScope()
        with scope:
            pass
        with pytest.raises(RuntimeError, match="only once"), scope:
            pass

    tiffany.run(main, clock=VirtualClock())


# -- timeouts ---------------------------------------------------------------------------


def test_move_on_after_sets_cancelled_caught_only_when_it_fired() -> None:
    async def main() -> list[tuple[bool, bool, float]]:
        log: list[tuple[bool, bool, float]] = []
        with tiffany.move_on_after(3) as fired:
            await tiffany.sleep(10)
        log.append((fired.cancelled_caught, fired.cancel_called, tiffany.current_time()))
        with tiffany.move_on_after(3) as quiet:
            await tiffany.sleep(1)
        log.append((quiet.cancelled_caught, quiet.cancel_called, tiffany.current_time()))
        return log

    assert tiffany.run(main, clock=VirtualClock()) == [(True, True, 3.0), (False, False, 4.0)]


def test_move_on_after_a_cancel_that_no_trap_saw_is_not_caught() -> None:
    async def main() -> tuple[bool, bool]:
        with CancelScope() as scope:
            scope.cancel()  # no trap follows in the scope
        return scope.cancel_called, scope.cancelled_caught

    assert tiffany.run(main, clock=VirtualClock()) == (True, False)


def test_fail_after_raises_too_slow_error_at_the_deadline() -> None:
    async def main() -> float:
        with pytest.raises(tiffany.TooSlowError), tiffany.fail_after(2.5):
            await tiffany.sleep(10)
        return tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == 2.5


def test_fail_after_returns_normally_when_in_time() -> None:
    async def main() -> tuple[str, float]:
        with tiffany.fail_after(5):
            await tiffany.sleep(4.5)
            value = "in time"
        return value, tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == ("in time", 4.5)


def test_fail_at_and_move_on_at_use_absolute_deadlines() -> None:
    async def main() -> tuple[float, bool, float]:
        await tiffany.sleep(1)
        with pytest.raises(tiffany.TooSlowError), tiffany.fail_at(4):
            await tiffany.sleep(10)
        first = tiffany.current_time()
        with tiffany.move_on_at(6) as scope:
            await tiffany.sleep(10)
        return first, scope.cancelled_caught, tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == (4.0, True, 6.0)


def test_zero_and_past_timeouts_cancel_at_the_first_blocking_trap() -> None:
    async def main() -> tuple[bool, float]:
        await tiffany.sleep(5)
        with tiffany.move_on_after(0) as scope:
            await tiffany.sleep(1)
        return scope.cancelled_caught, tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == (True, 5.0)


def test_negative_or_nan_timeouts_are_refused() -> None:
    async def main() -> None:
        with pytest.raises(ValueError):
            tiffany.move_on_after(-1)
        with pytest.raises(ValueError):
            tiffany.fail_after(math.nan)
        with pytest.raises(ValueError):
            CancelScope(deadline=math.nan)

    tiffany.run(main, clock=VirtualClock())


# -- deadline changes ----------------------------------------------------------------------


def test_extending_a_deadline_postpones_the_timeout() -> None:
    async def main() -> tuple[bool, float]:
        with tiffany.move_on_after(1) as scope:
            scope.deadline = 7
            await tiffany.sleep(100)
        return scope.cancelled_caught, tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == (True, 7.0)


def test_shortening_a_deadline_while_blocked_advances_the_timeout() -> None:
    async def main() -> tuple[bool, float]:
        scope = tiffany.move_on_after(50)

        async def shortener() -> None:
            await tiffany.sleep(2)
            scope.deadline = tiffany.current_time() + 1

        await tiffany.spawn(shortener)
        with scope:
            await tiffany.sleep(100)
        return scope.cancelled_caught, tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == (True, 3.0)


def test_a_deadline_set_to_infinity_never_fires() -> None:
    async def main() -> tuple[bool, float]:
        with tiffany.move_on_after(1) as scope:
            scope.deadline = math.inf
            await tiffany.sleep(20)
        return scope.cancelled_caught, tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == (False, 20.0)


def test_a_deadline_set_in_the_past_cancels_the_blocked_wait_without_time_passing() -> None:
    async def main() -> tuple[bool, float]:
        await tiffany.sleep(10)
        with CancelScope() as scope:
            scope.deadline = tiffany.current_time() - 5
            await tiffany.sleep(100)
        return scope.cancelled_caught, tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == (True, 10.0)


def test_a_deadline_set_before_entering_counts_from_entering() -> None:
    async def main() -> tuple[bool, float]:
        scope = CancelScope()
        scope.deadline = 4
        await tiffany.sleep(1)
        with scope:
            await tiffany.sleep(100)
        return scope.cancelled_caught, tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == (True, 4.0)


# -- cancel before entering, task.cancel ---------------------------------------------------


def test_a_scope_cancelled_before_it_is_entered_cancels_at_the_first_trap() -> None:
    async def main() -> tuple[bool, float, list[str]]:
        log: list[str] = []
        scope = CancelScope()
        scope.cancel()
        await tiffany.sleep(2)  # not inside it yet: not cancelled
        with scope:
            log.append("inside")
            await tiffany.sleep(5)
            log.append("not reached")
        return scope.cancelled_caught, tiffany.current_time(), log

    assert tiffany.run(main, clock=VirtualClock()) == (True, 2.0, ["inside"])


def test_task_cancel_waits_until_the_task_has_exited() -> None:
    async def victim() -> None:
        try:
            await tiffany.sleep(100)
        finally:
            with CancelScope(shield=True):
                await tiffany.sleep(3)

    async def main() -> tuple[bool, TaskState, float]:
        task = await tiffany.spawn(victim)
        await tiffany.sleep(1)
        await task.cancel()
        return task.done, task.state, tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == (True, TaskState.CANCELLED, 4.0)


def test_task_cancel_without_wait_returns_before_the_task_exits() -> None:
    async def victim() -> None:
        try:
            await tiffany.sleep(100)
        finally:
            with CancelScope(shield=True):
                await tiffany.sleep(3)

    async def main() -> tuple[bool, float, bool, float]:
        task = await tiffany.spawn(victim)
        await tiffany.sleep(1)
        await task.cancel(wait=False)
        done_at_once, t0 = task.done, tiffany.current_time()
        await task.wait()
        return done_at_once, t0, task.done, tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == (False, 1.0, True, 4.0)


def test_task_cancel_of_a_finished_task_changes_nothing() -> None:
    async def main() -> tuple[TaskState, object]:
        task = await tiffany.spawn(tiffany.sleep, 1)
        await task.join()
        await task.cancel()
        return task.state, await task.join()

    assert tiffany.run(main, clock=VirtualClock()) == (TaskState.FINISHED, None)


def test_cancelling_a_task_does_not_cancel_the_task_that_spawned_it() -> None:
    async def main() -> tuple[float, TaskState]:
        child: Task = await tiffany.spawn(tiffany.sleep, 100)
        await tiffany.sleep(1)
        await child.cancel()
        await tiffany.sleep(2)  # main is not in a cancelled scope
        return tiffany.current_time(), child.state

    assert tiffany.run(main, clock=VirtualClock()) == (3.0, TaskState.CANCELLED)


def test_a_task_may_cancel_itself_and_is_cancelled_at_its_next_trap() -> None:
    log: list[str] = []

    async def victim() -> None:
        await tiffany.current_task().cancel()
        log.append("cancel returned")
        try:
            await tiffany.yield_now()
        except Cancelled:
            log.append("cancelled")
            raise

    async def main() -> TaskState:
        task = await tiffany.spawn(victim)
        await task.wait()
        return task.state

    assert tiffany.run(main, clock=VirtualClock()) is TaskState.CANCELLED
    assert log == ["cancel returned", "cancelled"]


def test_cancelling_a_task_inside_nested_scopes_reaches_every_level() -> None:
    """The task's root scope is made on demand, around scopes the task already opened."""
    log: list[str] = []

    async def nested() -> None:
        with tiffany.CancelScope() as outer:
            with tiffany.move_on_after(1000) as inner:
                try:
                    await tiffany.sleep(100)
                finally:
                    log.append("inner cleanup")
            log.append(f"not reached: {inner.cancelled_caught}")
        log.append(f"not reached: {outer.cancelled_caught}")

    async def main() -> tiffany.TaskState:
        task = await tiffany.spawn(nested)
        await tiffany.sleep(1)
        await task.cancel()
        return task.state

    assert tiffany.run(main, clock=VirtualClock()) is tiffany.TaskState.CANCELLED
    # Neither scope was cancelled itself, so Cancelled passes both to the task's root.
    assert log == ["inner cleanup"]
