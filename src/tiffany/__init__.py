"""tiffany: a coroutine-first runtime for agents.

Tasks are ``async def`` coroutines run by one kernel loop in the tradition of curio and
trio: priorities, cancel scopes and timeouts, a virtual clock for deterministic tests,
I/O, threads, synchronisation and bounded channels. Start with :func:`run`.
"""

from importlib.machinery import EXTENSION_SUFFIXES

from . import from_thread, net, telemetry
from . import kernel as _kernel_module
from .admission import Admission, OverLimit, Pressure
from .api import (
    current_task,
    current_time,
    emit,
    notify_closing,
    run,
    shutdown,
    spawn,
    to_thread,
    wait_readable,
    wait_writable,
)
from .budget import CpuBudget, OverBudget
from .cancel import CancelScope, fail_after, fail_at, move_on_after, move_on_at
from .channel import Channel
from .clock import Clock, MonotonicClock, VirtualClock
from .debug import dump_tasks, format_task_dump
from .errors import (
    BudgetExceeded,
    BusyResourceError,
    Cancelled,
    ClosedChannelError,
    ClosedResourceError,
    Deadlock,
    EndOfChannel,
    Overloaded,
    ShuttingDown,
    TaskCancelled,
    TaskError,
    TiffanyError,
    TooSlowError,
    WouldBlock,
)
from .graceful import ShutdownReport
from .group import TaskGroup
from .instruments import Instrument
from .kernel import Kernel
from .portal import Portal, PortalClosed, TaskHandle, open_portal, start_portal
from .priority import Priority
from .runstate import current_kernel
from .signals import SignalReceiver, open_signal_receiver
from .supervise import Restart
from .sync import Condition, Event, Lock, Semaphore
from .task import Task, TaskState
from .traps import sleep, sleep_until, yield_now

__version__ = "0.1.0"

COMPILED: bool = (_kernel_module.__file__ or "").endswith(tuple(EXTENSION_SUFFIXES))
"""True when the kernel's hot modules run compiled by mypyc (a wheel built with
``TIFFANY_COMPILE=1``, see docs/tiffany/compiled.md), False when they run as Python."""

__all__ = [
    "COMPILED",
    "Admission",
    "BudgetExceeded",
    "BusyResourceError",
    "CancelScope",
    "Cancelled",
    "Channel",
    "Clock",
    "ClosedChannelError",
    "ClosedResourceError",
    "Condition",
    "CpuBudget",
    "Deadlock",
    "EndOfChannel",
    "Event",
    "Instrument",
    "Kernel",
    "Lock",
    "MonotonicClock",
    "OverBudget",
    "OverLimit",
    "Overloaded",
    "Portal",
    "PortalClosed",
    "Pressure",
    "Priority",
    "Restart",
    "Semaphore",
    "ShutdownReport",
    "ShuttingDown",
    "SignalReceiver",
    "Task",
    "TaskCancelled",
    "TaskError",
    "TaskGroup",
    "TaskHandle",
    "TaskState",
    "TiffanyError",
    "TooSlowError",
    "VirtualClock",
    "WouldBlock",
    "current_kernel",
    "current_task",
    "current_time",
    "dump_tasks",
    "emit",
    "fail_after",
    "fail_at",
    "format_task_dump",
    "from_thread",
    "move_on_after",
    "move_on_at",
    "net",
    "notify_closing",
    "open_portal",
    "open_signal_receiver",
    "run",
    "shutdown",
    "sleep",
    "sleep_until",
    "spawn",
    "start_portal",
    "telemetry",
    "to_thread",
    "wait_readable",
    "wait_writable",
    "yield_now",
]
