"""What a person needs to find a stuck task: every live task and where it is waiting."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from types import CoroutineType, FrameType, GeneratorType
from typing import TYPE_CHECKING, Any

from .runstate import current_kernel

if TYPE_CHECKING:
    from .kernel import Kernel
    from .task import Task


@dataclass(frozen=True)
class TaskInfo:
    """A snapshot of one live task."""

    id: int
    name: str
    priority: str
    state: str
    waiting_on: str | None
    system: bool
    stack: list[str] = field(default_factory=list)  # "file:line in function", outermost first

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def coroutine_frames(coro: Any) -> list[FrameType]:
    """The frames of a suspended coroutine chain, outermost first.

    Follows ``await`` through coroutines and generator-based coroutines (the traps).
    """
    frames: list[FrameType] = []
    while coro is not None:
        if isinstance(coro, CoroutineType):
            frame, coro = coro.cr_frame, coro.cr_await
        elif isinstance(coro, GeneratorType):
            frame, coro = coro.gi_frame, coro.gi_yieldfrom
        else:
            break
        if frame is not None:
            frames.append(frame)
    return frames


def task_stack(task: Task) -> list[str]:
    """``file:line in function`` for each frame of ``task``, outermost first."""
    return [
        f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        for frame in coroutine_frames(task.coro)
    ]


def suspension_point(task: Task) -> str | None:
    """The innermost frame of the task's own code (not the runtime's) where it waits."""
    package = __file__.rsplit("/", 1)[0] + "/"
    for frame in reversed(coroutine_frames(task.coro)):
        if not frame.f_code.co_filename.startswith(package):
            return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
    return None


def dump_tasks(kernel: Kernel | None = None) -> list[TaskInfo]:
    """Every live task of ``kernel`` (default: the running one), by id."""
    kernel = kernel if kernel is not None else current_kernel()
    return [
        TaskInfo(
            id=task.id,
            name=task.name,
            priority=task.priority.name,
            state=task.state.value,
            waiting_on=task.waiting_on,
            system=task.system,
            stack=task_stack(task),
        )
        for task in sorted(kernel.tasks, key=lambda t: t.id)
    ]


def format_task_dump(infos: list[TaskInfo]) -> str:
    """A readable report of :func:`dump_tasks`, one block per task."""
    lines: list[str] = []
    for info in infos:
        waiting = f" waiting on {info.waiting_on}" if info.waiting_on else ""
        kind = " [system]" if info.system else ""
        lines.append(f"task {info.id} {info.name!r}{kind}: {info.state}{waiting}, {info.priority}")
        lines.extend(f"    {frame}" for frame in info.stack)
    return "\n".join(lines)
