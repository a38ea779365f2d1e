"""The ``tokimon`` command line: thin typer wrappers over :mod:`tokimon.commands`.

Each sub-command forwards to a plain function that returns an exit status, so the
behaviour is importable and testable without typer.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from . import __version__
from .bench.cli import bench_app
from .commands import (
    CommandOptions,
    SessionOptions,
    inspect_command,
    resume_command,
    run_command,
    runs_command,
    spending_limit,
)
from .console import EXIT_INTERRUPTED
from .memory.cli import memory_app
from .selfimprove import SelfImproveChoices, self_improve_command
from .skills.cli import skills_app

app = typer.Typer(
    help="tokimon: an autonomous coding agent.", no_args_is_help=True, add_completion=False
)
app.add_typer(bench_app, name="bench")
app.add_typer(memory_app, name="memory")
app.add_typer(skills_app, name="skills")

RepoOption = typer.Option(None, "--repo", help="The repository (default: the current directory).")
WorkspaceOption = typer.Option(
    None,
    "--workspace",
    help="Where runs live (default: $TOKIMON_WORKSPACE, else REPO/.tokimon).",
)
ModelOption = typer.Option(
    None, "--model", help="provider:model, e.g. openai:gpt-4o-mini (default: $TOKIMON_MODEL)."
)
JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON.")
TestCommandOption = typer.Option(
    None,
    "--test-command",
    help="What run_tests runs, e.g. 'npm test --' (default: pytest; resume: the run's own).",
)
ConfigOption = typer.Option(
    None,
    "--config",
    help="A TOML file whose tools table sets up the tools, e.g. enables web_fetch "
    "(default: WORKSPACE/config.toml if it exists).",
)
LiveOption = typer.Option(
    None, "--live/--no-live", help="Show the steps live (default: on a terminal)."
)
MaxCallsOption = typer.Option(
    None, "--max-calls", min=1, help="Refuse any model call past this many (this session)."
)
MaxTokensOption = typer.Option(
    None, "--max-tokens", min=1, help="Refuse a model call that would cross this many tokens."
)


@app.callback()
def _root() -> None:
    """Keep sub-commands even while there is only one."""


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command()
def run(
    goal: str = typer.Argument(..., help="What the agent should do."),
    repo: Path | None = RepoOption,
    model: str | None = ModelOption,
    workspace: Path | None = WorkspaceOption,
    as_json: bool = JsonOption,
    live: bool | None = LiveOption,
    test_command: str | None = TestCommandOption,
    config: Path | None = ConfigOption,
    max_calls: int | None = MaxCallsOption,
    max_tokens: int | None = MaxTokensOption,
) -> None:
    """Plan GOAL into a workflow, run it on the repository and write a report."""
    options = _session_options(
        repo, workspace, as_json, model, live, test_command, config, max_calls, max_tokens
    )
    raise typer.Exit(run_command(goal, options))


@app.command()
def resume(
    run_id: str = typer.Argument(..., help="The run: its id, the id's end, or 'latest'."),
    repo: Path | None = RepoOption,
    model: str | None = typer.Option(
        None, "--model", help="Use this model instead of the run's own."
    ),
    workspace: Path | None = WorkspaceOption,
    as_json: bool = JsonOption,
    live: bool | None = LiveOption,
    test_command: str | None = TestCommandOption,
    config: Path | None = ConfigOption,
    max_calls: int | None = MaxCallsOption,
    max_tokens: int | None = MaxTokensOption,
) -> None:
    """Continue a run that was interrupted, without redoing the steps that succeeded."""
    options = _session_options(
        repo, workspace, as_json, model, live, test_command, config, max_calls, max_tokens
    )
    raise typer.Exit(resume_command(run_id, options))


def _session_options(
    repo: Path | None,
    workspace: Path | None,
    as_json: bool,
    model: str | None,
    live: bool | None,
    test_command: str | None,
    config: Path | None,
    max_calls: int | None,
    max_tokens: int | None,
) -> SessionOptions:
    """``run`` and ``resume`` take the same session flags: one place turns them into the
    options, so the two commands cannot come to read them differently."""
    return SessionOptions(
        repo,
        workspace,
        as_json,
        model=model,
        live=live,
        test_command=test_command,
        config=config,
        spending=spending_limit(max_calls, max_tokens),
    )


@app.command()
def runs(
    repo: Path | None = RepoOption,
    workspace: Path | None = WorkspaceOption,
    as_json: bool = JsonOption,
) -> None:
    """List the runs in the workspace, oldest first."""
    raise typer.Exit(runs_command(CommandOptions(repo, workspace, as_json)))


@app.command()
def inspect(
    run_id: str = typer.Argument(..., help="The run: its id, the id's end, or 'latest'."),
    step: str | None = typer.Option(None, "--step", help="Show this step's attempts."),
    trace: bool = typer.Option(False, "--trace", help="Show the run's trace (of --step only)."),
    repo: Path | None = RepoOption,
    workspace: Path | None = WorkspaceOption,
    as_json: bool = JsonOption,
) -> None:
    """Show a run: its steps, one step's attempts, or its trace."""
    options = CommandOptions(repo, workspace, as_json)
    raise typer.Exit(inspect_command(run_id, step=step, trace=trace, options=options))


