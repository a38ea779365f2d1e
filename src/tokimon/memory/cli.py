"""``tokimon memory``: the typer layer over :mod:`tokimon.memory.commands`."""

from __future__ import annotations

from pathlib import Path

import typer

from ..commands import CommandOptions
from .commands import (
    blame_command,
    forget_command,
    harmful_command,
    list_command,
    reindex_command,
    search_command,
    show_command,
)

memory_app = typer.Typer(
    help="What earlier runs learnt: lessons, file history, the index over them.",
    no_args_is_help=True,
)

RepoOption = typer.Option(None, "--repo", help="The repository (default: the current directory).")
WorkspaceOption = typer.Option(
    None, "--workspace", help="Where runs live (default: $TOKIMON_WORKSPACE, else REPO/.tokimon)."
)
JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON.")
IdArgument = typer.Argument(..., help="The lesson id (as `tokimon memory list` shows it).")


def _options(repo: Path | None, workspace: Path | None, as_json: bool) -> CommandOptions:
    return CommandOptions(repo, workspace, as_json)


@memory_app.command("list")
def list_(
    repo: Path | None = RepoOption,
    workspace: Path | None = WorkspaceOption,
    as_json: bool = JsonOption,
) -> None:
    """Every lesson in memory, oldest first; harmful ones are marked."""
    raise typer.Exit(list_command(_options(repo, workspace, as_json)))


@memory_app.command()
def search(
    query: str = typer.Argument(..., help="Words to look for (any of them, ranked by bm25)."),
    limit: int = typer.Option(10, "--limit", min=1, help="At most this many lessons."),
    repo: Path | None = RepoOption,
    workspace: Path | None = WorkspaceOption,
    as_json: bool = JsonOption,
) -> None:
    """Lessons matching QUERY, best first (harmful ones are never shown)."""
    raise typer.Exit(search_command(query, _options(repo, workspace, as_json), limit))


@memory_app.command()
def show(
    lesson_id: str = IdArgument,
    repo: Path | None = RepoOption,
    workspace: Path | None = WorkspaceOption,
    as_json: bool = JsonOption,
) -> None:
    """One lesson: its header and its text."""
    raise typer.Exit(show_command(lesson_id, _options(repo, workspace, as_json)))


@memory_app.command()
def forget(
    lesson_id: str = IdArgument,
    repo: Path | None = RepoOption,
    workspace: Path | None = WorkspaceOption,
    as_json: bool = JsonOption,
) -> None:
    """Remove a lesson from memory's files and index; it is never promoted again."""
    raise typer.Exit(forget_command(lesson_id, _options(repo, workspace, as_json)))


@memory_app.command()
def harmful(
    lesson_id: str = IdArgument,
    undo: bool = typer.Option(False, "--undo", help="Clear the mark."),
    repo: Path | None = RepoOption,
    workspace: Path | None = WorkspaceOption,
    as_json: bool = JsonOption,
) -> None:
    """Mark a lesson that led a run astray: it stays on disk and is never retrieved."""
    raise typer.Exit(harmful_command(lesson_id, _options(repo, workspace, as_json), undo=undo))


@memory_app.command()
def blame(
    path: str = typer.Argument(..., help="A file's path in the repository."),
    repo: Path | None = RepoOption,
    workspace: Path | None = WorkspaceOption,
    as_json: bool = JsonOption,
) -> None:
    """Which runs changed PATH, and why, latest first."""
    raise typer.Exit(blame_command(path, _options(repo, workspace, as_json)))


@memory_app.command()
def reindex(
    repo: Path | None = RepoOption,
    workspace: Path | None = WorkspaceOption,
    as_json: bool = JsonOption,
) -> None:
    """Rebuild the index from memory's files and promote finished runs' missing lessons."""
    raise typer.Exit(reindex_command(_options(repo, workspace, as_json)))
