"""A benchmark task on disk, and the suites that hold them.

The format is a contract people write their own tasks in (``docs/tokimon/benchmarks.md``)::

    <tasks dir>/<task-id>/
        task.toml        goal, category, difficulty, timeout_s, check, [test_command],
                         [budget] (model_calls, tokens), [tags]
        repo/            the starting tree (a git repository is made of it per attempt)
        check/           hidden files copied over the finished tree only to judge it
        oracle.jsonl     a scripted-model transcript that solves the task
        solution.patch   optional: a reference fix

A suite is a folder of tasks: the shipped one is ``core``; ``--tasks DIR`` adds a suite
named after DIR. Loading checks everything a run relies on, so a broken task is reported
with its reason once instead of failing halfway through a suite.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import TokimonError

#: The suite shipped with tokimon.
SHIPPED = Path(__file__).parent / "tasks"
SHIPPED_SUITE = "core"
TASK_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
DIFFICULTIES = ("easy", "medium", "hard")
_KEYS = {"goal", "category", "difficulty", "timeout_s", "test_command", "check", "budget", "tags"}


class TaskError(TokimonError):
    """A task folder that does not follow the format; the message says what to fix."""


@dataclass(frozen=True)
class Budget:
    """What one attempt may spend; a model call that would cross it is refused."""

    model_calls: int | None = None
    tokens: int | None = None


@dataclass(frozen=True)
class BenchTask:
    """One task, loaded and checked."""

    id: str
    suite: str
    root: Path
    goal: str
    category: str
    difficulty: str
    timeout_s: float
    check: str
    test_command: str | None = None
    budget: Budget = Budget()
    tags: tuple[str, ...] = ()

    @property
    def repo(self) -> Path:
        return self.root / "repo"

    @property
    def hidden(self) -> Path:
        """The ``check/`` folder: never shown to the agent."""
        return self.root / "check"

    @property
    def oracle(self) -> Path:
        return self.root / "oracle.jsonl"

    @property
    def solution(self) -> Path:
        return self.root / "solution.patch"

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "suite": self.suite,
            "category": self.category,
            "difficulty": self.difficulty,
            "timeout_s": self.timeout_s,
            "tags": list(self.tags),
            "path": str(self.root),
        }


def load_task(root: Path, suite: str) -> BenchTask:
    """The task in ``root``; :class:`TaskError` naming the first problem otherwise."""
    where = f"task {root.name!r} ({root})"
    if not TASK_ID.match(root.name):
        raise TaskError(f"{where}: a task id is lower-case letters, digits, '.', '_' or '-'")
    try:
        data = tomllib.loads((root / "task.toml").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TaskError(f"{where}: it has no task.toml") from None
    except tomllib.TOMLDecodeError as exc:
        raise TaskError(f"{where}: task.toml is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise TaskError(f"{where}: unknown key(s) {', '.join(unknown)} in task.toml")
    for key in ("goal", "category", "check"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise TaskError(f'{where}: task.toml needs {key} = "..."')
    difficulty = data.get("difficulty", "medium")
    if difficulty not in DIFFICULTIES:
        raise TaskError(f"{where}: difficulty is one of {', '.join(DIFFICULTIES)}")
    timeout = data.get("timeout_s", 600)
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise TaskError(f"{where}: timeout_s must be a positive number of seconds")
    if not (root / "repo").is_dir():
        raise TaskError(f"{where}: it has no repo/ folder (the starting tree)")
    return BenchTask(
        id=root.name,
        suite=suite,
        root=root.resolve(),
        goal=data["goal"].strip(),
        category=data["category"],
        difficulty=difficulty,
        timeout_s=float(timeout),
        check=data["check"],
        test_command=data.get("test_command"),
        budget=_budget(data.get("budget", {}), where),
        tags=tuple(str(tag) for tag in data.get("tags", ())),
    )


def _budget(table: Any, where: str) -> Budget:
    if not isinstance(table, dict) or set(table) - {"model_calls", "tokens"}:
        raise TaskError(f"{where}: [budget] takes model_calls and tokens")
    for key, value in table.items():
        if not isinstance(value, int) or value < 1:
            raise TaskError(f"{where}: budget.{key} must be a positive whole number")
    return Budget(table.get("model_calls"), table.get("tokens"))


def discover(extra: Iterable[Path] = ()) -> list[BenchTask]:
    """The shipped tasks and those of each ``--tasks`` folder, by suite then id."""
    folders = [(SHIPPED_SUITE, SHIPPED)] + [(Path(p).resolve().name, Path(p)) for p in extra]
    tasks: list[BenchTask] = []
    for suite, folder in folders:
        if not folder.is_dir():
            raise TaskError(f"the tasks folder {folder} does not exist")
        for root in sorted(p for p in folder.iterdir() if p.is_dir() and p.name[0] not in "._"):
            tasks.append(load_task(root, suite))
    return tasks


def select(tasks: Sequence[BenchTask], names: Sequence[str]) -> list[BenchTask]:
    """The tasks named by suite or task id (all of them when ``names`` is empty)."""
    if not names:
        return list(tasks)
    chosen: dict[str, BenchTask] = {}
    for name in names:
        matching = [t for t in tasks if name in (t.suite, t.id)]
        if not matching:
            suites = sorted({t.suite for t in tasks})
            raise TaskError(
                f"no suite or task named {name!r}; suites: {', '.join(suites)} "
                "(`tokimon bench list` shows the tasks)"
            )
        chosen.update((f"{t.suite}/{t.id}", t) for t in matching)
    return list(chosen.values())
