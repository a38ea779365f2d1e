"""The daemon's log of task events: a ring of recent events and live followers.

``GET /logs`` reads the ring; ``GET /logs?follow=1`` then keeps the connection open and
streams each new event. A follower that reads slower than events arrive must never slow
the daemon down or grow its memory without bound, so each follower has a bounded queue;
what overflows is dropped and the follower is told how many it missed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from ..sync import Event

#: Events kept for readers who arrive later.
HISTORY = 1000

#: Events a follower may fall behind by before the oldest are dropped for it.
FOLLOWER_BACKLOG = 1000


class Follower:
    """One reader of the live stream; ``await next_batch()`` until it returns None."""

    def __init__(self, log: EventLog, backlog: int) -> None:
        self._log = log
        self._queue: deque[dict[str, Any]] = deque()
        self._backlog = backlog
        self._ready = Event()
        self.dropped = 0
        self.closed = False

    def push(self, record: dict[str, Any]) -> None:
        if len(self._queue) >= self._backlog:
            self._queue.popleft()
            self.dropped += 1
        self._queue.append(record)
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def next_batch(self) -> list[dict[str, Any]] | None:
        """The events that arrived since the last call (waiting for one); None once closed.

        A batch that follows a loss starts with ``{"event": "dropped", "count": n}``.
        """
        while not self._queue and not self.closed:
            self._ready.clear()
            await self._ready.wait()
        if not self._queue:
            return None
        batch: list[dict[str, Any]] = []
        if self.dropped:
            batch.append({"event": "dropped", "count": self.dropped})
            self.dropped = 0
        batch.extend(self._queue)
        self._queue.clear()
        return batch

    def detach(self) -> None:
        self._log._detach(self)


class EventLog:
    """Publishes events to the ring and to every follower; never blocks a publisher."""

    def __init__(
        self,
        history: int = HISTORY,
        backlog: int = FOLLOWER_BACKLOG,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._ring: deque[dict[str, Any]] = deque(maxlen=history)
        self._followers: set[Follower] = set()
        self._backlog = backlog
        self._wall = wall
        self._seq = 0
        self._closed = False
        self._all_gone = Event()
        self._all_gone.set()

    @property
    def last_seq(self) -> int:
        return self._seq

    @property
    def followers(self) -> int:
        return len(self._followers)

    def publish(self, event: str, **fields: Any) -> dict[str, Any]:
        """Record ``event`` with a sequence number and wall-clock time; hand it to followers."""
        self._seq += 1
        record: dict[str, Any] = {"seq": self._seq, "time": self._wall(), "event": event}
        record.update(fields)
        self._ring.append(record)
        for follower in self._followers:
            follower.push(record)
        return record

    def recent(self, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Events in the ring with ``seq > since``, oldest first, at most the last ``limit``."""
        records = [r for r in self._ring if r["seq"] > since]
        return records[-limit:] if limit else records

    def follow(self, since: int | None = None) -> Follower:
        """A new follower; with ``since``, the ring's events after it come first."""
        follower = Follower(self, self._backlog)
        if since is not None:
            for record in self.recent(since):
                follower.push(record)
        if self._closed:
            follower.close()
        else:
            self._followers.add(follower)
            self._all_gone.clear()
        return follower

    def _detach(self, follower: Follower) -> None:
        self._followers.discard(follower)
        if not self._followers:
            self._all_gone.set()

    def close(self) -> None:
        """End every stream (the daemon is stopping): followers drain, then get None."""
        self._closed = True
        for follower in list(self._followers):
            follower.close()

    async def wait_followers_gone(self) -> None:
        await self._all_gone.wait()
