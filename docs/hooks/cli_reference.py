"""MkDocs hook: the CLI reference, generated from the commands' own ``--help``.

A page line ``<!-- cli: cw -->`` (or ``tiffany``, ``tokimon``) becomes one section per
command and sub-command with the text its ``--help`` prints, so the reference cannot
drift from the code: it is made by the same typer app the console script runs.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import typer
from typer.testing import CliRunner

APPS = {"tiffany": "tiffany.cli", "cw": "cocowiki.cli", "tokimon": "tokimon.cli"}
MARKER = re.compile(r"^<!-- cli: (\w+) -->$", re.MULTILINE)
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}


def on_page_markdown(markdown: str, **_: Any) -> str:
    return MARKER.sub(lambda match: reference(match.group(1)), markdown)


def reference(program: str) -> str:
    """Markdown for ``program``: its help, then each command's, depth first."""
    app = importlib.import_module(APPS[program]).app
    root = typer.main.get_command(app)
    return "\n".join(_sections(app, root, [program], level=2))


def _sections(app: typer.Typer, command: Any, path: list[str], level: int) -> list[str]:
    done = CliRunner().invoke(app, [*path[1:], "--help"], env=ENV, prog_name=path[0])
    text = "\n".join(line.rstrip() for line in done.output.strip("\n").splitlines())
    lines = [f"{'#' * level} `{' '.join(path)}`", "", "```text", text, "```", ""]
    for name, sub in getattr(command, "commands", {}).items():  # a group: its commands
        if not sub.hidden:
            lines += _sections(app, sub, [*path, name], min(level + 1, 4))
    return lines
