"""The retry gate: a failed step runs again only as a *different* attempt that can still help.

After an attempt ends FAILED or PARTIAL, :meth:`RetryPolicy.decide` looks at every
finished attempt of the step and answers with a :class:`RetryDecision`:

- the attempt budget (the step's ``max_attempts``) caps everything;
- progress is measured against the earlier attempts (:func:`measure_progress`): fewer
  remaining problems in a numeric ``progress`` value (``failing_tests: 3 -> 1``), a flag
  newly true (``reproduced: true``), or an artifact no earlier attempt produced;
- when more than ``patience`` attempts in a row made no progress, the step has stalled
  and ends as it is (FAILED or PARTIAL);
- the next attempt changes at least one dimension: the one the worker proposed
  (``retry_with``), else the next strategy on the escalation ladder; and unless the
  worker chose a retrieval stage itself, memory retrieval escalates one stage (up to
  :data:`MAX_RETRIEVAL_STAGE`), so a retry also sees more of what earlier runs learnt;
- a call signature that was already tried is refused unless the last attempt made
  progress (re-running a call that is getting somewhere is fine; repeating one that is
  not is a loop).

The policy is pure (no I/O, no clock): the engine persists, traces and writes the lesson.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .signatures import Dimensions

DEFAULT_STRATEGIES = ("direct", "reproduce-first", "alternative-hypothesis", "decompose")
FIRST_RETRIEVAL_STAGE = 1
MAX_RETRIEVAL_STAGE = 3


@dataclass(frozen=True)
class AttemptResult:
    """What the gate needs to know about one finished attempt."""

    number: int
    dimensions: Dimensions
    signature: str
    state: str
    failure_signature: str | None = None
    progress: Mapping[str, Any] = field(default_factory=dict)
    artifacts: Sequence[str] = ()


@dataclass(frozen=True)
class Progress:
    """Whether an attempt got further than the ones before it, and the evidence.

    ``made`` is None for a first attempt: there is nothing to compare it with.
    """

    made: bool | None
    evidence: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.made is None:
            return "first attempt (no baseline)"
        return "; ".join(self.evidence) if self.made else "no progress"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def measure_progress(earlier: Sequence[AttemptResult], latest: AttemptResult) -> Progress:
    """Compare ``latest`` with the best of ``earlier``.

    Numeric progress values count what remains to be done (failing tests, errors), so
    lower is better; boolean values are milestones (a reproduction), so true is better.
    """
    if not earlier:
        return Progress(None)
    evidence: list[str] = []
    seen = {artifact for attempt in earlier for artifact in attempt.artifacts}
    new = [artifact for artifact in latest.artifacts if artifact not in seen]
    if new:
        evidence.append(f"new artifact(s): {', '.join(new[:5])}")
    for key, value in sorted(latest.progress.items()):
        before = [a.progress[key] for a in earlier if key in a.progress]
        if isinstance(value, bool):
            if value and not any(b is True for b in before):
                evidence.append(f"{key} is now true")
        elif _is_number(value):
            numbers = [b for b in before if _is_number(b)]
            if numbers and value < min(numbers):
                evidence.append(f"{key} {min(numbers)} -> {value}")
    return Progress(bool(evidence), tuple(evidence))


def stalled_run(attempts: Sequence[AttemptResult]) -> int:
    """How many attempts in a row, counting back from the last, made no progress."""
    count = 0
    for index in range(len(attempts) - 1, 0, -1):
        if measure_progress(attempts[:index], attempts[index]).made:
            break
        count += 1
    return count


@dataclass(frozen=True)
class RetryDecision:
    approved: bool
    reason: str
    progress: Progress
    dimensions: Dimensions | None = None
    signature: str | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class RetryPolicy:
    """When a failed or partial step may run again, and how the next attempt differs."""

    strategies: tuple[str, ...] = DEFAULT_STRATEGIES
    patience: int = 1
    """Attempts in a row without progress that are tolerated before the step stalls."""

    def __post_init__(self) -> None:
        if not self.strategies:
            raise ValueError("a retry policy needs at least one strategy")
        if self.patience < 0:
            raise ValueError(f"patience is 0 or more, got {self.patience}")

    def first(self, role: str) -> Dimensions:
        """The dimensions of a step's first attempt."""
        return Dimensions(
            role=role, strategy=self.strategies[0], retrieval_stage=FIRST_RETRIEVAL_STAGE
        )

    def escalate(self, attempts: Sequence[AttemptResult]) -> str | None:
        """The next strategy on the ladder that no attempt has used, or None."""
        used = {attempt.dimensions.strategy for attempt in attempts}
        last = attempts[-1].dimensions.strategy
        start = self.strategies.index(last) + 1 if last in self.strategies else 0
        for strategy in (*self.strategies[start:], *self.strategies[:start]):
            if strategy not in used:
                return strategy
        return None

    def decide(
        self,
        attempts: Sequence[AttemptResult],
        *,
        max_attempts: int,
        proposal: Mapping[str, Any],
        sign: Callable[[Dimensions], str],
    ) -> RetryDecision:
        """Whether the step whose finished ``attempts`` these are may run once more."""
        latest = attempts[-1]
        progress = measure_progress(attempts[:-1], latest)

        def refuse(reason: str) -> RetryDecision:
            return RetryDecision(False, reason, progress)

        if len(attempts) >= max_attempts:
            return refuse(f"attempt budget spent ({len(attempts)} of {max_attempts})")
        stalled = stalled_run(attempts)
        if stalled > self.patience:
            return refuse(
                f"progress stalled: {stalled} attempts in a row brought no fewer failures, "
                "no new reproduction and no new artifact"
            )
        try:
            proposed = latest.dimensions.replace(proposal)
        except ValueError as exc:
            return refuse(str(exc))
        if proposed == latest.dimensions:
            strategy = self.escalate(attempts)
            if strategy is None:
                return refuse(
                    "no dimension left to change: every strategy on the ladder was tried "
                    "and the worker proposed no other change"
                )
            proposed = proposed.replace({"strategy": strategy})
        if "retrieval_stage" not in proposal and proposed.retrieval_stage < MAX_RETRIEVAL_STAGE:
            proposed = proposed.replace({"retrieval_stage": proposed.retrieval_stage + 1})
        signature = sign(proposed)
        tried = {attempt.signature for attempt in attempts}
        if signature in tried and not progress.made:
            return refuse(
                f"identical call signature {signature} was already tried and the last "
                "attempt made no progress"
            )
        changes = proposed.changes_from(latest.dimensions)
        changed = ", ".join(f"{k}: {v[0]} -> {v[1]}" for k, v in changes.items())
        return RetryDecision(True, f"retry with {changed}", progress, proposed, signature, changes)
