"""Task groups: structured concurrency, where no child outlives the block that started it."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from .budget import CpuBudget
from .cancel import CancelScope
from .errors import Cancelled, caused_by
from .kernel import CoroutineFunction, Kernel
from .priority import Priority
from .runstate import current_kernel
from .task import Task
from .traps import block


class TaskGroup:
    """Run child tasks inside an ``async with`` block and wait for all of them at its end.

    The first child that fails cancels its siblings and the body; the group then raises
    an ``ExceptionGroup`` of every failure (the body's own exception first). Cancelling
    the code around the group cancels the children, which exit before the block does.
    """

    def __init__(self, *, budget: CpuBudget | None = None) -> None:
        self.cancel_scope = CancelScope()
        self.budget = budget  # shared by every child
        self._kernel: Kernel | None = None
        self._children: dict[Task, None] = {}
        self._errors: list[BaseException] = []
        self._waiter: Task | None = None
        self._closed = False

    async def __aenter__(self) -> TaskGroup:
        self._kernel = current_kernel()
        self.cancel_scope.__enter__()
        return self

    async def spawn(
        self,
        fn: CoroutineFunction,
        *args: Any,
        name: str | None = None,
        priority: Priority | int = Priority.NORMAL,
    ) -> Task:
        """Start ``fn(*args)`` as a child of this group."""
        kernel = self._kernel
        if kernel is None or self._closed:
            raise RuntimeError("spawn into a TaskGroup only inside its `async with` block")
        if kernel.admission is not None:
            await kernel.admission.admit(Priority(priority))
        task = kernel.spawn_task(
            fn,
            args,
            name=name,
            priority=priority,
            parent_scope=self.cancel_scope,
            budget=self.budget,
        )
        task._on_exit(self._child_exited)
        self._children[task] = None
        return task

    def cancel(self) -> None:
        """Cancel the body and every child."""
        self.cancel_scope.cancel()

    @property
    def tasks(self) -> list[Task]:
        """The children still running."""
        return list(self._children)

    def _child_exited(self, task: Task) -> None:
        del self._children[task]
        error = task._exception
        if error is not None and not isinstance(error, Cancelled):
            self._errors.append(error)
            self.cancel_scope.cancel()
        if not self._children and self._waiter is not None:
            waiter, self._waiter = self._waiter, None
            assert self._kernel is not None
            self._kernel.reschedule(waiter)

    def _park(self, task: Task) -> Any:
        self._waiter = task
        return self._unpark

    def _unpark(self, task: Task) -> bool:
        self._waiter = None
        return True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc is not None and not isinstance(exc, Cancelled):
            self._errors.insert(0, exc)
            self.cancel_scope.cancel()
        # A Cancelled body needs no cancel here: the children sit inside the same scopes
        # and see that cancellation themselves.
        if self._children:
            # Waiting for the children must not itself be cut short by cancellation:
            # they are cancelled through the scope tree and we wait them out.
            with CancelScope(shield=True):
                while self._children:
                    await block("task group", self._park)
        self._closed = True
        assert self._kernel is not None
        task = self._kernel._current
        cancelled_while_waiting = (
            exc is None and task is not None and self._kernel._cancel_pending(task)
        )
        if cancelled_while_waiting:
            # Cancelled behind the shield: raise it now, for the cancelled scope to catch.
            exc = Cancelled()
        handled = self.cancel_scope.__exit__(type(exc) if exc else None, exc, tb)
        if self._errors:
            errors, self._errors = self._errors, []
            if errors[0] is exc:
                raise caused_by(BaseExceptionGroup("a task group body failed", errors), None)
            raise BaseExceptionGroup("tasks in a task group failed", errors)
        if cancelled_while_waiting and not handled:
            raise Cancelled()
        return handled
