"""Workflows: the step DAG, its state machine, its persisted state and the engine."""

from .engine import (
    StepContext,
    StepOutcome,
    StepReport,
    StepRunner,
    WorkflowReport,
    report_from_state,
    resume_workflow,
    run_workflow,
)
from .spec import InputRef, StepSpec, WorkflowSpec, parse_workflow, workflow_problems
from .state import WorkflowState, load_state
from .states import TRANSITIONS, StepState, check_transition

__all__ = [
    "TRANSITIONS",
    "InputRef",
    "StepContext",
    "StepOutcome",
    "StepReport",
    "StepRunner",
    "StepSpec",
    "StepState",
    "WorkflowReport",
    "WorkflowSpec",
    "WorkflowState",
    "check_transition",
    "load_state",
    "parse_workflow",
    "report_from_state",
    "resume_workflow",
    "run_workflow",
    "workflow_problems",
]
