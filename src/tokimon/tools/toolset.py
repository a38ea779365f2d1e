"""A toolset: the tools one agent may use in one work tree, and the one place calls run.

:meth:`Toolset.execute` is the path every tool call takes. It never raises for anything
the model or a tool did wrong: a call that is not JSON, names no tool, or does not fit
the schema comes back from :func:`tiffany.models.validate_call` as an error
result; a :class:`~.errors.ToolError` (a path out of the tree, a hunk that does not
apply), an ``OSError`` or any other exception from a tool becomes an error result too,
and so does a call that overruns its time limit. Only cancellation of the calling task
passes through, as it must. Each call's output is bounded to ``max_output_bytes`` with
the cut marked, and announced to instruments as ``tool.call.start`` and
``tool.call.finish`` events.

Workers get subsets by role (:data:`ROLE_TOOLS`, :meth:`Toolset.for_role`): a reviewer
reads and runs tests but does not write.

A toolset may also hold a *dynamic* part (:class:`DynamicTools`, e.g. a role's skills):
tools that can appear, change or go while a conversation runs. :meth:`Toolset.refresh`
brings it up to date; the tool loop calls it before every model turn, and
:meth:`Toolset.execute` before every call, so a tool added meanwhile is callable at once.
The fixed tools win a name clash.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import tiffany
from tiffany.models import ToolCall, ToolResult, ToolSpec, validate_call

from .base import Tool, ToolContext
from .config import ToolConfig
from .errors import ToolConfigError, ToolError
from .files import LIST_DIR, READ_FILE, WRITE_FILE
from .grep import GREP
from .output import ToolOutput, bound_text
from .patch import APPLY_PATCH
from .testrun import RUN_TESTS
from .web import WEB_FETCH
from .wiki import WIKI_TOOLS
from .worktree import WorkTree

#: Every tool tokimon has, in the order they are offered to a model.
ALL_TOOLS: tuple[Tool[Any], ...] = (
    READ_FILE,
    LIST_DIR,
    GREP,
    WRITE_FILE,
    APPLY_PATCH,
    RUN_TESTS,
    WEB_FETCH,
    *WIKI_TOOLS,
)
TOOL_NAMES: tuple[str, ...] = tuple(tool.name for tool in ALL_TOOLS)

_READ = ("read_file", "list_dir", "grep")
_WIKI = ("wiki_ask", "wiki_lookup", "wiki_page")
#: The tools each worker role gets (``web_fetch`` and the wiki's only where the
#: configuration enables them); the roles that read code get the wiki's.
ROLE_TOOLS: Mapping[str, tuple[str, ...]] = {
    "Planner": (*_READ, "web_fetch", *_WIKI),
    "Implementer": (*_READ, "write_file", "apply_patch", "run_tests", "web_fetch", *_WIKI),
    "Debugger": (*_READ, "write_file", "apply_patch", "run_tests", "web_fetch", *_WIKI),
    "Reviewer": (*_READ, "run_tests", *_WIKI),
    "TestTriager": (*_READ, "run_tests", *_WIKI),
    "SkillBuilder": (*_READ, "write_file", "web_fetch"),
}

#: Extra seconds the kernel gives a tool past its limit before cancelling it: tools that
#: run subprocesses or loops enforce the limit themselves, and report it better.
TIMEOUT_GRACE = 2.0


def default_tools(config: ToolConfig) -> list[Tool[Any]]:
    """Every tool the configuration allows: ``web_fetch`` only when enabled, the wiki's
    unless disabled."""
    return [
        tool
        for tool in ALL_TOOLS
        if (tool is not WEB_FETCH or config.web.enabled)
        and (tool not in WIKI_TOOLS or config.wiki.enabled)
    ]


class DynamicTools(Protocol):
    """Tools that may change during a run: brought up to date by ``refresh``."""

    async def refresh(self) -> None: ...

    def tools(self) -> Sequence[Tool[Any]]: ...


def _role_key(role: str) -> str:
    return "".join(ch for ch in role.lower() if ch.isalnum())


@dataclass(frozen=True, slots=True)
class ToolExecution:
    """One tool call as it happened: what the model asked, what it got back, how long."""

    call: ToolCall
    result: ToolResult
    duration: float
    truncated_bytes: int = 0
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A trace record; arguments that were not JSON are kept as the raw text."""
        arguments: Any = self.call.arguments
        if self.call.arguments_error is not None:
            arguments = self.call.raw_arguments
        return {
            "tool": self.call.name,
            "call_id": self.call.id,
            "arguments": arguments,
            "is_error": self.result.is_error,
            "content": self.result.content,
            "duration": round(self.duration, 6),
            "truncated_bytes": self.truncated_bytes,
            "data": dict(self.data),
        }


