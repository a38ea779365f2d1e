"""bisect_regression on a real history: the commit that broke a test, checkout untouched."""

from __future__ import annotations

from pathlib import Path

from tokimon.skills import SkillContext
from tokimon.skills.testing import SAMPLE_CORE as CORE
from tokimon.skills.testing import commit, git
from tokimon.skills_builtin.bisect_regression import run


def test_the_first_bad_commit_is_found(repo: Path, ctx: SkillContext) -> None:
    good = git(repo, "rev-parse", "HEAD")
    commit(repo, "docs", {"README.md": "hello\n"})
    broken = commit(
        repo, "break parse", {"pkg/core.py": CORE.replace("int(text)", "int(text) + 1")}
    )
    commit(repo, "more docs", {"README.md": "hello again\n"})
    (repo / "notes.txt").write_text("uncommitted work\n")

    result = run({"good": good, "command": "python -m pytest -q -p no:cacheprovider tests"}, ctx)

    assert result["data"]["commit"] == broken, result["text"]
    assert "pkg/core.py" in result["data"]["files"]
    assert "break parse" in result["text"]
    # the user's checkout is as it was: same HEAD, no bisect, work kept, no extra worktree
    assert git(repo, "rev-parse", "HEAD") != broken
    assert (repo / "notes.txt").read_text() == "uncommitted work\n"
    assert "bisect" not in git(repo, "status")
    assert len(git(repo, "worktree", "list").splitlines()) == 1


def test_a_bad_revision_is_an_error(ctx: SkillContext) -> None:
    result = run({"good": "no-such-rev", "command": "true"}, ctx)
    assert result["is_error"] and "not a commit" in result["text"]
