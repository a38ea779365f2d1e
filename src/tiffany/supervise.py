"""Restart policies: a task that fails is run again, within limits, instead of staying dead."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from .runstate import current_kernel
from .traps import sleep

log = logging.getLogger("tiffany.supervise")


@dataclass(frozen=True)
class Restart:
    """Run a failed task again after ``backoff`` (doubling up to ``max_backoff``), at most
    ``max_restarts`` times within any ``within`` seconds; past that, the failure stands."""

    max_restarts: int = 5
    within: float = 60.0
    backoff: float = 0.1
    max_backoff: float = 5.0


async def supervised(
    fn: Callable[..., Coroutine[Any, Any, Any]], args: tuple[Any, ...], policy: Restart, name: str
) -> Any:
    """Call ``fn(*args)`` until it returns, restarting it on failure as ``policy`` allows.

    Cancellation is not a failure: it ends the task at once.
    """
    restarts: deque[float] = deque()
    delay = policy.backoff
    while True:
        try:
            return await fn(*args)
        except Exception as error:
            kernel = current_kernel()
            now = kernel.now()
            while restarts and restarts[0] <= now - policy.within:
                restarts.popleft()
            if len(restarts) >= policy.max_restarts:
                log.error(
                    "task %r failed %d times within %.0f s; giving up",
                    name,
                    len(restarts) + 1,
                    policy.within,
                )
                raise
            restarts.append(now)
            log.warning(
                "task %r failed (%s: %s); restarting in %.2f s",
                name,
                type(error).__name__,
                error,
                delay,
            )
            kernel.emit(
                "task.restart",
                {
                    "name": name,
                    "error": f"{type(error).__name__}: {error}",
                    "attempt": len(restarts),
                },
            )
            await sleep(delay)
            delay = min(delay * 2, policy.max_backoff)
