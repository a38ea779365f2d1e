"""Workers: the roles that do a workflow's steps, each a model with a limited tool set.

:class:`Worker` is the engine's step runner; :class:`ToolLoop` is the model/tool loop it
(and the manager's planning) runs; :class:`StepBudget` bounds one attempt; :data:`ROLES`
holds each role's prompt and the inputs a plan must give it; :func:`delegate_tool` lets a
worker hand a sub-task to another role, checked against the run's delegation graph.
"""

from .answer import FinalAnswer, NoJsonObject, find_json_object, read_final_answer
from .budget import BudgetExhausted, BudgetMeter, StepBudget
from .delegate import DELEGATE, DelegateArgs, delegate_tool
from .loop import ToolLoop
from .roles import ROLE_REQUIREMENTS, ROLES, WorkerRole, worker_role
from .worker import Worker, brief, judge

__all__ = [
    "DELEGATE",
    "ROLES",
    "ROLE_REQUIREMENTS",
    "BudgetExhausted",
    "BudgetMeter",
    "DelegateArgs",
    "FinalAnswer",
    "NoJsonObject",
    "StepBudget",
    "ToolLoop",
    "Worker",
    "WorkerRole",
    "brief",
    "delegate_tool",
    "find_json_object",
    "judge",
    "read_final_answer",
    "worker_role",
]
