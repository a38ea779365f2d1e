"""The functions a task calls: the kernel's API as seen from inside ``tiffany.run``."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar

from .admission import Admission
from .budget import CpuBudget
from .clock import Clock
from .graceful import ShutdownReport
from .io import READ, WRITE
from .kernel import CoroutineFunction, Kernel
from .priority import Priority
from .runstate import current_kernel
from .supervise import Restart, supervised
from .task import Task
from .traps import block

T = TypeVar("T")


def run(
    main: Callable[..., Coroutine[Any, Any, T]],
    *args: Any,
    clock: Clock | None = None,
    instruments: Iterable[object] = (),
    handle_signals: bool = False,
    shutdown_grace: float = 10.0,
    admission: Admission | None = None,
) -> T:
    """Run ``main(*args)`` on a new kernel; return its result or raise its exception.

    With ``handle_signals``, SIGTERM and a first SIGINT start a graceful shutdown of
    ``shutdown_grace`` seconds (a second SIGINT cancels everything at once); ``run`` then
    returns None if the main task was cancelled by it.
    """
    kernel = Kernel(
        clock=clock,
        instruments=instruments,
        handle_signals=handle_signals,
        shutdown_grace=shutdown_grace,
        admission=admission,
    )
    result: T = kernel.run(main, *args)
    return result


async def shutdown(grace: float | None = None, *, reason: str = "requested") -> ShutdownReport:
    """Shut the running kernel down gracefully; returns what happened to each task.

    New spawns raise ``ShuttingDown``; tasks in flight get ``grace`` seconds to finish,
    then are cancelled; cleanups run, registered resources close, system tasks stop
    last. The caller is neither drained nor cancelled.
    """
    return await current_kernel().shutdown(grace, reason=reason)


async def spawn(
    fn: CoroutineFunction | Coroutine[Any, Any, Any],
    *args: Any,
    name: str | None = None,
    priority: Priority | int = Priority.NORMAL,
    system: bool = False,
    restart: Restart | None = None,
    budget: CpuBudget | None = None,
) -> Task:
    """Start ``fn(*args)`` as a new task and return it at once; ``join`` it for the result.

    The task is independent of its spawner (as in curio); use a :class:`TaskGroup` when
    the tasks' lifetimes should be bound to a block of code. A ``system`` task belongs to
    the kernel (signal handling, metrics, servers): it does not count as work in flight
    at shutdown and is stopped last. With ``restart``, a failure runs ``fn`` again as
    the policy allows. ``budget`` bounds its CPU time. When the kernel has an admission
    policy, ``spawn`` may wait for room or raise ``Overloaded``.
    """
    kernel = current_kernel()
    if kernel.admission is not None and not system:
        await kernel.admission.admit(Priority(priority))
    if restart is not None:
        if not callable(fn) or isinstance(fn, Coroutine):
            raise TypeError("restart needs an async function to call again, not a coroutine")
        label = name or getattr(fn, "__qualname__", "task")
        fn, args, name = supervised, (fn, args, restart, label), label
    return kernel.spawn_task(fn, args, name=name, priority=priority, system=system, budget=budget)


def current_time() -> float:
    """Now, on the running kernel's clock (virtual or monotonic), in seconds."""
    return current_kernel().now()


def current_task() -> Task:
    """The task that is running this code."""
    task = current_kernel()._current
    if task is None:
        raise RuntimeError("current_task() must be called from inside a task")
    return task


def emit(kind: str, **data: Any) -> None:
    """Hand a named event to the running kernel's instruments (model calls, tool calls)."""
    current_kernel().emit(kind, data)


async def wait_readable(fileobj: Any) -> None:
    """Block until ``fileobj`` (a socket, a file descriptor) can be read without blocking."""
    await block("wait readable", current_kernel().io.wait(fileobj, READ))


async def wait_writable(fileobj: Any) -> None:
    """Block until ``fileobj`` can be written without blocking."""
    await block("wait writable", current_kernel().io.wait(fileobj, WRITE))


def notify_closing(fileobj: Any) -> None:
    """Call before closing a file object some task may wait on; waiters get an error."""
    current_kernel().io.notify_closing(fileobj)


async def to_thread(fn: Callable[..., T], *args: Any, cancellable: bool = False) -> T:
    """Run blocking ``fn(*args)`` in a worker thread without blocking the kernel.

    A thread cannot be interrupted, so by default a cancelled task waits for the thread
    to finish and gets ``Cancelled`` at its next trap. With ``cancellable=True`` it walks
    away at once and the thread's result is dropped.
    """
    result: T = await block("thread", current_kernel().threads.run(fn, args, cancellable))
    return result
