"""The ``cw`` command line: thin typer wrappers over the library's command functions.

Each sub-command forwards to a plain function that returns an exit status, so the same
behaviour is importable and testable without typer.
"""

from __future__ import annotations

from pathlib import Path

import typer

from . import __version__
from .index.command import run_index_command

app = typer.Typer(
    help="cocowiki: a living, verified wiki of a repository.",
    no_args_is_help=True,
    add_completion=False,
)

RepoOption = typer.Option(
    None, "--repo", help="Repository to read (default: the current directory)."
)
OutputOption = typer.Option(None, "--output", help="Output directory (default: REPO/.cocowiki).")
JsonOption = typer.Option(False, "--json", help="Print a machine-readable JSON summary.")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command()
def index(
    repo: Path | None = RepoOption,
    output: Path | None = OutputOption,
    as_json: bool = JsonOption,
) -> None:
    """Parse the repository's source files into the catalog (components and references)."""
    raise typer.Exit(run_index_command(repo, output, as_json=as_json))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
