"""Admission: a bound on the work the kernel takes in, and what happens past it.

Limits are on live tasks and on ready depth, overall and per priority. Over a limit,
``spawn`` waits for room (most urgent spawner first), raises ``Overloaded``, or sheds the
least urgent queued work that has not started, as configured. CRITICAL work is always
admitted. Producers that want to slow down before they hit the wall register
``on_pressure(level, metrics)``: it is called whenever the pressure level changes.
"""

from __future__ import annotations

import heapq
import inspect
import itertools
import logging
from collections.abc import Callable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any

from .errors import Cancelled, Overloaded
from .priority import Priority
from .traps import block

if TYPE_CHECKING:
    from .kernel import Kernel
    from .task import Task

log = logging.getLogger("tiffany.admission")


class OverLimit(Enum):
    """What ``spawn`` does when admitting a task would pass a limit."""

    WAIT = "wait"
    REJECT = "reject"
    SHED = "shed"


class Pressure(Enum):
    """How close the kernel is to its limits."""

    NORMAL = "normal"
    HIGH = "high"  # past the high-water fraction of a limit
    OVERLOADED = "overloaded"  # at a limit: new work waits, is rejected or sheds

    @property
    def value_index(self) -> int:
        return list(Pressure).index(self)


PressureHook = Callable[[Pressure, dict[str, Any]], None]


