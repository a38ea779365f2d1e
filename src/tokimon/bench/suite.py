"""A suite run: every attempt of the chosen tasks, resumable, with its reports.

A suite run is a folder ``suite-<UTC stamp>-<hex>/`` holding ``suite.json`` (the model,
the repeats and each task's folder), ``attempts/<suite>--<task>--<n>/`` and ``reports/``.
An attempt is finished when its ``attempt.json`` exists (written last, atomically), so
after ``kill -9`` a resumed run keeps every finished attempt and redoes only the others.
Attempts go to an executor, local processes or Ray tasks (both through
:func:`tiffany.cluster.run_jobs`), ``jobs`` at a time; a task that crashes ends its own
attempt, never the suite.
"""

from __future__ import annotations

import secrets
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tiffany.cluster import Job, run_jobs

from ..jsonfile import read_json, write_json
from .attempt import AttemptSpec, run_attempt
from .report import suite_report, write_reports
from .task import BenchTask, TaskError, load_task

SUITE_RUN_PREFIX = "suite-"


#: The slack an attempt's job gets beyond twice the task's timeout (the agent's own
#: timeout ends it first; this ends an attempt whose judging or set-up hangs).
JOB_SLACK_S = 120.0


@dataclass(frozen=True)
class Executor:
    """Where attempts run, through :func:`tiffany.cluster.run_jobs`: ``local`` processes
    or Ray tasks (``address``: an existing cluster; default a local one for the run),
    ``jobs`` at a time (None: one per CPU of the cluster, or 1 locally)."""

    kind: str = "local"
    jobs: int | None = None
    address: str | None = None

    def run(
        self, attempts: Sequence[AttemptSpec], folder: Path, env: Mapping[str, str]
    ) -> Iterator[dict[str, Any]]:
        """Each attempt's record as it finishes, in any order; raises JobsError before
        anything runs when the executor cannot be used (Ray not installed, say)."""
        specs = {spec.name: spec for spec in attempts}
        jobs = [
            Job(
                spec.name,
                guarded_attempt,
                (spec, folder, dict(env)),
                timeout=2 * spec.task.timeout_s + JOB_SLACK_S,
            )
            for spec in attempts
        ]
        in_flight = self.jobs or (1 if self.kind == "local" else None)
        results = run_jobs(jobs, executor=self.kind, max_in_flight=in_flight, address=self.address)
        for result in results:
            if result.ok:
                yield result.value
            else:
                spec = specs[result.id]
                failure = f"the attempt's job {result.status}: {result.error}"
                yield crashed_record(spec, folder, failure, result.traceback)


def guarded_attempt(spec: AttemptSpec, folder: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """:func:`run_attempt`, with anything it raises turned into a ``crashed`` record."""
    try:
        return run_attempt(spec, folder / "attempts" / spec.name, env)
    except Exception as exc:
        trace = traceback.format_exc(limit=5)
        return crashed_record(spec, folder, f"the harness failed: {exc}", trace)


def crashed_record(
    spec: AttemptSpec, folder: Path, failure: str, trace: str | None
) -> dict[str, Any]:
    """The record of an attempt that ended without its own (written as its attempt.json)."""
    record = {
        "task": spec.task.id,
        "suite": spec.task.suite,
        "category": spec.task.category,
        "difficulty": spec.task.difficulty,
        "attempt": spec.number,
        "model": spec.model,
        "status": "crashed",
        "solved": False,
        "failure": failure,
        "traceback": trace,
    }
    write_json(folder / "attempts" / spec.name / "attempt.json", record)
    return record


@dataclass(frozen=True)
class SuiteRun:
    """A suite run's folder and what it was asked to do."""

    folder: Path
    model: str
    repeat: int
    tasks: tuple[BenchTask, ...]

    @property
    def id(self) -> str:
        return self.folder.name

    @classmethod
    def create(cls, root: Path, model: str, repeat: int, tasks: Sequence[BenchTask]) -> SuiteRun:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        folder = root / f"{SUITE_RUN_PREFIX}{stamp}-{secrets.token_hex(3)}"
        folder.mkdir(parents=True)
        run = cls(folder, model, repeat, tuple(tasks))
        write_json(
            folder / "suite.json",
            {
                "id": run.id,
                "model": model,
                "repeat": repeat,
                "created_at": datetime.now(UTC).isoformat(timespec="microseconds"),
                "tasks": [{"id": t.id, "suite": t.suite, "path": str(t.root)} for t in tasks],
            },
        )
        return run

    @classmethod
    def open(cls, folder: Path) -> SuiteRun:
        """A suite run to resume; its tasks are read again from their folders."""
        try:
            data = read_json(folder / "suite.json")
        except Exception:
            raise TaskError(f"{folder} is not a suite run (no readable suite.json)") from None
        tasks = tuple(load_task(Path(t["path"]), t["suite"]) for t in data["tasks"])
        return cls(folder, data["model"], int(data["repeat"]), tasks)

    def attempts(self) -> list[AttemptSpec]:
        return [
            AttemptSpec(task, number, self.model)
            for task in self.tasks
            for number in range(1, self.repeat + 1)
        ]

    def finished(self) -> dict[str, dict[str, Any]]:
        """The records of attempts already done, by attempt name."""
        done = {}
        for spec in self.attempts():
            path = self.folder / "attempts" / spec.name / "attempt.json"
            if path.is_file():
                done[spec.name] = read_json(path)
        return done

    def execute(
        self,
        executor: Executor,
        env: Mapping[str, str],
        on_record: Callable[[dict[str, Any]], None] = lambda record: None,
    ) -> dict[str, Any]:
        """Run what is not finished yet, then write and return the suite report."""
        records = self.finished()
        pending = [spec for spec in self.attempts() if spec.name not in records]
        for record in records.values():
            on_record(record)
        for record in executor.run(pending, self.folder, env):
            records[f"{record['suite']}--{record['task']}--{record['attempt']}"] = record
            on_record(record)
        meta = {"id": self.id, "model": self.model, "repeat": self.repeat}
        report = suite_report(meta, list(records.values()))
        write_reports(self.folder, report)
        return report


def latest_suite_run(root: Path) -> Path:
    """The suite run created last under ``root`` (by ``created_at``, finer than the id)."""
    runs = [p for p in root.glob(f"{SUITE_RUN_PREFIX}*") if (p / "suite.json").is_file()]
    if not runs:
        raise TaskError(f"there are no suite runs in {root}")
    return max(runs, key=lambda p: (str(read_json(p / "suite.json").get("created_at")), p.name))