class Toolset:
    """Tools bound to a work tree and a configuration; see the module docstring."""

    def __init__(
        self,
        tree: WorkTree | Path | str,
        config: ToolConfig | None = None,
        tools: Iterable[Tool[Any]] | None = None,
        *,
        dynamic: DynamicTools | None = None,
    ) -> None:
        self.config = config or ToolConfig()
        self.dynamic = dynamic
        if isinstance(tree, WorkTree):
            self.tree = tree
        else:
            self.tree = WorkTree(tree, protected=self.config.protected)
        chosen = default_tools(self.config) if tools is None else list(tools)
        self._tools: dict[str, Tool[Any]] = {}
        for tool in chosen:
            if tool.name in self._tools:
                raise ValueError(f"two tools are named {tool.name!r}")
            self._tools[tool.name] = tool
        known = set(TOOL_NAMES) | set(self._tools)
        unknown = sorted(set(self.config.timeouts) - known)
        if unknown:
            raise ToolConfigError(
                f"tools.timeouts names unknown tools ({', '.join(unknown)}); "
                f"the tools are: {', '.join(sorted(known))}"
            )

    # -- what is offered ---------------------------------------------------------------
    def _current(self) -> dict[str, Tool[Any]]:
        """The fixed tools, then the dynamic part's as it was at the last refresh."""
        if self.dynamic is None:
            return self._tools
        current = dict(self._tools)
        for tool in self.dynamic.tools():
            current.setdefault(tool.name, tool)
        return current

    async def refresh(self) -> None:
        """Bring the dynamic part up to date (nothing to do without one)."""
        if self.dynamic is not None:
            await self.dynamic.refresh()

    @property
    def tools(self) -> tuple[Tool[Any], ...]:
        return tuple(self._current().values())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._current())

    @property
    def specs(self) -> tuple[ToolSpec, ...]:
        """The JSON-schema tool specs to send with a model request."""
        return tuple(tool.spec for tool in self._current().values())

    def timeout_for(self, name: str) -> float:
        return self.config.timeouts.get(name, self._current()[name].timeout)

    def subset(self, names: Iterable[str]) -> Toolset:
        """The tools named; a name of a tool this configuration turned off is left out."""
        wanted = list(names)
        unknown = [name for name in wanted if name not in TOOL_NAMES and name not in self._tools]
        if unknown:
            raise ValueError(
                f"unknown tool name(s) {', '.join(map(repr, unknown))}; "
                f"the tools are: {', '.join(TOOL_NAMES)}"
            )
        chosen = [self._tools[name] for name in wanted if name in self._tools]
        return Toolset(self.tree, self.config, chosen)

    def for_role(self, role: str) -> Toolset:
        """The subset for a worker role (``Implementer``, ``test_triager``, ...)."""
        by_key = {_role_key(name): tools for name, tools in ROLE_TOOLS.items()}
        tools = by_key.get(_role_key(role))
        if tools is None:
            raise ValueError(
                f"unknown worker role {role!r}; the roles are: {', '.join(ROLE_TOOLS)}"
            )
        return self.subset(tools)

    # -- running -----------------------------------------------------------------------
    async def run(self, call: ToolCall) -> ToolResult:
        """The result to send back to the model; never raises for the call's problems."""
        return (await self.execute(call)).result

    async def execute(self, call: ToolCall) -> ToolExecution:
        """Run one call; the record holds the result, its duration and the tool's data."""
        started = time.perf_counter()
        tiffany.emit("tool.call.start", call_id=call.id, name=call.name, arguments=call.arguments)
        await self.refresh()
        current = self._current()
        checked = validate_call(call, [tool.spec for tool in current.values()])
        if isinstance(checked, ToolResult):
            output = ToolOutput(checked.content, is_error=True)
        else:
            output = await self._run(current[call.name], checked.value)
        content, truncated = bound_text(output.text, self.config.max_output_bytes)
        result = ToolResult(call.id, call.name, content, output.is_error)
        duration = time.perf_counter() - started
        tiffany.emit(
            "tool.call.finish",
            call_id=call.id,
            name=call.name,
            is_error=result.is_error,
            duration=duration,
            content=content,
            truncated_bytes=truncated,
        )
        return ToolExecution(call, result, duration, truncated, output.data)

    async def _run(self, tool: Tool[Any], arguments: Any) -> ToolOutput:
        timeout = self.timeout_for(tool.name)
        context = ToolContext.start(self.tree, self.config, timeout)
        try:
            with tiffany.fail_after(timeout + TIMEOUT_GRACE):
                output: ToolOutput = await tool.run(arguments, context)
        except tiffany.TooSlowError:
            return ToolOutput.error(
                f"Error: {tool.name} did not finish within its {timeout:g} s limit and was "
                "stopped; ask for less at once (a narrower path, fewer tests)"
            )
        except ToolError as exc:
            return ToolOutput.error(f"Error: {exc}")
        except OSError as exc:
            return ToolOutput.error(f"Error: {tool.name}: {self._describe_os_error(exc)}")
        except Exception as exc:
            return ToolOutput.error(f"Error: {tool.name} failed: {type(exc).__name__}: {exc}")
        return output

    def _describe_os_error(self, exc: OSError) -> str:
        """``strerror: path`` with the path relative to the tree, never the absolute one."""
        reason = exc.strerror or str(exc)
        if not exc.filename:
            return reason
        path = Path(str(exc.filename))
        shown = self.tree.relative(path) if path.is_relative_to(self.tree.root) else path.name
        return f"{reason}: {shown}"
