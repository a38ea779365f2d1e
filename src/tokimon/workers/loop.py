"""The model/tool loop every worker (and the manager's planning) runs.

Send the conversation and the role's tool specs; run each tool call the model makes
through the :class:`~tokimon.tools.Toolset`; append the results; repeat until the model
replies without tool calls, which is its answer. Nothing the model does wrong stops the
loop: a call that is not JSON, names a tool the role does not have, has arguments that
do not fit the schema or reaches out of the repository comes back to the model as an
error result (:meth:`Toolset.execute`), and the model corrects itself on the next turn.
What stops it is its answer or its :class:`~.budget.StepBudget`.

The loop emits nothing itself: model calls and tool calls already reach the run's trace
as kernel events (``model.call.*`` from :mod:`tiffany.models`, ``tool.call.*`` from the
toolset), which :class:`tokimon.trace.Trace` records while it is installed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import tiffany
from tiffany.models import Message, ModelClient

from ..tools import ToolExecution, Toolset
from .budget import BudgetExhausted, BudgetMeter, StepBudget

LogFunction = Callable[[str], None]


class ToolLoop:
    """One conversation with a model that may call tools; see the module docstring."""

    def __init__(
        self,
        model: ModelClient,
        toolset: Toolset,
        messages: Sequence[Message],
        budget: StepBudget,
        *,
        log: LogFunction | None = None,
        meter: BudgetMeter | None = None,
        executions: list[ToolExecution] | None = None,
    ) -> None:
        self.model = model
        self.toolset = toolset
        self.messages: list[Message] = list(messages)
        self.executions: list[ToolExecution] = [] if executions is None else executions
        """Every tool call made, in order; shared with nested loops when passed in."""
        self.meter = meter or BudgetMeter(budget)
        """What was spent; a meter passed in is shared (a delegation spends its caller's)."""
        self._log = log or (lambda line: None)

    def tell(self, text: str) -> None:
        """Add a user message (the manager's feedback on an answer it cannot accept)."""
        self.messages.append(Message.user(text))

    async def answer(self) -> str:
        """Run turns until the model answers; :class:`BudgetExhausted` if it runs out."""
        answer: str | None = None
        self.meter.start()
        with tiffany.move_on_after(self.meter.remaining_seconds()) as scope:
            answer = await self._turns()
        if scope.cancelled_caught or answer is None:
            raise BudgetExhausted(
                f"the step budget of {self.meter.budget.max_seconds:g} s is spent"
            )
        return answer

    async def _turns(self) -> str:
        while True:
            self.meter.check()
            await self.toolset.refresh()  # tools added meanwhile (skills) are offered now
            specs = list(self.toolset.specs)
            completion = await self.model.complete(self.messages, tools=specs)
            self.meter.charge(completion.usage)
            self.messages.append(completion.message())
            names = ", ".join(call.name for call in completion.tool_calls) or "none"
            self._log(
                f"model call {self.meter.model_calls}: tool calls: {names}; "
                f"{completion.usage.total_tokens} tokens, {completion.latency:.2f} s"
            )
            if not completion.tool_calls:
                return completion.text
            for call in completion.tool_calls:
                execution = await self.toolset.execute(call)
                self.meter.tool_calls += 1
                self.executions.append(execution)
                self.messages.append(execution.result.to_message())
                first_line = execution.result.content.partition("\n")[0][:200]
                arguments = (
                    json.dumps(call.arguments)[:200] if call.arguments else call.raw_arguments[:200]
                )
                self._log(
                    f"  {call.name} {arguments} -> "
                    f"{'ERROR ' if execution.result.is_error else ''}{first_line}"
                )
