"""``tokimon skills``: the typer layer over :mod:`tokimon.skills.commands`."""

from __future__ import annotations

from pathlib import Path

import typer

from ..commands import CommandOptions
from .commands import list_command, remove_command, show_command, test_command

skills_app = typer.Typer(
    help="Skills: list them, show one, run its tests, remove a generated one.",
    no_args_is_help=True,
)

RepoOption = typer.Option(None, "--repo", help="The repository (default: the current directory).")
WorkspaceOption = typer.Option(
    None, "--workspace", help="Where runs live (default: $TOKIMON_WORKSPACE, else REPO/.tokimon)."
)
JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON.")
NameArgument = typer.Argument(..., help="The skill's name.")


@skills_app.command("list")
def list_(
    repo: Path | None = RepoOption,
    workspace: Path | None = WorkspaceOption,
    as_json: bool = JsonOption,
) -> None:
    """Every skill: built-in and generated, with its status (quarantined ones with why)."""
    raise typer.Exit(list_command(CommandOptions(repo, workspace, as_json)))


@skills_app.command()
def show(
    name: str = NameArgument,
    repo: Path | None = RepoOption,
    workspace: Path | None = WorkspaceOption,
    as_json: bool = JsonOption,
) -> None:
    """One skill's manifest entry, folder and status."""
    raise typer.Exit(show_command(name, CommandOptions(repo, workspace, as_json)))


@skills_app.command()
def test(
    name: str = NameArgument,
    repo: Path | None = RepoOption,
    workspace: Path | None = WorkspaceOption,
    as_json: bool = JsonOption,
) -> None:
    """Run a skill's own tests (exit 1 when they fail)."""
    raise typer.Exit(test_command(name, CommandOptions(repo, workspace, as_json)))


@skills_app.command()
def remove(
    name: str = NameArgument,
    repo: Path | None = RepoOption,
    workspace: Path | None = WorkspaceOption,
    as_json: bool = JsonOption,
) -> None:
    """Delete a generated skill (built-ins cannot be removed)."""
    raise typer.Exit(remove_command(name, CommandOptions(repo, workspace, as_json)))
