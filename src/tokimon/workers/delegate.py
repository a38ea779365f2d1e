"""The ``delegate`` tool: a worker hands a sub-task to another role and reads its report.

A delegation is a call in the run's :class:`~tokimon.delegation.DelegationGraph`, checked
before it happens (:meth:`StepContext.delegate`): a cycle (a role given the task one of
its own ancestors has) or a repeat of a subtree that produced no new artifact is refused,
and the refusal comes back to the model as a tool error it can act on, traced as
``delegation.blocked``. The delegated worker runs inside the same attempt: same budget,
same evidence (its test runs and written files count for the attempt), its own role's
prompt and tools, and it may delegate further.

A role may delegate only to roles whose tools it has itself, so delegation never widens
what a worker can do: a Reviewer cannot get files written by delegating to an
Implementer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from tiffany.models import tool_from_model

from ..tools import Tool, ToolContext, ToolOutput

DELEGATE = "delegate"


class DelegateArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str = Field(description="The worker role to hand the sub-task to.")
    task: str = Field(
        min_length=1,
        description="The sub-task, self-contained: the other worker sees nothing else.",
    )


DelegateFunction = Callable[[DelegateArgs], Awaitable[ToolOutput]]


def delegate_tool(
    roles: Sequence[str], run: DelegateFunction, timeout: float
) -> Tool[DelegateArgs]:
    """The tool, offering ``roles``; ``run`` does a checked delegation."""
    description = (
        "Hand a sub-task to another worker and get its report back (its state, summary, "
        f"outputs and changed files). Roles you may delegate to: {', '.join(roles)}. Do "
        "not hand back your own whole step; a repeated or circular delegation is refused."
    )

    async def call(args: DelegateArgs, context: ToolContext) -> ToolOutput:
        return await run(args)

    spec = tool_from_model(DelegateArgs, name=DELEGATE, description=description)
    return Tool(spec, DelegateArgs, call, timeout)
