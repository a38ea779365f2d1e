"""The work tree boundary: no path a model gives leads outside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tools_fixtures import call, write_files

from tokimon.tools import PathRefused, ToolConfigError, Toolset, WorkTree


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("top secret\n")
    return secret.parent


@pytest.fixture
def repo(tmp_path: Path, outside: Path) -> Path:
    root = write_files(tmp_path / "repo", {"src/app.py": "print('hi')\n", "README.md": "x\n"})
    os.symlink(outside / "secret.txt", root / "leak.txt")
    os.symlink(outside, root / "linked_dir")
    os.symlink(root / "src", root / "src_alias")
    os.symlink(outside / "missing.txt", root / "dangling.txt")
    return root


def test_paths_inside_resolve_to_real_files(repo: Path) -> None:
    tree = WorkTree(repo)
    assert tree.resolve("src/app.py") == repo.resolve() / "src" / "app.py"
    assert tree.resolve("./src/../README.md") == repo.resolve() / "README.md"
    assert tree.resolve(".") == repo.resolve()
    assert tree.resolve(str(repo / "src" / "app.py")) == repo.resolve() / "src" / "app.py"
    # a link that stays inside is followed to the real file
    assert tree.resolve("src_alias/app.py") == repo.resolve() / "src" / "app.py"
    assert tree.resolve("src/new_file.py") == repo.resolve() / "src" / "new_file.py"


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("../outside/secret.txt", "climbs out of the repository root with '..'"),
        ("src/../../outside/secret.txt", "climbs out of the repository root with '..'"),
        ("..", "climbs out"),
        ("/etc/passwd", "absolute path '/etc/passwd' is outside the repository root"),
        ("leak.txt", "symbolic link 'leak.txt', which points outside"),
        ("linked_dir/secret.txt", "symbolic link 'linked_dir', which points outside"),
        ("linked_dir/new.txt", "symbolic link 'linked_dir'"),
        ("dangling.txt", "symbolic link 'dangling.txt'"),
        ("", "the path is empty"),
    ],
)
def test_escapes_are_refused_with_the_rule(repo: Path, path: str, rule: str) -> None:
    with pytest.raises(PathRefused) as refused:
        WorkTree(repo).resolve(path)
    assert rule in str(refused.value)


def test_absolute_path_outside_names_the_root(repo: Path, outside: Path) -> None:
    with pytest.raises(PathRefused, match=str(repo.resolve())):
        WorkTree(repo).resolve(str(outside / "secret.txt"))


def test_writes_to_protected_directories_are_refused(repo: Path) -> None:
    (repo / ".git" / "hooks").mkdir(parents=True)
    tree = WorkTree(repo)
    with pytest.raises(PathRefused, match=r"inside \.git/"):
        tree.resolve_writable(".git/hooks/pre-commit")
    with pytest.raises(PathRefused, match="is a directory"):
        tree.resolve_writable("src")
    assert tree.resolve(".git/hooks") == repo.resolve() / ".git" / "hooks"  # reading is fine


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("read_file", {"path": "../outside/secret.txt"}),
        ("read_file", {"path": "leak.txt"}),
        ("list_dir", {"path": "linked_dir"}),
        ("grep", {"pattern": "secret", "path": "/etc"}),
        ("write_file", {"path": "linked_dir/planted.txt", "content": "x"}),
        ("write_file", {"path": "../planted.txt", "content": "x"}),
        ("apply_patch", {"patch": "--- /dev/null\n+++ b/linked_dir/p.txt\n@@ -0,0 +1 @@\n+x\n"}),
        ("run_tests", {"targets": ["../outside"]}),
    ],
)
def test_a_tool_call_escaping_the_work_tree_is_an_error_result(
    repo: Path, outside: Path, tool: str, arguments: dict[str, object]
) -> None:
    execution = call(Toolset(repo), tool, **arguments)
    assert execution.result.is_error
    assert execution.result.content.startswith("Error: ")
    assert "outside" in execution.result.content or "climbs out" in execution.result.content
    assert "top secret" not in execution.result.content
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]  # nothing planted
    assert not (repo.parent / "planted.txt").exists()


def test_a_work_tree_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ToolConfigError, match="is not a directory"):
        WorkTree(tmp_path / "missing")
