"""The benchmark harness: tasks in a folder format, validated, run in isolation, reported.

``tokimon bench list | validate | run | compare``; the format and how to run a real
model on the shipped suite are in ``docs/tokimon/benchmarks.md``.
"""

from .attempt import ORACLE, AttemptSpec, run_attempt
from .compare import compare_reports
from .report import pass_at_k, suite_report
from .suite import Executor, SuiteRun
from .task import BenchTask, Budget, TaskError, discover, load_task, select
from .validate import Validation, validate_task

__all__ = [
    "ORACLE",
    "AttemptSpec",
    "BenchTask",
    "Budget",
    "Executor",
    "SuiteRun",
    "TaskError",
    "Validation",
    "compare_reports",
    "discover",
    "load_task",
    "pass_at_k",
    "run_attempt",
    "select",
    "suite_report",
    "validate_task",
]
