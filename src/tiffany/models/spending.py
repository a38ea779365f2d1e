"""A spending limit on a client: calls, tokens and dollars that may not be crossed.

A budget discovered after the call that broke it is no budget: the call has been paid
for. So the limit is checked before every provider call, with the request's estimated
input tokens and, where a price is known, the estimated cost of those tokens, against what
the client's ledger has recorded so far. A refused call raises
:class:`BudgetExceededError` (never retried), whose message says which limit and how much
was spent. Cache hits are free and never refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from .accounting import Ledger, Totals
from .errors import ModelError
from .types import Usage


class BudgetExceededError(ModelError):
    """A model call was refused because it would cross the client's spending limit."""


@dataclass(frozen=True)
class SpendingLimit:
    """At most ``max_calls`` provider calls, ``max_tokens`` input and output tokens, and
    ``max_cost`` US dollars; None leaves that measure unlimited."""

    max_calls: int | None = None
    max_tokens: int | None = None
    max_cost: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_calls", "max_tokens", "max_cost"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"a spending limit's {name} must be positive; got {value}")

    def check(self, ledger: Ledger, model: str, estimated_input: int) -> None:
        """Raise :class:`BudgetExceededError` if one more call of ``estimated_input``
        tokens would cross a limit, given what ``ledger`` has recorded."""
        spent = Totals()
        for record in ledger.records:
            if not record.cached:
                spent.add(record)
        calls = spent.calls
        if self.max_calls is not None and calls + 1 > self.max_calls:
            raise BudgetExceededError(
                f"the spending limit of {self.max_calls} model calls is reached "
                f"({calls} made); raise it to go on"
            )
        tokens = spent.usage.total_tokens
        if self.max_tokens is not None and tokens + estimated_input > self.max_tokens:
            raise BudgetExceededError(
                f"the next model call (about {estimated_input} input tokens) would cross the "
                f"spending limit of {self.max_tokens} tokens ({tokens} spent); raise it to go on"
            )
        if self.max_cost is not None and spent.cost is not None:
            next_cost = ledger.cost_of(model, Usage(input_tokens=estimated_input)) or 0.0
            if spent.cost + next_cost > self.max_cost:
                raise BudgetExceededError(
                    f"the next model call would cross the spending limit of "
                    f"${self.max_cost:.4f} (${spent.cost:.4f} spent); raise it to go on"
                )
