"""The ``cw index`` command as a plain function, so the CLI only has to forward to it.

It shows a progress bar on a terminal, prints a summary (or JSON with ``--json``), and
turns :class:`~.errors.IndexingError` into a one-line message and exit status 2 instead
of a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from ..console import EXIT_OK, EXIT_USAGE, report_error, terminal_progress
from ..lock import OutputBusy, output_lock
from ..paths import output_dir
from .config import IndexConfig
from .errors import IndexingError
from .indexer import check_repository, index_repository
from .model import IndexResult

__all__ = ["EXIT_OK", "EXIT_USAGE", "format_summary", "run_index_command"]


def run_index_command(
    repo: Path | None = None,
    output: Path | None = None,
    *,
    as_json: bool = False,
    config: IndexConfig | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Index ``repo`` (default: the current directory) and report; returns the exit status."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        repo_path = check_repository(repo if repo is not None else Path.cwd())
        lock = output_lock(output_dir(repo_path, output))
        with lock, terminal_progress(as_json, err) as update:
            result = index_repository(repo_path, output, config, update)
    except (IndexingError, OutputBusy) as exc:
        return report_error("index", str(exc), as_json, out, err)
    if as_json:
        out.write(json.dumps(result.summary(), sort_keys=True) + "\n")
    else:
        out.write(format_summary(result, output_dir(repo_path, output)))
    return EXIT_OK


def format_summary(result: IndexResult, output: Path) -> str:
    """A few lines a person reads after ``cw index``."""
    summary = result.summary()
    languages = ", ".join(f"{name} {count}" for name, count in summary["languages"].items())
    exclusions = ", ".join(f"{reason} {count}" for reason, count in summary["exclusions"].items())
    lines = [
        f"indexed {summary['files']} files ({summary['lines']} lines): {languages or 'none'}",
        f"components {summary['components']}, references {summary['references']} "
        f"({summary['references_resolved']} resolved)",
        f"parsed {summary['files_parsed']}, unchanged {summary['files_unchanged']}; "
        f"parse errors {summary['parse_errors']}, warnings {summary['warnings']}",
        f"excluded {summary['excluded']}" + (f": {exclusions}" if exclusions else ""),
        f"catalog {'written' if result.catalog_written else 'unchanged'}: "
        f"{output / 'catalog.sqlite'} in {summary['timings'].get('total', 0.0):.2f}s",
    ]
    return "\n".join(lines) + "\n"
