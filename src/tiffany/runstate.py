"""Which kernel runs in this thread: the one piece of global state, kept thread-local."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .kernel import Kernel


class _RunState(threading.local):
    kernel: Kernel | None = None


RUNSTATE = _RunState()


def current_kernel() -> Kernel:
    """The kernel running in this thread; a clear error outside ``tiffany.run``."""
    kernel = RUNSTATE.kernel
    if kernel is None:
        raise RuntimeError(
            "no tiffany kernel is running in this thread: call this from code run by tiffany.run()"
        )
    return kernel
