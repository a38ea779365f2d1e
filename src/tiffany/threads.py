"""Worker threads for blocking code, handing results back to the kernel without polling.

The same wake-up brings in calls other threads make into the kernel (``entry.py``).

The pool is ours rather than a ``ThreadPoolExecutor`` because of one difference: its
threads are daemons. The executor's workers are joined when the interpreter exits, so a
call whose caller walked away (``to_thread(..., cancellable=True)``, such as a model
request that hangs) would keep a stopped program alive until that call ended. When the
kernel closes, every call a task still waits for has finished (the kernel runs until its
last task is done), so the only threads left running are abandoned ones, which the
process may drop.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from queue import Empty, SimpleQueue
from typing import Any

from .entry import WORKER, EntryQueue
from .task import BLOCKED, Task
from .traps import Setup

Reschedule = Callable[[Task, Any, "BaseException | None"], None]
Job = Callable[[], None]


class WorkerThreads:
    """A thread pool whose workers wake the kernel (through ``wake``) when they finish."""

    def __init__(self, wake: Callable[[], None], max_threads: int | None = None) -> None:
        self._wake = wake
        self._max_threads = max_threads
        self._pool: DaemonPool | None = None
        self.pending = 0  # calls started and not yet handed back, plus open portals
        self._done: deque[tuple[Task, int, Any, BaseException | None]] = deque()
        #: Calls other threads make into the kernel; started by ``deliver``.
        self.entries = EntryQueue(wake)

    def run(self, fn: Callable[..., Any], args: tuple[Any, ...], cancellable: bool) -> Setup:
        """A block-trap setup that runs ``fn(*args)`` in a worker thread."""

        def setup(task: Task) -> Callable[[Task], bool]:
            if self._pool is None:
                self._pool = DaemonPool(self._max_threads, "tiffany-thread")
            gen = task._gen
            self._pool.submit(lambda: self._call(task, gen, fn, args))
            self.pending += 1
            return abort

        def abort(task: Task) -> bool:
            return cancellable  # a thread cannot be stopped; only its caller can walk away

        return setup

    def _call(self, task: Task, gen: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        # Runs in the worker thread: touch nothing but the deque and the wake-up pipe.
        WORKER.task = task  # for tiffany.from_thread
        try:
            outcome: tuple[Any, BaseException | None] = (fn(*args), None)
        except BaseException as error:  # handed to the task, which raises it
            outcome = (None, error)
        finally:
            WORKER.task = None
        self._done.append((task, gen, *outcome))
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
            task, gen, result, error = done.popleft()
            self.pending -= 1
            if task._gen != gen or task._state is not BLOCKED:
                continue  # the task was cancelled and walked away
            reschedule(task, result, error)

    def close(self) -> None:
        self.entries.close()
        if self._pool is not None:
            self._pool.close()
            self._pool = None


class DaemonPool:
    """Up to ``max_threads`` daemon threads (the executor's default bound), started on
    demand and reused while idle."""

    def __init__(self, max_threads: int | None, name: str) -> None:
        self._max = max_threads or min(32, (os.cpu_count() or 1) + 4)
        self._name = name
        self._jobs: SimpleQueue[Job | None] = SimpleQueue()
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._started = 0

    def submit(self, job: Job) -> None:
        self._jobs.put(job)
        if self._idle.acquire(blocking=False):
            return  # an idle worker takes it
        with self._lock:
            if self._started < self._max:
                self._started += 1
                name = f"{self._name}_{self._started}"
                threading.Thread(target=self._work, name=name, daemon=True).start()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            job()
            self._idle.release()

    def close(self) -> None:
        """Drop the calls not yet started and let idle workers end; a worker still in a
        call ends after it."""
        try:
            while True:
                self._jobs.get_nowait()
        except Empty:
            pass
        with self._lock:
            for _ in range(self._started):
                self._jobs.put(None)
