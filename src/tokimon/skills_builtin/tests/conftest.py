"""Fixtures of the built-in skills' self-tests: a small real repository and a context."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokimon.skills import SkillContext
from tokimon.skills.testing import git_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with a package, a module using it and tests of both."""
    return git_repo(tmp_path / "repo")


@pytest.fixture
def ctx(repo: Path, tmp_path: Path) -> SkillContext:
    return SkillContext.create(repo, tmp_path / "cache", timeout=120)
