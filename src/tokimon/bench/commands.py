"""``tokimon bench`` commands as plain functions returning an exit status.

Exit statuses: 0 when the command worked (``validate``: every task valid; ``run``: the
suite ran, however many attempts it solved), 1 when ``validate`` found an invalid task,
2 for bad input, always as one line (or ``{"error": ...}`` with ``--json``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tiffany.cluster import JobsError, check_executor

from ..commands import CommandOptions
from ..console import EXIT_FAILED, EXIT_OK, console, table
from ..errors import TokimonError
from ..jsonfile import read_json
from .attempt import ORACLE, attempt_env
from .compare import compare_reports, render_comparison
from .humaneval import import_problems
from .suite import Executor, SuiteRun, latest_suite_run
from .task import discover, select
from .validate import validate_task


@dataclass(frozen=True)
class BenchOptions(CommandOptions):
    """What every ``bench`` command takes beyond the common options."""

    tasks: Sequence[Path] = field(default_factory=tuple)
    """Folders of the user's tasks, each one a suite named after the folder."""
    out: Path | None = None
    """Where suite runs go (default: the workspace's ``bench/`` folder)."""

    def runs_root(self) -> Path:
        return self.out or self.located().root / "bench"


def list_command(options: BenchOptions) -> int:
    out, _ = options.streams()
    try:
        tasks = discover(options.tasks)
    except TokimonError as exc:
        return options.error("bench list", str(exc))
    suites: dict[str, int] = {}
    for task in tasks:
        suites[task.suite] = suites.get(task.suite, 0) + 1
    if options.as_json:
        data = {"suites": suites, "tasks": [t.summary() for t in tasks]}
        out.write(json.dumps(data) + "\n")
        return EXIT_OK
    rows = [(t.suite, t.id, t.category, t.difficulty, t.goal[:60]) for t in tasks]
    console(out).print(table(None, ("suite", "task", "category", "difficulty", "goal"), rows))
    out.write(", ".join(f"{name}: {n} tasks" for name, n in suites.items()) + "\n")
    return EXIT_OK


def validate_command(names: Sequence[str], options: BenchOptions, jobs: int = 1) -> int:
    """Validate the named tasks, ``jobs`` at a time. A validation's work (the checks, the
    oracle's agent) runs in child processes, so threads are enough to overlap them; the
    results are printed in task order whatever order they finish in."""
    out, err = options.streams()
    if jobs < 1:
        return options.error("bench validate", "--jobs must be at least 1")
    try:
        tasks = select(discover(options.tasks), names)
    except TokimonError as exc:
        return options.error("bench validate", str(exc))
    env = attempt_env(options.environment())
    with _progress(err, options.as_json, "validating") as bar:
        job = bar.add_task("validating", total=len(tasks), note="")
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="validate") as pool:
            pending = [pool.submit(validate_task, task, env) for task in tasks]
            for _ in as_completed(pending):
                bar.advance(job)
        results = [future.result() for future in pending]
    invalid = [r for r in results if not r.valid]
    if options.as_json:
        rows = [
            {"task": f"{r.task.suite}/{r.task.id}", "valid": r.valid, "problems": list(r.problems)}
            for r in results
        ]
        out.write(json.dumps({"tasks": rows, "invalid": len(invalid)}) + "\n")
    else:
        for result in results:
            mark = "valid" if result.valid else "INVALID: " + "; ".join(result.problems)
            out.write(f"{result.task.suite}/{result.task.id}: {mark}\n")
        out.write(f"{len(results) - len(invalid)} of {len(results)} tasks valid\n")
    return EXIT_FAILED if invalid else EXIT_OK


@dataclass(frozen=True)
class RunChoices:
    """What ``bench run`` is asked for."""

    names: Sequence[str] = ()
    model: str | None = None
    oracle: bool = False
    repeat: int = 1
    jobs: int | None = None
    executor: str = "local"
    ray_address: str | None = None
    resume: str | None = None


