"""``self_improve.md``: the run's report as a person reads it (the JSON holds it all)."""

from __future__ import annotations

from typing import Any

from .evaluation import describe


def render_markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Self-improve run {report['id']}",
        "",
        f"- goal: {report['goal']}",
        f"- master: `{report['master']}`",
        f"- paths: {', '.join(report['paths'])}",
        f"- evaluation: `{report['eval']}`",
        f"- models: {', '.join(report['models'])}; executor: {report['executor']}",
    ]
    for batch in report["batches"]:
        lines += _batch(batch)
    merges = report.get("merges")
    if merges is not None:
        lines += ["", f"Merge commits: {', '.join(merges) if merges else 'none'}"]
    return "\n".join(lines) + "\n"


def _batch(batch: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"## Batch {batch['batch']} (from {batch['base'][:12]})",
        "",
        f"Master before: {describe(batch['master_evaluation']).splitlines()[0]}",
        "",
        "| session | model | status | evaluation | failing | passing | diff | cost | files |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in batch["sessions"]:
        evaluation = s.get("evaluation") or {}
        diff = s.get("diff") or {}
        cost = (s.get("metrics") or {}).get("cost")
        lines.append(
            f"| {s['number']} | {s['model']} | {s['status']} | {evaluation.get('status', '-')} "
            f"| {evaluation.get('tests_failed', '-')} | {evaluation.get('tests_passed', '-')} "
            f"| +{diff.get('insertions', 0)} -{diff.get('deletions', 0)} "
            f"| {'-' if cost is None else f'{cost:.4f}'} | [session.json]({s['session_json']}) |"
        )
    ranking = batch["ranking"]
    winner = ranking["winner"]
    lines += ["", f"Winner: {'none' if winner is None else f'session {winner}'}", ""]
    lines += [f"- {reason}" for reason in ranking["reasons"]]
    merge = batch["merge"]
    lines.append("")
    if merge["merged"]:
        lines.append(f"Merged as {merge['commit']}.")
    else:
        lines.append(f"Not merged: {merge.get('reason')}.")
    if merge.get("conflicts"):
        lines.append(f"Conflicts resolved in the winner's favour: {', '.join(merge['conflicts'])}")
    for s in batch["sessions"]:
        if s.get("outside_paths"):
            outside = ", ".join(s["outside_paths"])
            lines.append(f"Session {s['number']} changed files outside the paths (not merged): "
                         f"{outside}")  # fmt: skip
    return lines
