"""The cooperative turn: operations that could have blocked but did not are counted, and
after ``Kernel.cooperative_limit`` of them in one step the task yields.

A module of its own, apart from the traps, so that the compiled build carries it: every
non-blocking socket read and write, channel operation and free lock counts one, and a
call into the interpreter for each would cost more than the count.
"""

from __future__ import annotations

from .runstate import RUNSTATE


def turn_used_up() -> bool:
    """Count one operation that could have blocked but did not; True when the task
    should yield now.

    The caller yields then (``if turn_used_up(): await yield_now()``), so a task whose
    operations never block still lets others run and still sees cancellation. A plain
    function, not a trap, to keep the non-blocking fast paths fast.
    """
    kernel = RUNSTATE.kernel
    if kernel is None:
        return False
    kernel._coop_left -= 1
    return kernel._coop_left <= 0
