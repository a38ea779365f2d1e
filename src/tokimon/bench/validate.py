"""``tokimon bench validate``: a task is worth running only if it is solvable and unsolved.

For each task: the starting tree must fail the check (else the task measures nothing);
the reference solution, applied with ``git apply``, must pass it; the oracle transcript
may call only tokimon's own tools (never ``web_fetch``, which a benchmark must not need)
and, run as the model of a real attempt, must solve the task. A task has at least one of
the two references.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..tools.toolset import TOOL_NAMES
from .attempt import ORACLE, AttemptSpec, git, judge, prepare_tree, run_attempt
from .task import BenchTask

ALLOWED_TOOLS = frozenset(TOOL_NAMES) - {"web_fetch"}


@dataclass(frozen=True)
class Validation:
    task: BenchTask
    problems: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.problems


def oracle_tools(oracle: Path) -> set[str]:
    """The tool names an oracle transcript calls; ValueError on a line that is not JSON."""
    names: set[str] = set()
    for number, line in enumerate(oracle.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"oracle.jsonl line {number} is not JSON: {exc.msg}") from None
        names.update(str(call.get("name")) for call in entry.get("tool_calls", ()))
    return names


def validate_task(task: BenchTask, env: Mapping[str, str]) -> Validation:
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tokimon-validate-") as scratch:
        root = Path(scratch)
        start = root / "start"
        prepare_tree(task.repo, start)
        passed, _ = judge(task, start, env)
        if passed:
            problems.append("the starting tree already passes the check")
        if not task.solution.is_file() and not task.oracle.is_file():
            problems.append("it has neither solution.patch nor oracle.jsonl")
        if task.solution.is_file():
            problems += _solution_problems(task, root / "solution", env)
        if task.oracle.is_file():
            problems += _oracle_problems(task, root / "oracle", env)
    return Validation(task, tuple(problems))


def _solution_problems(task: BenchTask, tree: Path, env: Mapping[str, str]) -> list[str]:
    prepare_tree(task.repo, tree)
    shutil.copy(task.solution, tree.parent / "solution.patch")
    try:
        git(tree, "apply", str(tree.parent / "solution.patch"))
    except RuntimeError as exc:
        return [f"solution.patch does not apply: {exc}"]
    passed, output = judge(task, tree, env)
    return [] if passed else [f"the reference solution fails the check: {output[-300:]}"]


def _oracle_problems(task: BenchTask, folder: Path, env: Mapping[str, str]) -> list[str]:
    try:
        extra = sorted(oracle_tools(task.oracle) - ALLOWED_TOOLS)
    except ValueError as exc:
        return [str(exc)]
    if extra:
        return [f"the oracle calls tools a task may not use: {', '.join(extra)}"]
    record = run_attempt(AttemptSpec(task, 1, ORACLE), folder, env)
    if record["solved"]:
        return []
    return [f"the oracle run did not solve it ({record['status']}): {record.get('failure')}"]
