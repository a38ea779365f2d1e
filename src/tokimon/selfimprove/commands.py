"""``tokimon self-improve`` as a plain function returning an exit status.

Exit statuses: 0 when a batch merged a winner, 1 when the run ended without a merge
(master untouched, the report says why), 2 for bad input or a checkout it must refuse (not
a git repository, changes under the paths), as one line (or ``{"error": ...}``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tiffany.cluster import JobsError, check_executor

from ..bench.attempt import attempt_env
from ..commands import CommandOptions, _model_spec, _repository
from ..console import EXIT_FAILED, EXIT_OK
from ..errors import TokimonError, UsageError
from ..manager import check_goal
from . import gitrepo
from .evaluation import eval_command
from .run import DEFAULT_PATHS, Plan, new_run_folder, prepare_master, self_improve


@dataclass(frozen=True)
class SelfImproveChoices:
    """What ``tokimon self-improve`` is asked for, as given on the command line."""

    sessions: int = 2
    batches: int = 1
    inputs: Sequence[str] = ()
    paths: str | None = None
    eval: str | None = None
    models: Sequence[str] = ()
    executor: str = "local"
    keep: bool = False


def self_improve_command(goal: str, choices: SelfImproveChoices, options: CommandOptions) -> int:
    out, err = options.streams()
    try:
        master, plan = _check(goal, choices, options)
        recovered = prepare_master(master)
        changed = gitrepo.changes(master, plan.paths)
        if changed:
            shown = ", ".join(changed[:3]) + (
                f" and {len(changed) - 3} more" if changed[3:] else ""
            )
            raise UsageError(
                f"{master} has uncommitted or untracked changes under {', '.join(plan.paths)} "
                f"({shown}); commit or stash them, then run self-improve again"
            )
        folder = new_run_folder(options.located().root)
    except TokimonError as exc:
        return options.error("self-improve", str(exc))

    def note(line: str) -> None:
        if not options.as_json:
            err.write(line + "\n")

    if recovered:
        note(recovered)
    try:
        report = self_improve(master, folder, plan, note)
    except TokimonError as exc:
        return options.error("self-improve", f"{exc} (run folder: {folder})")
    if options.as_json:
        out.write(json.dumps({**report, "report": str(folder / "self_improve.json")}) + "\n")
    else:
        merges = report["merges"]
        out.write(
            f"self-improve {report['id']}: "
            + (f"merged {', '.join(c[:12] for c in merges)}" if merges else "no merge")
            + f" — report: {folder / 'self_improve.md'}\n"
        )
    return EXIT_OK if report["merges"] else EXIT_FAILED


def _check(goal: str, choices: SelfImproveChoices, options: CommandOptions) -> tuple[Path, Plan]:
    check_goal(goal)
    if choices.sessions < 1 or choices.batches < 1:
        raise UsageError("--sessions and --batches must be at least 1")
    repo = _repository(options.repo)
    master = gitrepo.toplevel(repo)
    if master is None:
        raise UsageError(
            f"{repo} is not a git repository; self-improve merges into a git checkout "
            "(git init and commit first)"
        )
    if gitrepo.git(master, "rev-parse", "--verify", "-q", "HEAD", check=False) == "":
        raise UsageError(f"{master} has no commit yet; commit first, then run self-improve")
    env = options.environment()
    models = tuple(choices.models) or (_model_spec(None, env),)
    try:
        check_executor(choices.executor)
    except JobsError as exc:
        raise UsageError(f"--executor: {exc}") from None
    paths = _paths(choices.paths)
    eval_command(choices.eval)  # refuses an empty or unparsable command now
    plan = Plan(
        goal=goal,
        models=models,
        sessions=choices.sessions,
        batches=choices.batches,
        inputs=tuple(choices.inputs),
        paths=paths,
        eval=choices.eval,
        executor=choices.executor,
        keep=choices.keep,
        env=attempt_env(env),
    )
    return master, plan


def _paths(given: str | None) -> tuple[str, ...]:
    if given is None:
        return DEFAULT_PATHS
    paths = tuple(p.strip() for p in given.split(",") if p.strip())
    if not paths:
        raise UsageError("--paths is empty; give folders such as src/,docs/")
    for path in paths:
        if Path(path).is_absolute() or ".." in Path(path).parts:
            raise UsageError(f"--paths: {path!r} must be relative to the repository, inside it")
    return paths
