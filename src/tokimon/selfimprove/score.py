"""The winner of a batch, by a score anyone can recompute from the session records.

The order, most important first: the evaluation passes; fewer failing tests; more tests
passing; the smaller diff (lines added and removed inside the paths); the lower cost; the
lower session number. A session that crashed, timed out or changed nothing inside the
paths is not a candidate. Every comparison that decided (or tied) is kept as a reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

CRITERIA = ("evaluation passes", "fewer failing tests", "more tests passing",
            "smaller diff", "lower cost", "lower session number")  # fmt: skip


def score(record: dict[str, Any]) -> tuple[float, ...]:
    """The session's sort key: smaller is better, one entry per :data:`CRITERIA`."""
    evaluation = record.get("evaluation") or {}
    failed = evaluation.get("tests_failed")
    passed = evaluation.get("tests_passed")
    diff = record.get("diff") or {}
    cost = (record.get("metrics") or {}).get("cost")
    return (
        0.0 if evaluation.get("passed") else 1.0,
        math.inf if failed is None else float(failed),
        -(float(passed) if passed is not None else -math.inf),
        float(diff.get("insertions", 0) + diff.get("deletions", 0)),
        math.inf if cost is None else float(cost),
        float(record.get("number", math.inf)),
    )


def candidate(record: dict[str, Any]) -> str | None:
    """Why the session cannot win, or None when it can."""
    if record.get("status") in ("crashed", "timeout"):
        return f"the session {record['status']}: {record.get('failure')}"
    if not record.get("commit") or not (record.get("diff") or {}).get("files"):
        return "it changed nothing inside the paths"
    return None


def pick_winner(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The ranking: ``winner`` (a session number or None), ``ranking`` (numbers, best
    first), ``excluded`` (number -> why) and ``reasons`` (lines for the report)."""
    excluded = {r["number"]: why for r in records if (why := candidate(r)) is not None}
    ranked = sorted((r for r in records if r["number"] not in excluded), key=score)
    reasons = [f"session {n} is not a candidate: {why}" for n, why in sorted(excluded.items())]
    if not ranked:
        reasons.append("no session is a candidate")
        return {"winner": None, "ranking": [], "excluded": excluded, "reasons": reasons}
    best = ranked[0]
    for other in ranked[1:]:
        reasons.append(_versus(best, other))
    return {
        "winner": best["number"],
        "ranking": [r["number"] for r in ranked],
        "excluded": excluded,
        "reasons": reasons or [f"session {best['number']} is the only candidate"],
        "scores": {str(r["number"]): _shown(score(r)) for r in ranked},
    }


def _versus(best: dict[str, Any], other: dict[str, Any]) -> str:
    a, b = score(best), score(other)
    tied: list[str] = []
    for criterion, mine, theirs in zip(CRITERIA, a, b, strict=True):
        if mine != theirs:
            ties = f" (tied on {', '.join(tied)})" if tied else ""
            return (
                f"session {best['number']} beats session {other['number']} on {criterion}"
                f"{ties}: {_value(mine, criterion)} vs {_value(theirs, criterion)}"
            )
        tied.append(criterion)
    return f"session {best['number']} ties with session {other['number']}"  # unreachable


def _value(value: float, criterion: str = "") -> str:
    if criterion == CRITERIA[0]:
        return "fails" if value else "passes"
    return "unknown" if math.isinf(value) else f"{abs(value):g}"


def _shown(key: tuple[float, ...]) -> list[float | None]:
    return [None if math.isinf(v) else v for v in key]
