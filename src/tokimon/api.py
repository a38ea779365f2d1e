"""tokimon as a library: run the agent on a goal, resume a run, list and inspect runs.

:func:`run` plans the goal into a workflow, runs it on the repository with the model
(steps as tiffany tasks, state on disk after every transition, a trace of every model
and tool call) and writes a report; it returns a frozen :class:`~tokimon.RunResult`
whose fields are the keys of ``tokimon run --json``. A problem the caller can fix (an
empty goal, a bad model spec, an unknown run) is a :class:`~tokimon.TokimonError`;
nothing here prints or exits.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from os import PathLike
from pathlib import Path

from tiffany.models import SpendingLimit

from .errors import WorkspaceError
from .manager import Manager, RunOutcome, TraceListener, check_goal, resumable
from .results import RunDetails, RunResult, RunSummary, StepResult
from .session import execute, make_manager
from .workspace import Workspace, display_status

StrPath = str | PathLike[str]

__all__ = ["inspect_run", "list_runs", "resume", "run"]


def run(
    goal: str,
    repo: StrPath,
    *,
    model: str,
    workspace: StrPath | None = None,
    test_command: str | Sequence[str] | None = None,
    config: StrPath | None = None,
    max_calls: int | None = None,
    max_tokens: int | None = None,
    env: Mapping[str, str] | None = None,
    listeners: Sequence[TraceListener] = (),
) -> RunResult:
    """Run the agent on ``goal`` in ``repo`` and return how the run ended.

    Args:
        goal: what the agent should do, in words.
        repo: the repository it works in (its files are changed in place).
        model: ``provider:model`` as ``tiffany.models.client`` takes it, e.g.
            ``openai:gpt-4o-mini`` or ``scripted:path/to/script.jsonl`` (no network).
        workspace: where runs live (default: ``$TOKIMON_WORKSPACE``, else
            ``<repo>/.tokimon``).
        test_command: what the ``run_tests`` tool runs (default: pytest).
        config: a TOML file whose ``[tools]`` table sets up the tools (default: the
            workspace's ``config.toml`` when there is one).
        max_calls: refuse any model call past this many.
        max_tokens: refuse a model call that would cross this many tokens.
        env: the environment to read keys and settings from (default: ``os.environ``).
        listeners: called with every trace event as it is written (a dict).

    Returns:
        The run's result; ``result.succeeded`` when every step succeeded.

    Raises:
        TokimonError: the goal, repository, model or settings cannot be used.
    """
    check_goal(goal)
    environment = os.environ if env is None else env
    repo_path = _repository(repo)
    return _session(
        repo_path,
        _path(workspace),
        model,
        _tests(test_command),
        lambda m: m.run(goal),
        env=environment,
        config=config,
        max_calls=max_calls,
        max_tokens=max_tokens,
        listeners=listeners,
    )


def resume(
    run_id: str,
    *,
    workspace: StrPath | None = None,
    repo: StrPath | None = None,
    model: str | None = None,
    test_command: str | Sequence[str] | None = None,
    config: StrPath | None = None,
    max_calls: int | None = None,
    max_tokens: int | None = None,
    env: Mapping[str, str] | None = None,
    listeners: Sequence[TraceListener] = (),
) -> RunResult:
    """Continue an interrupted run without redoing the steps that succeeded.

    ``run_id`` is the run's id, the id's end, or ``latest``; the run's own repository,
    model and test command are used unless given. The workspace is found as for
    :func:`run` (``repo`` only locates the default ``<repo>/.tokimon``).

    Raises:
        TokimonError: no such run, or it already ended.
    """
    environment = os.environ if env is None else env
    space = Workspace.locate(_repository(repo or Path.cwd()), _path(workspace), environment)
    info = resumable(space.find(run_id))
    run_repo = Path(info.repo) if Path(info.repo).is_dir() else _repository(repo or Path.cwd())
    return _session(
        run_repo,
        space.root,
        model or info.model,
        _tests(test_command) or info.test_command,
        lambda m: m.resume(run_id),
        env=environment,
        config=config,
        max_calls=max_calls,
        max_tokens=max_tokens,
        listeners=listeners,
    )


def list_runs(
    workspace: StrPath | None = None,
    *,
    repo: StrPath | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[RunSummary, ...]:
    """Every run in the workspace, oldest first (``tokimon runs --json``'s rows).

    The workspace is ``workspace``, else ``$TOKIMON_WORKSPACE``, else
    ``<repo>/.tokimon`` (``repo`` defaulting to the current directory).
    """
    space = _workspace(workspace, repo, env)
    return tuple(
        RunSummary(
            id=paths.id,
            status=display_status(paths, info),
            created_at=info.created_at,
            updated_at=info.updated_at,
            model=info.model,
            goal=info.goal,
            report=str(paths.root / info.report) if info.report else None,
        )
        for paths, info in space.runs()
    )


def inspect_run(
    run_id: str,
    workspace: StrPath | None = None,
    *,
    repo: StrPath | None = None,
    env: Mapping[str, str] | None = None,
) -> RunDetails:
    """One run: its record and the state of each step of its workflow.

    Raises:
        TokimonError: no run matches ``run_id`` (an id, its end, or ``latest``).
    """
    from .workflow import load_state, report_from_state

    paths = _workspace(workspace, repo, env).find(run_id)
    info = paths.read_info()
    state = load_state(paths) if paths.workflow_state.exists() else None
    steps = report_from_state(state).steps if state is not None else []
    return RunDetails(
        id=paths.id,
        goal=info.goal,
        repo=info.repo,
        model=info.model,
        status=display_status(paths, info),
        created_at=info.created_at,
        updated_at=info.updated_at,
        report=str(paths.root / info.report) if info.report else None,
        error=info.error,
        sessions=tuple(s.model_dump(mode="json") for s in info.sessions),
        steps=tuple(StepResult.from_json(vars(step)) for step in steps),
    )


def _session(
    repo: Path,
    workspace: Path | None,
    model: str,
    tests: str | list[str] | None,
    start: Callable[[Manager], Awaitable[RunOutcome]],
    *,
    env: Mapping[str, str],
    config: StrPath | None,
    max_calls: int | None,
    max_tokens: int | None,
    listeners: Sequence[TraceListener],
) -> RunResult:
    """What :func:`run` and :func:`resume` share: build the manager, run ``start`` on
    it, and read the report as a :class:`RunResult`."""
    manager = make_manager(
        repo,
        workspace,
        model,
        tests,
        env=env,
        config=_path(config),
        spending=_spending(max_calls, max_tokens),
        listeners=listeners,
    )
    outcome = execute(manager, start)
    return RunResult.from_json({**outcome.report, "report": str(outcome.report_path)})


def _workspace(
    workspace: StrPath | None, repo: StrPath | None, env: Mapping[str, str] | None
) -> Workspace:
    root = Path(repo) if repo is not None else Path.cwd()
    return Workspace.locate(root, _path(workspace), os.environ if env is None else env)


def _repository(repo: StrPath) -> Path:
    path = Path(repo).resolve()
    if not path.is_dir():
        raise WorkspaceError(f"the repository {repo} is not a directory")
    return path


def _path(value: StrPath | None) -> Path | None:
    return None if value is None else Path(value)


def _tests(command: str | Sequence[str] | None) -> str | list[str] | None:
    if command is None or isinstance(command, str):
        return command
    return list(command)


def _spending(max_calls: int | None, max_tokens: int | None) -> SpendingLimit | None:
    if max_calls is None and max_tokens is None:
        return None
    return SpendingLimit(max_calls=max_calls, max_tokens=max_tokens)
