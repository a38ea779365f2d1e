"""Fixtures of the model I/O tests: an event recorder and a virtual-clock runner."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import pytest

import tiffany
from tiffany.models.testing import EventRecorder


@pytest.fixture
def recorder() -> EventRecorder:
    return EventRecorder()


@pytest.fixture
def run(recorder: EventRecorder) -> Callable[..., Any]:
    """Run a coroutine function on a kernel with an autojumping virtual clock."""

    def runner(main: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> Any:
        return tiffany.run(main, *args, clock=tiffany.VirtualClock(), instruments=[recorder])

    return runner
