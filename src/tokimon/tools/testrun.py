"""``run_tests``: run the test command, and report counts and the failures that matter.

The command is pytest by default and pluggable (``ToolConfig.test_command``). Counts
come from a JUnit XML report when the command writes one (the ``{junitxml}`` placeholder
is replaced by a temporary path outside the tree, as pytest's ``--junitxml`` takes it;
jest, vitest, go-junit-report and cargo-nextest can write the same format), because a
report file says exactly which tests failed and why, where scraping a terminal guesses.
Without a report, the counts are read from a pytest-style summary line
(``1 failed, 3 passed in 0.12s``) or from the closing counts of node's test runner
(``# pass 3`` and ``# fail 1`` in TAP, the same after an info sign in its spec output)
if the output has them, and are unknown otherwise. A JUnit report's counts are those of
its test cases, so a report whose suites carry no counts (node's, for tests outside a
``describe``) reads right too.

A failing test comes back with its own output (assertion and traceback, the end kept
when long), so the model can act on it without reading the whole run; the end of the
run's output follows, for what the report does not hold (collection errors, crashes).
"""

from __future__ import annotations

import re
import shlex
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .base import ToolContext, define_tool
from .errors import ToolError
from .output import ToolOutput, bound_text
from .process import ProcessResult, run_process
from .worktree import WorkTree

_SUMMARY_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped)\b")
_NODE_COUNT = re.compile(r"^(?:#|\u2139) (tests|pass|fail|cancelled|skipped) (\d+)\s*$", re.M)
_SHOWN_FAILURES = 10
_FAILURE_BYTES = 4000
_OUTPUT_TAIL_BYTES = 2000
_SUMMARY_TAIL_BYTES = 600
_NO_TESTS_COLLECTED = 5  # pytest's exit status when it found nothing to run


@dataclass(frozen=True, slots=True)
class FailedTest:
    """One failing (``failure``) or erroring (``error``) test and what it printed."""

    name: str
    kind: str
    message: str
    details: str


