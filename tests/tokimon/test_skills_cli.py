"""``tokimon skills list|show|test|remove``, each with ``--json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from skills_fixtures import WRONG_TESTS, write_skill
from typer.testing import CliRunner

from tokimon.cli import app


def tokimon(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_list_show_test_and_remove(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    where = ("--repo", str(repo))
    generated = repo / ".tokimon" / "skills_generated"
    write_skill(generated, "count_todos")
    write_skill(generated, "wrong_tests", tests=WRONG_TESTS)
    write_skill(generated, "broken", code="def run(:\n")

    listed = tokimon("skills", "list", *where, "--json")
    assert listed.exit_code == 0
    rows = {row["name"]: row for row in json.loads(listed.stdout)["skills"]}
    assert rows["find_symbol"]["origin"] == "builtin" and rows["find_symbol"]["status"] == "active"
    assert (
        rows["count_todos"]["origin"] == "generated" and rows["count_todos"]["version"] == "1.0.0"
    )
    assert rows["broken"]["status"] == "quarantined" and "SyntaxError" in rows["broken"]["error"]
    human = tokimon("skills", "list", *where)
    assert human.exit_code == 0 and "count_todos" in human.stdout and "quarantined" in human.stdout

    shown = json.loads(tokimon("skills", "show", "count_todos", *where, "--json").stdout)
    assert shown["manifest"]["entry"] == "skill:run" and shown["status"] == "active"
    assert (
        "skill count_todos (generated): active"
        in tokimon("skills", "show", "count_todos", *where).stdout
    )

    passed = tokimon("skills", "test", "count_todos", *where, "--json")
    assert passed.exit_code == 0 and json.loads(passed.stdout)["passed"] is True
    failed = tokimon("skills", "test", "wrong_tests", *where)
    assert (
        failed.exit_code == 1
        and "tests FAILED" in failed.stdout
        and "assert 2 == 3" in failed.stdout
    )

    removed = tokimon("skills", "remove", "count_todos", *where, "--json")
    assert removed.exit_code == 0 and json.loads(removed.stdout)["removed"] == "count_todos"
    assert not (generated / "count_todos").exists()
    builtin = tokimon("skills", "remove", "lint", *where, "--json")
    assert builtin.exit_code == 2 and "built-in" in json.loads(builtin.stdout)["error"]
    unknown = tokimon("skills", "show", "nope", *where)
    assert unknown.exit_code == 2 and "there is no skill 'nope'" in unknown.stderr
