"""The evaluation command, run on a tree and summed up: what judges master and sessions.

It is the ``run_tests`` tool's runner (:func:`~tokimon.tools.run_test_command`), so the
counts come from a JUnit report or a summary line exactly as the agent sees them, and the
same command is each session's per-step check. A summary keeps the counts, the status and
each failing test's name and first line: what a session is told about master.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tiffany

from ..tools import ToolConfig, WorkTree, run_test_command
from ..tools.config import DEFAULT_TEST_COMMAND

EVAL_TIMEOUT_S = 1800.0
SHOWN_FAILURES = 20


def eval_command(command: str | None) -> tuple[str, ...]:
    """``--eval`` as the argument list ``run_tests`` takes (default: the repository's pytest)."""
    if not command:
        return DEFAULT_TEST_COMMAND
    return ToolConfig.model_validate({"test_command": command}).test_command


def show_command(command: Sequence[str]) -> str:
    """The command as one line, as ``--test-command`` takes it."""
    return shlex.join(command)


def evaluate(tree: Path, command: Sequence[str], timeout: float = EVAL_TIMEOUT_S) -> dict[str, Any]:
    """Run ``command`` in ``tree``; its summary (``passed`` true only for a clean pass)."""

    async def main() -> Any:
        return await run_test_command(WorkTree(tree), command, timeout=timeout)

    report = tiffany.run(main)
    failures = [
        {"name": f.name, "first_line": (f.message or f.details.strip()).splitlines()[0][:200]}
        if (f.message or f.details.strip())
        else {"name": f.name, "first_line": ""}
        for f in report.failures[:SHOWN_FAILURES]
    ]
    return {
        "passed": report.status == "passed",
        "status": report.status,
        "tests_passed": report.passed,
        "tests_failed": (report.failed or 0) + (report.errors or 0)
        if report.passed is not None
        else None,
        "exit_code": report.exit_code,
        "seconds": round(report.duration, 3),
        "failures": failures,
        "output_tail": "\n".join(report.output.strip().splitlines()[-15:]),
    }


def describe(summary: dict[str, Any]) -> str:
    """The summary as a few lines of text, for a session's brief and the report."""
    counts = (
        f"{summary['tests_failed']} failing, {summary['tests_passed']} passing"
        if summary.get("tests_passed") is not None
        else "counts unknown"
    )
    lines = [f"{summary['status']} ({counts}, exit status {summary['exit_code']})"]
    lines += [f"- {f['name']}: {f['first_line']}" for f in summary.get("failures", [])]
    return "\n".join(lines)
