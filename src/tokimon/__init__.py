"""tokimon: an autonomous coding agent.

Give it a goal and a repository: a manager plans the goal into a workflow of steps
(Planner, Implementer, Debugger, Reviewer, ...), runs them as tiffany tasks with tools
confined to the repository, keeps every state change on disk (so a crashed run resumes)
and writes a report. Start with :func:`run`::

    import tokimon

    result = tokimon.run(
        "make the failing test in tests/test_dates.py pass",
        "path/to/repo",
        model="openai:gpt-4o-mini",  # or scripted:script.jsonl, no network
    )
    print(result.status, result.report)

:func:`resume` continues an interrupted run, :func:`list_runs` and :func:`inspect_run`
read a workspace, and :mod:`tokimon.bench` runs benchmark suites. Results are frozen
dataclasses whose fields are the keys of the matching ``tokimon ... --json`` output;
every problem a caller can fix is a :class:`TokimonError`. The ``tokimon`` command line
is a thin layer over these functions.

Names are imported on first use, so ``import tokimon`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiffany.lazy import lazy_attributes

from .errors import (
    DelegationBlocked,
    PlanError,
    RunLocked,
    RunNotFound,
    TokimonError,
    WorkflowInvalid,
    WorkspaceError,
)
from .results import RunDetails, RunResult, RunSummary, StepResult, to_json

if TYPE_CHECKING:
    from . import bench
    from .api import inspect_run, list_runs, resume, run

__version__ = "0.1.0"

_WHERE = {
    "inspect_run": "api",
    "list_runs": "api",
    "resume": "api",
    "run": "api",
}

__all__ = [
    "DelegationBlocked",
    "PlanError",
    "RunDetails",
    "RunLocked",
    "RunNotFound",
    "RunResult",
    "RunSummary",
    "StepResult",
    "TokimonError",
    "WorkflowInvalid",
    "WorkspaceError",
    "bench",
    "inspect_run",
    "list_runs",
    "resume",
    "run",
    "to_json",
]

__getattr__, __dir__ = lazy_attributes(__name__, _WHERE, __all__, submodules={"bench"})
