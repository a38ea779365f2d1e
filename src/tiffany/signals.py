"""Receiving Unix signals as an async stream, inside the kernel's own loop."""

from __future__ import annotations

import signal
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def open_signal_receiver(*signums: int | signal.Signals) -> Iterator[SignalReceiver]:
    """Catch ``signums`` while the block runs (instead of their usual effect).

    Must run in the main thread, as Python only handles signals there.
    """
    if not signums:
        raise ValueError("name at least one signal to receive")
    kernel = current_kernel()
    receiver = SignalReceiver()
    numbers = [int(s) for s in signums]
    kernel._install_signal_handlers(numbers)
    for number in numbers:
        kernel._signal_receivers.setdefault(number, []).append(receiver)
    try:
        yield receiver
    finally:
        for number in numbers:
            receivers = kernel._signal_receivers[number]
            receivers.remove(receiver)
            if not receivers:
                del kernel._signal_receivers[number]
                kernel._release_signal(number)
