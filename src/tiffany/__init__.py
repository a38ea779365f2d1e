"""tiffany: a coroutine-first runtime for agents.

Tasks are ``async def`` coroutines run by one kernel loop in the tradition of curio and
trio: priorities, cancel scopes and timeouts, a virtual clock for deterministic tests,
I/O, threads, synchronisation and bounded channels. Start with :func:`run`.
"""

from . import net
from .api import (
    current_task,
    current_time,
    emit,
    notify_closing,
    run,
    spawn,
    to_thread,
    wait_readable,
    wait_writable,
)
from .cancel import CancelScope, fail_after, fail_at, move_on_after, move_on_at
from .channel import Channel
from .clock import Clock, MonotonicClock, VirtualClock
from .errors import (
    BusyResourceError,
    Cancelled,
    ClosedChannelError,
    ClosedResourceError,
    Deadlock,
    EndOfChannel,
    TaskCancelled,
    TaskError,
    TiffanyError,
    TooSlowError,
    WouldBlock,
)
from .group import TaskGroup
from .instruments import Instrument
from .kernel import Kernel
from .priority import Priority
from .runstate import current_kernel
from .sync import Condition, Event, Lock, Semaphore
from .task import Task, TaskState
from .traps import sleep, sleep_until, yield_now

__version__ = "0.1.0"

__all__ = [
    "BusyResourceError",
    "CancelScope",
    "Cancelled",
    "Channel",
    "Clock",
    "ClosedChannelError",
    "ClosedResourceError",
    "Condition",
    "Deadlock",
    "EndOfChannel",
    "Event",
    "Instrument",
    "Kernel",
    "Lock",
    "MonotonicClock",
    "Priority",
    "Semaphore",
    "Task",
    "TaskCancelled",
    "TaskError",
    "TaskGroup",
    "TaskState",
    "TiffanyError",
    "TooSlowError",
    "VirtualClock",
    "WouldBlock",
    "current_kernel",
    "current_task",
    "current_time",
    "emit",
    "fail_after",
    "fail_at",
    "move_on_after",
    "move_on_at",
    "net",
    "notify_closing",
    "run",
    "sleep",
    "sleep_until",
    "spawn",
    "to_thread",
    "wait_readable",
    "wait_writable",
    "yield_now",
]
