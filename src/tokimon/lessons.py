"""Lessons: what a failed attempt taught, written before the step may be retried.

A lesson is a markdown file whose first block is a JSON header between ``---`` lines
(JSON is YAML, so front-matter readers take it too)::

    ---
    {"id": "...", "timestamp": "...", "task_id": "run-...", "step_id": "fix",
     "failure_signature": "fs-...", "strategy_id": "direct", "tags": [...], ...}
    ---
    # Lesson: step fix, attempt 1
    ...what failed, what changes...

The header is for machines (deduplication, memory retrieval by tags and signature), the
body for the next attempt's prompt and for the person reading the run. Lessons are
written atomically under the run's ``lessons/`` and named by step and attempt, so writing
the same lesson again after a crash replaces it rather than adding a second one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tiffany.atomic import write_atomic

from .errors import WorkspaceError
from .workspace import RunPaths, safe_name

FENCE = "---"


@dataclass(frozen=True)
class Lesson:
    id: str
    timestamp: str
    task_id: str
    step_id: str
    attempt: int
    failure_signature: str
    strategy_id: str
    tags: list[str]
    body: str
    changes: dict[str, list[Any]] = field(default_factory=dict)
    """Each changed dimension with ``[before, after]``."""

    def header(self) -> dict[str, Any]:
        data = asdict(self)
        del data["body"]
        return data

    def to_markdown(self) -> str:
        header = json.dumps(self.header(), indent=2, sort_keys=True, ensure_ascii=False)
        return f"{FENCE}\n{header}\n{FENCE}\n{self.body.rstrip()}\n"


def lesson_path(paths: RunPaths, step_id: str, attempt: int) -> Path:
    return paths.lessons / f"{safe_name(step_id, 'step id')}-attempt-{attempt}.md"


def write_lesson(paths: RunPaths, lesson: Lesson) -> Path:
    """Write ``lesson`` into the run's ``lessons/``; returns its path."""
    target = lesson_path(paths, lesson.step_id, lesson.attempt)
    write_atomic(target, lesson.to_markdown())
    return target


def split_header(text: str, source: str = "lesson") -> tuple[dict[str, Any], str]:
    """The JSON header and the body of a lesson's markdown; a missing or broken header is a
    :class:`WorkspaceError`. Memory keeps more keys in the header than :class:`Lesson`."""
    lines = text.split("\n")
    try:
        end = lines.index(FENCE, 1) if lines[0] == FENCE else -1
    except ValueError:
        end = -1
    if end < 0:
        raise WorkspaceError(f"{source} has no JSON header between '---' lines")
    try:
        header = json.loads("\n".join(lines[1:end]))
    except json.JSONDecodeError as exc:
        raise WorkspaceError(f"{source} has a damaged header: {exc}") from None
    if not isinstance(header, dict):
        raise WorkspaceError(f"{source} has a damaged header: not a JSON object")
    return header, "\n".join(lines[end + 1 :]).strip() + "\n"


def parse_lesson(text: str, source: str = "lesson") -> Lesson:
    """A lesson from its markdown; a missing or broken header is a :class:`WorkspaceError`."""
    header, body = split_header(text, source)
    try:
        return Lesson(**header, body=body)
    except TypeError as exc:
        raise WorkspaceError(f"{source} has a damaged header: {exc}") from None


def read_lessons(paths: RunPaths) -> list[Lesson]:
    """Every lesson of a run, oldest first."""
    if not paths.lessons.is_dir():
        return []
    found = [
        parse_lesson(path.read_text(encoding="utf-8"), str(path))
        for path in paths.lessons.glob("*.md")
    ]
    return sorted(found, key=lambda lesson: (lesson.timestamp, lesson.step_id, lesson.attempt))
