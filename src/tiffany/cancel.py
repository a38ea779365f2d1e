"""Cancel scopes: cancellation and timeouts with one mechanism.

A scope is a region of one task's code. Cancelling it cancels that region and, through
the scope tree, every region nested in it, including the tasks of task groups opened
inside it. Cancellation is level-triggered as in trio: while a task is inside a cancelled
scope every trap raises ``Cancelled``, until the scope that was cancelled exits and
catches it. Shielded scopes stop cancellation from outside at their border, which is how
cleanup code that must await runs to the end. A timeout is a scope with a deadline.
"""

from __future__ import annotations

import math
from types import TracebackType
from typing import TYPE_CHECKING

from .errors import Cancelled, TooSlowError
from .runstate import current_kernel

if TYPE_CHECKING:
    from .kernel import Kernel
    from .task import Task


class CancelScope:
    """A cancellable region of code; enter it with ``with``."""

    __slots__ = (
        "_active",
        "_cancel_called",
        "_children",
        "_deadline",
        "_deadline_gen",
        "_entered",
        "_kernel",
        "_parent",
        "_shield",
        "_task",
        "cancelled_caught",
    )

    def __init__(self, *, deadline: float = math.inf, shield: bool = False) -> None:
        if math.isnan(deadline):
            raise ValueError("a cancel scope deadline cannot be NaN")
        self._deadline = deadline
        self._shield = shield
        self._cancel_called = False
        self.cancelled_caught = False
        self._entered = False
        self._active = False
        self._kernel: Kernel | None = None
        self._task: Task | None = None
        self._parent: CancelScope | None = None
        self._children: dict[CancelScope, None] | None = None  # allocated on first child
        self._deadline_gen = 0

    @classmethod
    def _for_task(cls, kernel: Kernel, task: Task, parent: CancelScope | None) -> CancelScope:
        """A task's root scope, built without ``__init__`` on the hot path of its first need."""
        scope = cls.__new__(cls)
        scope._deadline = math.inf
        scope._shield = scope._cancel_called = scope.cancelled_caught = False
        scope._entered = scope._active = True
        scope._kernel, scope._task, scope._parent = kernel, task, parent
        scope._children = None
        scope._deadline_gen = 0
        if parent is not None:
            if parent._children is None:
                parent._children = {scope: None}
            else:
                parent._children[scope] = None
        return scope

    # -- entering and leaving ----------------------------------------------------------
    def __enter__(self) -> CancelScope:
        kernel = current_kernel()
        task = kernel._current
        if task is None:
            raise RuntimeError("a CancelScope must be entered from inside a task")
        if self._entered:
            raise RuntimeError("a CancelScope can be entered only once")
        self._attach(kernel, task, task._scope)
        task._scope = self
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        task = self._task
        assert task is not None, "CancelScope exited before it was entered"
        if task._scope is not self:
            raise RuntimeError(
                "cancel scopes must be exited in the reverse order they were entered"
            )
        task._scope = self._parent
        self._detach()
        if isinstance(exc, Cancelled) and self._cancel_called:
            self.cancelled_caught = True
            return True
        return False

    def _attach(self, kernel: Kernel, task: Task, parent: CancelScope | None) -> None:
        """Join the scope tree under ``parent`` in ``task`` (a task's root scope, too)."""
        self._entered = self._active = True
        self._kernel, self._task, self._parent = kernel, task, parent
        if parent is not None:
            if parent._children is None:
                parent._children = {self: None}
            else:
                parent._children[self] = None
        if self._cancel_called:
            kernel._ncancelled += 1
        elif self._deadline != math.inf:
            kernel._add_deadline(self)

    def _detach(self) -> None:
        self._active = False
        if self._parent is not None and self._parent._children:
            self._parent._children.pop(self, None)
        assert self._kernel is not None
        if self._cancel_called:
            self._kernel._ncancelled -= 1
        elif self._deadline != math.inf:
            self._kernel._stale_timers += 1
        self._deadline_gen += 1

    # -- controlling -------------------------------------------------------------------
    def cancel(self) -> None:
        """Cancel every task running inside this scope; idempotent."""
        if self._cancel_called:
            return
        self._cancel_called = True
        self._deadline_gen += 1
        if self._active:
            assert self._kernel is not None
            self._kernel._ncancelled += 1
            self._kernel._deliver_cancel(self)

    @property
    def cancel_called(self) -> bool:
        return self._cancel_called

    @property
    def deadline(self) -> float:
        """Absolute time on the kernel's clock at which the scope cancels itself."""
        return self._deadline

    @deadline.setter
    def deadline(self, value: float) -> None:
        if math.isnan(value):
            raise ValueError("a cancel scope deadline cannot be NaN")
        self._deadline = value
        self._deadline_gen += 1
        if self._active and not self._cancel_called and value != math.inf:
            assert self._kernel is not None
            self._kernel._add_deadline(self)

    @property
    def shield(self) -> bool:
        return self._shield

    @shield.setter
    def shield(self, value: bool) -> None:
        was = self._shield
        self._shield = bool(value)
        if was and not value and self._active:
            assert self._kernel is not None
            self._kernel._deliver_cancel(self)

    def _deadline_passed(self, gen: int) -> None:
        if gen == self._deadline_gen and self._active:
            self.cancel()

    def __repr__(self) -> str:
        state = "cancelled" if self._cancel_called else "active" if self._active else "idle"
        return f"<CancelScope {state} deadline={self._deadline} shield={self._shield}>"


class FailAfter(CancelScope):
    """A scope that turns being cancelled into ``TooSlowError`` for the code around it."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        handled = super().__exit__(exc_type, exc, tb)
        if self.cancelled_caught:
            raise TooSlowError("the operation did not finish before its deadline")
        return handled


def move_on_at(deadline: float, *, shield: bool = False) -> CancelScope:
    """A scope that cancels its body at ``deadline``; the code after it carries on."""
    return CancelScope(deadline=deadline, shield=shield)


def move_on_after(seconds: float, *, shield: bool = False) -> CancelScope:
    """A scope that cancels its body after ``seconds``; check ``cancelled_caught`` after."""
    if not seconds >= 0:
        raise ValueError(f"timeouts must be 0 or more seconds, got {seconds!r}")
    return CancelScope(deadline=current_kernel().now() + seconds, shield=shield)


def fail_at(deadline: float, *, shield: bool = False) -> FailAfter:
    """A scope that raises ``TooSlowError`` if its body is still running at ``deadline``."""
    return FailAfter(deadline=deadline, shield=shield)


def fail_after(seconds: float, *, shield: bool = False) -> FailAfter:
    """A scope that raises ``TooSlowError`` if its body takes longer than ``seconds``."""
    if not seconds >= 0:
        raise ValueError(f"timeouts must be 0 or more seconds, got {seconds!r}")
    return FailAfter(deadline=current_kernel().now() + seconds, shield=shield)