def run_command(choices: RunChoices, options: BenchOptions) -> int:
    out, err = options.streams()
    try:
        executor = _executor(choices)
        run = _suite_run(choices, options)
    except TokimonError as exc:
        return options.error("bench run", str(exc))
    total = len(run.attempts())
    tally = {"solved": 0, "cost": 0.0}
    with _progress(err, options.as_json, f"suite run {run.id}") as bar:
        job = bar.add_task(f"{run.id}", total=total, note="solved 0")

        def on_record(record: Mapping[str, Any]) -> None:
            tally["solved"] += bool(record.get("solved"))
            tally["cost"] += record.get("cost") or 0.0
            note = f"solved {tally['solved']}  cost ${tally['cost']:.2f}"
            bar.update(job, advance=1, note=note)

        report = run.execute(executor, attempt_env(options.environment()), on_record)
    path = run.folder / "reports" / "suite-report.json"
    totals = report["totals"]
    if options.as_json:
        out.write(json.dumps({"id": run.id, "report": str(path), "totals": totals}) + "\n")
    else:
        out.write(
            f"suite run {run.id}: {totals['solved']} of {totals['attempts']} attempts solved, "
            f"pass@1 {totals['pass@1']:.3f}; report: {path.with_suffix('.md')}\n"
        )
    return EXIT_OK


def _suite_run(choices: RunChoices, options: BenchOptions) -> SuiteRun:
    root = options.runs_root()
    if choices.resume:
        folder = latest_suite_run(root) if choices.resume == "latest" else Path(choices.resume)
        if not folder.is_absolute() and not folder.exists():
            folder = root / folder
        return SuiteRun.open(folder)
    if choices.repeat < 1 or (choices.jobs is not None and choices.jobs < 1):
        raise TokimonError("--repeat and --jobs must be at least 1")
    model = (
        ORACLE if choices.oracle else choices.model or options.environment().get("TOKIMON_MODEL")
    )
    if not model:
        raise TokimonError(
            "no model given: pass --model provider:model, or --oracle to replay each task's "
            "oracle.jsonl"
        )
    tasks = select(discover(options.tasks), choices.names)
    return SuiteRun.create(root, model, choices.repeat, tasks)


def _executor(choices: RunChoices) -> Executor:
    try:
        check_executor(choices.executor)
    except JobsError as exc:
        raise TokimonError(f"--executor: {exc}") from None
    if choices.ray_address and choices.executor != "ray":
        raise TokimonError("--ray-address needs --executor ray")
    return Executor(choices.executor, choices.jobs, choices.ray_address)


def compare_command(a: Path, b: Path, options: BenchOptions) -> int:
    out, _ = options.streams()
    try:
        result = compare_reports(_report(a), _report(b))
    except TokimonError as exc:
        return options.error("bench compare", str(exc))
    if options.as_json:
        out.write(json.dumps(result) + "\n")
    else:
        out.write(render_comparison(result))
    return EXIT_OK


def _report(path: Path) -> dict[str, Any]:
    """A suite report, named by its file or by its suite run's folder."""
    file = path / "reports" / "suite-report.json" if path.is_dir() else path
    try:
        data = read_json(file)
    except TokimonError:
        raise TokimonError(f"{path} is not a suite report or a suite run's folder") from None
    if not isinstance(data, dict) or "tasks" not in data or "totals" not in data:
        raise TokimonError(f"{file} is not a suite report")
    return data


def _progress(stream: Any, quiet: bool, what: str) -> Progress:
    """A progress bar on a terminal (done/total and a note: solved, cost); silent otherwise."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=console(stream),
        disable=quiet or not stream.isatty(),
        transient=False,
    )


IMPORTERS = ("humaneval",)


def import_command(
    source: str, from_file: Path | None, out: Path, limit: int | None, options: BenchOptions
) -> int:
    """``tokimon bench import humaneval``: problems written as a suite of tasks in ``out``."""
    stdout, _ = options.streams()
    try:
        if source not in IMPORTERS:
            raise TokimonError(f"cannot import {source!r}; importers: {', '.join(IMPORTERS)}")
        written = import_problems(from_file, out, limit)
    except TokimonError as exc:
        return options.error("bench import", str(exc))
    if options.as_json:
        stdout.write(json.dumps({"folder": str(out), "tasks": [p.name for p in written]}) + "\n")
    else:
        stdout.write(
            f"wrote {len(written)} tasks to {out}; check them with "
            f"`tokimon bench validate --tasks {out}`\n"
        )
    return EXIT_OK
