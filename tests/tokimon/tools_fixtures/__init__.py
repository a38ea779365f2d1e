"""Helpers of the tool tests: a call through a real toolset on a real kernel, real repos."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tiffany
from tiffany.models import ToolCall
from tokimon.tools import ToolExecution, Toolset


def call(toolset: Toolset, name: str, /, **arguments: Any) -> ToolExecution:
    """One tool call as a model would make it, run on a fresh kernel."""
    return tiffany.run(toolset.execute, ToolCall(id="call-1", name=name, arguments=arguments))


def write_files(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def git_repo(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """A real git checkout (nothing committed: git lists untracked files too)."""
    write_files(root, files)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root
