"""``module_tree.json``: written only when it changes, read back or refused with the fix."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

from cocowiki.index import IndexConfig, IndexResult, index_repository, read_index
from cocowiki.plan import (
    MODULE_TREE_NAME,
    Module,
    ModuleTree,
    PlanConfig,
    PlanError,
    PlanReport,
    plan_or_reuse,
    read_module_tree,
    write_module_tree,
)
from cocowiki.plan import cache as plan_cache
from cocowiki.plan.importance import Importance


def sample_tree() -> ModuleTree:
    root = Module("overview", "demo", "", ("setup.py",), None, ("pkg",), 10)
    child = Module("pkg", "pkg", "pkg", ("pkg/a.py", "pkg/b.py"), "overview", (), 20)
    return ModuleTree(modules={root.id: root, child.id: child})


def test_round_trip_and_write_only_on_change(tmp_path: Path) -> None:
    tree = sample_tree()
    assert write_module_tree(tmp_path, tree) is True
    path = tmp_path / MODULE_TREE_NAME
    stamp = path.stat().st_mtime_ns
    assert read_module_tree(tmp_path).dumps() == tree.dumps()
    assert write_module_tree(tmp_path, tree) is False
    assert path.stat().st_mtime_ns == stamp
    assert not list(tmp_path.glob(".*.tmp"))
    changed = ModuleTree(
        modules={
            **tree.modules,
            "pkg": Module("pkg", "renamed", "pkg", ("pkg/a.py", "pkg/b.py"), "overview"),
        }
    )
    assert write_module_tree(tmp_path, changed) is True
    assert read_module_tree(tmp_path)["pkg"].title == "renamed"


def test_missing_tree_names_the_command(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"no module tree at .*: run `cw plan` first"):
        read_module_tree(tmp_path)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "is not a valid module tree"),
        ("[1, 2]", "not a JSON object"),
        ('{"version": 1, "root": "overview"}', "missing key 'modules'"),
        ('{"version": 99, "root": "overview", "modules": []}', "has version 99"),
        ('{"version": 1, "root": "overview", "modules": []}', "root 'overview' is not a module"),
    ],
)
def test_corrupt_tree_is_refused_with_the_fix(tmp_path: Path, content: str, problem: str) -> None:
    (tmp_path / MODULE_TREE_NAME).write_text(content)
    with pytest.raises(PlanError) as caught:
        read_module_tree(tmp_path)
    assert problem in str(caught.value)
    assert str(caught.value).endswith("run `cw plan` again")


def test_broken_links_are_refused(tmp_path: Path) -> None:
    data = sample_tree().to_json()
    data["modules"][1]["parent"] = "elsewhere"
    (tmp_path / MODULE_TREE_NAME).write_text(json.dumps(data))
    with pytest.raises(PlanError, match="child 'pkg' of 'overview' does not link back"):
        read_module_tree(tmp_path)


def test_a_build_reuses_the_tree_while_its_index_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(Path(__file__).parent / "fixtures" / "python", repo)
    output = tmp_path / "out"
    config = PlanConfig(min_tokens=10, max_tokens=1000)
    planned: list[int] = []
    original = plan_cache.plan_with_report

    def counting(
        index: IndexResult,
        settings: PlanConfig | None = None,
        weights: Mapping[tuple[str, str], int] | None = None,
        importance: Importance | None = None,
        name: str | None = None,
    ) -> tuple[ModuleTree, PlanReport]:
        planned.append(1)
        return original(index, settings, weights, importance, name)

    monkeypatch.setattr(plan_cache, "plan_with_report", counting)

    def plan() -> tuple[ModuleTree, bool]:
        index = index_repository(repo, output, IndexConfig(use_git=False))
        return plan_or_reuse(output, index, config)

    tree, written = plan()
    assert (written, len(planned)) == (True, 1)
    again, written = plan()
    assert (written, len(planned), again.dumps()) == (False, 1, tree.dumps())  # read back
    assert plan_or_reuse(output, read_index(output), PlanConfig())[0] is not None
    assert len(planned) == 2  # other settings: planned again
    plan()
    path = output / MODULE_TREE_NAME
    path.write_text(path.read_text().replace('"shapes"', '"hand-edited"', 1))
    assert plan()[0].dumps() == tree.dumps() and len(planned) == 4  # an edit by hand
    (repo / "extra.py").write_text("def extra() -> int:\n    return 1\n")
    assert plan()[1] is True and len(planned) == 5  # the index changed
