"""The manager's plan: a goal turned into a checked workflow by asking the model.

The model may look around the repository first (the Planner's read-only tools), then
answers with the plan as a JSON object. The answer is parsed and validated by
:func:`tokimon.workflow.parse_workflow` against the worker roles; when it is not JSON, or
the workflow has problems (unknown role, missing input, unknown dependency, a cycle), the
model is told every problem at once and asked again, up to ``max_asks`` times. Each ask
and its verdict go to the trace (``plan.ask``, ``plan.invalid``, ``plan.accepted``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from tiffany.models import Message, ModelClient, ToolCall

from .errors import PlanError, WorkflowInvalid
from .tools import ToolExecution, Toolset, wiki_overview
from .trace import Trace
from .workers import (
    ROLE_REQUIREMENTS,
    ROLES,
    BudgetExhausted,
    NoJsonObject,
    StepBudget,
    ToolLoop,
    WorkerRole,
    find_json_object,
)
from .workflow import WorkflowSpec, parse_workflow

EXAMPLE_PLAN = {
    "steps": [
        {
            "id": "triage",
            "role": "TestTriager",
            "title": "find out which tests fail and why",
        },
        {
            "id": "fix",
            "role": "Implementer",
            "title": "fix the cause",
            "inputs": {"task": "Fix the bug the triage found.", "triage": {"step": "triage"}},
            "depends_on": ["triage"],
        },
    ]
}


def planning_prompt(roles: Mapping[str, WorkerRole] = ROLES) -> str:
    """The system prompt of the planning conversation: roles, schema and an example."""
    listed = "\n".join(
        f"- {role.name}: {role.purpose}; "
        + (
            f"required inputs: {', '.join(role.required_inputs)}"
            if role.required_inputs
            else "no required inputs"
        )
        for role in roles.values()
    )
    return f"""\
You are the manager of a coding agent. Turn the user's goal into a workflow: a small DAG
of steps, each done by one worker role. You may read the repository with your tools
first. Then reply without tool calls, with the plan as ONE JSON object and nothing else:

{{"steps": [{{"id": "...", "role": "...", "title": "...", "inputs": {{}}, "depends_on": []}}]}}

- id: letters, digits, '_' or '-', unique; depends_on: ids of earlier steps.
- inputs: text values, or {{"step": "<id>", "output": "summary"}} to pass on what an
  earlier step (which must be in depends_on) reported; "output" may name one of its outputs.
- optional: "priority" (critical, high, normal, low, idle), "timeout" (seconds),
  "max_attempts" (1-10).
- Prefer few steps: one Implementer step is right for a small, clear fix.

Worker roles:
{listed}

Example:
{json.dumps(EXAMPLE_PLAN, indent=2)}"""


async def plan_workflow(
    model: ModelClient,
    toolset: Toolset,
    goal: str,
    *,
    budget: StepBudget,
    max_asks: int = 3,
    trace: Trace | None = None,
) -> WorkflowSpec:
    """A validated workflow for ``goal``; :class:`PlanError` after ``max_asks`` bad ones."""
    if max_asks < 1:
        raise ValueError(f"max_asks is 1 or more, got {max_asks}")
    planner = toolset.for_role("Planner")
    listing = await planner.execute(ToolCall("plan-listing", "list_dir", {"depth": 2}))
    loop = ToolLoop(
        model,
        planner,
        [Message.system(planning_prompt()), Message.user(first_message(goal, planner, listing))],
        budget,
    )
    problems: list[str] = []
    for ask in range(1, max_asks + 1):
        _emit(trace, "plan.ask", ask=ask)
        try:
            answer = await loop.answer()
        except BudgetExhausted as exc:
            raise PlanError(f"planning stopped before a valid plan: {exc}") from None
        try:
            spec = parse_workflow(find_json_object(answer), ROLE_REQUIREMENTS)
        except NoJsonObject as exc:
            problems = [f"{exc}; reply with the plan as one JSON object"]
        except WorkflowInvalid as exc:
            problems = list(exc.problems)
        else:
            _emit(trace, "plan.accepted", ask=ask, steps=[s.id for s in spec.steps])
            return spec
        _emit(trace, "plan.invalid", ask=ask, problems=problems)
        listed = "\n".join(f"- {problem}" for problem in problems)
        loop.tell(
            f"That plan cannot be used:\n{listed}\n"
            "Reply with the whole corrected plan as one JSON object."
        )
    listed = "\n".join(f"- {problem}" for problem in problems)
    raise PlanError(
        f"the model gave no valid plan in {max_asks} asks; the last one had these "
        f"problems:\n{listed}"
    )


def first_message(goal: str, planner: Toolset, listing: ToolExecution) -> str:
    """The goal, the repository's top levels and, when its wiki is built, the overview
    page's summary (so the plan starts from what the code is, not only its file names)."""
    text = f"Goal: {goal}\n\nThe repository's top levels:\n{listing.result.content}"
    overview = wiki_overview(planner.tree, planner.config)
    if overview is not None:
        text += (
            "\n\nThe repository's wiki overview (ask it more with wiki_ask, wiki_lookup, "
            f"wiki_page):\n{overview}"
        )
    return text


def _emit(trace: Trace | None, kind: str, **fields: object) -> None:
    if trace is not None:
        trace.emit(kind, **fields)
