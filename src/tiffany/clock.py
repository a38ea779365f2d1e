"""Clocks the kernel reads time from.

The kernel only ever asks a clock for ``now()``; whether time passes by itself (the
monotonic clock) or only when the kernel lets it (the virtual clock) is the clock's
business. That is what makes timeouts testable without sleeping.
"""

from __future__ import annotations

import math
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """What the kernel needs from a clock."""

    def now(self) -> float: ...


class MonotonicClock:
    """Real time from ``time.monotonic``; the default."""

    now = staticmethod(time.monotonic)


class VirtualClock:
    """Time that stands still while any task can run.

    With ``autojump`` the kernel moves this clock straight to the next deadline whenever
    every task is blocked and no I/O or thread work is pending, so a program that sleeps
    an hour finishes at once and, run twice, produces the same sequence of events.
    Without it, time moves only through :meth:`advance`.
    """

    def __init__(self, start: float = 0.0, autojump: bool = True) -> None:
        if not math.isfinite(start):
            raise ValueError(f"VirtualClock start must be a finite number, got {start!r}")
        self._now = float(start)
        self.autojump = autojump

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward; timers that fall due fire at the kernel's next pass."""
        if not seconds >= 0:
            raise ValueError(f"time cannot move backwards (advance by {seconds!r})")
        self._now += seconds

    def jump_to(self, when: float) -> None:
        """Move time forward to ``when`` if it lies ahead; the kernel uses it to autojump."""
        if when > self._now:
            self._now = when

    def __repr__(self) -> str:
        return f"VirtualClock(now={self._now!r}, autojump={self.autojump!r})"
