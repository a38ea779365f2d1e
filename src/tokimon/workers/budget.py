"""A step budget: how many model calls, tokens and seconds one worker attempt may spend.

A worker that loops (re-reading the same file, re-running the same failing test) must
stop on its own before the step timeout cuts it off without a word, so that its attempt
ends with an account of what it did and the retry gate can judge it. Time is kernel time
(:func:`tiffany.current_time`), so budgets behave the same on a virtual clock in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import tiffany
from tiffany.models import Usage


@dataclass(frozen=True)
class StepBudget:
    """The limits of one attempt; every one of them must be positive."""

    max_model_calls: int = 30
    max_tokens: int = 1_000_000
    """Input and output tokens of every call together: each call sends the whole
    conversation again, so this grows faster than the conversation does."""
    max_seconds: float = 900.0

    def __post_init__(self) -> None:
        if self.max_model_calls < 1 or self.max_tokens < 1 or not self.max_seconds > 0:
            raise ValueError(f"every limit of a step budget must be positive: {self}")


class BudgetExhausted(Exception):
    """The attempt spent one of its limits; the message says which and how much."""


@dataclass
class BudgetMeter:
    """What an attempt has spent so far against its :class:`StepBudget`."""

    budget: StepBudget
    started: float | None = None
    """Kernel time of the first model call; the clock runs from there, across re-asks."""
    model_calls: int = 0
    usage: Usage = field(default_factory=Usage)
    tool_calls: int = 0

    def start(self) -> None:
        if self.started is None:
            self.started = tiffany.current_time()

    def elapsed(self) -> float:
        return 0.0 if self.started is None else tiffany.current_time() - self.started

    def remaining_seconds(self) -> float:
        return max(self.budget.max_seconds - self.elapsed(), 0.0)

    def charge(self, usage: Usage) -> None:
        self.model_calls += 1
        self.usage = self.usage + usage

    def check(self) -> None:
        """Raise :class:`BudgetExhausted` when another model call is not allowed."""
        limits = self.budget
        if self.model_calls >= limits.max_model_calls:
            raise BudgetExhausted(
                f"the step budget of {limits.max_model_calls} model calls is spent"
            )
        if self.usage.total_tokens >= limits.max_tokens:
            raise BudgetExhausted(
                f"the step budget of {limits.max_tokens} tokens is spent "
                f"({self.usage.total_tokens} used)"
            )
        if self.remaining_seconds() <= 0:
            raise BudgetExhausted(f"the step budget of {limits.max_seconds:g} s is spent")

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_calls": self.model_calls,
            "tool_calls": self.tool_calls,
            "input_tokens": self.usage.input_tokens,
            "output_tokens": self.usage.output_tokens,
            "seconds": round(self.elapsed(), 3),
        }
