"""Graceful shutdown: stop intake, drain, cancel what is left, clean up, stop system tasks.

Shutdown is run by a system task, the coordinator, so it is ordinary kernel work: it
waits on the kernel's clock (deterministic under a virtual clock), reports progress as
events, and learns which tasks ended through an instrument's ``task_exited`` hook.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .cancel import CancelScope, move_on_after
from .instruments import Instrument
from .sync import Event
from .task import TaskState

if TYPE_CHECKING:
    from .kernel import Kernel
    from .task import Task

log = logging.getLogger("tiffany.shutdown")

#: How often the coordinator reports the tasks it is still waiting for, in seconds.
PROGRESS_INTERVAL = 1.0

Cleanup = Callable[[], Awaitable[Any] | Any]


@dataclass
class ShutdownReport:
    """What happened to each task that ended during shutdown, by name."""

    reason: str
    grace: float
    finished: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    forced: bool = False
    cleanup_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _ExitRecorder(Instrument):
    """Sorts the tasks that end into the report and says when only exempt ones are left."""

    def __init__(self, coordinator: ShutdownCoordinator) -> None:
        self.coordinator = coordinator

    def task_exited(self, task: Task) -> None:
        report = self.coordinator.report
        if task.state is TaskState.FINISHED:
            report.finished.append(task.name)
        elif task.state is TaskState.CANCELLED:
            report.cancelled.append(task.name)
        else:
            report.failed.append(task.name)
        if not self.coordinator.remaining_count():
            self.coordinator.drained.set()


class ShutdownCoordinator:
    """Carries out one shutdown; the kernel holds at most one."""

    def __init__(self, kernel: Kernel, grace: float, reason: str) -> None:
        self.kernel = kernel
        self.report = ShutdownReport(reason=reason, grace=grace)
        self.drained = Event()
        self.done = Event()
        self.exempt: set[Task] = set()  # tasks awaiting the report; they are not drained
        self._drain_scope = CancelScope(deadline=kernel.now() + grace)

    def remaining_count(self) -> int:
        """How many user tasks are alive, in O(exempt) rather than O(tasks)."""
        exempt_alive = sum(1 for t in self.exempt if not t.done and not t.system)
        return self.kernel._user_tasks - exempt_alive

    def remaining(self) -> list[Task]:
        """User tasks still alive, other than those waiting for this shutdown."""
        return [t for t in self.kernel._tasks.values() if not t.system and t not in self.exempt]

    def force(self) -> None:
        """Stop waiting for the drain: cancel everything now."""
        self.report.forced = True
        self._drain_scope.deadline = self.kernel.now()

    async def run(self) -> None:
        kernel = self.kernel
        started = kernel.now()
        recorder = _ExitRecorder(self)
        kernel.add_instrument(recorder)
        try:
            await self._drain()
            await self._cancel_remaining()
            await self._run_cleanups()
            self._close_resources()
            await self._stop_system_tasks()
        finally:
            kernel.remove_instrument(recorder)
            self.report.seconds = kernel.now() - started
            self.done.set()
            kernel.emit("shutdown.finished", self.report.as_dict())

    async def _drain(self) -> None:
        with self._drain_scope:
            while self.remaining_count():
                names = sorted(t.name for t in self.remaining())
                log.info("shutdown: waiting for %d task(s): %s", len(names), ", ".join(names))
                self.kernel.emit("shutdown.progress", {"waiting_for": names})
                with move_on_after(PROGRESS_INTERVAL):
                    await self.drained.wait()

    async def _cancel_remaining(self) -> None:
        left = self.remaining()
        if not left:
            return
        log.info("shutdown: grace period over, cancelling %d task(s)", len(left))
        for task in left:
            task._request_cancel()
        for task in left:
            await task.wait()

    async def _run_cleanups(self) -> None:
        for cleanup in reversed(self.kernel._cleanups):
            try:
                result = cleanup()
                if inspect.isawaitable(result):
                    with CancelScope(shield=True):
                        await result
            except Exception as error:
                name = getattr(cleanup, "__qualname__", repr(cleanup))
                log.exception("shutdown cleanup %s failed", name)
                self.report.cleanup_errors.append(f"{name}: {error}")
        self.kernel._cleanups.clear()

    def _close_resources(self) -> None:
        for resource in reversed(self.kernel._closeables):
            try:
                resource.close()
            except Exception as error:
                log.exception("closing %r at shutdown failed", resource)
                self.report.cleanup_errors.append(f"close {resource!r}: {error}")
        self.kernel._closeables.clear()

    async def _stop_system_tasks(self) -> None:
        me = self.kernel._current
        others = [
            t
            for t in self.kernel._tasks.values()
            if t.system and t is not me and t not in self.exempt
        ]
        for task in others:
            task._request_cancel()
        for task in others:
            await task.wait()