@app.command("chat-ui")
def chat_ui(
    repo: Path | None = RepoOption,
    workspace: Path | None = WorkspaceOption,
    model: str | None = ModelOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Listen on this address."),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="0 picks a free port."),
    open_browser: bool = typer.Option(False, "--open", help="Open the page in a browser."),
    as_json: bool = JsonOption,
    allow_remote: bool = typer.Option(
        False, "--allow-remote", help="Allow a --host that is not loopback."
    ),
) -> None:
    """Serve the chat UI: talk with the agent about the repository, start and watch runs."""
    from .chatui import ChatUiOptions, chat_ui_command

    options = ChatUiOptions(repo, workspace, model, host, port, open_browser, as_json, allow_remote)
    raise typer.Exit(chat_ui_command(options))


@app.command("self-improve")
def self_improve(
    goal: str = typer.Argument(..., help="What the sessions should improve."),
    sessions: int = typer.Option(2, "--sessions", min=1, help="Sessions per batch."),
    batches: int = typer.Option(1, "--batches", min=1, help="Batches, each from master."),
    inputs: list[str] = typer.Option(  # noqa: B008
        [], "--input", help="A URL, a file or text every session gets (repeatable)."
    ),
    paths: str | None = typer.Option(
        None, "--paths", help="What may be merged, comma-separated (default: src/,docs/)."
    ),
    eval_command: str | None = typer.Option(
        None, "--eval", help="The evaluation command (default: the repository's pytest)."
    ),
    models: list[str] = typer.Option(  # noqa: B008
        [], "--model", help="provider:model; repeat to give sessions different models."
    ),
    executor: str = typer.Option("local", "--executor", help="local processes or ray tasks."),
    keep: bool = typer.Option(False, "--keep", help="Keep the sessions' worktrees."),
    repo: Path | None = RepoOption,
    workspace: Path | None = WorkspaceOption,
    as_json: bool = JsonOption,
) -> None:
    """Run sessions on GOAL in worktrees, score them by the evaluation, merge the best."""
    choices = SelfImproveChoices(
        sessions, batches, inputs, paths, eval_command, models, executor, keep
    )
    raise typer.Exit(self_improve_command(goal, choices, CommandOptions(repo, workspace, as_json)))


def main() -> None:
    try:
        app()
    except SystemExit as stop:
        if stop.code == EXIT_INTERRUPTED:
            # A model call cut off by Ctrl-C may still wait in a worker thread, which the
            # interpreter would join at exit; everything on disk is already whole.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_INTERRUPTED)
        raise
