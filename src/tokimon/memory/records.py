"""What memory holds: promoted lessons and artifact records, and their files.

A :class:`MemoryLesson` is a run's :class:`~tokimon.lessons.Lesson` as promoted into
``memory/lessons/<id>.md``: the same markdown, with more keys in its JSON header (the
components it concerns, the run's goal, when it was promoted, whether it was marked
harmful). An :class:`ArtifactRecord` says that one attempt of one step wrote one file
(path and content digest) and why; a run's records are one JSON file,
``memory/artifacts/<run-id>.json``. The files are the source of truth; the SQLite index
is built from them.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import WorkspaceError
from ..lessons import FENCE, Lesson, split_header

EXTRA_KEYS = ("components", "goal", "harmful", "promoted_at")


@dataclass(frozen=True)
class MemoryLesson:
    """A lesson in memory: the run's lesson plus what memory knows about it."""

    lesson: Lesson
    components: tuple[str, ...] = ()
    """The repository modules it concerns (from cocowiki's index of the repository)."""
    goal: str = ""
    promoted_at: str = ""
    harmful: bool = False
    """Marked as having led a run astray: kept on disk, never retrieved."""

    @property
    def id(self) -> str:
        return self.lesson.id

    @property
    def title(self) -> str:
        """The body's first heading (``Lesson: step fix, attempt 1``)."""
        for line in self.lesson.body.splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
        return f"step {self.lesson.step_id}, attempt {self.lesson.attempt}"

    def header(self) -> dict[str, Any]:
        return {
            **self.lesson.header(),
            "components": list(self.components),
            "goal": self.goal,
            "harmful": self.harmful,
            "promoted_at": self.promoted_at,
        }

    def to_markdown(self) -> str:
        header = json.dumps(self.header(), indent=2, sort_keys=True, ensure_ascii=False)
        return f"{FENCE}\n{header}\n{FENCE}\n{self.lesson.body.rstrip()}\n"

    def with_harmful(self, harmful: bool) -> MemoryLesson:
        return dataclasses.replace(self, harmful=harmful)

    def to_dict(self) -> dict[str, Any]:
        return {**self.header(), "title": self.title, "body": self.lesson.body}


def parse_memory_lesson(text: str, source: str = "lesson") -> MemoryLesson:
    """A promoted lesson from its markdown; damage is a :class:`WorkspaceError`."""
    header, body = split_header(text, source)
    extras = {key: header.pop(key) for key in EXTRA_KEYS if key in header}
    try:
        lesson = Lesson(**header, body=body)
        return MemoryLesson(
            lesson,
            components=tuple(str(c) for c in extras.get("components") or ()),
            goal=str(extras.get("goal") or ""),
            promoted_at=str(extras.get("promoted_at") or ""),
            harmful=bool(extras.get("harmful", False)),
        )
    except TypeError as exc:
        raise WorkspaceError(f"{source} has a damaged header: {exc}") from None


@dataclass(frozen=True)
class ArtifactRecord:
    """One file one attempt wrote: answers "which run last changed this file, and why"."""

    path: str
    digest: str
    """The first 12 hex digits of the content's SHA-256, ``deleted`` if the step removed it."""
    run_id: str
    step_id: str
    attempt: int
    state: str
    """How the attempt ended (``SUCCEEDED``, ``FAILED``...)."""
    ended_at: str
    why: str
    """The step's task and the attempt's summary."""
    goal: str = ""
    lesson_id: str | None = None
    components: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["components"] = list(self.components)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArtifactRecord:
        values = dict(data)
        values["components"] = tuple(values.get("components") or ())
        return cls(**values)


def parse_artifacts(text: str, source: str = "artifacts") -> list[ArtifactRecord]:
    """The records of one ``memory/artifacts/<run-id>.json``."""
    try:
        data = json.loads(text)
        return [ArtifactRecord.from_dict(item) for item in data["artifacts"]]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise WorkspaceError(f"{source} is not a valid artifact record: {exc}") from None


def artifacts_document(run_id: str, records: list[ArtifactRecord]) -> dict[str, Any]:
    return {"run_id": run_id, "artifacts": [record.to_dict() for record in records]}
