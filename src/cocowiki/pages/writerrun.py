"""The limits of one model-written build: which pages, how many at once, what it may spend.

``--max-calls`` and ``--max-cost`` become the model client's
:class:`tiffany.models.SpendingLimit`, checked before every provider call against what
the build has spent so far. A page whose next call is refused is left *pending* (its
deterministic page stands in, nothing of it is recorded as done) and the build ends
normally, so a rerun continues where it stopped; answers already received are in the
response cache and are replayed for free.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from tiffany.models import SpendingLimit


@dataclass(frozen=True, slots=True)
class RunLimits:
    """``--pages``, ``--jobs``, ``--max-calls`` and ``--max-cost`` of ``cw build``.

    ``pages`` keeps the order given: the build starts those pages first, in that order."""

    pages: Collection[str] | None = None
    jobs: int = 4
    max_calls: int | None = None
    max_cost: float | None = None

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise ValueError(f"--jobs must be at least 1, not {self.jobs}")
        if self.max_calls is not None and self.max_calls < 1:
            raise ValueError(f"--max-calls must be at least 1, not {self.max_calls}")
        if self.max_cost is not None and not self.max_cost > 0:
            raise ValueError(f"--max-cost must be more than 0 USD, not {self.max_cost}")

    def selects(self, module_id: str) -> bool:
        return self.pages is None or module_id in self.pages

    def spending_limit(self) -> SpendingLimit | None:
        if self.max_calls is None and self.max_cost is None:
            return None
        return SpendingLimit(max_calls=self.max_calls, max_cost=self.max_cost)
