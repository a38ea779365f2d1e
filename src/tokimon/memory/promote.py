"""Promotion: a run's lessons and artifact records go into memory when the run ends.

:func:`run_memory` reads what a run left (its ``lessons/``, its ``workflow_state.json``)
and turns it into memory's records: each lesson with the components it concerns (the
modules of the files its step named or wrote) and each file an attempt wrote with the
run, step, attempt, how the attempt ended and why the step was there. :func:`promote_run`
hands them to the store, which adds only lessons it does not know (promotion is
idempotent: a second promotion of the same run adds nothing, and a forgotten lesson
stays forgotten). :func:`sweep` promotes every finished run whose lessons are not all in
memory yet: a process killed after its run ended but before promotion finished loses
nothing, the next run (or ``tokimon memory reindex``) completes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import WorkspaceError
from ..lessons import parse_lesson
from ..workflow import load_state
from ..workflow.spec import InputRef
from ..workflow.state import WorkflowState
from ..workspace import FINAL_STATUSES, RunInfo, RunPaths, Workspace, utc_now
from .components import ComponentMap
from .records import ArtifactRecord, MemoryLesson
from .store import MemoryStore


@dataclass
class Promotion:
    """What promoting one or more runs did."""

    runs: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    artifacts: int = 0
    damaged: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return dict(vars(self))


def run_memory(
    paths: RunPaths, components: ComponentMap, info: RunInfo | None = None
) -> tuple[list[MemoryLesson], list[ArtifactRecord], list[str]]:
    """The lessons and artifact records of one run, and the lesson files that were damaged."""
    info = info or paths.read_info()
    state = load_state(paths) if paths.workflow_state.exists() else None
    steps = {step.id: step for step in state.workflow.steps} if state else {}
    now = utc_now()
    lessons: list[MemoryLesson] = []
    damaged: list[str] = []
    files = sorted(paths.lessons.glob("*.md")) if paths.lessons.is_dir() else []
    for path in files:
        try:
            lesson = parse_lesson(path.read_text(encoding="utf-8"), str(path))
        except (OSError, WorkspaceError) as exc:
            damaged.append(str(exc))
            continue
        texts = [lesson.body]
        spec = steps.get(lesson.step_id)
        if spec is not None:
            texts += [spec.title, *(str(v) for v in spec.inputs.values() if not _ref(v))]
        if state is not None and lesson.step_id in state.steps:
            for attempt in state.steps[lesson.step_id].attempts:
                if attempt.number == lesson.attempt:
                    texts += attempt.artifacts
        involved = components.components_of(components.files_in(texts))
        lessons.append(MemoryLesson(lesson, tuple(involved), info.goal, now))
    return lessons, _artifacts(paths, info, state, components), damaged


def _ref(value: object) -> bool:
    return isinstance(value, InputRef)


def _artifacts(
    paths: RunPaths, info: RunInfo, state: WorkflowState | None, components: ComponentMap
) -> list[ArtifactRecord]:
    if state is None:
        return []
    records: list[ArtifactRecord] = []
    for spec in state.workflow.steps:
        task = spec.title or str(spec.inputs.get("task", "")) or spec.id
        for attempt in state.steps[spec.id].attempts:
            lesson_id = f"{paths.id}-{spec.id}-{attempt.number}" if attempt.lesson_file else None
            for artifact in attempt.artifacts:
                path, _, digest = artifact.rpartition("@")
                if not path:
                    path, digest = artifact, ""
                records.append(
                    ArtifactRecord(
                        path=path,
                        digest=digest,
                        run_id=paths.id,
                        step_id=spec.id,
                        attempt=attempt.number,
                        state=attempt.state or "",
                        ended_at=attempt.ended_at or attempt.started_at,
                        why=f"{task} -> {attempt.summary}".strip(),
                        goal=info.goal,
                        lesson_id=lesson_id,
                        components=tuple(components.components_of([path])),
                    )
                )
    return records


def promote_run(store: MemoryStore, paths: RunPaths, components: ComponentMap) -> Promotion:
    """Put one run's lessons and artifact records into ``store``."""
    lessons, artifacts, damaged = run_memory(paths, components)
    added = store.promote(lessons, {paths.id: artifacts})
    return Promotion([paths.id], added, len(artifacts), damaged)


def pending_runs(store: MemoryStore, workspace: Workspace) -> list[RunPaths]:
    """Finished runs (no process executing them) with a lesson memory does not know."""
    found = []
    for paths, info in workspace.runs():
        if info.status not in FINAL_STATUSES or paths.is_live() or not paths.lessons.is_dir():
            continue
        ids = [f"{paths.id}-{p.stem.replace('-attempt-', '-')}" for p in paths.lessons.glob("*.md")]
        if any(not store.known(lesson_id) for lesson_id in ids):
            found.append(paths)
    return found


def sweep(store: MemoryStore, workspace: Workspace, components: ComponentMap) -> Promotion:
    """Promote every finished run whose lessons are not all in memory (see the module
    docstring); a run whose folder is damaged is reported, never raised."""
    total = Promotion()
    for paths in pending_runs(store, workspace):
        try:
            done = promote_run(store, paths, components)
        except WorkspaceError as exc:
            total.damaged.append(str(exc))
            continue
        total.runs += done.runs
        total.added += done.added
        total.artifacts += done.artifacts
        total.damaged += done.damaged
    return total
