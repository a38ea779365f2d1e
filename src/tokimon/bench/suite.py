"""A suite run: every attempt of the chosen tasks, resumable, with its reports.

A suite run is a folder ``suite-<UTC stamp>-<hex>/`` holding ``suite.json`` (the model,
the repeats and each task's folder), ``attempts/<suite>--<task>--<n>/`` and ``reports/``.
An attempt is finished when its ``attempt.json`` exists (written last, atomically), so
after ``kill -9`` a resumed run keeps every finished attempt and redoes only the others.
Attempts go to an executor: the local one runs ``jobs`` at a time, each in processes of
its own; a task that crashes ends its own attempt, never the suite.
"""

from __future__ import annotations

import secrets
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ..jsonfile import read_json, write_json
from .attempt import AttemptSpec, run_attempt
from .report import suite_report, write_reports
from .task import BenchTask, TaskError, load_task

SUITE_RUN_PREFIX = "suite-"


class Executor(Protocol):
    """Runs attempts and yields each record as it finishes, in any order."""

    def run(
        self, attempts: Sequence[AttemptSpec], folder: Path, env: Mapping[str, str]
    ) -> Iterator[dict[str, Any]]: ...


@dataclass(frozen=True)
class LocalExecutor:
    """``jobs`` attempts at a time on this machine, each agent in its own process group."""

    jobs: int = 1

    def run(
        self, attempts: Sequence[AttemptSpec], folder: Path, env: Mapping[str, str]
    ) -> Iterator[dict[str, Any]]:
        with ThreadPoolExecutor(max_workers=max(1, self.jobs)) as pool:
            futures = [pool.submit(guarded_attempt, spec, folder, env) for spec in attempts]
            for future in as_completed(futures):
                yield future.result()


def guarded_attempt(spec: AttemptSpec, folder: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """:func:`run_attempt`, with anything it raises turned into a ``crashed`` record."""
    attempt_dir = folder / "attempts" / spec.name
    try:
        return run_attempt(spec, attempt_dir, env)
    except Exception as exc:
        record = {
            "task": spec.task.id,
            "suite": spec.task.suite,
            "category": spec.task.category,
            "difficulty": spec.task.difficulty,
            "attempt": spec.number,
            "model": spec.model,
            "status": "crashed",
            "solved": False,
            "failure": f"the harness failed: {exc}",
            "traceback": traceback.format_exc(limit=5),
        }
        write_json(attempt_dir / "attempt.json", record)
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
