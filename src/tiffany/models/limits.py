"""Rate limits as backpressure: a caller over the limit waits its turn instead of failing.

Requests per minute and tokens per minute are token buckets that refill continuously and
hold at most one minute's allowance (so a quiet minute allows a burst of that size);
concurrent calls are a counter. Waiting callers form one queue ordered by task priority,
then arrival: only the head of the queue may take capacity, so an urgent caller that
arrives late still goes next, and a large request is not starved by a stream of small ones.

Token use is not known until a call returns, so a caller reserves an estimate and the
permit settles the difference on release; an underestimate shows up as debt that delays
the next callers, which is what the provider would have done with 429s.
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass, field
from types import TracebackType

import tiffany

_EPSILON = 1e-9


@dataclass(frozen=True)
class RateLimits:
    """Limits of one endpoint; ``None`` means unlimited."""

    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    max_concurrent: int | None = None

    def __post_init__(self) -> None:
        for name in ("requests_per_minute", "tokens_per_minute", "max_concurrent"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive (or None for no limit), got {value}")

    @property
    def unlimited(self) -> bool:
        return (
            self.requests_per_minute is None
            and self.tokens_per_minute is None
            and self.max_concurrent is None
        )


class _Bucket:
    def __init__(self, per_minute: float, now: float) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.level = self.capacity
        self.stamp = now

    def refill(self, now: float) -> None:
        if now > self.stamp:
            self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self, amount: float) -> float:
        # A request above one minute's worth waits for a full bucket, not forever.
        need = min(amount, self.capacity)
        if self.level + _EPSILON >= need:
            return 0.0
        return (need - self.level) / self.rate


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    tokens: int = field(compare=False)
    event: tiffany.Event = field(compare=False, default_factory=tiffany.Event)


class Permit:
    """Capacity held by one call; release it (or use ``async with``) when the call ends."""

    def __init__(self, limiter: RateLimiter, tokens: int) -> None:
        self._limiter = limiter
        self.tokens = tokens
        self._released = False

    def release(self, actual_tokens: int | None = None) -> None:
        """Give back the concurrency slot and settle the token estimate against the truth."""
        if self._released:
            return
        self._released = True
        self._limiter._release(self.tokens, actual_tokens)

    async def __aenter__(self) -> Permit:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class RateLimiter:
    """Admits calls within :class:`RateLimits`; share one instance per endpoint and key."""

    def __init__(self, limits: RateLimits | None = None) -> None:
        self.limits = limits or RateLimits()
        self._requests: _Bucket | None = None
        self._tokens: _Bucket | None = None
        self._active = 0
        self._queue: list[_Waiter] = []
        self._seq = itertools.count()
        self._paused_until = -math.inf

    @property
    def active(self) -> int:
        """Calls holding a permit now."""
        return self._active

    @property
    def waiting(self) -> int:
        """Callers queued for capacity now."""
        return len(self._queue)

    def _refill(self) -> None:
        now = tiffany.current_time()
        limits = self.limits
        if limits.requests_per_minute is not None:
            if self._requests is None:
                self._requests = _Bucket(limits.requests_per_minute, now)
            self._requests.refill(now)
        if limits.tokens_per_minute is not None:
            if self._tokens is None:
                self._tokens = _Bucket(limits.tokens_per_minute, now)
            self._tokens.refill(now)

    def pause(self, seconds: float) -> None:
        """Admit nobody for ``seconds``: the server said so (a 429 with ``Retry-After``).

        One caller's rate-limit answer applies to every caller of the endpoint, so they
        queue here instead of each collecting its own 429.
        """
        self._paused_until = max(self._paused_until, tiffany.current_time() + seconds)

    def _wait_time(self, tokens: int) -> float:
        """Seconds until a call of ``tokens`` fits (inf while concurrency is full)."""
        limit = self.limits.max_concurrent
        if limit is not None and self._active >= limit:
            return math.inf
        self._refill()
        wait = max(0.0, self._paused_until - tiffany.current_time())
        if self._requests is not None:
            wait = max(wait, self._requests.wait(1))
        if self._tokens is not None:
            wait = max(wait, self._tokens.wait(tokens))
        return wait

    def _take(self, tokens: int) -> None:
        self._active += 1
        if self._requests is not None:
            self._requests.level -= 1
        if self._tokens is not None:
            self._tokens.level -= min(tokens, self._tokens.capacity)

    def _wake_head(self) -> None:
        if self._queue:
            self._queue[0].event.set()

    async def acquire(self, tokens: int = 0, priority: int | None = None) -> Permit:
        """Wait until the call may go; priority defaults to the calling task's."""
        if self.limits.unlimited and self._paused_until <= tiffany.current_time():
            self._active += 1
            return Permit(self, tokens)
        if priority is None:
            priority = int(tiffany.current_task().priority)
        waiter = _Waiter(priority, next(self._seq), tokens)
        heapq.heappush(self._queue, waiter)
        try:
            while True:
                wait = self._wait_time(tokens) if self._queue[0] is waiter else math.inf
                if wait <= _EPSILON:
                    heapq.heappop(self._queue)
                    self._take(tokens)
                    self._wake_head()
                    return Permit(self, tokens)
                waiter.event = tiffany.Event()
                if math.isinf(wait):
                    await waiter.event.wait()
                else:
                    with tiffany.move_on_after(wait):
                        await waiter.event.wait()
        except BaseException:
            if waiter in self._queue:
                self._queue.remove(waiter)
                heapq.heapify(self._queue)
                self._wake_head()
            raise

    def _release(self, estimated: int, actual: int | None) -> None:
        self._active -= 1
        if actual is not None and self._tokens is not None:
            self._tokens.level -= actual - min(estimated, self._tokens.capacity)
        self._wake_head()
