"""What every ``cw`` command shows on a terminal: a progress bar per phase, one-line errors.

The command functions (``run_index_command``, ``run_plan_command``, ...) share these so
that each stage looks the same to a user and none grows its own copy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

#: ``progress(phase, done, total)``, the callback every stage reports through.
ProgressCallback = Callable[[str, int, int], None]

EXIT_OK = 0
EXIT_USAGE = 2


@contextmanager
def progress_bar(stream: TextIO) -> Iterator[ProgressCallback]:
    """A transient bar on ``stream`` with one row per phase, fed by the yielded callback."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    with Progress(
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(file=stream),
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update


@contextmanager
def terminal_progress(as_json: bool, stream: TextIO) -> Iterator[ProgressCallback | None]:
    """:func:`progress_bar` when ``stream`` is a terminal and the output is not JSON, else
    ``None`` (the stages take ``None`` for "report nothing")."""
    if as_json or not stream.isatty():
        yield None
        return
    with progress_bar(stream) as update:
        yield update


def report_error(command: str, message: str, as_json: bool, out: TextIO, err: TextIO) -> int:
    """Print ``message`` as ``{"error": ...}`` on ``out`` or one line on ``err``; exit 2."""
    if as_json:
        out.write(json.dumps({"error": message}) + "\n")
    else:
        err.write(f"cw {command}: error: {message}\n")
    return EXIT_USAGE
