"""Tokens and estimated cost, per call, per task and per run.

A :class:`Ledger` is the run's book: every client that should count towards one total
shares one ledger (``client(..., ledger=run_ledger)``). Costs are *estimates* from a price
table that goes stale; unknown models cost ``None`` rather than a wrong zero, and callers
override prices with :class:`Pricing` (or ``[pricing]`` in the TOML file).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .types import Usage


def estimate_tokens(text: str) -> int:
    """A rough token count (4 characters a token) for budgeting before the real count."""
    return (len(text) + 3) // 4


@dataclass(frozen=True, slots=True)
class Pricing:
    """US dollars per million tokens."""

    input_per_mtok: float
    output_per_mtok: float
    cached_input_per_mtok: float | None = None

    def cost(self, usage: Usage) -> float:
        cached = min(usage.cached_tokens, usage.input_tokens)
        cached_price = (
            self.cached_input_per_mtok
            if self.cached_input_per_mtok is not None
            else self.input_per_mtok
        )
        total = (
            (usage.input_tokens - cached) * self.input_per_mtok
            + cached * cached_price
            + usage.output_tokens * self.output_per_mtok
        )
        return total / 1_000_000

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Pricing:
        try:
            return cls(
                float(data["input_per_mtok"]),
                float(data["output_per_mtok"]),
                float(data["cached_input_per_mtok"]) if "cached_input_per_mtok" in data else None,
            )
        except KeyError as exc:
            raise ValueError(
                f"pricing needs input_per_mtok and output_per_mtok (missing {exc})"
            ) from exc


# List prices at the time of writing, keyed by model-name prefix (longest prefix wins).
PRICES: dict[str, Pricing] = {
    "gpt-4o-mini": Pricing(0.15, 0.60, 0.075),
    "gpt-4o": Pricing(2.50, 10.00, 1.25),
    "gpt-4.1-nano": Pricing(0.10, 0.40, 0.025),
    "gpt-4.1-mini": Pricing(0.40, 1.60, 0.10),
    "gpt-4.1": Pricing(2.00, 8.00, 0.50),
    "o3-mini": Pricing(1.10, 4.40, 0.55),
    "o4-mini": Pricing(1.10, 4.40, 0.275),
    "claude-3-5-haiku": Pricing(0.80, 4.00, 0.08),
    "claude-3-5-sonnet": Pricing(3.00, 15.00, 0.30),
    "claude-3-7-sonnet": Pricing(3.00, 15.00, 0.30),
    "claude-sonnet-4": Pricing(3.00, 15.00, 0.30),
    "claude-opus-4": Pricing(15.00, 75.00, 1.50),
}


def price_for(model: str, overrides: Mapping[str, Pricing] | None = None) -> Pricing | None:
    """The pricing of ``model`` by longest matching prefix, overrides first."""
    for table in (overrides or {}, PRICES):
        matches = [prefix for prefix in table if model.startswith(prefix)]
        if matches:
            return table[max(matches, key=len)]
    return None


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One model call as the ledger saw it; cache hits are recorded with zero cost."""

    call_id: str
    provider: str
    model: str
    usage: Usage
    cost: float | None
    latency: float
    cached: bool = False
    task_id: int | None = None
    task_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "provider": self.provider,
            "model": self.model,
            "usage": self.usage.to_dict(),
            "cost": self.cost,
            "latency": self.latency,
            "cached": self.cached,
            "task_id": self.task_id,
            "task_name": self.task_name,
        }


@dataclass(slots=True)
class Totals:
    """Sums over some calls; ``cost`` is None while any counted call had no known price."""

    calls: int = 0
    cached_calls: int = 0
    usage: Usage = field(default_factory=Usage)
    cost: float | None = 0.0
    latency: float = 0.0

    def add(self, record: CallRecord) -> None:
        self.calls += 1
        self.cached_calls += int(record.cached)
        self.usage = self.usage + record.usage
        self.latency += record.latency
        if record.cost is None or self.cost is None:
            self.cost = None
        else:
            self.cost += record.cost

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "cached_calls": self.cached_calls,
            "usage": self.usage.to_dict(),
            "cost": self.cost,
            "latency": self.latency,
        }


class Ledger:
    """Every call of a run, with totals by task and by model; thread-safe."""

    def __init__(self, pricing: Mapping[str, Pricing] | None = None) -> None:
        self.pricing: dict[str, Pricing] = dict(pricing or {})
        self._records: list[CallRecord] = []
        self._lock = threading.Lock()

    def cost_of(self, model: str, usage: Usage) -> float | None:
        pricing = price_for(model, self.pricing)
        return pricing.cost(usage) if pricing is not None else None

    def record(self, record: CallRecord) -> None:
        with self._lock:
            self._records.append(record)

    @property
    def records(self) -> tuple[CallRecord, ...]:
        with self._lock:
            return tuple(self._records)

    def total(self) -> Totals:
        totals = Totals()
        for record in self.records:
            totals.add(record)
        return totals

    def by_task(self) -> dict[int | None, Totals]:
        return self._group(lambda r: r.task_id)

    def by_model(self) -> dict[str, Totals]:
        return self._group(lambda r: f"{r.provider}:{r.model}")

    def _group(self, key: Any) -> dict[Any, Totals]:
        groups: dict[Any, Totals] = {}
        for record in self.records:
            groups.setdefault(key(record), Totals()).add(record)
        return groups
