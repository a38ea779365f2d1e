"""reproduce_failure from pytest's and Python's tracebacks of a real failing test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tokimon.skills import SkillContext
from tokimon.skills.testing import commit
from tokimon.skills_builtin.reproduce_failure import parse_traceback, run

FAILING = "from pkg.core import parse\n\n\ndef test_text():\n    assert parse('x') == 1\n"


def _pytest_output(repo: Path, *options: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, "tests"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout


def test_a_pytest_failure_becomes_a_one_line_script(repo: Path, ctx: SkillContext) -> None:
    commit(repo, "failing", {"tests/test_text.py": FAILING})
    output = _pytest_output(repo)
    frames, exc, message = parse_traceback(output)
    assert exc == "ValueError" and "invalid literal" in message
    assert [f.path for f in frames][-2:] == ["tests/test_text.py", "pkg/core.py"]

    result = run({"traceback": output}, ctx)
    assert result["data"]["reproduced"] is True
    assert result["data"]["strategy"] == "line"
    script = result["data"]["script"]
    assert "assert parse('x') == 1" in script
    done = subprocess.run([sys.executable, "-c", script], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 0 and "REPRODUCED: ValueError" in done.stdout


def test_a_python_traceback_and_one_outside_the_repository(ctx: SkillContext) -> None:
    native = (
        "Traceback (most recent call last):\n"
        f'  File "{ctx.repo}/pkg/api.py", line 5, in make\n'
        "    return Box().open()\n"
        f'  File "{ctx.repo}/pkg/core.py", line 7, in open\n'
        '    return parse("1")\n'
        "ValueError: boom\n"
    )
    frames, exc, _ = parse_traceback(native)
    assert exc == "ValueError" and [f.func for f in frames] == ["make", "open"]
    assert run({"traceback": "ValueError: x"}, ctx)["is_error"] is True
