"""run_tests: a real pytest in a subprocess on a tiny repository, and a pluggable command."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest
from tools_fixtures import call, write_files

import tiffany
from tiffany.models import ToolCall
from tokimon.tools import TestReport, ToolConfig, Toolset, WorkTree, run_test_command

DATES = """def parse(text):
    year, month, day = (int(part) for part in text.split("-"))
    return year, month, day
"""
TESTS = """from dates import parse


def test_parse_splits():
    assert parse("2024-01-31") == (2024, 1, 31)


def test_parse_accepts_padding():
    assert parse("2024-01-01") == (2024, 1, 1)


def test_parse_knows_month_lengths():
    assert parse("2024-02-30") is None, "February has no 30th"
"""


@pytest.fixture(autouse=True)
def _no_host_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixture repository's pytest loads no plugin this machine happens to have."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_files(tmp_path / "repo", {"dates.py": DATES, "tests/test_dates.py": TESTS})


def test_a_failing_test_comes_back_with_counts_and_its_assertion(repo: Path) -> None:
    execution = call(Toolset(repo), "run_tests")
    result, data = execution.result, execution.data
    assert not result.is_error  # failing tests are a result, not a tool error
    assert data["status"] == "failed"
    assert (data["passed"], data["failed"], data["errors"], data["skipped"]) == (2, 1, 0, 0)
    failing = "tests/test_dates.py::test_parse_knows_month_lengths"
    assert [f["name"] for f in data["failures"]] == [failing]
    assert result.content.startswith("run_tests: FAILED: 1 failed, 2 passed, 0 errors, 0 skipped")
    assert f"FAILED {failing}: AssertionError: February has no 30th" in result.content
    # the failing test's own assertion output, as pytest explains it
    assert "E       assert (2024, 2, 30) is None" in result.content
    assert "command: python -m pytest -q -rf" in result.content


def test_targets_narrow_the_run_and_broken_or_missing_files_are_reported(repo: Path) -> None:
    write_files(repo, {"tests/test_broken.py": "def test_x(:\n    pass\n"})
    tree = WorkTree(repo)
    command = ToolConfig().test_command

    async def main() -> tuple[TestReport, TestReport, TestReport]:
        narrow = await run_test_command(
            tree, command, ["tests/test_dates.py::test_parse_splits"], timeout=60
        )
        broken = await run_test_command(tree, command, ["tests/test_broken.py"], timeout=60)
        missing = await run_test_command(tree, command, ["tests/test_nothere.py"], timeout=60)
        return narrow, broken, missing

    narrow, broken, missing = tiffany.run(main)
    assert missing.status == "error" and missing.exit_code == 4
    assert "file or directory not found: tests/test_nothere.py" in missing.output
    assert narrow.status == "passed" and (narrow.passed, narrow.failed) == (1, 0)
    assert broken.status == "failed" and broken.errors == 1
    failure = broken.failures[0]
    assert failure.kind == "error" and "SyntaxError" in failure.details


def test_a_pluggable_command_is_read_by_its_summary_line(repo: Path) -> None:
    script = "print('collected 4 items'); print('3 passed, 1 failed in 0.01s'); raise SystemExit(1)"
    config = ToolConfig(test_command=(sys.executable, "-c", script))
    execution = call(Toolset(repo, config), "run_tests")
    assert execution.data["status"] == "failed"
    assert (execution.data["passed"], execution.data["failed"]) == (3, 1)
    assert "3 passed, 1 failed" in execution.result.content

    silent = ToolConfig.from_mapping({"test_command": "true"})
    quiet = call(Toolset(repo, silent), "run_tests")
    assert quiet.data["status"] == "passed" and quiet.data["passed"] is None
    assert "counts unknown" in quiet.result.content


NODE_TESTS = """const { describe, it, test } = require("node:test");
const assert = require("node:assert/strict");
const { add } = require("../add.js");
describe("add", () => {
  it("adds", () => assert.equal(add(1, 2), 3));
  it.skip("later", () => {});
});
test("zero", () => assert.equal(add(0, 0), 0));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("reporter", ["tap", "junit"])
def test_node_test_runner_is_read_from_its_counts_or_its_junit_report(
    tmp_path: Path, reporter: str
) -> None:
    """node's runner as the test command: its closing counts (``# pass 1``) are read
    without a report, and its JUnit report, whose top-level tests sit outside any suite,
    gives the same counts and names the failing test."""
    repo = write_files(
        tmp_path / "js",
        {"add.js": "exports.add = (a, b) => a + b + 1;\n", "tests/add.test.js": NODE_TESTS},
    )
    command = "node --test"
    if reporter == "junit":
        command += (
            " --test-reporter=spec --test-reporter-destination=stdout"
            " --test-reporter=junit --test-reporter-destination={junitxml}"
        )
    config = ToolConfig.from_mapping({"test_command": command})
    execution = call(Toolset(repo, config), "run_tests", targets=["tests/add.test.js"])
    data = execution.data
    assert data["status"] == "failed"
    assert (data["passed"], data["failed"], data["errors"], data["skipped"]) == (0, 2, 0, 1)
    if reporter == "junit":
        assert sorted(f["name"] for f in data["failures"]) == ["test::adds", "test::zero"]
    (repo / "add.js").write_text("exports.add = (a, b) => a + b;\n")
    fixed = call(Toolset(repo, config), "run_tests").data
    assert fixed["status"] == "passed"
    assert (fixed["passed"], fixed["failed"], fixed["skipped"]) == (2, 0, 1)


def _hanging_command() -> tuple[str, ...]:
    """A shell that starts a grandchild sleeping for a minute and waits for it."""
    return ("sh", "-c", "sleep 60 & echo $! > grandchild.pid; echo started; wait")


def _assert_dead(pid_file: Path) -> None:
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5  # SIGKILL was sent; give the kernel a moment to reap
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} is still running")


def test_a_hanging_test_command_is_killed_at_its_timeout(repo: Path) -> None:
    config = ToolConfig(test_command=_hanging_command(), timeouts={"run_tests": 0.5})
    started = time.monotonic()
    execution = call(Toolset(repo, config), "run_tests")
    assert time.monotonic() - started < 5
    assert execution.result.is_error
    assert execution.data["status"] == "timeout"
    assert execution.result.content.startswith(
        "run_tests: the command did not finish within 0.5 s and was stopped"
    )
    assert "started" in execution.result.content  # the output before the kill
    _assert_dead(repo / "grandchild.pid")


def test_cancelling_the_caller_kills_the_test_process_group(repo: Path) -> None:
    config = ToolConfig(test_command=_hanging_command())
    toolset = Toolset(repo, config)
    pid_file = repo / "grandchild.pid"
    outcome: list[object] = []

    def wait_for_start() -> None:
        while not pid_file.exists() or not pid_file.read_text().strip():
            time.sleep(0.01)

    async def run_tests() -> None:
        outcome.append(await toolset.execute(ToolCall("call-1", "run_tests", {})))

    async def main() -> None:
        async with tiffany.TaskGroup() as group:
            await group.spawn(run_tests)
            await tiffany.to_thread(wait_for_start)
            group.cancel()

    started = time.monotonic()
    tiffany.run(main)
    assert outcome == []  # the call was cancelled, not answered
    assert time.monotonic() - started < 5
    _assert_dead(pid_file)
