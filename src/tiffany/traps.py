"""The traps: the only points where a task hands control back to the kernel.

A trap is a tiny generator-based coroutine that yields a tuple to the kernel loop, which
reads its code and acts. Everything else in the runtime (sleeping, joining, locks,
channels, I/O, threads) is built from these three: yield, sleep and block.

Every trap is a checkpoint: a task inside a cancelled scope gets ``Cancelled`` at the trap
instead of the trap's effect.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .task import Task

YIELD = 0
SLEEP = 1
BLOCK = 2

_YIELD_TRAP = (YIELD,)

#: Called by the kernel with the blocking task; registers it wherever it waits and returns
#: the abort function: called if the wait is cancelled, it unregisters the task and returns
#: True, or returns False when the wait cannot be abandoned (the task then stays blocked).
Setup = Callable[["Task"], Callable[["Task"], bool]]


@types.coroutine
def yield_now() -> Generator[Any, Any, None]:
    """Let every other ready task of the same or a more urgent priority run first."""
    yield _YIELD_TRAP


@types.coroutine
def sleep(seconds: float) -> Generator[Any, Any, None]:
    """Block the current task for ``seconds`` of the kernel's clock (0 means yield)."""
    if not seconds >= 0:
        raise ValueError(f"sleep needs a duration of 0 or more seconds, got {seconds!r}")
    if seconds == 0:
        yield _YIELD_TRAP
    elif seconds != math.inf:
        yield (SLEEP, seconds, False)
    else:
        yield (BLOCK, "sleep forever", _never_woken)


@types.coroutine
def sleep_until(deadline: float) -> Generator[Any, Any, None]:
    """Block the current task until the kernel's clock reads ``deadline``."""
    if math.isnan(deadline):
        raise ValueError("sleep_until needs a deadline, got NaN")
    if deadline == math.inf:
        yield (BLOCK, "sleep forever", _never_woken)
    else:
        yield (SLEEP, deadline, True)


@types.coroutine
def block(description: str, setup: Setup) -> Generator[Any, Any, Any]:
    """Park the current task until someone reschedules it; returns the value it is given.

    ``description`` is what ``dump_tasks`` shows the task waiting on.
    """
    return (yield (BLOCK, description, setup))


def _abort_always(task: Task) -> bool:
    return True


def _never_woken(task: Task) -> Callable[[Task], bool]:
    return _abort_always
