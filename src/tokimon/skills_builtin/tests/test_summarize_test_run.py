"""summarize_test_run: failures grouped by their cause, from output or a run of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tokimon.skills import SkillContext
from tokimon.skills.testing import commit
from tokimon.skills_builtin.summarize_test_run import run

THREE = (
    "from pkg.core import parse\n\n\n"
    "def test_a():\n    assert parse('a') == 1\n\n\n"
    "def test_b():\n    assert parse('b') == 1\n\n\n"
    "def test_c():\n    assert 1 == 2, 'plain mismatch'\n"
)


def test_failures_with_one_cause_are_one_problem(repo: Path, ctx: SkillContext) -> None:
    commit(repo, "failing", {"tests/test_three.py": THREE})
    output = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    ).stdout

    result = run({"output": output}, ctx)
    groups = result["data"]["groups"]
    assert result["data"]["counts"]["failed"] == 3
    assert groups[0]["error"] == "ValueError" and groups[0]["location"] == "pkg/core.py:2"
    assert sorted(t.rsplit("::", 1)[1] for t in groups[0]["tests"]) == ["test_a", "test_b"]
    assert groups[1]["error"] == "AssertionError" and len(groups) == 2
    assert "2 distinct problem(s)" in result["text"]

    ran = run({"targets": ["tests/test_three.py"]}, ctx)
    assert ran["data"]["counts"]["failed"] == 3 and len(ran["data"]["groups"]) == 2


def test_a_passing_run_has_nothing_to_report(ctx: SkillContext) -> None:
    result = run({"targets": ["tests/test_core.py"]}, ctx)
    assert result["data"]["groups"] == [] and "no failing tests" in result["text"]
