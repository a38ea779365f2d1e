"""The agent's tools: each with a JSON schema, a time limit and the work tree as a boundary.

``read_file``, ``write_file``, ``list_dir``, ``apply_patch``, ``grep``, ``run_tests``,
``web_fetch`` (off by default), and ``wiki_ask``, ``wiki_lookup``, ``wiki_page`` (the
repository's cocowiki, in-process). A :class:`Toolset` binds them to a :class:`WorkTree` and a
:class:`ToolConfig`; its ``execute`` runs a model's :class:`~tiffany.models.ToolCall` and
always returns a result, errors included, for the model to read::

    toolset = Toolset(repo_path, ToolConfig())
    completion = await llm.complete(messages, tools=toolset.for_role("Implementer").specs)
    for call in completion.tool_calls:
        messages.append((await toolset.run(call)).to_message())

See ``docs/tokimon/tools.md``.
"""

from __future__ import annotations

from .base import Tool, ToolContext, define_tool
from .config import DEFAULT_TEST_COMMAND, ToolConfig, WebConfig, WikiToolConfig
from .errors import PathRefused, ToolConfigError, ToolError
from .output import ToolOutput, bound_text, truncation_marker
from .patch import FileChange, PatchResult, apply_unified_diff
from .process import ProcessResult, run_process
from .testrun import FailedTest, TestReport, run_test_command
from .toolset import (
    ALL_TOOLS,
    ROLE_TOOLS,
    TOOL_NAMES,
    ToolExecution,
    Toolset,
    default_tools,
)
from .web import check_url
from .wiki import WIKI_TOOL_NAMES, start_wiki_run, wiki_overview
from .worktree import WorkTree

__all__ = [
    "ALL_TOOLS",
    "DEFAULT_TEST_COMMAND",
    "ROLE_TOOLS",
    "TOOL_NAMES",
    "WIKI_TOOL_NAMES",
    "FailedTest",
    "FileChange",
    "PatchResult",
    "PathRefused",
    "ProcessResult",
    "TestReport",
    "Tool",
    "ToolConfig",
    "ToolConfigError",
    "ToolContext",
    "ToolError",
    "ToolExecution",
    "ToolOutput",
    "Toolset",
    "WebConfig",
    "WikiToolConfig",
    "WorkTree",
    "apply_unified_diff",
    "bound_text",
    "check_url",
    "default_tools",
    "define_tool",
    "run_process",
    "run_test_command",
    "start_wiki_run",
    "truncation_marker",
    "wiki_overview",
]
