"""The ``tiffany`` command line."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from .demo import run_demo

app = typer.Typer(
    help="tiffany: a coroutine-first runtime for agents.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def demo(
    jobs: int = typer.Option(1000, min=1, help="How many jobs to push through the pipeline."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary for machines."),
) -> None:
    """Push jobs through a bounded channel to prioritised workers and a TCP echo server."""
    report = run_demo(jobs)
    if as_json:
        typer.echo(json.dumps(asdict(report), indent=2))
        return
    table = Table(title=f"tiffany demo: {report.jobs} jobs over TCP 127.0.0.1:{report.port}")
    table.add_column("worker")
    table.add_column("jobs echoed", justify="right")
    for name, count in sorted(report.per_worker.items()):
        table.add_row(name, str(count))
    console = Console()
    console.print(table)
    console.print(
        f"echoed {report.echoed}, timed out {report.timed_out} (a deliberately slow job "
        f"against a 0.2 s timeout), in {report.seconds:.3f} s"
    )


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    app()