class Admission:
    """The policy object the kernel consults before each spawn."""

    def __init__(
        self,
        *,
        max_live: int | None = None,
        max_ready: int | None = None,
        max_live_per_priority: Mapping[Priority, int] | None = None,
        over_limit: OverLimit | str = OverLimit.WAIT,
        high_water: float = 0.8,
        on_pressure: PressureHook | None = None,
    ) -> None:
        self.max_live = max_live
        self.max_ready = max_ready
        self.max_live_per_priority = dict(max_live_per_priority or {})
        self.over_limit = OverLimit(over_limit)
        self.high_water = high_water
        self.on_pressure = on_pressure
        self.level = Pressure.NORMAL
        self.admitted = self.waited = self.rejected = self.shed = 0
        self.kernel: Kernel | None = None
        self._live_by_priority = [0] * len(Priority)
        self._live: dict[Task, Priority] = {}  # the level each task was admitted at
        self._waiting: list[tuple[int, int, Task]] = []  # (priority, seq, task) heap
        # Levels of waiters woken with room kept for them: they spawn on their next step,
        # and until then the room is theirs, not the next spawner's.
        self._reserved: list[Priority] = []
        self._seq = itertools.count()

    # -- the kernel's side ------------------------------------------------------------
    def bind(self, kernel: Kernel) -> None:
        self.kernel = kernel

    def task_started(self, task: Task) -> None:
        self._live[task] = task.priority
        self._live_by_priority[task.priority] += 1
        self.admitted += 1
        self._update_pressure()

    def task_ended(self, task: Task) -> None:
        self._live_by_priority[self._live.pop(task)] -= 1
        self._admit_waiters()
        self._update_pressure()

    # -- the spawner's side -----------------------------------------------------------
    async def admit(self, priority: Priority) -> None:
        """Return when a task of ``priority`` may be spawned, or raise ``Overloaded``."""
        if priority == Priority.CRITICAL or (
            not self._queued_ahead(priority) and self._has_room(priority)
        ):
            return
        if self.over_limit is OverLimit.SHED and self._shed_below(priority):
            return
        if self.over_limit is OverLimit.WAIT:
            self.waited += 1
            await block("admission", self._park(priority))
            # Woken by _admit_waiters with room reserved: the spawn that follows takes it
            # in this same step (no trap in between), so hand the reservation over now.
            self._reserved.remove(priority)
            return
        self.rejected += 1
        raise Overloaded(
            f"the kernel is at its limits ({self._describe()}): "
            "retry later, lower the load, or raise the admission limits"
        )

    @property
    def waiting(self) -> bool:
        """Whether any spawner waits for room (the kernel then re-checks between batches)."""
        return bool(self._waiting)

    def _queued_ahead(self, priority: Priority) -> bool:
        """Whether a spawner that came earlier, at this level or a more urgent one, waits
        for room that is shared (no overtaking). One that waits only because its own
        level is full holds up nobody else."""
        return any(level <= priority and self._level_room(level) for level, _, _ in self._waiting)

    def _level_room(self, level: int) -> bool:
        limit = self.max_live_per_priority.get(Priority(level))
        if limit is None:
            return True
        return self._live_by_priority[level] + self._reserved.count(Priority(level)) < limit

    def _shared_room(self) -> bool:
        kernel = self.kernel
        assert kernel is not None, "Admission used before the kernel bound it"
        reserved = len(self._reserved)
        if self.max_live is not None and len(kernel._tasks) + reserved >= self.max_live:
            return False
        return self.max_ready is None or sum(map(len, kernel._queues)) + reserved < self.max_ready

    def _has_room(self, priority: Priority) -> bool:
        return self._shared_room() and self._level_room(priority)

    def _park(self, priority: Priority) -> Callable[[Task], Callable[[Task], bool]]:
        def setup(task: Task) -> Callable[[Task], bool]:
            entry = (int(priority), next(self._seq), task)
            heapq.heappush(self._waiting, entry)

            def abort(task: Task) -> bool:
                self._waiting.remove(entry)
                heapq.heapify(self._waiting)
                return True

            return abort

        return setup

    def _admit_waiters(self) -> None:
        """Wake the waiters that fit now, most urgent first, each with its room reserved.

        A waiter whose own level is full is passed over for less urgent ones; once the
        shared limits are reached, nobody else fits.
        """
        kernel = self.kernel
        passed_over = []
        while self._waiting and kernel is not None:
            entry = heapq.heappop(self._waiting)
            level = Priority(entry[0])
            if self._has_room(level):
                self._reserved.append(level)
                kernel.reschedule(entry[2])
                continue
            passed_over.append(entry)
            if not self._shared_room():
                break
        for entry in passed_over:
            heapq.heappush(self._waiting, entry)

    def recheck(self) -> None:
        """Admit waiters that fit now although no task ended (the ready queue drained)."""
        self._admit_waiters()
        self._update_pressure()

    def _shed_below(self, priority: Priority) -> bool:
        """Drop the least urgent queued task that has not started, if less urgent."""
        kernel = self.kernel
        assert kernel is not None
        victims = [
            t
            for t in kernel._tasks.values()
            if t.priority > priority
            and not t.system
            and inspect.getcoroutinestate(t.coro) == inspect.CORO_CREATED
        ]
        if not victims:
            return False
        victim = max(victims, key=lambda t: (t.priority, t.id))
        kernel._unqueue(victim)
        victim.coro.close()
        victim._cancel_reason = Overloaded(f"shed to admit more urgent work ({priority.name})")
        kernel._task_exited(victim, None, Cancelled())
        self.shed += 1
        log.info("shed task %r (%s) for %s work", victim.name, victim.priority.name, priority.name)
        return True

    # -- pressure ---------------------------------------------------------------------
    def _fullness(self) -> float:
        kernel = self.kernel
        if kernel is None:
            return 0.0
        ratios = [0.0]
        if self.max_live:
            ratios.append(len(kernel._tasks) / self.max_live)
        if self.max_ready:
            ratios.append(sum(map(len, kernel._queues)) / self.max_ready)
        for level, limit in self.max_live_per_priority.items():
            if limit:
                ratios.append(self._live_by_priority[level] / limit)
        return max(ratios)

    def _update_pressure(self) -> None:
        fullness = self._fullness()
        if fullness >= 1.0 or self._waiting:
            level = Pressure.OVERLOADED
        elif fullness >= self.high_water:
            level = Pressure.HIGH
        else:
            level = Pressure.NORMAL
        if level is self.level:
            return
        self.level = level
        metrics = self.metrics()
        if self.kernel is not None:
            self.kernel.emit("admission.pressure", {"level": level.value, **metrics})
        if self.on_pressure is not None:
            try:
                self.on_pressure(level, metrics)
            except Exception:
                log.exception("on_pressure hook failed")

    def metrics(self) -> dict[str, Any]:
        """Counters and the current pressure, for the metrics instrument and hooks."""
        return {
            "pressure_level": self.level.value_index,
            "admitted": self.admitted,
            "waiting": len(self._waiting),
            "rejected": self.rejected,
            "shed": self.shed,
            "fullness": round(self._fullness(), 4),
        }

    def _describe(self) -> str:
        kernel = self.kernel
        parts = []
        if self.max_live is not None and kernel is not None:
            parts.append(f"{len(kernel._tasks)}/{self.max_live} live tasks")
        if self.max_ready is not None and kernel is not None:
            parts.append(f"{sum(map(len, kernel._queues))}/{self.max_ready} ready")
        for level, limit in self.max_live_per_priority.items():
            parts.append(f"{self._live_by_priority[level]}/{limit} {level.name}")
        return ", ".join(parts) or "no limits"
