"""A tool: a schema the model sees, an async function that does the work, a time limit.

The schema comes from a pydantic model through :func:`tiffany.models.tool_from_model`,
so the JSON Schema the model is shown and the validation of its arguments are the same
thing, and the model's mistakes come back through :func:`tiffany.models.validate_call`.
A tool's function receives the validated arguments and a :class:`ToolContext` (the work
tree, the settings, the time it has); it returns a :class:`~.output.ToolOutput` or raises
:class:`~.errors.ToolError` for the model to read.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

from tiffany.models import ToolSpec, tool_from_model

from .config import ToolConfig
from .output import ToolOutput
from .worktree import WorkTree

ArgsT = TypeVar("ArgsT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ToolContext:
    """What one call of a tool may use: where, with which settings, until when.

    ``deadline`` is on :func:`time.monotonic`; work done in threads or subprocesses
    checks it itself, since the kernel cannot interrupt a thread.
    """

    tree: WorkTree
    config: ToolConfig
    timeout: float
    deadline: float

    @classmethod
    def start(cls, tree: WorkTree, config: ToolConfig, timeout: float) -> ToolContext:
        return cls(tree, config, timeout, time.monotonic() + timeout)

    def remaining(self) -> float:
        """Seconds left before the deadline (never below a small positive floor)."""
        return max(self.deadline - time.monotonic(), 0.01)

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline


RunFunction = Callable[[ArgsT, ToolContext], Awaitable[ToolOutput]]


@dataclass(frozen=True, slots=True)
class Tool(Generic[ArgsT]):
    """One tool; ``timeout`` is its default limit per call in seconds.

    ``writes`` marks tools that change files, so read-only roles can leave them out.
    """

    spec: ToolSpec
    arguments: type[ArgsT]
    run: RunFunction[ArgsT]
    timeout: float
    writes: bool = False

    @property
    def name(self) -> str:
        return self.spec.name


def define_tool(
    arguments: type[ArgsT],
    run: RunFunction[ArgsT],
    *,
    name: str,
    timeout: float,
    writes: bool = False,
) -> Tool[ArgsT]:
    """A tool whose description is the docstring of its ``arguments`` model."""
    return Tool(tool_from_model(arguments, name=name), arguments, run, timeout, writes)
