"""``cw plan`` on the fixture repositories: the tree, the summary, clean re-runs, bad input."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from cocowiki.index import IndexConfig, IndexResult
from cocowiki.plan import (
    MODULE_TREE_NAME,
    ROOT_ID,
    PlanConfig,
    plan_modules,
    read_module_tree,
    run_plan_command,
)

FIXTURES = Path(__file__).parent / "fixtures"
WALK = IndexConfig(use_git=False)
LANGUAGES = ["c", "cpp", "csharp", "go", "java", "javascript", "python", "rust", "typescript"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_fixture_repositories_put_every_file_on_one_page(
    indexed: Callable[[str], IndexResult], language: str
) -> None:
    index = indexed(language)
    for config in (PlanConfig(), PlanConfig(min_tokens=0, max_tokens=150)):
        tree = plan_modules(index, config)
        placed = [path for module in tree for path in module.files]
        assert sorted(placed) == sorted(source.path for source in index.files)
        assert len(placed) == len(set(placed))
        assert tree.build_order()[-1].id == ROOT_ID
    # with the default bounds a fixture is small enough for one overview page
    assert list(plan_modules(index).modules) == [ROOT_ID]


def test_fixture_structure_becomes_modules(indexed: Callable[[str], IndexResult]) -> None:
    fine = PlanConfig(min_tokens=0, max_tokens=10_000)
    java = plan_modules(indexed("java"), fine)
    # src/main/java/com/example only holds the code: its files are the overview's
    assert java[ROOT_ID].files == ("src/main/java/com/example/App.java",)
    assert java["src_main_java_com_example_shapes"].parent == ROOT_ID
    python = plan_modules(indexed("python"), fine)
    assert python[ROOT_ID].files == ("app.py",)
    assert python["shapes"].files == ("shapes/__init__.py", "shapes/base.py", "shapes/circle.py")


def copy_fixture(tmp_path: Path, language: str) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / language, repo)
    return repo


def test_json_summary_and_a_clean_rerun(tmp_path: Path) -> None:
    repo = copy_fixture(tmp_path, "python")
    out = io.StringIO()
    config = PlanConfig(min_tokens=0, max_tokens=10_000)
    status = run_plan_command(
        repo, tmp_path / "out", as_json=True, config=config, index_config=WALK, stdout=out
    )
    assert status == 0
    summary = json.loads(out.getvalue())
    assert summary["files"] == 4
    assert summary["pages"] == 2 and summary["depth"] == 1
    assert summary["written"] is True and summary["catalog_written"] is True
    assert summary["module_tree"] == str(tmp_path / "out" / MODULE_TREE_NAME)
    tree = read_module_tree(tmp_path / "out")
    assert set(tree.modules) == {ROOT_ID, "shapes"}
    out = io.StringIO()
    run_plan_command(
        repo, tmp_path / "out", as_json=True, config=config, index_config=WALK, stdout=out
    )
    again = json.loads(out.getvalue())
    assert again["written"] is False and again["catalog_written"] is False


def test_human_summary_with_progress_on_a_terminal(tmp_path: Path) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    repo = copy_fixture(tmp_path, "go")
    out, err = io.StringIO(), Terminal()
    status = run_plan_command(repo, None, index_config=WALK, stdout=out, stderr=err)
    assert status == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("index: 3 files (")
    assert lines[1].startswith("planned 1 page, depth 0; largest page overview with ")
    assert lines[-1] == f"module tree written: {repo / '.cocowiki' / MODULE_TREE_NAME}"
    assert "Traceback" not in err.getvalue()


def test_empty_repository(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    out = io.StringIO()
    status = run_plan_command(
        tmp_path / "empty", tmp_path / "out", as_json=True, index_config=WALK, stdout=out
    )
    assert status == 0
    assert json.loads(out.getvalue())["pages"] == 1
    assert read_module_tree(tmp_path / "out")[ROOT_ID].files == ()


def test_missing_repository_is_one_line(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    status = run_plan_command(tmp_path / "missing", None, stdout=out, stderr=err)
    assert status == 2
    assert err.getvalue() == (
        f"cw plan: error: repository path does not exist: {tmp_path / 'missing'}\n"
    )
    out = io.StringIO()
    assert run_plan_command(tmp_path / "missing", None, as_json=True, stdout=out) == 2
    assert json.loads(out.getvalue())["error"].startswith("repository path does not exist")


def test_unwritable_tree_is_one_line(tmp_path: Path) -> None:
    repo = copy_fixture(tmp_path, "c")
    output = tmp_path / "out"
    (output / MODULE_TREE_NAME).mkdir(parents=True)  # a directory where the file goes
    err = io.StringIO()
    status = run_plan_command(repo, output, index_config=WALK, stdout=io.StringIO(), stderr=err)
    assert status == 2
    assert err.getvalue().startswith(f"cw plan: error: cannot write {output / MODULE_TREE_NAME}")
    assert err.getvalue().count("\n") == 1
