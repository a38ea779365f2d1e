"""The ``tokimon`` commands as plain functions returning an exit status.

``cli.py`` only forwards to these, so each command is importable and testable without
typer. Exit statuses: 0 when the run succeeded (or the listing worked), 1 when a run
ended failed, partial or blocked, 2 for bad input or a run that could not proceed (no
model given, an unknown run id, a plan the model never got right), always as one line
(or ``{"error": ...}`` with ``--json``), never a traceback; 130 after Ctrl-C.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from tiffany.models import SpendingLimit

from .console import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    LiveSteps,
    console,
    line,
    report_error,
    steps_table,
    styled,
    table,
)
from .errors import TokimonError, UsageError
from .manager import (
    Manager,
    ManagerSettings,
    RunOutcome,
    check_goal,
    resumable,
)
from .session import execute, make_manager
from .trace import format_event, read_trace
from .workflow import load_state, report_from_state
from .workspace import RunPaths, Workspace, display_status

MODEL_ENV = "TOKIMON_MODEL"


def _repository(repo: Path | None) -> Path:
    path = (repo or Path.cwd()).resolve()
    if not path.is_dir():
        raise UsageError(f"the repository {repo} is not a directory; pass --repo PATH")
    return path


def _model_spec(model: str | None, env: Mapping[str, str]) -> str:
    spec = model or env.get(MODEL_ENV)
    if not spec:
        raise UsageError(
            f"no model given: pass --model provider:model (e.g. openai:gpt-4o-mini) "
            f"or set ${MODEL_ENV}"
        )
    return spec


@dataclass(frozen=True)
class CommandOptions:
    """What every command takes: where the runs are, how to print, which environment.

    ``env`` defaults to ``os.environ``; ``stdout`` and ``stderr`` to the process's.
    """

    repo: Path | None = None
    workspace: Path | None = None
    as_json: bool = False
    env: Mapping[str, str] | None = None
    stdout: TextIO | None = None
    stderr: TextIO | None = None

    def streams(self) -> tuple[TextIO, TextIO]:
        return self.stdout or sys.stdout, self.stderr or sys.stderr

    def environment(self) -> Mapping[str, str]:
        return os.environ if self.env is None else self.env

    def located(self) -> Workspace:
        """The workspace of ``repo`` (or ``--workspace``, or ``$TOKIMON_WORKSPACE``)."""
        return Workspace.locate(_repository(self.repo), self.workspace, self.environment())

    def error(self, command: str, message: str) -> int:
        out, err = self.streams()
        return report_error(command, message, self.as_json, out, err)


@dataclass(frozen=True)
class SessionOptions(CommandOptions):
    """What ``run`` and ``resume`` add: the model, the live view, the manager's settings.

    ``live`` None shows the live view when stderr is a terminal and the output is not
    JSON; ``settings`` defaults to :class:`ManagerSettings`.
    """

    model: str | None = None
    live: bool | None = None
    settings: ManagerSettings | None = None
    test_command: str | None = None
    """What ``run_tests`` runs (default pytest); a resume reuses the run's own."""
    config: Path | None = None
    """A TOML file whose ``[tools]`` table sets up the tools (default: the workspace's
    ``config.toml`` when there is one)."""
    spending: SpendingLimit | None = None
    """Model calls and tokens this session may spend; a call that would cross it is refused
    before it is made, and the step that needed it fails saying so."""


def spending_limit(max_calls: int | None, max_tokens: int | None) -> SpendingLimit | None:
    """The session's limit from ``--max-calls`` and ``--max-tokens`` (None: unlimited)."""
    if max_calls is None and max_tokens is None:
        return None
    return SpendingLimit(max_calls=max_calls, max_tokens=max_tokens)


Start = Callable[[Manager], Awaitable[RunOutcome]]
Prepared = tuple[Path, Path | None, str, str | list[str] | None, Start]
Prepare = Callable[[Mapping[str, str]], Prepared]
"""Checks a command's input; returns the repository, workspace, model spec, test command
and the call to make."""


def run_command(goal: str, options: SessionOptions | None = None) -> int:
    """``tokimon run GOAL``: plan, execute and report."""
    chosen = options or SessionOptions()

    def prepare(env: Mapping[str, str]) -> Prepared:
        check_goal(goal)
        spec = _model_spec(chosen.model, env)
        repo = _repository(chosen.repo)
        return repo, chosen.workspace, spec, chosen.test_command, lambda m: m.run(goal)

    return _session("run", prepare, chosen)


def resume_command(run_id: str, options: SessionOptions | None = None) -> int:
    """``tokimon resume RUN_ID``: continue a run, with its own model unless one is given."""
    chosen = options or SessionOptions()

    def prepare(env: Mapping[str, str]) -> Prepared:
        repo = _repository(chosen.repo)
        space = Workspace.locate(repo, chosen.workspace, env)
        info = resumable(space.find(run_id))
        run_repo = Path(info.repo) if Path(info.repo).is_dir() else repo
        tests = chosen.test_command or info.test_command
        return run_repo, space.root, chosen.model or info.model, tests, lambda m: m.resume(run_id)

    return _session("resume", prepare, chosen)


def _session(command: str, prepare: Prepare, options: SessionOptions) -> int:
    """Check the input, build the manager, run it on a kernel (with the live view)."""
    out, err = options.streams()
    env = options.environment()
    try:
        repo, workspace, spec, tests, start = prepare(env)
        show = (not options.as_json and err.isatty()) if options.live is None else options.live
        view = LiveSteps(err, f"tokimon {command}") if show else None
        manager = make_manager(
            repo,
            workspace,
            spec,
            tests,
            env=env,
            config=options.config,
            spending=options.spending,
            settings=options.settings,
            listeners=[view] if view else [],
        )
        if view is None:
            outcome = execute(manager, start)
        else:
            with view.showing():
                outcome = execute(manager, start)
    except TokimonError as exc:
        return options.error(command, str(exc))
    except KeyboardInterrupt:  # the state on disk is whole: the run is resumable
        options.error(command, "interrupted; `tokimon resume latest` continues the run")
        return EXIT_INTERRUPTED
    return _finish(outcome, command, options.as_json, out, err)


