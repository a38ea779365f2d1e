"""When and how long to wait before calling a model again.

The SDKs' own retries are switched off (``max_retries=0``) so that this policy is the only
one: it sleeps on the kernel clock (virtual in tests), is visible to instruments, and is
bounded. A ``Retry-After`` from the server wins over the computed backoff because the
server knows when its window reopens; one longer than ``max_retry_after`` makes the call
fail at once instead of stalling an agent for minutes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .errors import ProviderError


@dataclass(frozen=True)
class RetryPolicy:
    """Jittered exponential backoff with a bounded number of attempts.

    Attempt ``n`` (1-based) that failed waits ``min(max_delay, base_delay * multiplier **
    (n - 1))``, reduced by up to ``jitter`` of itself at random so that many callers that
    failed together do not come back together.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.5
    max_retry_after: float = 120.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"jitter is a fraction between 0 and 1, got {self.jitter}")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("retry delays cannot be negative")

    def backoff(self, attempt: int) -> float:
        delay = min(self.max_delay, self.base_delay * self.multiplier ** (attempt - 1))
        return delay * (1.0 - self.jitter * self.rng.random())

    def delay(self, attempt: int, error: BaseException) -> float | None:
        """Seconds to wait before the next attempt, or None if the error must be raised."""
        if attempt >= self.max_attempts:
            return None
        if not isinstance(error, ProviderError) or not error.retryable:
            return None
        if error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            return max(0.0, error.retry_after)
        return self.backoff(attempt)


NO_RETRY = RetryPolicy(max_attempts=1)


def parse_retry_after(headers: object) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (delta-seconds or HTTP date)."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    millis = get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000.0
        except ValueError:
            pass
    value = get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils
    import time

    try:
        when = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
