"""CPU budgets: how much processor time a task (or a group of tasks) may use per window.

The kernel measures each step of a budgeted task with the thread's CPU time and charges
it here; what happens over budget is this object's policy: demote the task's priority
for the rest of the window, throttle it (hold its next step until the window ends), or
cancel it with ``BudgetExceeded``. Tasks without a budget pay nothing.
"""

from __future__ import annotations

import heapq
import math
from enum import Enum
from typing import TYPE_CHECKING

from .errors import BudgetExceeded
from .priority import Priority

if TYPE_CHECKING:
    from .kernel import Kernel
    from .task import Task


class OverBudget(Enum):
    """What to do with a task that used its budget up."""

    DEMOTE = "demote"
    THROTTLE = "throttle"
    CANCEL = "cancel"


class CpuBudget:
    """``seconds`` of CPU per ``per`` seconds of the kernel's clock, shared by the tasks
    given it (pass one to ``spawn(budget=...)`` or ``TaskGroup(budget=...)``)."""

    def __init__(
        self,
        seconds: float,
        *,
        per: float = 1.0,
        action: OverBudget | str = OverBudget.DEMOTE,
    ) -> None:
        if not seconds > 0 or not per > 0:
            raise ValueError(f"a CPU budget needs seconds > 0 and per > 0, got {seconds}/{per}")
        self.seconds = seconds
        self.per = per
        self.action = OverBudget(action)
        self.used = 0.0
        self.window_start = -math.inf
        self.throttled_until = 0.0
        self.exceeded = 0  # windows in which the budget ran out
        self._demoted: dict[Task, Priority] = {}

    def charge(self, kernel: Kernel, task: Task, cpu_seconds: float) -> None:
        """Account one step of ``task``; act if the window's budget is spent."""
        now = kernel.now()
        if now >= self.window_start + self.per:
            self._new_window(now)
        self.used += cpu_seconds
        if self.used <= self.seconds:
            return
        if self.action is OverBudget.CANCEL:
            if not task.done and task._cancel_reason is None:
                self.exceeded += 1
                task._cancel_reason = BudgetExceeded(
                    f"task {task.name!r} used {self.used:.3f} s of CPU, over its budget of "
                    f"{self.seconds} s per {self.per} s"
                )
                task._request_cancel()
            return
        if self.action is OverBudget.THROTTLE:
            if self.throttled_until < self.window_start + self.per:
                self.exceeded += 1
                self.throttled_until = self.window_start + self.per
            return
        if task not in self._demoted and not task.done:
            if not self._demoted:
                self.exceeded += 1
            self._demoted[task] = task.priority
            task.priority = Priority(min(task.priority + 1, Priority.IDLE))

    def _new_window(self, now: float) -> None:
        self.window_start = now
        self.used = 0.0
        for task, priority in self._demoted.items():
            if not task.done:
                task.priority = priority
        self._demoted.clear()


class Resume:
    """A timer-heap entry that puts a throttled task back on the ready queue."""

    __slots__ = ("_deadline_gen", "kernel", "task")

    def __init__(self, kernel: Kernel, task: Task) -> None:
        self.kernel = kernel
        self.task = task
        self._deadline_gen = 0

    def _deadline_passed(self, gen: int) -> None:
        self.kernel._schedule(self.task)

    def hold_until(self, when: float) -> None:
        kernel = self.kernel
        heapq.heappush(kernel._timers, (when, next(kernel._timer_seq), self, 0))
