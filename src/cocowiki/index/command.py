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

from .config import IndexConfig
from .errors import IndexingError
from .indexer import ProgressCallback, index_repository
from .model import IndexResult

EXIT_OK = 0
EXIT_USAGE = 2


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
    repo_path = repo if repo is not None else Path.cwd()
    show_progress = not as_json and err.isatty()
    try:
        if show_progress:
            result = _with_progress_bar(repo_path, output, config, err)
        else:
            result = index_repository(repo_path, output, config)
    except IndexingError as exc:
        if as_json:
            out.write(json.dumps({"error": str(exc)}) + "\n")
        else:
            err.write(f"cw index: error: {exc}\n")
        return EXIT_USAGE
    if as_json:
        out.write(json.dumps(result.summary(), sort_keys=True) + "\n")
    else:
        out.write(format_summary(result, output or repo_path / ".cocowiki"))
    return EXIT_OK


def _with_progress_bar(
    repo: Path, output: Path | None, config: IndexConfig | None, err: TextIO
) -> IndexResult:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(file=err)
    with Progress(
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, object] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            task_id = tasks[phase]
            bar.update(task_id, completed=done, total=total)  # type: ignore[arg-type]

        callback: ProgressCallback = update
        return index_repository(repo, output, config, callback)


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
