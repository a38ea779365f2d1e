"""Worker threads for blocking code, handing results back to the kernel without polling.

The same wake-up brings in calls other threads make into the kernel (``entry.py``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from .entry import WORKER, EntryQueue
from .task import BLOCKED, Task
from .traps import Setup

Reschedule = Callable[[Task, Any, "BaseException | None"], None]


class WorkerThreads:
    """A thread pool whose workers wake the kernel (through ``wake``) when they finish."""

    def __init__(self, wake: Callable[[], None], max_threads: int | None = None) -> None:
        self._wake = wake
        self._max_threads = max_threads
        self._executor: ThreadPoolExecutor | None = None
        self.pending = 0  # calls started and not yet handed back, plus open portals
        self._done: deque[tuple[Task, int, Future[Any]]] = deque()
        #: Calls other threads make into the kernel; started by ``deliver``.
        self.entries = EntryQueue(wake)

    def run(self, fn: Callable[..., Any], args: tuple[Any, ...], cancellable: bool) -> Setup:
        """A block-trap setup that runs ``fn(*args)`` in a worker thread."""

        def setup(task: Task) -> Callable[[Task], bool]:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self._max_threads, thread_name_prefix="tiffany-thread"
                )
            gen = task._gen
            future = self._executor.submit(_in_worker, task, fn, args)
            self.pending += 1
            future.add_done_callback(lambda f: self._finished(task, gen, f))
            return abort

        def abort(task: Task) -> bool:
            return cancellable  # a thread cannot be stopped; only its caller can walk away

        return setup

    def _finished(self, task: Task, gen: int, future: Future[Any]) -> None:
        # Runs in the worker thread: touch nothing but the deque and the wake-up pipe.
        self._done.append((task, gen, future))
        self._wake()

    @contextmanager
    def accepting_calls(self) -> Iterator[None]:
        """While open, other threads may call in at any time: an idle kernel waits for
        them (on its selector) rather than report a deadlock."""
        self.pending += 1
        try:
            yield
        finally:
            self.pending -= 1

    def deliver(self, reschedule: Reschedule) -> None:
        """Hand finished calls back to their tasks and start the calls other threads
        queued (on the kernel's thread)."""
        self.entries.start_pending()
        done = self._done
        while done:
            task, gen, future = done.popleft()
            self.pending -= 1
            if task._gen != gen or task._state is not BLOCKED:
                continue  # the task was cancelled and walked away
            error = future.exception()
            if error is None:
                reschedule(task, future.result(), None)
            else:
                reschedule(task, None, error)

    def close(self) -> None:
        self.entries.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _in_worker(task: Task, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """Run ``fn(*args)`` with ``task`` known to ``tiffany.from_thread`` in this thread."""
    WORKER.task = task
    try:
        return fn(*args)
    finally:
        WORKER.task = None
