"""Importance ranking and suite detection: what a page names first, on real parses."""

from __future__ import annotations

from pathlib import Path

from cocowiki.index import IndexConfig, index_repository
from cocowiki.index.ranking import rank, usage_of
from cocowiki.index.suites import is_test_file, suite_kind


def test_suites_by_directory_and_by_name() -> None:
    assert suite_kind("tests/test_core.py") == "tests"
    assert suite_kind("src/pkg/core_test.go") == "tests"
    assert suite_kind("web/app.spec.ts") == "tests"
    assert suite_kind("examples/hello/main.rs") == "examples"
    assert suite_kind("benches/spawn.rs") == "benchmarks"
    assert suite_kind("src/pkg/core.py") is None
    assert suite_kind("src/latest/contest.py") is None
    assert is_test_file("pkg/testing/helpers.go") and not is_test_file("benches/x.rs")


def test_public_used_types_come_before_type_variables_and_helpers(tmp_path: Path) -> None:
    package = tmp_path / "lib"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "core.py").write_text(
        "from typing import TypeVar\n\n"
        "F = TypeVar('F')\nV = TypeVar('V')\n\n\n"
        "def batch(items):\n    return [items]\n\n\n"
        "def _private_helper():\n    return 1\n\n\n"
        "class Command:\n    '''A command.'''\n\n\n"
        "class Group(Command):\n    '''A group of commands.'''\n"
    )
    (package / "use.py").write_text(
        "from lib.core import Command, Group\n\n\n"
        "def main():\n    Group()\n    Command()\n    Command()\n"
    )
    index = index_repository(tmp_path, tmp_path / ".cocowiki", IndexConfig(use_git=False))
    core = [c for c in index.components if c.path == "lib/core.py" and c.kind != "module"]
    ranked = [c.name for c in rank(core, usage_of(index.references))]
    assert ranked[:2] == ["Command", "Group"]
    assert ranked.index("batch") < ranked.index("_private_helper")
    assert set(ranked[-2:]) == {"F", "V"}
