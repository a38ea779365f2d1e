"""A self-improve run: batches of sessions from master, a winner each, merged safely.

``runs/self-improve/run-<UTC stamp>-<hex>/`` in the workspace holds ``sessions/
session-<n>/`` (the worktree ``workspace/``, the agent's own run folder ``agent/``,
``session.json``, ``diff.patch``) and, at the end, ``self_improve.json`` and
``self_improve.md``. Sessions run through :func:`tiffany.cluster.run_jobs`, the executor
of the benchmark harness: local processes, or Ray tasks (which need the run folder on a
filesystem their machines share).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tiffany.atomic import write_atomic
from tiffany.cluster import Job, run_jobs

from ..jsonfile import write_json
from . import gitrepo
from .evaluation import describe, eval_command, evaluate, show_command
from .merge import merge_lock, merge_winner, pause, recover
from .report import render_markdown
from .score import pick_winner
from .session import SessionSpec, redactor_for, run_session

DEFAULT_PATHS = ("src/", "docs/")
SESSION_TIMEOUT_S = 3600.0
JOB_SLACK_S = 1800.0
"""Beyond the agent's own timeout: the session's evaluation and its git work."""
INPUT_CHARS = 20_000


@dataclass(frozen=True)
class Plan:
    """What a self-improve run was asked to do."""

    goal: str
    models: tuple[str, ...]
    sessions: int = 2
    batches: int = 1
    inputs: tuple[str, ...] = ()
    paths: tuple[str, ...] = DEFAULT_PATHS
    eval: str | None = None
    executor: str = "local"
    keep: bool = False
    session_timeout_s: float = SESSION_TIMEOUT_S
    env: Mapping[str, str] = field(default_factory=dict)


def new_run_folder(workspace: Path) -> Path:
    """A fresh ``runs/self-improve/run-<stamp>-<hex>/`` (the workspace kept out of git)."""
    if not workspace.exists():
        workspace.mkdir(parents=True)
        write_atomic(workspace / ".gitignore", "*\n")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = workspace / "runs" / "self-improve" / f"run-{stamp}-{secrets.token_hex(3)}"
    folder.mkdir(parents=True)
    return folder


def prepare_master(master: Path) -> str | None:
    """Finish a killed merge (unless another run holds the lock: it will, before its
    merge) and prune the worktrees a crash left."""
    with merge_lock(master, wait=False) as held:
        recovered = recover(master) if held else None
    gitrepo.git(master, "worktree", "prune", check=False)
    return recovered


def self_improve(
    master: Path, folder: Path, plan: Plan, note: Callable[[str], None] = lambda line: None
) -> dict[str, Any]:
    """Run every batch of ``plan`` on ``master``; the report (also written to disk)."""
    command = eval_command(plan.eval)
    report: dict[str, Any] = {
        "id": folder.name,
        "goal": plan.goal,
        "master": str(master),
        "paths": list(plan.paths),
        "eval": show_command(command),
        "models": list(plan.models),
        "executor": plan.executor,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "batches": [],
    }
    for batch in range(1, plan.batches + 1):
        report["batches"].append(_batch(master, folder, plan, command, batch, note))
        _write_reports(folder, report)
    report["ended_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["merges"] = [b["merge"]["commit"] for b in report["batches"] if b["merge"]["merged"]]
    _write_reports(folder, report)
    return report


def _batch(
    master: Path,
    folder: Path,
    plan: Plan,
    command: tuple[str, ...],
    batch: int,
    note: Callable[[str], None],
) -> dict[str, Any]:
    master_eval = evaluate(master, command)
    note(f"batch {batch}: master evaluates {describe(master_eval).splitlines()[0]}")
    base = gitrepo.head(master)
    first = (batch - 1) * plan.sessions + 1
    specs = []
    for number in range(first, first + plan.sessions):
        session = folder / "sessions" / f"session-{number}"
        gitrepo.add_worktree(master, session / "workspace", base)
        model = plan.models[(number - first) % len(plan.models)]
        brief = _brief(plan, master_eval, master)
        specs.append(
            SessionSpec(
                number, session, base, brief, model, command, plan.paths, plan.session_timeout_s
            )
        )
    pause("sessions")
    records = _run_sessions(specs, plan)
    for record in records:
        evaluation = record.get("evaluation") or {}
        note(
            f"session {record['number']} ({record.get('model')}): {record.get('status')}, "
            f"evaluation {evaluation.get('status', 'not run')}"
        )
    ranking = pick_winner(records)
    merge = _merge(master, folder, plan, command, batch, records, ranking)
    note(
        f"batch {batch}: merged {merge['commit'][:12]}"
        if merge["merged"]
        else f"batch {batch}: no merge: {merge['reason']}"
    )
    if not plan.keep:
        review = ranking["winner"] if merge.get("evaluation") and not merge["merged"] else None
        for spec in specs:
            if spec.number != review:
                gitrepo.remove_worktree(master, spec.workspace)
    return {
        "batch": batch,
        "base": base,
        "master_evaluation": master_eval,
        "sessions": [_summary(record, folder) for record in records],
        "ranking": ranking,
        "winner": ranking["winner"],
        "merge": merge,
    }


def _run_sessions(specs: list[SessionSpec], plan: Plan) -> list[dict[str, Any]]:
    env = dict(plan.env)
    jobs = [
        Job(f"session-{s.number}", run_session, (s, env), timeout=s.timeout_s + JOB_SLACK_S)
        for s in specs
    ]
    by_id = {f"session-{s.number}": s for s in specs}
    records = []
    for result in run_jobs(jobs, executor=plan.executor, max_in_flight=len(jobs)):
        if result.ok:
            records.append(result.value)
            continue
        spec = by_id[result.id]
        record = {
            "number": spec.number,
            "model": spec.model,
            "status": "crashed",
            "failure": f"the session's job {result.status}: {result.error}",
        }
        write_json(spec.record_file, redactor_for(env)(record))
        records.append(record)
    return sorted(records, key=lambda r: int(r["number"]))


def _merge(
    master: Path,
    folder: Path,
    plan: Plan,
    command: tuple[str, ...],
    batch: int,
    records: list[dict[str, Any]],
    ranking: dict[str, Any],
) -> dict[str, Any]:
    empty: dict[str, Any] = {"merged": False, "commit": None, "conflicts": [], "evaluation": None}
    if ranking["winner"] is None:
        return {**empty, "reason": "no session is a candidate"}
    winner = next(r for r in records if r["number"] == ranking["winner"])
    if not (winner.get("evaluation") or {}).get("passed"):
        return {
            **empty,
            "reason": f"the best session ({winner['number']}) does not pass the evaluation",
        }
    message = redactor_for(plan.env).text(_message(plan, batch, winner, ranking))
    scratch = folder / "merge" / f"batch-{batch}"
    return merge_winner(master, scratch, winner, plan.paths, command, message)


def _message(plan: Plan, batch: int, winner: dict[str, Any], ranking: dict[str, Any]) -> str:
    title = plan.goal.strip().splitlines()[0]
    title = title if len(title) <= 60 else title[:57] + "..."
    diff = winner.get("diff") or {}
    lines = [
        f"self-improve: {title}",
        "",
        f"Goal: {plan.goal.strip()}",
        "",
        f"Batch {batch}: session {winner['number']} ({winner.get('model')}) won of "
        f"{len(ranking['ranking']) + len(ranking['excluded'])}; its evaluation: "
        f"{describe(winner['evaluation']).splitlines()[0]}.",
        f"Change: {diff.get('files', 0)} file(s), +{diff.get('insertions', 0)} "
        f"-{diff.get('deletions', 0)} inside {', '.join(plan.paths)}.",
        *(f"- {reason}" for reason in ranking["reasons"]),
    ]
    return "\n".join(lines) + "\n"


def _brief(plan: Plan, master_eval: dict[str, Any], master: Path) -> str:
    """The goal as a session receives it: the goal, the inputs and master's evaluation."""
    parts = [plan.goal.strip()]
    for item in plan.inputs:
        parts.append(_input(item, master))
    parts.append(
        f"The evaluation command ({show_command(eval_command(plan.eval))}) on master now: "
        f"{describe(master_eval)}"
    )
    parts.append(
        f"Only changes under {', '.join(plan.paths)} can be merged; the change that makes "
        "the evaluation pass with the fewest failing tests and the smallest diff wins. "
        "Follow AGENTS.md."
    )
    return "\n\n".join(parts)


def _input(item: str, master: Path) -> str:
    if item.startswith(("http://", "https://")):
        return f"Input (a URL; fetch it with web_fetch if you may): {item}"
    path = Path(item).expanduser()
    path = path if path.is_absolute() else master / path
    if path.is_file():
        text = path.read_text(encoding="utf-8", errors="replace")[:INPUT_CHARS]
        return f"Input from {item}:\n{text}"
    return f"Input: {item}"


def _summary(record: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The session as the run's report lists it, with links to its files."""
    number = record["number"]
    session = Path("sessions") / f"session-{number}"
    return {
        **{k: record.get(k) for k in ("number", "model", "status", "failure", "run_status")},
        "evaluation": record.get("evaluation"),
        "diff": record.get("diff"),
        "outside_paths": record.get("outside_paths", []),
        "metrics": record.get("metrics", {}),
        "plan": record.get("plan", []),
        "session_json": str(session / "session.json"),
        "folder": str(session),
    }


def _write_reports(folder: Path, report: dict[str, Any]) -> None:
    write_json(folder / "self_improve.json", report)
    write_atomic(folder / "self_improve.md", render_markdown(report))
