"""The end of a run: ``reports/report.json`` and ``reports/report.md``.

The report is what a user reads after ``tokimon run``: the status, each step with its
state, attempts, summary and failure, the files the workers changed, the lessons written
before retries, and what the run spent (model calls, tokens, tool calls). Spending is
counted from ``trace.jsonl`` rather than from one process's ledger, so a run that was
resumed reports the calls of every session. Both files are written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tiffany.atomic import write_atomic

from .artifacts import StepArtifacts
from .jsonfile import write_json
from .trace import iter_trace
from .workflow import WorkflowReport
from .workspace import RunInfo, RunPaths, utc_now


def spending(paths: RunPaths) -> dict[str, int]:
    """Model calls, tokens and tool calls of the whole run, from its trace."""
    totals = {"model_calls": 0, "input_tokens": 0, "output_tokens": 0, "tool_calls": 0}
    for record in iter_trace(paths.trace):
        kind = record.get("kind")
        if kind == "model.call.finish":
            usage = record.get("usage") or {}
            totals["model_calls"] += 1
            totals["input_tokens"] += int(usage.get("input_tokens", 0))
            totals["output_tokens"] += int(usage.get("output_tokens", 0))
        elif kind == "tool.call.finish":
            totals["tool_calls"] += 1
    return totals


def build_report(
    paths: RunPaths, info: RunInfo, workflow: WorkflowReport | None, error: str | None = None
) -> dict[str, Any]:
    """The report as data; ``workflow`` is None when the run ended before it had one."""
    steps = []
    changed: set[str] = set()
    for step in workflow.steps if workflow is not None else ():
        latest = StepArtifacts(paths, step.id).latest() or {}
        outputs = latest.get("outputs") or {}
        changed.update(outputs.get("changed_files") or ())
        steps.append({**vars(step), "outputs": outputs, "artifacts": latest.get("artifacts", [])})
    lessons = sorted(str(p.relative_to(paths.root)) for p in paths.lessons.glob("*.md"))
    return {
        "run_id": paths.id,
        "goal": info.goal,
        "repo": info.repo,
        "model": info.model,
        "status": workflow.status if workflow is not None else "failed",
        "error": error,
        "created_at": info.created_at,
        "ended_at": utc_now(),
        "steps": steps,
        "changed_files": sorted(changed),
        "lessons": lessons,
        "spent": spending(paths),
    }


def render_markdown(report: dict[str, Any]) -> str:
    """The report as a page a person reads."""
    lines = [
        f"# Run {report['run_id']}: {report['status']}",
        "",
        f"- goal: {report['goal']}",
        f"- repository: {report['repo']}",
        f"- model: {report['model']}",
        f"- started {report['created_at']}, ended {report['ended_at']}",
    ]
    spent = report["spent"]
    lines.append(
        f"- spent: {spent['model_calls']} model calls ({spent['input_tokens']} input, "
        f"{spent['output_tokens']} output tokens), {spent['tool_calls']} tool calls"
    )
    if report["error"]:
        lines += ["", "## Error", "", report["error"]]
    if report["steps"]:
        lines += [
            "",
            "## Steps",
            "",
            "| step | role | state | attempts | summary |",
            "|---|---|---|---|---|",
        ]
        for step in report["steps"]:
            summary = " ".join(str(step["summary"]).split())[:300].replace("|", "\\|")
            cells = (step["id"], step["role"], step["state"], step["attempts"], summary)
            lines.append("| " + " | ".join(map(str, cells)) + " |")
        for step in report["steps"]:
            if step["failure"] or step["reason"]:
                lines += ["", f"### {step['id']}: {step['state']}", ""]
                if step["reason"]:
                    lines.append(f"{step['reason']}")
                if step["failure"]:
                    lines += ["", "```", str(step["failure"]), "```"]
    if report["changed_files"]:
        lines += ["", "## Changed files", ""] + [f"- {path}" for path in report["changed_files"]]
    if report["lessons"]:
        lines += ["", "## Lessons", ""] + [f"- {path}" for path in report["lessons"]]
    return "\n".join(lines) + "\n"


def write_report(paths: RunPaths, report: dict[str, Any]) -> Path:
    """Write ``report.json`` and ``report.md``; returns the markdown file's path."""
    paths.reports.mkdir(parents=True, exist_ok=True)
    write_json(paths.reports / "report.json", report)
    markdown = paths.reports / "report.md"
    write_atomic(markdown, render_markdown(report))
    return markdown
