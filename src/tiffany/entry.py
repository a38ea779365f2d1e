"""Calls from other threads into a running kernel, as trio's entry queue does it.

A thread hands the kernel a :class:`ThreadCall` through the kernel's :class:`EntryQueue`
and writes one byte to the kernel's wake-up pipe; the kernel, woken, starts the queued
calls on its own thread in the order they came. An async call becomes a task whose end
settles a :class:`concurrent.futures.Future` the thread waits on; a sync call runs at once.
Nothing polls: a thread that waits blocks on its future, the kernel on its selector.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from .cancel import CancelScope
from .task import FINISHED, Task

if TYPE_CHECKING:
    from .kernel import Kernel

STOPPED = (
    "the tiffany kernel this call was meant for has stopped: call into a kernel only while it runs"
)


class _Worker(threading.local):
    """The task whose ``to_thread`` call this worker thread is running, if any."""

    task: Task | None = None


#: Set by the worker threads of ``to_thread``, read by ``tiffany.from_thread``.
WORKER = _Worker()


class ThreadCall:
    """``fn(*args)`` asked for by another thread, and the future that thread waits on.

    An async ``fn`` runs as a task of the kernel: ``cancel`` cancels that task and the
    future then ends cancelled, once the task has exited (its ``finally`` blocks done).
    With a ``parent`` task (the one whose ``to_thread`` thread asked) the call's task
    lives inside the parent's cancel scope, so cancelling the parent cancels it too. A
    ``system`` call's task is a system task: it runs while the kernel drains at shutdown.
    """

    def __init__(
        self,
        kernel: Kernel,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        *,
        is_async: bool,
        parent: Task | None = None,
        system: bool = False,
    ) -> None:
        self.kernel = kernel
        self.fn, self.args, self.is_async, self.parent = fn, args, is_async, parent
        self.system = system
        self.future: Future[Any] = Future()
        self.task: Task | None = None
        self._cancel_requested = False

    def start(self) -> None:
        """Run a sync call or spawn the task of an async one (on the kernel's thread)."""
        if not self.is_async:
            try:
                result = self.fn(*self.args)
            except BaseException as error:
                self.future.set_exception(error)
            else:
                self.future.set_result(result)
            return
        try:
            self.task = self.kernel.spawn_task(
                self.fn,
                self.args,
                name=_name_of(self.fn),
                parent_scope=self._parent_scope(),
                system=self.system,
            )
        except BaseException as error:
            self.future.set_exception(error)
            return
        self.task._on_exit(self._task_ended)  # also marks its failure as seen
        if self._cancel_requested:
            self.task._request_cancel()

    def cancel_in_kernel(self) -> None:
        """Cancel the call's task (on the kernel's thread); a no-op once it has ended."""
        if self.task is None:
            self._cancel_requested = True  # not started yet: cancel it as it starts
        elif not self.task.done:
            self.task._request_cancel()

    def refuse(self, error: BaseException) -> None:
        """The kernel stopped before this call started."""
        if not self.future.done():
            self.future.set_exception(error)

    def _parent_scope(self) -> CancelScope | None:
        parent = self.parent
        if parent is None:
            return None
        if parent._scope is None:  # no scope opened yet: give it its root scope now
            parent._root_scope = parent._scope = CancelScope._for_task(self.kernel, parent, None)
        return parent._scope

    def _task_ended(self, task: Task) -> None:
        if task.state is FINISHED:
            self.future.set_result(task._result)
        elif task.cancelled:
            self.future.cancel()
        else:
            assert task._exception is not None
            self.future.set_exception(task._exception)


def _name_of(fn: Callable[..., Any]) -> str:
    return f"from_thread:{getattr(fn, '__qualname__', 'call')}"


class EntryQueue:
    """Calls handed in by other threads, started by the kernel in arrival order."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake
        self._lock = threading.Lock()
        self._calls: deque[ThreadCall] = deque()
        self._closed = False

    def submit(self, call: ThreadCall) -> None:
        """Queue ``call`` and wake the kernel (from any thread)."""
        with self._lock:
            if self._closed:
                raise RuntimeError(STOPPED)
            self._calls.append(call)
        self._wake()

    def start_pending(self) -> None:
        """Start every queued call (on the kernel's thread, when the wake-up pipe fired)."""
        calls = self._calls
        while calls:
            calls.popleft().start()

    def close(self) -> None:
        """Refuse what is still queued and everything submitted from now on."""
        with self._lock:
            self._closed = True
            left = list(self._calls)
            self._calls.clear()
        for call in left:
            call.refuse(RuntimeError(STOPPED))
