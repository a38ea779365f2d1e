"""The ``cw`` command line; its commands arrive with the issues that build them."""

from __future__ import annotations

import typer

from . import __version__

app = typer.Typer(
    help="cocowiki: a living, verified wiki of a repository.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Keep sub-commands even while there is only one."""


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    app()
