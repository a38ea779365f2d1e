"""Agents the daemon tests host, imported by the daemon as ``daemon_test_agents:<name>``.

Subprocess daemons find this module through PYTHONPATH (see ``conftest.py``).
"""

from __future__ import annotations

import time
from typing import Any

import tiffany


async def echo(**kwargs: Any) -> dict[str, Any]:
    """Return its arguments: the simplest agent that has a result."""
    return kwargs


async def add(a: int, b: int = 0) -> int:
    return a + b


async def sleepy(seconds: float, value: Any = None) -> Any:
    """Sleep on the kernel's clock, then return ``value``."""
    await tiffany.sleep(seconds)
    return value


async def boom(message: str = "boom") -> None:
    await tiffany.sleep(0)
    raise ValueError(message)


_failures: dict[str, int] = {}


async def flaky(key: str, failures: int) -> str:
    """Fail ``failures`` times for ``key``, then succeed (exercises restart policies)."""
    seen = _failures.get(key, 0)
    if seen < failures:
        _failures[key] = seen + 1
        raise RuntimeError(f"failure {seen + 1} of {failures}")
    return f"ok after {failures} failures"


async def spin(steps: int) -> int:
    """Busy: yield in a loop without ever blocking (CPU budget tests)."""
    total = 0
    for i in range(steps):
        total += sum(range(200))
        if i % 10 == 0:
            await tiffany.yield_now()
    return total


async def hog(seconds: float) -> str:
    """Block the whole loop (a bug in an agent): the slow-step detector must report it."""
    await tiffany.sleep(0)
    time.sleep(seconds)
    await tiffany.sleep(0)
    return "done hogging"


async def forever() -> None:
    await tiffany.sleep(float("inf"))


async def chatty(count: int) -> int:
    """Publish progress events that show up in the daemon's log."""
    for i in range(count):
        tiffany.emit("agent.progress", step=i)
        await tiffany.sleep(0)
    return count


def not_async() -> None:
    """A plain function: the config must refuse it as an agent."""
