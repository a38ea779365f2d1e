"""What the ``tokimon`` commands show a person: tables, a live view of steps, errors.

The command functions (:mod:`tokimon.commands`) print JSON themselves with ``--json``;
everything here is the human side, drawn with ``rich``. :class:`LiveSteps` is a trace
listener: it redraws one table of the run's steps (state, attempts, the tool being used)
each time the trace reports a change, so a user watching a terminal sees the workflow
move without polling anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TextIO

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

STATE_STYLES = {
    "SUCCEEDED": "green",
    "FAILED": "red",
    "BLOCKED": "red",
    "PARTIAL": "yellow",
    "RUNNING": "cyan",
    "RETRY_PENDING": "yellow",
    "SKIPPED": "dim",
    "succeeded": "green",
    "failed": "red",
    "blocked": "red",
    "partial": "yellow",
    "interrupted": "yellow",
    "running": "cyan",
    "planning": "cyan",
}


def report_error(command: str, message: str, as_json: bool, out: TextIO, err: TextIO) -> int:
    """``{"error": ...}`` on ``out`` with ``--json``, else one line on ``err``; exit 2."""
    if as_json:
        out.write(json.dumps({"error": message}) + "\n")
    else:
        first, _, rest = message.partition("\n")
        err.write(f"tokimon {command}: error: {first}\n" + (f"{rest}\n" if rest else ""))
    return EXIT_USAGE


def console(stream: TextIO) -> Console:
    """A console on ``stream``; colours only on a terminal, wide enough for ids."""
    return Console(file=stream, width=None if stream.isatty() else 120, soft_wrap=True)


def styled(value: str) -> Text:
    """A state or status in its colour (green succeeded, red failed, ...)."""
    return Text(value, style=STATE_STYLES.get(value, ""))


def line(*parts: str | Text) -> Text:
    """Parts joined as one line; text from runs (goals, summaries) is never read as markup."""
    return Text.assemble(*parts)


def table(title: str | None, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> Table:
    grid = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    names = list(columns)
    for index, column in enumerate(names):
        last = index == len(names) - 1  # only the last (free text) column wraps
        grid.add_column(column, no_wrap=not last, overflow="fold" if last else "ellipsis")
    for row in rows:
        grid.add_row(*(cell if isinstance(cell, Text) else Text(str(cell)) for cell in row))
    return grid


def steps_table(steps: Iterable[Mapping[str, Any]], title: str | None = None) -> Table:
    """Steps as the report and ``inspect`` list them: id, role, state, attempts, summary."""
    rows = [
        (
            step["id"],
            step["role"],
            styled(str(step["state"])),
            step["attempts"],
            _one_line(str(step.get("summary") or step.get("reason") or ""), 90),
        )
        for step in steps
    ]
    return table(title, ("step", "role", "state", "attempts", "summary"), rows)


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class LiveSteps:
    """A live table of the steps of a run, fed by trace records (see the module doc)."""

    def __init__(self, stream: TextIO, title: str) -> None:
        self.title = title
        self.phase = "planning"
        self.steps: dict[str, dict[str, Any]] = {}
        self._live = Live(console=console(stream), auto_refresh=False, transient=True)

    def __call__(self, record: dict[str, Any]) -> None:
        kind = record.get("kind")
        if kind in ("plan.accepted", "workflow.start", "workflow.resume"):
            for step_id in record.get("steps") or ():
                self.steps.setdefault(str(step_id), {"state": "NEW", "attempt": 0, "doing": ""})
            self.phase = "running"
        elif kind == "step.state" and record.get("step") in self.steps:
            row = self.steps[str(record["step"])]
            row["state"] = record.get("to")
            row["attempt"] = record.get("attempt", row["attempt"])
        elif kind == "tool.call.start":
            step_id = str(record.get("task_name") or "").removeprefix("step:")
            if step_id in self.steps:
                self.steps[step_id]["doing"] = str(record.get("name", ""))
        elif kind == "workflow.end":
            self.phase = str(record.get("status", "ended"))
        else:
            return
        self._live.update(self.render(), refresh=True)

    def render(self) -> Table:
        rows = [
            (step_id, styled(str(row["state"])), row["attempt"] or "", row["doing"])
            for step_id, row in self.steps.items()
        ]
        return table(
            f"{self.title} — {self.phase}", ("step", "state", "attempt", "last tool"), rows
        )

    @contextmanager
    def showing(self) -> Iterator[LiveSteps]:
        with self._live:
            self._live.update(self.render(), refresh=True)
            yield self