def _finish(outcome: RunOutcome, command: str, as_json: bool, out: TextIO, err: TextIO) -> int:
    if as_json:
        out.write(json.dumps({**outcome.report, "report": str(outcome.report_path)}) + "\n")
    else:
        view = console(out)
        if outcome.report["steps"]:
            view.print(steps_table(outcome.report["steps"]))
        view.print(
            line(
                f"run {outcome.paths.id}: ",
                styled(outcome.status),
                f" — report: {outcome.report_path}",
            )
        )
    if outcome.error is not None:
        if not as_json:
            report_error(command, outcome.error, False, out, err)
        return EXIT_USAGE
    return EXIT_OK if outcome.succeeded else EXIT_FAILED


def runs_command(options: CommandOptions | None = None) -> int:
    """``tokimon runs``: every run in the workspace, oldest first."""
    chosen = options or CommandOptions()
    out, _ = chosen.streams()
    try:
        space = chosen.located()
    except TokimonError as exc:
        return chosen.error("runs", str(exc))
    rows: list[dict[str, Any]] = [
        {
            "id": paths.id,
            "status": display_status(paths, info),
            "created_at": info.created_at,
            "updated_at": info.updated_at,
            "model": info.model,
            "goal": info.goal,
            "report": str(paths.root / info.report) if info.report else None,
        }
        for paths, info in space.runs()
    ]
    if chosen.as_json:
        out.write(json.dumps({"workspace": str(space.root), "runs": rows}) + "\n")
    elif not rows:
        out.write(f"no runs in {space.root}; start one with `tokimon run GOAL`\n")
    else:
        columns = ("id", "status", "created", "model", "goal")
        cells = [
            (r["id"], styled(r["status"]), r["created_at"][:19], r["model"], r["goal"][:60])
            for r in rows
        ]
        console(out).print(table(f"runs in {space.root}", columns, cells))
    return EXIT_OK


def inspect_command(
    run_id: str,
    *,
    step: str | None = None,
    trace: bool = False,
    options: CommandOptions | None = None,
) -> int:
    """``tokimon inspect RUN_ID [--step ID] [--trace]``: a run, one step, or its trace."""
    chosen = options or CommandOptions()
    out, _ = chosen.streams()
    as_json = chosen.as_json
    try:
        paths = chosen.located().find(run_id)
        info = paths.read_info()
        if trace:
            return _show_trace(paths, step, as_json, out)
        state = load_state(paths) if paths.workflow_state.exists() else None
        if step is not None:
            if state is None or step not in state.steps:
                known = ", ".join(state.steps) if state else "none (the run has no workflow)"
                raise UsageError(f"run {paths.id} has no step {step!r}; its steps: {known}")
            return _show_step(paths, state.model_dump(mode="json"), step, as_json, out)
    except TokimonError as exc:
        return chosen.error("inspect", str(exc))
    steps = [vars(s) for s in report_from_state(state).steps] if state else []
    data = {**info.model_dump(mode="json"), "status": display_status(paths, info), "steps": steps}
    if as_json:
        out.write(json.dumps(data) + "\n")
        return EXIT_OK
    view = console(out)
    view.print(line(f"run {paths.id}: ", styled(data["status"])))
    view.print(f"goal: {info.goal}\nrepository: {info.repo}\nmodel: {info.model}", markup=False)
    if info.error:
        view.print(f"error: {info.error}", markup=False)
    if steps:
        view.print(steps_table(steps))
    if info.report:
        view.print(f"report: {paths.root / info.report}", markup=False)
    return EXIT_OK


def _show_step(
    paths: RunPaths, state: dict[str, Any], step_id: str, as_json: bool, out: TextIO
) -> int:
    spec = next(s for s in state["workflow"]["steps"] if s["id"] == step_id)
    record = state["steps"][step_id]
    data = {"run_id": paths.id, "step": spec, **record}
    if as_json:
        out.write(json.dumps(data) + "\n")
        return EXIT_OK
    view = console(out)
    view.print(line(f"step {step_id} ({spec['role']}): ", styled(record["state"])))
    if spec.get("title"):
        view.print(spec["title"], markup=False)
    if record.get("reason"):
        view.print(f"reason: {record['reason']}", markup=False)
    for attempt in record["attempts"]:
        view.print(
            line(
                f"\nattempt {attempt['number']}: ",
                styled(str(attempt.get("state"))),
                f" strategy={attempt['dimensions'].get('strategy')} "
                f"signature={attempt['signature']}",
            )
        )
        for key in ("summary", "failure", "decision", "lesson_file", "outputs_file"):
            if attempt.get(key):
                view.print(f"  {key}: {attempt[key]}", markup=False)
    return EXIT_OK


def _show_trace(paths: RunPaths, step: str | None, as_json: bool, out: TextIO) -> int:
    records = read_trace(paths.trace)
    if step is not None:
        task = f"step:{step}"
        records = [r for r in records if r.get("step") == step or r.get("task_name") == task]
    if as_json:
        out.write(json.dumps({"run_id": paths.id, "events": records}) + "\n")
    else:
        out.writelines(format_event(record) + "\n" for record in records)
    return EXIT_OK
