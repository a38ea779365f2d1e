"""Instruments: objects whose hooks the kernel calls at the moments that matter.

Metrics, tracing and debugging are instruments, not special cases in the loop. An
instrument overrides only the hooks it needs; the kernel calls only overridden hooks, so a
kernel with no instruments pays nothing for them. A hook that raises is reported and the
instrument is removed; it never stops the kernel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .task import Task

HOOKS = (
    "before_run",
    "after_run",
    "task_spawned",
    "task_scheduled",
    "before_task_step",
    "after_task_step",
    "task_exited",
    "before_io_wait",
    "after_io_wait",
    "event",
)


class Instrument:
    """Base class with a no-op for every hook; subclass and override what you need."""

    def before_run(self) -> None:
        """The kernel is about to run its first task."""

    def after_run(self) -> None:
        """The kernel has finished; every task has exited."""

    def task_spawned(self, task: Task) -> None:
        """``task`` was created and queued for its first step."""

    def task_scheduled(self, task: Task) -> None:
        """``task`` was put on the ready queue."""

    def before_task_step(self, task: Task) -> None:
        """``task`` is about to run until its next blocking trap."""

    def after_task_step(self, task: Task) -> None:
        """``task`` blocked, yielded or exited."""

    def task_exited(self, task: Task) -> None:
        """``task`` finished, failed or was cancelled; its outcome is on the task."""

    def before_io_wait(self, timeout: float | None) -> None:
        """The kernel is about to wait for I/O for at most ``timeout`` seconds."""

    def after_io_wait(self, timeout: float | None) -> None:
        """The kernel's I/O wait returned."""

    def event(self, kind: str, data: dict[str, Any]) -> None:
        """A named event from a library running on the kernel (see :func:`tiffany.emit`)."""


def overridden_hooks(instrument: object) -> list[str]:
    """The hooks ``instrument`` really implements (duck-typed objects count in full)."""
    names = []
    for name in HOOKS:
        method = getattr(type(instrument), name, None)
        if method is None:
            continue
        if isinstance(instrument, Instrument) and method is getattr(Instrument, name):
            continue
        names.append(name)
    return names
