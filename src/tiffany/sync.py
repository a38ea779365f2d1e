"""Event, Lock, Semaphore and Condition for tasks of one kernel.

Waiters are served first come, first served, and a released lock or semaphore is handed
straight to the next waiter, so a task that releases and re-acquires in a loop cannot
starve the others.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from .cancel import CancelScope
from .runstate import current_kernel
from .task import Task
from .traps import yield_now
from .turns import turn_used_up
from .waitqueue import WaitQueue


def _current() -> Task:
    task = current_kernel()._current
    if task is None:
        raise RuntimeError("this must be called from inside a task")
    return task


class Event:
    """A flag tasks can wait for; once set, waiting returns at once until ``clear``."""

    def __init__(self) -> None:
        self._flag = False
        self._waiters = WaitQueue()

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        if not self._flag:
            self._flag = True
            self._waiters.wake_all()

    def clear(self) -> None:
        self._flag = False

    async def wait(self) -> None:
        if self._flag:
            if turn_used_up():
                await yield_now()
        else:
            await self._waiters.park("event")

    def __repr__(self) -> str:
        return f"<Event set={self._flag} waiters={len(self._waiters)}>"


class Semaphore:
    """A counter that ``acquire`` decrements, waiting while it is zero."""

    def __init__(self, value: int = 1, *, max_value: int | None = None) -> None:
        if value < 0:
            raise ValueError(f"a semaphore starts at 0 or more, got {value}")
        if max_value is not None and value > max_value:
            raise ValueError(f"initial value {value} is above max_value {max_value}")
        self._value = value
        self._max_value = max_value
        self._waiters = WaitQueue()

    @property
    def value(self) -> int:
        return self._value

    @property
    def max_value(self) -> int | None:
        return self._max_value

    def acquire_nowait(self) -> bool:
        """Take one unit if that needs no wait; say whether it did."""
        if self._value > 0 and not self._waiters:
            self._value -= 1
            return True
        return False

    async def acquire(self) -> None:
        if self.acquire_nowait():
            if turn_used_up():
                await yield_now()
        else:
            await self._waiters.park("semaphore")  # the releaser hands us its unit

    def release(self) -> None:
        if self._waiters:
            self._waiters.wake_one()
            return
        if self._max_value is not None and self._value >= self._max_value:
            raise ValueError(f"semaphore released more often than acquired (max {self._max_value})")
        self._value += 1

    async def __aenter__(self) -> Semaphore:
        await self.acquire()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<Semaphore value={self._value} waiters={len(self._waiters)}>"


class Lock:
    """Mutual exclusion with an owner: only the task that acquired it may release it."""

    def __init__(self) -> None:
        self._owner: Task | None = None
        self._waiters = WaitQueue()

    def locked(self) -> bool:
        return self._owner is not None

    @property
    def owner(self) -> Task | None:
        return self._owner

    def acquire_nowait(self) -> bool:
        if self._owner is None and not self._waiters:
            self._owner = _current()
            return True
        return False

    async def acquire(self) -> None:
        task = _current()
        if self._owner is task:
            raise RuntimeError("this task already holds the lock (Lock is not reentrant)")
        if self.acquire_nowait():
            if turn_used_up():
                await yield_now()
        else:
            await self._waiters.park("lock")  # ownership is handed to us on wake-up

    def release(self) -> None:
        task = _current()
        if self._owner is not task:
            raise RuntimeError("only the task that holds a lock can release it")
        self._owner = self._waiters.wake_one()

    async def __aenter__(self) -> Lock:
        await self.acquire()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        owner = self._owner.name if self._owner else None
        return f"<Lock owner={owner!r} waiters={len(self._waiters)}>"


class Condition:
    """Wait until notified, holding ``lock`` before and after the wait."""

    def __init__(self, lock: Lock | None = None) -> None:
        self.lock = lock if lock is not None else Lock()
        self._waiters = WaitQueue()

    def locked(self) -> bool:
        return self.lock.locked()

    async def acquire(self) -> None:
        await self.lock.acquire()

    def release(self) -> None:
        self.lock.release()

    async def wait(self) -> None:
        """Release the lock, wait for ``notify``, then take the lock back.

        The lock is taken back even when the wait is cancelled, so the caller's
        ``async with condition`` block always exits holding it.
        """
        if self.lock.owner is not _current():
            raise RuntimeError("wait on a Condition only while holding its lock")
        self.lock.release()
        try:
            await self._waiters.park("condition")
        finally:
            with CancelScope(shield=True):
                await self.lock.acquire()

    async def wait_for(self, predicate: Callable[[], object]) -> None:
        """Wait until ``predicate()`` is true; it is checked with the lock held."""
        while not predicate():
            await self.wait()

    def notify(self, n: int = 1) -> None:
        if self.lock.owner is not _current():
            raise RuntimeError("notify a Condition only while holding its lock")
        for _ in range(n):
            if self._waiters.wake_one() is None:
                break

    def notify_all(self) -> None:
        self.notify(len(self._waiters))

    async def __aenter__(self) -> Condition:
        await self.lock.acquire()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.lock.release()
