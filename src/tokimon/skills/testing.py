"""Helpers for skills' unit tests: small real git repositories made in a few lines.

Built-in self-tests use them, and so may the tests a SkillBuilder writes::

    from tokimon.skills import SkillContext
    from tokimon.skills.testing import commit, git_repo

    def test_counts(tmp_path):
        repo = git_repo(tmp_path / "repo", {"a.py": "# TODO\\n"})
        assert run({}, SkillContext.create(repo, tmp_path / "cache"))["data"]["count"] == 1
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

SAMPLE_CORE = """\
def parse(text):
    return int(text)


class Box:
    def open(self):
        return parse("1")
"""

SAMPLE_API = """\
from pkg.core import Box


def make():
    return Box().open()
"""

SAMPLE_FILES = {
    "pkg/__init__.py": "",
    "pkg/core.py": SAMPLE_CORE,
    "pkg/api.py": SAMPLE_API,
    "tests/test_core.py": "from pkg.core import parse\n\n\n"
    "def test_parse():\n    assert parse('2') == 2\n",
    "tests/test_api.py": "from pkg.api import make\n\n\ndef test_make():\n    assert make() == 1\n",
}
"""A package (``pkg.core`` with ``parse`` and ``Box.open``, ``pkg.api`` using it) and
passing tests of both."""


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity; its output, stripped."""
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def write(repo: Path, files: Mapping[str, str]) -> None:
    """Write ``files`` (path -> text) under ``repo``, making folders as needed."""
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def commit(repo: Path, message: str, files: Mapping[str, str]) -> str:
    """Write ``files``, commit everything; the new commit's hash."""
    write(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def git_repo(root: Path, files: Mapping[str, str] | None = None) -> Path:
    """A new git repository at ``root`` with ``files`` (default :data:`SAMPLE_FILES`)
    committed."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    commit(root, "first", SAMPLE_FILES if files is None else files)
    return root