@dataclass(frozen=True, slots=True)
class TestReport:
    """The outcome of one test run; counts are None when the run did not say them.

    ``status`` is ``passed``, ``failed`` (tests failed), ``no tests``, ``error`` (the
    command itself failed: a usage error, an interpreter crash) or ``timeout``.
    """

    __test__ = False  # not a pytest test class, despite the name

    command: str
    status: str
    exit_code: int | None
    duration: float
    passed: int | None = None
    failed: int | None = None
    errors: int | None = None
    skipped: int | None = None
    failures: tuple[FailedTest, ...] = ()
    output: str = ""
    timeout: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["failures"] = [asdict(failure) for failure in self.failures]
        return data

    def summary(self) -> str:
        if self.status == "timeout":
            limit = round(self.timeout or 0, 1)
            return (
                f"run_tests: the command did not finish within {limit:g} s and was stopped "
                "(its process group was killed)"
            )
        counts = (
            f"{self.failed} failed, {self.passed} passed, {self.errors} errors, "
            f"{self.skipped} skipped"
            if self.passed is not None
            else "counts unknown (no report and no summary line)"
        )
        return (
            f"run_tests: {self.status.upper()}: {counts} "
            f"(exit status {self.exit_code}, {self.duration:.2f} s)"
        )

    def render(self, budget: int) -> str:
        """The report as the model reads it, within about ``budget`` bytes."""
        parts = [self.summary(), f"command: {self.command}"]
        shown = self.failures[:_SHOWN_FAILURES]
        each = max(min(_FAILURE_BYTES, (budget - _OUTPUT_TAIL_BYTES) // max(len(shown), 1)), 300)
        for failure in shown:
            details, _ = bound_text(failure.details.strip("\n"), each, keep="tail")
            label = "FAILED" if failure.kind == "failure" else "ERROR"
            parts.append(f"\n{label} {failure.name}: {failure.message}\n{details}")
        rest = self.failures[_SHOWN_FAILURES:]
        if rest:
            names = ", ".join(failure.name for failure in rest)
            parts.append(f"\n({len(rest)} more failing tests not shown: {names})")
        # With failures shown, the end of the output only adds the summary lines.
        tail_budget = _SUMMARY_TAIL_BYTES if self.failures else max(budget // 2, _OUTPUT_TAIL_BYTES)
        tail, _ = bound_text(self.output.strip("\n"), tail_budget, keep="tail")
        if tail:
            parts.append(f"\noutput (end):\n{tail}")
        return "\n".join(parts) + "\n"


# == reading results =====================================================================


def _node_id(tree: WorkTree, classname: str, name: str) -> str:
    """pytest's ``tests.test_x.TestY`` + ``test_z`` as ``tests/test_x.py::TestY::test_z``."""
    parts = classname.split(".") if classname else []
    for split in range(len(parts), 0, -1):
        module = "/".join(parts[:split]) + ".py"
        if (tree.root / module).is_file():
            return "::".join([module, *parts[split:], name])
    return f"{classname}::{name}" if classname else name


def read_junit(tree: WorkTree, report: Path) -> tuple[dict[str, int], list[FailedTest]] | None:
    """Counts and failures from a JUnit XML file; None when there is no readable report."""
    try:
        root = ElementTree.parse(report).getroot()
    except (OSError, ElementTree.ParseError):
        return None
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    cases = list(root.iter("testcase"))
    if not cases:  # only the suites' own counts (a collection error, say)
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        for suite in suites:
            for key in counts:
                counts[key] += int(suite.get(key) or 0)
    failures = []
    for case in cases:
        counts["tests"] += 1
        outcomes = {child.tag for child in case}
        for kind, key in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            if kind in outcomes:
                counts[key] += 1
                break
        for child in case:
            if child.tag in ("failure", "error"):
                name = _node_id(tree, case.get("classname", ""), case.get("name", "?"))
                message = (child.get("message") or "").strip().splitlines()
                failures.append(
                    FailedTest(name, child.tag, message[0] if message else "", child.text or "")
                )
    return counts, failures


def read_summary_line(output: str) -> dict[str, int] | None:
    """Counts from the last pytest-style summary line of ``output``, or else from node's
    test runner's closing counts; None when it has neither."""
    for line in reversed(output.splitlines()):
        found = _SUMMARY_COUNT.findall(line)
        if found and " in " in line:
            counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
            for number, word in found:
                counts["errors" if word.startswith("error") else word] += int(number)
            return counts
    node = dict(_NODE_COUNT.findall(output))  # the last of each count wins
    if "tests" in node and "pass" in node and "fail" in node:
        return {
            "passed": int(node["pass"]),
            "failed": int(node["fail"]),
            "errors": int(node.get("cancelled", 0)),
            "skipped": int(node.get("skipped", 0)),
        }
    return None


def _report(
    tree: WorkTree, shown: str, result: ProcessResult, junit: Path | None, timeout: float
) -> TestReport:
    base: dict[str, Any] = {
        "command": shown,
        "exit_code": result.returncode,
        "duration": result.duration,
        "output": result.output,
        "timeout": timeout,
    }
    if result.timed_out:
        return TestReport(status="timeout", **base)
    parsed = read_junit(tree, junit) if junit is not None else None
    failures: list[FailedTest] = []
    if parsed is not None:
        totals, failures = parsed
        failed, errors, skipped = totals["failures"], totals["errors"], totals["skipped"]
        passed = max(totals["tests"] - failed - errors - skipped, 0)
    else:
        summary = read_summary_line(result.output)
        if summary is None:
            # A command that was to write a report and did not, failed before testing.
            broken = "error" if junit is not None else "failed"
            return TestReport(status="passed" if result.returncode == 0 else broken, **base)
        passed, failed = summary["passed"], summary["failed"]
        errors, skipped = summary["errors"], summary["skipped"]
    if failed or errors:
        status = "failed"
    elif result.returncode not in (0, _NO_TESTS_COLLECTED):
        status = "error"  # a usage error, an unknown target, a crash
    elif passed + skipped == 0:
        status = "no tests"
    else:
        status = "passed"
    return TestReport(
        status=status,
        passed=passed,
        failed=failed,
        errors=errors,
        skipped=skipped,
        failures=tuple(failures),
        **base,
    )


# == running =============================================================================


def check_targets(tree: WorkTree, targets: Sequence[str]) -> list[str]:
    """Test targets as given, refused if one is an option or a path out of the tree."""
    for target in targets:
        if not target.strip() or target.startswith("-"):
            raise ToolError(
                f"the test target {target!r} is not a path or test id; give paths such as "
                "'tests/test_x.py' or ids such as 'tests/test_x.py::test_y' (options are "
                "set by the configured test command)"
            )
        tree.resolve(target.split("::", 1)[0])
    return list(targets)


async def run_test_command(
    tree: WorkTree,
    command: Sequence[str],
    targets: Sequence[str] = (),
    *,
    timeout: float,
    max_output_bytes: int = 64_000,
) -> TestReport:
    """Run ``command`` (with its placeholders) plus ``targets`` in the tree; never raises
    for failing tests, only (:class:`ToolError`) for a target out of the tree or a command
    that cannot start."""
    chosen = check_targets(tree, targets)
    uses_junit = any("{junitxml}" in part for part in command)
    shown = shlex.join(
        [part.replace("{python}", "python") for part in command if "{junitxml}" not in part]
        + chosen
    )
    with tempfile.TemporaryDirectory(prefix="tokimon-tests-") as scratch:
        junit = Path(scratch) / "junit.xml"
        argv = [
            part.replace("{python}", sys.executable).replace("{junitxml}", str(junit))
            for part in command
        ] + chosen
        result = await run_process(
            argv, cwd=tree.root, timeout=timeout, max_output_bytes=max_output_bytes
        )
        return _report(tree, shown, result, junit if uses_junit else None, timeout)


class RunTestsArgs(BaseModel):
    """Run the repository's tests and report pass/fail counts and each failing test's output.

    With no targets the whole suite runs; targets narrow it to files, directories or
    single tests.
    """

    model_config = ConfigDict(extra="forbid")

    targets: list[str] = Field(
        default_factory=list,
        description="test paths or ids, such as 'tests/test_x.py' or 'tests/test_x.py::test_y'",
    )


async def run_tests(args: RunTestsArgs, context: ToolContext) -> ToolOutput:
    report = await run_test_command(
        context.tree,
        context.config.test_command,
        args.targets,
        timeout=context.remaining(),
    )
    text = report.render(context.config.max_output_bytes)
    return ToolOutput(text, is_error=report.status in ("timeout", "error"), data=report.to_dict())


RUN_TESTS = define_tool(RunTestsArgs, run_tests, name="run_tests", timeout=600.0)
