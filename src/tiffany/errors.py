"""The exceptions of the runtime, in one place so users can catch them by name."""

from __future__ import annotations


def caused_by(error: BaseException, cause: BaseException | None) -> BaseException:
    """``error`` chained to ``cause``, as ``raise error from cause`` would chain it.

    Spelled as an assignment because the compiled build (mypyc) drops the ``from`` clause of
    a ``raise``; setting ``__cause__`` (``None`` included) also suppresses the context.
    """
    error.__cause__ = cause
    return error


class TiffanyError(Exception):
    """Base class of every error the runtime raises on purpose."""


class Cancelled(BaseException):
    """Delivered into a task at a trap when a cancel scope around it is cancelled.

    A ``BaseException`` so that ``except Exception`` in user code does not swallow it: the
    task can clean up in ``finally`` blocks and the scope that was cancelled catches it.
    """


class TooSlowError(TiffanyError):
    """Raised by :func:`tiffany.fail_after` when its deadline passes."""


class TaskError(TiffanyError):
    """Raised by ``Task.join()`` when the task failed; ``__cause__`` is its exception."""


class TaskCancelled(TaskError):
    """Raised by ``Task.join()`` when the task was cancelled before it finished."""


class Deadlock(TiffanyError):
    """Every task is blocked and nothing (timer, I/O, thread) can ever wake one."""


class BusyResourceError(TiffanyError):
    """Two tasks waited for the same file descriptor in the same direction."""


class ClosedResourceError(TiffanyError):
    """The resource was closed, possibly while a task was waiting on it."""


class ClosedChannelError(ClosedResourceError):
    """``send`` on a channel that was closed."""


class EndOfChannel(TiffanyError):
    """``recv`` on a closed channel whose buffer is drained."""


class WouldBlock(TiffanyError):
    """A ``*_nowait`` operation could not complete without waiting."""


class ShuttingDown(TiffanyError):
    """``spawn`` while the kernel is shutting down: it takes no new work."""


class BudgetExceeded(TiffanyError):
    """Why a task was cancelled by a ``CpuBudget`` with the cancel action."""


class Overloaded(TiffanyError):
    """The admission policy refused new work: the kernel is over its limits."""
