"""Worker threads for blocking code, handing results back to the kernel without polling."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from .task import BLOCKED, Task
from .traps import Setup

Reschedule = Callable[[Task, Any, "BaseException | None"], None]


class WorkerThreads:
    """A thread pool whose workers wake the kernel (through ``wake``) when they finish."""

    def __init__(self, wake: Callable[[], None], max_threads: int | None = None) -> None:
        self._wake = wake
        self._max_threads = max_threads
        self._executor: ThreadPoolExecutor | None = None
        self.pending = 0  # calls started and not yet handed back
        self._done: deque[tuple[Task, int, Future[Any]]] = deque()

    def run(self, fn: Callable[..., Any], args: tuple[Any, ...], cancellable: bool) -> Setup:
        """A block-trap setup that runs ``fn(*args)`` in a worker thread."""

        def setup(task: Task) -> Callable[[Task], bool]:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self._max_threads, thread_name_prefix="tiffany-thread"
                )
            gen = task._gen
            future = self._executor.submit(fn, *args)
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

    def deliver(self, reschedule: Reschedule) -> None:
        """Hand finished calls back to their tasks (on the kernel's thread)."""
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
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
