"""Generated skills for the skill tests: a good one, its tests, and broken variants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

COUNT_TODOS = '''\
"""Count TODO markers in a file of the repository."""

import os


def run(args, ctx):
    path = ctx.resolve(args["path"])
    count = path.read_text().count("TODO")
    return {
        "text": f"{count} TODO(s) in {args['path']}",
        "data": {"count": count, "env": sorted(os.environ), "pid": os.getpid()},
    }
'''

COUNT_TODOS_TESTS = """\
from skill import run

from tokimon.skills import SkillContext


def test_counts_the_markers(tmp_path):
    (tmp_path / "a.py").write_text("# TODO one\\n# TODO two\\n")
    result = run({"path": "a.py"}, SkillContext.create(tmp_path, tmp_path / "cache"))
    assert result["data"]["count"] == 2
"""

WRONG_TESTS = COUNT_TODOS_TESTS.replace('["count"] == 2', '["count"] == 3')

COUNT_SCHEMA = {
    "type": "object",
    "properties": {"path": {"type": "string", "format": "path", "description": "a file"}},
    "required": ["path"],
    "additionalProperties": False,
}


def manifest(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": "Count TODO markers in a file.",
        "input_schema": COUNT_SCHEMA,
        "entry": "skill:run",
        "tests": ["test_skill.py"],
        "version": "1.0.0",
        "origin": "generated",
        **fields,
    }


def write_skill(
    generated: Path,
    name: str,
    code: str = COUNT_TODOS,
    tests: str = COUNT_TODOS_TESTS,
    manifest_text: str | None = None,
    **fields: Any,
) -> Path:
    """A skill folder as the SkillBuilder (or a person) leaves it."""
    folder = generated / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "skill.py").write_text(code)
    (folder / "test_skill.py").write_text(tests)
    text = manifest_text if manifest_text is not None else json.dumps(manifest(name, **fields))
    (folder / "manifest.json").write_text(text)
    return folder


def build_arguments(name: str = "count_todos", tests: str = COUNT_TODOS_TESTS) -> dict[str, Any]:
    """The arguments of a ``build_skill`` call."""
    return {
        "name": name,
        "description": "Count TODO markers in a file.",
        "input_schema": COUNT_SCHEMA,
        "code": COUNT_TODOS,
        "tests": tests,
        "gap": "steps grep for TODO and count the lines by hand, three calls each time",
        "design": "one function reading the file and counting the marker",
        "benefit": "one call instead of three",
    }
