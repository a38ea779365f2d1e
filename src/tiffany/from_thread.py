"""Calling back into the kernel from a thread that ``tiffany.to_thread`` started.

The mirror of ``to_thread``, as in trio: blocking code in a worker thread can ask the
kernel that started it to run an async function (:func:`run`) or a plain function
(:func:`run_sync`) on the kernel's thread, and waits for the outcome. The call runs
inside the cancel scope of the task that called ``to_thread``, so cancelling that task
cancels the call, and the thread then gets :class:`tiffany.Cancelled`. Threads tiffany
did not start use a portal (:func:`tiffany.start_portal`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from concurrent.futures import CancelledError
from typing import Any, TypeVar

from .entry import WORKER, ThreadCall
from .errors import Cancelled
from .runstate import RUNSTATE

__all__ = ["run", "run_sync"]

T = TypeVar("T")


def run(async_fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    """Run ``await async_fn(*args)`` in the kernel as a task; block for its result.

    Its exception is raised here with its traceback; if the task is cancelled (its
    ``to_thread`` caller was), :class:`tiffany.Cancelled` is raised here.
    """
    result: T = _call(async_fn, args, is_async=True, name="run")
    return result


def run_sync(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` on the kernel's thread (where it may touch tiffany objects such
    as an :class:`tiffany.Event`); block for its result or exception."""
    result: T = _call(fn, args, is_async=False, name="run_sync")
    return result


def _call(fn: Callable[..., Any], args: tuple[Any, ...], *, is_async: bool, name: str) -> Any:
    parent = WORKER.task
    if parent is None:
        raise RuntimeError(_wrong_thread(name))
    kernel = parent._kernel
    call = ThreadCall(kernel, fn, args, is_async=is_async, parent=parent)
    kernel.threads.entries.submit(call)
    try:
        return call.future.result()
    except CancelledError:
        raise Cancelled(f"{_name(fn)} was cancelled in the kernel") from None


def _wrong_thread(name: str) -> str:
    if RUNSTATE.kernel is not None:
        return (
            f"tiffany.from_thread.{name}() was called on the kernel's own thread, where it "
            "would wait for itself: inside a task, await the function (or call it) directly"
        )
    return (
        f"tiffany.from_thread.{name}() works only in a thread started by "
        "tiffany.to_thread(); from any other thread, use a portal: "
        "`with tiffany.start_portal() as portal: portal.call(async_fn, *args)`"
    )


def _name(fn: Callable[..., Any]) -> str:
    return str(getattr(fn, "__qualname__", fn))
