"""The limits of one model-written build: which pages, how many at once, what it may spend.

``--max-calls`` and ``--max-cost`` are a :class:`CallBudget` shared by every page of the
build. A page checks it before each model call; once it is spent, the pages not yet
finished are left *pending* (their deterministic page stands in, nothing of them is
recorded as done) and the build ends normally, so a rerun continues where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RunLimits:
    """``--pages``, ``--jobs``, ``--max-calls`` and ``--max-cost`` of ``cw build``."""

    pages: frozenset[str] | None = None
    jobs: int = 4
    max_calls: int | None = None
    max_cost: float | None = None

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise ValueError(f"--jobs must be at least 1, not {self.jobs}")
        if self.max_calls is not None and self.max_calls < 0:
            raise ValueError(f"--max-calls must be 0 or more, not {self.max_calls}")
        if self.max_cost is not None and self.max_cost < 0:
            raise ValueError(f"--max-cost must be 0 or more, not {self.max_cost}")

    def selects(self, module_id: str) -> bool:
        return self.pages is None or module_id in self.pages


class BudgetSpent(Exception):
    """The build's ``--max-calls`` or ``--max-cost`` is reached; the message says which."""


class CallBudget:
    """Model calls and cost spent so far in this build, against the limits."""

    def __init__(self, limits: RunLimits) -> None:
        self.limits = limits
        self.calls = 0
        self.cost = 0.0
        self.spent: str | None = None

    def check(self) -> None:
        """Raise :class:`BudgetSpent` when no further call may start."""
        limits = self.limits
        if limits.max_calls is not None and self.calls >= limits.max_calls:
            self.spent = f"--max-calls {limits.max_calls} reached"
        elif limits.max_cost is not None and self.cost >= limits.max_cost:
            self.spent = f"--max-cost {limits.max_cost:g} USD reached (spent {self.cost:.4f})"
        if self.spent is not None:
            raise BudgetSpent(self.spent)

    def record(self, cost: float | None) -> None:
        self.calls += 1
        self.cost += cost or 0.0
