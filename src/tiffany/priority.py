"""Priority levels of tasks: a ready task of a more urgent level runs first."""

from __future__ import annotations

from enum import IntEnum


class Priority(IntEnum):
    """Scheduling levels, most urgent first; the value indexes the kernel's ready queues."""

    CRITICAL = 0
    HIGH = 1
    NORMAL = 2
    LOW = 3
    IDLE = 4


LEVELS = len(Priority)
