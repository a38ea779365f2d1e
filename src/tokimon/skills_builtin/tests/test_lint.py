"""lint and format_code with the ruff a repository configures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokimon.skills import SkillContext
from tokimon.skills.testing import write
from tokimon.skills_builtin.lint import _program, check, configured, fix


def test_nothing_configured_runs_nothing(ctx: SkillContext) -> None:
    assert configured(ctx.repo) == []
    assert "configures no linter" in check({}, ctx)["text"]


@pytest.mark.skipif(_program("ruff") is None, reason="ruff is not installed")
def test_ruff_finds_then_fixes_an_unused_import(repo: Path, ctx: SkillContext) -> None:
    write(
        repo,
        {"pyproject.toml": "[tool.ruff]\nline-length = 100\n", "pkg/bad.py": "import os\nx=1\n"},
    )
    found = check({"paths": ["pkg/bad.py"]}, ctx)
    assert found["data"]["clean"] is False
    assert "F401" in found["text"] and "pkg/bad.py" in found["text"]

    fixed = fix({"paths": ["pkg/bad.py"]}, ctx)
    assert fixed["data"]["changed"] == ["pkg/bad.py"]
    assert (repo / "pkg/bad.py").read_text() == "x = 1\n"
    assert check({"paths": ["pkg/bad.py"]}, ctx)["data"]["clean"] is True
