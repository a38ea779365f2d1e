"""A bounded channel between tasks; a full channel makes senders wait (backpressure)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from .errors import ClosedChannelError, EndOfChannel, WouldBlock
from .task import Task
from .traps import block, yield_now
from .turns import turn_used_up

T = TypeVar("T")


class Channel(Generic[T]):
    """A FIFO of items with room for ``maxsize`` (0: every send meets a receiver).

    ``send`` waits while the channel is full; ``recv`` waits while it is empty. An item
    is handed straight from sender to a waiting receiver without touching the buffer.
    ``close()`` ends it: senders get ``ClosedChannelError``, receivers drain what is
    buffered and then get ``EndOfChannel``, and ``async for`` stops.
    """

    def __init__(self, maxsize: int = 0) -> None:
        if maxsize < 0:
            raise ValueError(f"a channel's maxsize is 0 or more, got {maxsize}")
        self.maxsize = maxsize
        self._buffer: deque[T] = deque()
        self._receivers: deque[Task] = deque()
        self._senders: deque[tuple[Task, T]] = deque()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def qsize(self) -> int:
        """Items buffered and not yet received."""
        return len(self._buffer)

    def __len__(self) -> int:
        return len(self._buffer)

    # -- sending ----------------------------------------------------------------------
    def _offer(self, item: T) -> bool:
        """Deliver or buffer ``item`` if that needs no wait; say whether it did."""
        if self._closed:
            raise ClosedChannelError("send on a closed channel")
        if self._receivers:
            receiver = self._receivers.popleft()
            receiver._kernel.reschedule(receiver, item)
            return True
        if len(self._buffer) < self.maxsize:
            self._buffer.append(item)
            return True
        return False

    def send_nowait(self, item: T) -> None:
        """Send without waiting, or raise ``WouldBlock`` when that would mean waiting."""
        if not self._offer(item):
            raise WouldBlock("the channel is full")

    async def send(self, item: T) -> None:
        """Send ``item``, waiting while the channel is full."""
        if self._offer(item):
            if turn_used_up():
                await yield_now()
        else:
            await block("channel send", self._park_sender(item))

    def _park_sender(self, item: T) -> Callable[[Task], Callable[[Task], bool]]:
        def setup(task: Task) -> Callable[[Task], bool]:
            entry = (task, item)
            self._senders.append(entry)

            def abort(task: Task) -> bool:
                self._senders.remove(entry)
                return True

            return abort

        return setup

    # -- receiving --------------------------------------------------------------------
    def _take(self) -> tuple[bool, T | None]:
        """Take the next item if that needs no wait: (True, item), else (False, None)."""
        if self._buffer:
            item = self._buffer.popleft()
            if self._senders:
                self._admit_sender()
            return True, item
        if self._senders:
            task, item = self._senders.popleft()
            task._kernel.reschedule(task)
            return True, item
        if self._closed:
            raise EndOfChannel("the channel is closed and drained")
        return False, None

    def recv_nowait(self) -> T:
        """Receive without waiting, or raise ``WouldBlock`` (``EndOfChannel`` when closed)."""
        taken, item = self._take()
        if not taken:
            raise WouldBlock("the channel is empty")
        return item  # type: ignore[return-value]

    async def recv(self) -> T:
        """Receive the next item, waiting while the channel is empty."""
        taken, item = self._take()
        if taken:
            if turn_used_up():
                await yield_now()
            return item  # type: ignore[return-value]
        received: T = await block("channel recv", self._park_receiver)
        return received

    def _admit_sender(self) -> None:
        """A buffer slot came free: move the longest-waiting sender's item into it."""
        task, item = self._senders.popleft()
        self._buffer.append(item)
        task._kernel.reschedule(task)

    def _park_receiver(self, task: Task) -> Callable[[Task], bool]:
        self._receivers.append(task)
        return self._unpark_receiver

    def _unpark_receiver(self, task: Task) -> bool:
        self._receivers.remove(task)
        return True

    # -- closing ----------------------------------------------------------------------
    def close(self) -> None:
        """No more sends; waiting senders fail, receivers drain the buffer then stop."""
        if self._closed:
            return
        self._closed = True
        while self._receivers:
            task = self._receivers.popleft()
            task._kernel.reschedule(task, exc=EndOfChannel("the channel was closed"))
        while self._senders:
            task, _ = self._senders.popleft()
            task._kernel.reschedule(task, exc=ClosedChannelError("the channel was closed"))

    def __aiter__(self) -> Channel[T]:
        return self

    async def __anext__(self) -> T:
        try:
            return await self.recv()
        except EndOfChannel:
            raise StopAsyncIteration from None

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Channel {state} {len(self._buffer)}/{self.maxsize}>"
