"""What a workflow is, and the checks it must pass before any step runs.

A workflow is a DAG of steps. Each step names a worker role, the inputs it gets (literal
text, or a reference to an output of a step it depends on) and its dependencies. The
schema is a pydantic model, so a plan a model wrote is parsed and checked in one place;
:func:`parse_workflow` then checks what a schema cannot: duplicate ids, unknown roles,
inputs a role requires but the step lacks, references to steps that do not come before,
and dependency cycles. Every problem is reported at once, one a line, because the reader
is often a model being asked to fix its plan, and it does better seeing all of them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from graphlib import CycleError, TopologicalSorter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

import tiffany

from ..errors import WorkflowInvalid

STEP_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
PriorityName = Literal["critical", "high", "normal", "low", "idle"]

RoleRequirements = Mapping[str, Collection[str]]
"""Known worker roles, each with the names of the inputs it requires."""


class InputRef(BaseModel):
    """An input taken from an output of an earlier step (``summary`` unless named)."""

    model_config = ConfigDict(extra="forbid")

    step: str
    output: str = "summary"


class StepSpec(BaseModel):
    """One step of a workflow."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=STEP_ID_PATTERN)
    role: str
    title: str = ""
    inputs: dict[str, str | InputRef] = {}
    depends_on: list[str] = []
    priority: PriorityName = "normal"
    timeout: float | None = Field(default=None, gt=0)
    max_attempts: int = Field(default=3, ge=1, le=10)

    @property
    def tiffany_priority(self) -> tiffany.Priority:
        return tiffany.Priority[self.priority.upper()]


class WorkflowSpec(BaseModel):
    """The steps, in the order the plan listed them (ties in scheduling follow it)."""

    model_config = ConfigDict(extra="forbid")

    steps: list[StepSpec] = Field(min_length=1)

    def step(self, step_id: str) -> StepSpec:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def dependencies(self) -> dict[str, set[str]]:
        """Each step id with the ids it depends on (unknown ids and self-edges dropped;
        steps that share an id, which validation reports, share their dependencies)."""
        known = {step.id for step in self.steps}
        dependencies: dict[str, set[str]] = {}
        for step in self.steps:
            dependencies.setdefault(step.id, set()).update(
                d for d in step.depends_on if d in known and d != step.id
            )
        return dependencies

    def ancestors(self, step_id: str) -> set[str]:
        """Every step that must finish before ``step_id`` can start."""
        dependencies = self.dependencies()
        seen: set[str] = set()
        pending = list(dependencies.get(step_id, ()))
        while pending:
            current = pending.pop()
            if current not in seen:
                seen.add(current)
                pending.extend(dependencies.get(current, ()))
        return seen


def validation_problems(exc: ValidationError) -> list[str]:
    """Pydantic's errors as ``steps[1].role: Field required`` lines."""
    lines = []
    for error in exc.errors():
        where = ""
        for part in error["loc"]:
            where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
        lines.append(f"{where or 'workflow'}: {error['msg']}")
    return lines


def parse_workflow(data: Any, roles: RoleRequirements) -> WorkflowSpec:
    """A checked workflow from plain data; :class:`WorkflowInvalid` lists every problem."""
    try:
        spec = WorkflowSpec.model_validate(data)
    except ValidationError as exc:
        raise WorkflowInvalid(validation_problems(exc)) from None
    problems = workflow_problems(spec, roles)
    if problems:
        raise WorkflowInvalid(problems)
    return spec


def workflow_problems(spec: WorkflowSpec, roles: RoleRequirements) -> list[str]:
    """Everything wrong with a schema-valid workflow, or nothing."""
    problems: list[str] = []
    ids = [step.id for step in spec.steps]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    problems.extend(f"step id {i!r} is used by {ids.count(i)} steps" for i in duplicates)
    known = set(ids)
    for step in spec.steps:
        where = f"step {step.id!r}"
        if step.role not in roles:
            problems.append(
                f"{where}: unknown role {step.role!r}; known roles: {', '.join(sorted(roles))}"
            )
        else:
            missing = [name for name in roles[step.role] if name not in step.inputs]
            problems.extend(f"{where} ({step.role}): missing input {name!r}" for name in missing)
        for dependency in step.depends_on:
            if dependency == step.id:
                problems.append(f"{where} depends on itself")
            elif dependency not in known:
                problems.append(f"{where} depends on unknown step {dependency!r}")
    problems.extend(_cycle_problems(spec))
    if not problems:
        problems.extend(_reference_problems(spec))
    return problems


def _cycle_problems(spec: WorkflowSpec) -> list[str]:
    """One line per dependency cycle, found by breaking each reported cycle and looking again."""
    dependencies = spec.dependencies()
    problems = []
    while True:
        try:
            TopologicalSorter(dependencies).prepare()
        except CycleError as exc:
            cycle: list[str] = list(reversed(exc.args[1]))
            problems.append(f"dependency cycle: {' -> '.join(cycle)}")
            dependencies[cycle[1]].discard(cycle[0])
        else:
            return sorted(problems)


def _reference_problems(spec: WorkflowSpec) -> list[str]:
    """Input references must name a step that is sure to have finished first."""
    known = {step.id for step in spec.steps}
    problems = []
    for step in spec.steps:
        before = spec.ancestors(step.id)
        for name, value in step.inputs.items():
            if not isinstance(value, InputRef):
                continue
            where = f"step {step.id!r}: input {name!r}"
            if value.step not in known:
                problems.append(f"{where} refers to unknown step {value.step!r}")
            elif value.step not in before:
                problems.append(
                    f"{where} refers to step {value.step!r}, which is not among its "
                    f"dependencies; add {value.step!r} to depends_on"
                )
    return problems
