"""Unix signals, handled inside the kernel's loop: routed to receivers or to shutdown."""

from __future__ import annotations

import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from .runstate import current_kernel
from .waitqueue import WaitQueue


class SignalReceiver:
    """Signals caught while the receiver is open, in arrival order; ``async for`` them."""

    def __init__(self) -> None:
        self._pending: deque[int] = deque()
        self._waiters = WaitQueue()

    def _deliver(self, signum: int) -> None:
        if self._waiters:
            self._waiters.wake_one(signum)
        else:
            self._pending.append(signum)

    async def receive(self) -> int:
        """The next signal number, waiting for one if none is pending."""
        if self._pending:
            return self._pending.popleft()
        signum: int = await self._waiters.park("signal")
        return signum

    def __aiter__(self) -> SignalReceiver:
        return self

    async def __anext__(self) -> int:
        return await self.receive()


class SignalRouter:
    """Installs Python signal handlers that only note the signal and wake the loop; the
    loop then routes each signal to its receivers, or to ``unrouted`` when it has none."""

    def __init__(
        self,
        wake: Callable[[], None],
        unrouted: Callable[[int], None],
        wakeup_fd: int | None = None,
    ) -> None:
        self._wake = wake
        self._unrouted = unrouted
        self._wakeup_fd = wakeup_fd
        self._saved_wakeup_fd: int | None = None
        self.pending: deque[int] = deque()
        self.receivers: dict[int, list[SignalReceiver]] = {}
        self._saved: dict[int, Any] = {}

    def install(self, signums: Iterable[int]) -> None:
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("signals can only be handled by a kernel in the main thread")
        if self._wakeup_fd is not None and self._saved_wakeup_fd is None:
            # A signal may be delivered to any thread; Python then runs the handler in the
            # main thread only once it executes bytecode again, which it does not while it
            # waits in select() with no timeout. The C-level handler writes to this fd,
            # which wakes that select, so the handler runs at once.
            self._saved_wakeup_fd = signal.set_wakeup_fd(self._wakeup_fd, warn_on_full_buffer=False)
        for signum in signums:
            if signum not in self._saved:
                self._saved[signum] = signal.signal(signum, self._on_signal)

    def release(self, signum: int) -> None:
        """Give ``signum`` back to the handler it had before ``install``."""
        if signum in self._saved:
            signal.signal(signum, self._saved.pop(signum))

    def restore_all(self) -> None:
        for signum in list(self._saved):
            self.release(signum)
        if self._saved_wakeup_fd is not None:
            signal.set_wakeup_fd(self._saved_wakeup_fd)
            self._saved_wakeup_fd = None

    def _on_signal(self, signum: int, frame: Any) -> None:
        # Runs between two bytecodes of whatever the main thread was doing: only note
        # the signal and wake the loop, which acts on it when its state is consistent.
        self.pending.append(signum)
        self._wake()

    def deliver(self) -> None:
        while self.pending:
            signum = self.pending.popleft()
            receivers = self.receivers.get(signum)
            if receivers:
                for receiver in receivers:
                    receiver._deliver(signum)
            else:
                self._unrouted(signum)


@contextmanager
def open_signal_receiver(*signums: int | signal.Signals) -> Iterator[SignalReceiver]:
    """Catch ``signums`` while the block runs (instead of their usual effect).

    Must run in the main thread, as Python only handles signals there.
    """
    if not signums:
        raise ValueError("name at least one signal to receive")
    kernel = current_kernel()
    router = kernel.signals
    receiver = SignalReceiver()
    numbers = [int(s) for s in signums]
    router.install(numbers)
    for number in numbers:
        router.receivers.setdefault(number, []).append(receiver)
    try:
        yield receiver
    finally:
        for number in numbers:
            receivers = router.receivers[number]
            receivers.remove(receiver)
            if not receivers:
                del router.receivers[number]
                if not kernel._wants_signal(number):
                    router.release(number)
