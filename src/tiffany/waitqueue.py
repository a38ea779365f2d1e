"""A FIFO of parked tasks: the one building block of every synchronisation primitive."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from .task import Task
from .traps import block


class WaitQueue:
    """Tasks parked in arrival order; waking hands each one a value (or an exception)."""

    __slots__ = ("_tasks",)

    def __init__(self) -> None:
        self._tasks: deque[Task] = deque()

    def __len__(self) -> int:
        return len(self._tasks)

    def __bool__(self) -> bool:
        return bool(self._tasks)

    async def park(self, description: str) -> Any:
        """Block the current task here until it is woken; returns the value it is woken with."""
        return await block(description, self._enqueue)

    def _enqueue(self, task: Task) -> Callable[[Task], bool]:
        self._tasks.append(task)
        return self._remove

    def _remove(self, task: Task) -> bool:
        self._tasks.remove(task)
        return True

    def wake_one(self, value: Any = None) -> Task | None:
        """Wake the longest-waiting task with ``value``; None if nobody waits."""
        if not self._tasks:
            return None
        task = self._tasks.popleft()
        task._kernel.reschedule(task, value)
        return task

    def wake_all(self, value: Any = None, exc: BaseException | None = None) -> int:
        """Wake every waiting task; with ``exc``, each raises it."""
        count = len(self._tasks)
        while self._tasks:
            task = self._tasks.popleft()
            task._kernel.reschedule(task, value, exc)
        return count
