"""The I/O registry: which task waits on which file descriptor, over one selector.

It also owns the wake-up pipe, the one way other threads and signal handlers can
interrupt the kernel's wait: they write a byte, the selector returns, the kernel drains.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
from collections.abc import Callable
from typing import Any

from .errors import BusyResourceError, ClosedResourceError
from .task import Task
from .traps import Setup

READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE

Reschedule = Callable[[Task, Any, "BaseException | None"], None]


class _Waiters:
    """The two tasks (reader, writer) that may wait on one file descriptor."""

    __slots__ = ("mask", "reader", "writer")

    def __init__(self) -> None:
        self.reader: Task | None = None
        self.writer: Task | None = None
        self.mask = 0  # what the selector is registered for


def _fileno(fileobj: Any) -> int:
    fd: int = fileobj if isinstance(fileobj, int) else fileobj.fileno()
    if fd < 0:
        raise ClosedResourceError("cannot wait on a closed file object")
    return fd


class _Wait:
    """One task's wait on one descriptor: the setup and abort of its block trap."""

    __slots__ = ("events", "fd", "registry")

    def __init__(self, registry: IORegistry, fd: int, events: int) -> None:
        self.registry, self.fd, self.events = registry, fd, events

    def setup(self, task: Task) -> Callable[[Task], bool]:
        self.registry._park(self.fd, self.events, task)
        return self.abort

    def abort(self, task: Task) -> bool:
        self.registry._unpark(self.fd, task)
        return True


class IORegistry:
    """Parks tasks until their descriptors are ready; wakes them from ``poll``."""

    def __init__(self, reschedule: Reschedule, on_wakeup: Callable[[], None]) -> None:
        self._reschedule = reschedule
        self._on_wakeup = on_wakeup
        self._selector = selectors.DefaultSelector()
        self._fds: dict[int, _Waiters] = {}
        self._dirty: dict[int, _Waiters] = {}
        self.waiting = 0  # tasks parked on a descriptor
        self._wake_recv, self._wake_send = socket.socketpair()
        self._wake_recv.setblocking(False)
        self._wake_send.setblocking(False)
        self._selector.register(self._wake_recv, READ, None)

    def wait(self, fileobj: Any, events: int) -> Setup:
        """A block-trap setup that parks a task until ``fileobj`` is ready for ``events``."""
        return _Wait(self, _fileno(fileobj), events).setup

    def _park(self, fd: int, events: int, task: Task) -> None:
        waiters = self._fds.get(fd)
        if waiters is None:
            waiters = self._fds[fd] = _Waiters()
        if events == READ:
            if waiters.reader is not None:
                raise BusyResourceError(f"another task is already reading from fd {fd}")
            waiters.reader = task
        else:
            if waiters.writer is not None:
                raise BusyResourceError(f"another task is already writing to fd {fd}")
            waiters.writer = task
        self.waiting += 1
        self._dirty[fd] = waiters

    def _unpark(self, fd: int, task: Task) -> None:
        waiters = self._fds.get(fd)
        if waiters is not None:
            if waiters.reader is task:
                waiters.reader = None
            if waiters.writer is task:
                waiters.writer = None
            self._dirty[fd] = waiters
        self.waiting -= 1

    def notify_closing(self, fileobj: Any) -> None:
        """Forget ``fileobj`` before it is closed; its waiters get ClosedResourceError."""
        fd = fileobj if isinstance(fileobj, int) else fileobj.fileno()
        waiters = self._fds.pop(fd, None)
        self._dirty.pop(fd, None)
        if waiters is None:
            return
        if waiters.mask:
            self._selector.unregister(fd)
        for task in (waiters.reader, waiters.writer):
            if task is not None:
                self.waiting -= 1
                self._reschedule(task, None, ClosedResourceError(f"fd {fd} was closed"))

    @property
    def wakeup_fd(self) -> int:
        """The descriptor whose write wakes ``poll`` (for ``signal.set_wakeup_fd``)."""
        return self._wake_send.fileno()

    def wake(self) -> None:
        """Interrupt ``poll`` from another thread or a signal handler."""
        # A full pipe means the loop wakes anyway; a closed one means the kernel is gone.
        with contextlib.suppress(OSError):
            self._wake_send.send(b"\0")

    def poll(self, timeout: float | None) -> None:
        """Wait up to ``timeout`` seconds (None: until something happens) and wake the
        tasks whose descriptors are ready."""
        if self._dirty:
            self._sync_selector()
        for key, mask in self._selector.select(timeout):
            waiters = key.data
            if waiters is None:
                self._drain_pipe()
                self._on_wakeup()
                continue
            if mask & READ and waiters.reader is not None:
                task, waiters.reader = waiters.reader, None
                self.waiting -= 1
                self._reschedule(task, None, None)
            if mask & WRITE and waiters.writer is not None:
                task, waiters.writer = waiters.writer, None
                self.waiting -= 1
                self._reschedule(task, None, None)
            self._dirty[key.fd] = waiters

    def _sync_selector(self) -> None:
        """Bring the selector in line with who waits now; unregistering lazily saves
        two system calls per read when a task waits on the same socket again at once."""
        selector = self._selector
        for fd, waiters in self._dirty.items():
            mask = (READ if waiters.reader else 0) | (WRITE if waiters.writer else 0)
            if mask == waiters.mask:
                continue
            if not mask:
                selector.unregister(fd)
                del self._fds[fd]
            elif not waiters.mask:
                selector.register(fd, mask, waiters)
            else:
                selector.modify(fd, mask, waiters)
            waiters.mask = mask
        self._dirty.clear()

    def _drain_pipe(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while self._wake_recv.recv(4096):
                pass

    def close(self) -> None:
        self._selector.close()
        self._wake_recv.close()
        self._wake_send.close()
