"""``tokimon bench compare A B``: what changed between two suite reports, and whether it
means anything.

A difference in solved attempts between two runs of a few repeats is often noise. Each
difference is weighed with Fisher's exact test on the 2x2 table of solved and unsolved
attempts (exact at any size, where a normal approximation is not); a p-value above 0.05 is
reported as "within noise", with the number of attempts that would be needed to tell.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import comb
from typing import Any

SIGNIFICANCE = 0.05


def fisher_exact(a_solved: int, a_total: int, b_solved: int, b_total: int) -> float:
    """Two-sided p-value that A and B solve at the same rate."""
    solved = a_solved + b_solved
    total = a_total + b_total
    if total == 0 or solved in (0, total):
        return 1.0

    def chance(x: int) -> float:
        return comb(a_total, x) * comb(b_total, solved - x) / comb(total, solved)

    observed = chance(a_solved)
    low, high = max(0, solved - b_total), min(a_total, solved)
    return min(
        1.0, sum(p for x in range(low, high + 1) if (p := chance(x)) <= observed * (1 + 1e-9))
    )


def compare_reports(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Per task and in total: solved attempts in A and B, the change, and its p-value."""
    tasks = []
    for name in sorted(set(a["tasks"]) | set(b["tasks"])):
        left, right = a["tasks"].get(name), b["tasks"].get(name)
        if left is None or right is None:
            tasks.append({"task": name, "only_in": "A" if right is None else "B"})
            continue
        row = _row(left["solved"], len(left["attempts"]), right["solved"], len(right["attempts"]))
        tasks.append({"task": name, **row})
    ta, tb = a["totals"], b["totals"]
    totals = _row(ta["solved"], ta["attempts"], tb["solved"], tb["attempts"])
    return {"a": a.get("id"), "b": b.get("id"), "tasks": tasks, "totals": totals}


def _row(a_solved: int, a_total: int, b_solved: int, b_total: int) -> dict[str, Any]:
    p = fisher_exact(a_solved, a_total, b_solved, b_total)
    rate_a = a_solved / a_total if a_total else 0.0
    rate_b = b_solved / b_total if b_total else 0.0
    row: dict[str, Any] = {
        "a": f"{a_solved}/{a_total}",
        "b": f"{b_solved}/{b_total}",
        "change": round(rate_b - rate_a, 4),
        "p_value": round(p, 4),
        "meaningful": p <= SIGNIFICANCE,
    }
    if rate_a != rate_b and p > SIGNIFICANCE:
        row["note"] = (
            f"within noise (p={p:.2f}); {_attempts_needed(rate_a, rate_b)} attempts "
            "on each side would tell a difference this large"
        )
    return row


def _attempts_needed(rate_a: float, rate_b: float) -> str:
    """Roughly how many attempts per side the same rates would need to be significant."""
    n = 2
    while n <= 1024:
        if fisher_exact(round(rate_a * n), n, round(rate_b * n), n) <= SIGNIFICANCE:
            return f"about {n}"
        n *= 2
    return "more than 1024"


def render_comparison(result: Mapping[str, Any]) -> str:
    lines = [f"A = {result['a']}, B = {result['b']}", ""]
    for row in result["tasks"]:
        if "only_in" in row:
            lines.append(f"{row['task']}: only in {row['only_in']}")
        elif row["change"]:
            note = f"  ({row['note']})" if "note" in row else ""
            lines.append(f"{row['task']}: {row['a']} -> {row['b']} ({row['change']:+.2f}){note}")
    unchanged = sum(1 for r in result["tasks"] if "only_in" not in r and not r["change"])
    lines.append(f"{unchanged} task(s) unchanged")
    t = result["totals"]
    verdict = "a real difference" if t["meaningful"] else t.get("note", "no difference")
    lines += ["", f"total: {t['a']} -> {t['b']} ({t['change']:+.2f}); {verdict}"]
    return "\n".join(lines) + "\n"
