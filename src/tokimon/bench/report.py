"""Suite reports: per attempt, per task, per category and in total, with pass@k.

``pass@k`` is the unbiased estimate of the chance that at least one of ``k`` attempts
solves a task, from ``n`` attempts of which ``c`` solved it: ``1 - C(n-c, k) / C(n, k)``
(the estimator of the HumanEval paper), averaged over tasks. ``reports/suite-report.json``
is the data; ``suite-report.md`` the same for a person.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from math import comb
from pathlib import Path
from typing import Any

from tiffany.atomic import write_atomic

from ..jsonfile import write_json

REPORT_VERSION = 1
_SUMMED = ("model_calls", "input_tokens", "output_tokens", "steps", "retries", "wall_s")


def pass_at_k(n: int, c: int, k: int) -> float:
    """The chance that one of ``k`` of ``n`` attempts, ``c`` of them solved, solves it."""
    if n < k or k < 1:
        raise ValueError(f"pass@{k} needs at least {k} attempts; there are {n}")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def suite_report(meta: Mapping[str, Any], records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The report of a suite run from its attempts' records."""
    by_task: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for record in records:
        by_task[f"{record['suite']}/{record['task']}"].append(record)
    k = int(meta.get("repeat", 1))
    tasks = {}
    for name, attempts in sorted(by_task.items()):
        attempts = sorted(attempts, key=lambda r: int(r["attempt"]))
        n, c = len(attempts), sum(bool(r["solved"]) for r in attempts)
        tasks[name] = {
            "category": attempts[0]["category"],
            "attempts": [
                {key: v for key, v in r.items() if key != "check_output"} for r in attempts
            ],
            "solved": c,
            "pass@1": pass_at_k(n, c, 1),
            f"pass@{k}": pass_at_k(n, c, min(k, n)),
            "tests_touched": sorted({p for r in attempts for p in r.get("tests_touched", [])}),
        }
    return {
        "version": REPORT_VERSION,
        **meta,
        "tasks": tasks,
        "categories": _categories(tasks, k),
        "totals": {**_totals(records), **_pass_rates(tasks.values(), k)},
    }


def _without_output(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record for the report: the check's output stays in the attempt's own file."""
    return {key: value for key, value in record.items() if key != "check_output"}


def _pass_rates(tasks: Iterable[Mapping[str, Any]], k: int) -> dict[str, float]:
    rows = list(tasks)
    if not rows:
        return {"pass@1": 0.0, f"pass@{k}": 0.0}
    return {
        "pass@1": sum(t["pass@1"] for t in rows) / len(rows),
        f"pass@{k}": sum(t[f"pass@{k}"] for t in rows) / len(rows),
    }


def _categories(tasks: Mapping[str, Mapping[str, Any]], k: int) -> dict[str, Any]:
    grouped: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for task in tasks.values():
        grouped[task["category"]].append(task)
    return {
        name: {
            "tasks": len(rows),
            "solved": sum(t["solved"] > 0 for t in rows),
            **_pass_rates(rows, k),
        }
        for name, rows in sorted(grouped.items())
    }


def _totals(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = {key: 0 for key in _SUMMED}
    cost: float | None = 0.0
    statuses: dict[str, int] = defaultdict(int)
    tools: dict[str, int] = defaultdict(int)
    for record in records:
        for key in _SUMMED:
            totals[key] += record.get(key) or 0
        price = record.get("cost")
        cost = None if price is None or cost is None else cost + price
        statuses[record["status"]] += 1
        for name, count in (record.get("tool_calls") or {}).items():
            tools[name] += count
    totals["wall_s"] = round(totals["wall_s"], 3)
    return {
        "attempts": len(records),
        "solved": statuses.get("solved", 0),
        "statuses": dict(sorted(statuses.items())),
        **totals,
        "cost": cost,
        "tool_calls": dict(sorted(tools.items())),
        "attempts_touching_tests": sum(bool(r.get("tests_touched")) for r in records),
    }


def render_markdown(report: Mapping[str, Any]) -> str:
    """The report as a page: totals, categories, then one row per attempt."""
    totals = report["totals"]
    k = int(report.get("repeat", 1))
    cost = "unknown" if totals["cost"] is None else f"${totals['cost']:.4f}"
    passes = f"- pass@1 {totals['pass@1']:.3f}"
    if k > 1:
        passes += f"; pass@{k} {totals[f'pass@{k}']:.3f}"
    lines = [
        f"# Suite run {report['id']}: {totals['solved']} of {totals['attempts']} attempts solved",
        "",
        f"- model: {report['model']}; repeats (k): {k}; tasks: {len(report['tasks'])}",
        passes,
        f"- spent: {totals['model_calls']} model calls, {totals['input_tokens']} input and "
        f"{totals['output_tokens']} output tokens, cost {cost}, {totals['wall_s']:.1f} s",
    ]
    if totals["attempts_touching_tests"]:
        lines.append(
            f"- **warning**: {totals['attempts_touching_tests']} attempt(s) changed test files "
            "(see tests_touched); hidden checks were copied over them before judging"
        )
    lines += [
        "",
        "## Categories",
        "",
        "| category | tasks | solved | pass@1 |",
        "|---|---|---|---|",
    ]
    for name, row in report["categories"].items():
        lines.append(f"| {name} | {row['tasks']} | {row['solved']} | {row['pass@1']:.2f} |")
    lines += [
        "",
        "## Attempts",
        "",
        "| task | # | status | s | steps | retries | calls | tokens in/out | tools | failure |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, task in report["tasks"].items():
        for r in task["attempts"]:
            tools = ", ".join(f"{t} {n}" for t, n in r.get("tool_calls", {}).items())
            failure = (r.get("failure") or "").replace("|", "\\|").replace("\n", " ")[:120]
            touched = " (tests touched)" if r.get("tests_touched") else ""
            lines.append(
                f"| {name} | {r['attempt']} | {r['status']}{touched} | {r.get('wall_s', 0):.1f} "
                f"| {r.get('steps', 0)} | {r.get('retries', 0)} | {r.get('model_calls', 0)} "
                f"| {r.get('input_tokens', 0)}/{r.get('output_tokens', 0)} | {tools} | {failure} |"
            )
    return "\n".join(lines) + "\n"


def write_reports(folder: Path, report: Mapping[str, Any]) -> Path:
    """``reports/suite-report.json`` and ``.md`` in a suite run's folder; the JSON's path."""
    reports = folder / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    write_json(reports / "suite-report.json", report)
    write_atomic(reports / "suite-report.md", render_markdown(report))
    return reports / "suite-report.json"
