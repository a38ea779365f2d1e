"""change_impact: changed files and the tests that reach them through imports or names."""

from __future__ import annotations

from pathlib import Path

from tokimon.skills import SkillContext
from tokimon.skills.testing import SAMPLE_CORE as CORE
from tokimon.skills.testing import write
from tokimon.skills_builtin.change_impact import run


def test_a_change_to_a_module_lists_the_tests_that_reach_it(repo: Path, ctx: SkillContext) -> None:
    write(repo, {"pkg/core.py": CORE + "\n# changed\n", "pkg/new.py": "X = 1\n"})
    result = run({}, ctx)
    data = result["data"]
    assert data["changed"] == ["pkg/core.py", "pkg/new.py"]
    reasons = {t["path"]: t["reason"] for t in data["tests"]}
    assert set(reasons) == {"tests/test_core.py", "tests/test_api.py"}
    assert reasons["tests/test_core.py"] == "imports pkg/core.py"
    assert reasons["tests/test_api.py"] == "imports (2 hops) pkg/core.py"


def test_a_clean_tree_and_a_bad_base(ctx: SkillContext) -> None:
    assert run({}, ctx)["data"] == {"changed": [], "tests": []}
    assert run({"base": "no-such-rev"}, ctx)["is_error"]
