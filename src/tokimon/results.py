"""What the library returns: frozen dataclasses whose fields are the ``--json`` keys of
``tokimon run``, ``tokimon runs`` and ``tokimon inspect``; :func:`to_json` gives that JSON
(the serialiser of :mod:`tiffany.jsondata`, shared with cocowiki's results).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from tiffany.jsondata import to_json


@dataclass(frozen=True, slots=True)
class StepResult:
    """One step of a run's workflow as its report shows it."""

    id: str
    role: str
    #: ``PENDING``, ``RUNNING``, ``SUCCEEDED``, ``FAILED``, ``BLOCKED``, ...
    state: str
    attempts: int
    summary: str
    failure: str | None
    reason: str | None
    #: What the step's last attempt produced (``changed_files``, ...).
    outputs: dict[str, Any] = dataclasses.field(default_factory=dict)
    artifacts: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepResult:
        """A step from its JSON (a report's ``steps`` or ``tokimon inspect``'s)."""
        return cls(
            id=data["id"],
            role=data["role"],
            state=data["state"],
            attempts=data["attempts"],
            summary=data.get("summary", ""),
            failure=data.get("failure"),
            reason=data.get("reason"),
            outputs=dict(data.get("outputs") or {}),
            artifacts=tuple(data.get("artifacts") or ()),
        )


@dataclass(frozen=True, slots=True)
class RunResult:
    """How a run (or a resumed session of it) ended (``tokimon run --json``).

    ``status`` is ``succeeded``, ``failed``, ``partial`` or ``blocked``; ``error`` says
    why a run could not proceed (a plan the model never got right, ...); ``report`` is
    the Markdown report's path.
    """

    run_id: str
    goal: str
    repo: str
    model: str
    status: str
    error: str | None
    created_at: str
    ended_at: str
    steps: tuple[StepResult, ...]
    changed_files: tuple[str, ...]
    lessons: tuple[str, ...]
    spent: dict[str, int]
    report: str

    @property
    def succeeded(self) -> bool:
        """Every step succeeded."""
        return self.status == "succeeded"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunResult:
        """A result from ``tokimon run --json`` (or a report with its path)."""
        return cls(
            run_id=data["run_id"],
            goal=data["goal"],
            repo=data["repo"],
            model=data["model"],
            status=data["status"],
            error=data.get("error"),
            created_at=data["created_at"],
            ended_at=data["ended_at"],
            steps=tuple(StepResult.from_json(step) for step in data["steps"]),
            changed_files=tuple(data["changed_files"]),
            lessons=tuple(data["lessons"]),
            spent=dict(data["spent"]),
            report=str(data["report"]),
        )


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run of a workspace (a row of ``tokimon runs --json``)."""

    id: str
    status: str
    created_at: str
    updated_at: str
    model: str
    goal: str
    report: str | None


@dataclass(frozen=True, slots=True)
class RunDetails:
    """A run as ``tokimon inspect --json`` shows it: its record and its steps."""

    id: str
    goal: str
    repo: str
    model: str
    status: str
    created_at: str
    updated_at: str
    report: str | None
    error: str | None
    sessions: tuple[dict[str, Any], ...]
    steps: tuple[StepResult, ...]


__all__ = [
    "RunDetails",
    "RunResult",
    "RunSummary",
    "StepResult",
    "to_json",
]
