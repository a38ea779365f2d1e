"""Tasks: a coroutine plus what the kernel needs to schedule, cancel and join it."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from enum import Enum
from typing import TYPE_CHECKING, Any

from .cancel import CancelScope
from .errors import Cancelled, TaskCancelled, TaskError, caused_by
from .priority import Priority
from .traps import block

if TYPE_CHECKING:
    from .budget import CpuBudget
    from .kernel import Kernel


class TaskState(Enum):
    """Where a task is in its life; the last three are final."""

    READY = "ready"
    RUNNING = "running"
    BLOCKED = "blocked"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


READY = TaskState.READY
RUNNING = TaskState.RUNNING
BLOCKED = TaskState.BLOCKED
FINISHED = TaskState.FINISHED
FAILED = TaskState.FAILED
CANCELLED = TaskState.CANCELLED


class Task:
    """A coroutine run by the kernel. Users get one from ``spawn``; they never build one."""

    __slots__ = (
        "__weakref__",
        "_abort",
        "_budget",
        "_cancel_reason",
        "_coro",
        "_done",
        "_exception",
        "_exit_callbacks",
        "_gen",
        "_joiners",
        "_kernel",
        "_name",
        "_next_exc",
        "_next_value",
        "_observed",
        "_priority",
        "_queued",
        "_ready_step",
        "_result",
        "_root_scope",
        "_scope",
        "_state",
        "_waiting_on",
        "id",
        "system",
    )

    def __init__(
        self,
        kernel: Kernel,
        task_id: int,
        coro: Coroutine[Any, Any, Any],
        name: str | None,
        priority: Priority,
        system: bool = False,
    ) -> None:
        self._kernel = kernel
        self.id = task_id
        self._name = name
        self.system = system
        self._coro = coro
        self._priority = priority
        self._state = READY
        self._queued = False
        self._ready_step = 0  # the kernel's step count when it last became ready
        self._gen = 0  # bumped at every wake-up: stale timers and waits compare it
        self._next_value: Any = None
        self._next_exc: BaseException | None = None
        self._abort: Callable[[Task], bool] | None = None
        self._waiting_on: str | None = None
        self._done = False
        self._result: Any = None
        self._exception: BaseException | None = None
        self._observed = False
        # Allocated on first use: most tasks are never joined by many nor watched, and
        # fewer containers per task means cheaper garbage collection with many tasks.
        self._joiners: list[Task] | None = None
        self._exit_callbacks: list[Callable[[Task], None]] | None = None
        self._budget: CpuBudget | None = None
        self._cancel_reason: BaseException | None = None  # why the kernel cancelled it
        # The root scope is made on first need (a cancel, or a task-group parent): most
        # tasks are never cancelled, and a scope per spawn is measurable.
        self._root_scope: CancelScope | None = None
        self._scope: CancelScope | None = None  # innermost active scope

    # -- what users read ---------------------------------------------------------------
    @property
    def name(self) -> str:
        """The name given to ``spawn``, else the coroutine's qualified name."""
        if self._name is None:
            self._name = getattr(self._coro, "__qualname__", "task")
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    @property
    def state(self) -> TaskState:
        return self._state

    @property
    def done(self) -> bool:
        return self._done

    @property
    def cancelled(self) -> bool:
        return self._state is CANCELLED

    @property
    def waiting_on(self) -> str | None:
        """What a blocked task waits for (``"sleep"``, ``"join"``, ``"recv"``...)."""
        return self._waiting_on if self._state is BLOCKED else None

    @property
    def coro(self) -> Coroutine[Any, Any, Any]:
        return self._coro

    @property
    def result(self) -> Any:
        """The return value of a finished task; raises like ``join`` otherwise."""
        self._observed = True
        return self._outcome()

    @property
    def exception(self) -> BaseException | None:
        """The exception a failed or cancelled task ended with, else None."""
        if self._exception is not None:
            self._observed = True
        return self._exception

    @property
    def priority(self) -> Priority:
        return self._priority

    @priority.setter
    def priority(self, value: Priority) -> None:
        self._kernel._reprioritise(self, Priority(value))

    # -- what users await --------------------------------------------------------------
    async def join(self) -> Any:
        """Wait for the task to end; return its result or raise ``TaskError`` from its error."""
        if self._kernel._current is self:
            raise RuntimeError(f"task {self.name!r} cannot join itself")
        if not self._done:
            await block("join", self._add_joiner)
        self._observed = True
        return self._outcome()

    async def wait(self) -> None:
        """Wait for the task to end, whatever its outcome, without raising it."""
        if not self._done:
            await block("join", self._add_joiner)

    async def cancel(self, *, wait: bool = True) -> None:
        """Cancel the task; unless ``wait`` is false, wait until it has exited."""
        if self._done:
            return
        self._request_cancel()
        if wait and self._kernel._current is not self:
            await self.wait()
            if self._state is CANCELLED:
                self._observed = True

    # -- kernel side -------------------------------------------------------------------
    def _outcome(self) -> Any:
        if self._state is FINISHED:
            return self._result
        if self._state is CANCELLED:
            raise caused_by(TaskCancelled(f"task {self.name!r} was cancelled"), self._exception)
        if self._state is FAILED:
            raise caused_by(TaskError(f"task {self.name!r} failed"), self._exception)
        raise RuntimeError(f"task {self.name!r} has not finished (state {self._state.value})")

    def _request_cancel(self) -> None:
        """Cancel the task's root scope, creating it (around its open scopes) if needed."""
        root = self._root_scope
        if root is None:
            root = self._root_scope = CancelScope._for_task(self._kernel, self, None)
            outermost = self._scope
            if outermost is None:
                self._scope = root
            else:
                while outermost._parent is not None:
                    outermost = outermost._parent
                outermost._parent = root
                root._children = {outermost: None}
        root.cancel()

    def _add_joiner(self, joiner: Task) -> Callable[[Task], bool]:
        if self._joiners is None:
            self._joiners = [joiner]
        else:
            self._joiners.append(joiner)
        return self._remove_joiner

    def _remove_joiner(self, joiner: Task) -> bool:
        assert self._joiners is not None
        self._joiners.remove(joiner)
        return True

    def _on_exit(self, callback: Callable[[Task], None]) -> None:
        """Call ``callback(task)`` when the task ends, before instruments hear of it."""
        if self._exit_callbacks is None:
            self._exit_callbacks = [callback]
        else:
            self._exit_callbacks.append(callback)

    def _finish(self, result: Any, exc: BaseException | None) -> None:
        self._done = True
        self._abort = None
        self._waiting_on = None
        if exc is None:
            self._state = FINISHED
            self._result = result
        elif isinstance(exc, Cancelled):
            self._state = CANCELLED
            self._exception = self._cancel_reason or exc
        else:
            self._state = FAILED
            self._exception = exc

    def __repr__(self) -> str:
        return f"<Task {self.id} {self.name!r} {self._state.value} {self._priority.name}>"
