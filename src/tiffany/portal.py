"""Portals: how threads tiffany did not start (a GUI, a web framework's workers, a gRPC
server's pool) call into a kernel, as anyio's blocking portal does.

``with tiffany.start_portal() as portal:`` runs a kernel in a new thread for the block;
``async with tiffany.open_portal() as portal:`` opens one onto the running kernel, to
hand to threads. Either way a call is queued on the kernel's entry queue and wakes it
through its self-pipe (``entry.py``); the calling thread blocks on a future.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import Any, Generic, TypeVar

from .entry import ThreadCall
from .kernel import Kernel
from .runstate import RUNSTATE, current_kernel
from .sync import Event

__all__ = ["Portal", "PortalClosed", "TaskHandle", "open_portal", "start_portal"]

T = TypeVar("T")


class PortalClosed(RuntimeError):
    """A call through a portal that was closed (its ``with`` block has ended)."""


class TaskHandle(Generic[T]):
    """A task started by :meth:`Portal.spawn`, seen from the thread that started it.

    ``result`` raises the task's exception with its traceback, or
    :class:`concurrent.futures.CancelledError` if the task was cancelled.
    """

    def __init__(self, portal: Portal, call: ThreadCall) -> None:
        self._portal = portal
        self._call = call

    def result(self, timeout: float | None = None) -> T:
        """Block until the task ends (at most ``timeout`` seconds: then ``TimeoutError``)."""
        result: T = self._call.future.result(timeout)
        return result

    def done(self) -> bool:
        return self._call.future.done()

    def cancelled(self) -> bool:
        return self._call.future.cancelled()

    def cancel(self) -> bool:
        """Ask the kernel to cancel the task and return at once; False if it had ended.

        ``result`` then raises ``CancelledError`` once the task has exited, after its
        ``finally`` blocks ran (unless it finished before the cancel reached it).
        """
        if self.done():
            return False
        kernel = self._call.kernel
        try:
            kernel.threads.entries.submit(
                ThreadCall(kernel, self._call.cancel_in_kernel, (), is_async=False)
            )
        except RuntimeError:
            return False  # the kernel has stopped, and with it the task
        return True


class Portal:
    """Calls into one kernel from other threads; made by :func:`start_portal` or
    :func:`open_portal`, closed when their block ends."""

    def __init__(self, kernel: Kernel, *, system: bool = False) -> None:
        self._kernel = kernel
        self._system = system
        self._lock = threading.Lock()
        self._closed = False

    def call(self, async_fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        """Run ``await async_fn(*args)`` as a task in the kernel; block for its result.

        Its exception is raised here with its traceback; ``CancelledError`` if the task
        was cancelled (by the kernel's shutdown, say).
        """
        return self.spawn(async_fn, *args).result()

    def call_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the kernel's thread, where it may touch tiffany objects
        (set an :class:`tiffany.Event`, put into a channel); block for its result."""
        result: T = self._submit(fn, args, is_async=False).future.result()
        return result

    def spawn(self, async_fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> TaskHandle[T]:
        """Start ``async_fn(*args)`` as a task in the kernel and return at once.

        Tasks spawned from one thread start in the order they were spawned.
        """
        return TaskHandle(self, self._submit(async_fn, args, is_async=True))

    @property
    def closed(self) -> bool:
        return self._closed

    def _submit(
        self, fn: Callable[..., Any], args: tuple[Any, ...], *, is_async: bool
    ) -> ThreadCall:
        if RUNSTATE.kernel is self._kernel:
            raise RuntimeError(
                "a portal was called from its own kernel's thread, where it would wait for "
                "itself: inside a task, await the function (or call it) directly"
            )
        call = ThreadCall(self._kernel, fn, args, is_async=is_async, system=self._system)
        with self._lock:  # so no call can slip in behind the close
            if self._closed:
                raise PortalClosed(
                    "this portal is closed: its `with` block has ended; call through a "
                    "portal only inside that block"
                )
            self._kernel.threads.entries.submit(call)
        return call

    def _close(self) -> None:
        with self._lock:
            self._closed = True


@contextmanager
def start_portal(
    *, shutdown_grace: float = 10.0, instruments: Iterable[object] = ()
) -> Iterator[Portal]:
    """Run a new kernel in a new thread for the ``with`` block and yield its portal.

    Leaving the block closes the portal (later calls raise :class:`PortalClosed`) and
    shuts the kernel down gracefully: tasks in flight get ``shutdown_grace`` seconds to
    finish, then are cancelled; the block exits once the kernel's thread has ended.
    """
    kernel = Kernel(shutdown_grace=shutdown_grace, instruments=instruments)
    portal = Portal(kernel)
    stop = Event()  # set on the kernel's thread when the block ends
    failure: list[BaseException] = []

    async def serve() -> None:
        with kernel.threads.accepting_calls():
            await stop.wait()
        await kernel.shutdown(reason="portal closed")

    def run_kernel() -> None:
        try:
            kernel.run(serve)
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=run_kernel, name="tiffany-portal", daemon=True)
    thread.start()
    try:
        yield portal
    finally:
        portal._close()
        with suppress(RuntimeError):  # the kernel stopped already: `failure` says why
            kernel.threads.entries.submit(ThreadCall(kernel, stop.set, (), is_async=False))
        thread.join()
    if failure:
        raise failure[0]


@asynccontextmanager
async def open_portal(*, system: bool = False) -> AsyncIterator[Portal]:
    """A portal onto the running kernel for the ``async with`` block, to hand to threads.

    While it is open the kernel waits for their calls rather than report a deadlock.
    Leaving the block closes the portal; calls already made run on as ordinary tasks.
    With ``system``, calls run as system tasks: they keep being served while the kernel
    drains at shutdown and do not hold it up (a server's request handlers, say).
    """
    kernel = current_kernel()
    portal = Portal(kernel, system=system)
    try:
        with kernel.threads.accepting_calls():
            yield portal
    finally:
        portal._close()
