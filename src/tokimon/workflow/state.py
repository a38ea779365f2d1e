"""``workflow_state.json``: the workflow, every step's state and every attempt, on disk.

The engine rewrites this file atomically after every transition, so after a crash at
any point it holds a state the run really passed through; :mod:`tokimon.workflow.engine`
resumes from it. It is self-contained (goal and workflow included): resuming needs
nothing but the run folder.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tiffany.atomic import write_atomic

from ..errors import WorkspaceError
from ..jsonfile import read_json
from ..workspace import RunPaths, utc_now
from .spec import WorkflowSpec
from .states import StepState

SCHEMA_VERSION = 1
WorkflowStatus = Literal["running", "succeeded", "failed", "partial", "blocked"]


class AttemptRecord(BaseModel):
    """One run of a step's worker: persisted when it starts, completed when it ends."""

    model_config = ConfigDict(extra="allow")

    number: int
    signature: str
    dimensions: dict[str, Any]
    call_id: str | None = None
    started_at: str
    ended_at: str | None = None
    duration: float | None = None
    state: str | None = None
    """The state the attempt ended in, or ``INTERRUPTED`` when its process died."""
    summary: str = ""
    failure: str | None = None
    failure_signature: str | None = None
    progress: dict[str, Any] = {}
    progress_evidence: list[str] = []
    artifacts: list[str] = []
    outputs_file: str | None = None
    decision: str | None = None
    """``approved: ...`` or ``refused: ...`` once the retry gate has answered."""
    lesson_file: str | None = None

    @property
    def interrupted(self) -> bool:
        return self.state == "INTERRUPTED"


class StepRecord(BaseModel):
    model_config = ConfigDict(extra="allow")

    state: StepState = StepState.NEW
    attempts: list[AttemptRecord] = []
    next_dimensions: dict[str, Any] | None = None
    """The dimensions the retry gate approved for the next attempt."""
    lesson: str | None = None
    """The body of the lesson written before the pending retry."""
    reason: str | None = None
    """Why the step ended where it did (a refused retry, a skipped dependency)."""


class WorkflowState(BaseModel):
    model_config = ConfigDict(extra="allow")

    schema_version: int = SCHEMA_VERSION
    run_id: str
    goal: str
    workflow: WorkflowSpec
    status: WorkflowStatus = "running"
    steps: dict[str, StepRecord]
    failures: dict[str, int] = {}
    """Failure counts by ``task | call signature | failure signature``."""
    delegation: dict[str, Any] = {}
    created_at: str = Field(default_factory=utc_now)
    updated_at: str = Field(default_factory=utc_now)

    @classmethod
    def new(cls, run_id: str, goal: str, workflow: WorkflowSpec) -> WorkflowState:
        return cls(
            run_id=run_id,
            goal=goal,
            workflow=workflow,
            steps={step.id: StepRecord() for step in workflow.steps},
        )


def save_state(paths: RunPaths, state: WorkflowState) -> None:
    """Replace ``workflow_state.json`` atomically.

    Serialised by pydantic's compiled encoder: this runs after every transition, and the
    standard library's indenting encoder (pure Python) made it the engine's main cost.
    """
    state.updated_at = utc_now()
    write_atomic(paths.workflow_state, state.model_dump_json(indent=2) + "\n")


def load_state(paths: RunPaths) -> WorkflowState:
    """The saved state of a run; a missing, damaged or newer file is a clear error."""
    if not paths.workflow_state.exists():
        raise WorkspaceError(
            f"run {paths.id} has no workflow_state.json: it never got past planning, "
            "so there is nothing to resume; start a new run"
        )
    data = read_json(paths.workflow_state)
    version = data.get("schema_version") if isinstance(data, dict) else None
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise WorkspaceError(
            f"{paths.workflow_state} has schema version {version}, newer than this tokimon "
            f"understands ({SCHEMA_VERSION}); upgrade tokimon"
        )
    try:
        return WorkflowState.model_validate(data)
    except ValidationError as exc:
        raise WorkspaceError(
            f"{paths.workflow_state} is not a valid workflow state: {exc}"
        ) from None
