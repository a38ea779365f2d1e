"""``cw build`` on a fixture repository in every supported language, and on this project.

What "done" means for the build: every citation resolves to the cited lines, every
diagram parses with the real mermaid parser, every public component is on exactly one
page, every page is verified (see ``build_helpers.check_wiki``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from build_helpers import (
    LANGUAGES,
    build,
    build_checked,
    checker_fixture,  # noqa: F401 (the module's `checker` fixture)
    copy_fixture,
    needs_mermaid,
    sections_of,
)

from cocowiki.index import IndexConfig
from cocowiki.mermaid import MermaidChecker
from cocowiki.pages import BuildConfig

pytestmark = needs_mermaid

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("language", LANGUAGES)
def test_fixture_wiki_is_verified(language: str, tmp_path: Path, checker: MermaidChecker) -> None:
    repo = copy_fixture(language, tmp_path)
    result, manifest = build_checked(repo, tmp_path / "out", checker)
    # these fixtures keep all their code in src/ (and lib/), which only holds it: one page
    pages = 1 if language in ("javascript", "rust", "typescript") else 2
    assert result.verified == len(result.pages) == len(manifest["pages"]) >= pages
    assert manifest["pages"][0]["id"] == "overview"
    assert sum(page["counts"]["diagrams"] for page in manifest["pages"]) >= 2
    assert (tmp_path / "out" / "index.html").is_file()


def test_everything_on_one_overview_page(tmp_path: Path, checker: MermaidChecker) -> None:
    """With the default plan the tiny fixture is one page: the overview documents it all."""
    repo = copy_fixture("python", tmp_path)
    config = BuildConfig(index=IndexConfig(use_git=False))
    result, _ = build_checked(repo, tmp_path / "out", checker, config)
    assert [page.id for page in result.pages] == ["overview"]
    overview = (tmp_path / "out" / "pages" / "overview.md").read_text()
    for heading in ("## Purpose", "## Entry points", "## Languages and sizes", "## Components"):
        assert heading in overview
    assert "class Circle(Shape)" in overview
    assert "[app.py:7-7](../../repo/app.py#L7-L7)" in overview  # main, cited at its line


def test_python_pages_read_well(tmp_path: Path, checker: MermaidChecker) -> None:
    repo = copy_fixture("python", tmp_path)
    output = tmp_path / "out"
    build(repo, output, checker)
    shapes = (output / "pages" / "shapes.md").read_text()
    # what the module is for, from its docstrings, cited
    assert "Shapes package. ([shapes/__init__.py:1-1](../../repo/shapes/__init__.py#L1-L1))" in (
        shapes
    )
    # how it fits: the parent, and who uses it with counts
    assert "Part of [repo](overview.md)" in shapes
    (used_by,) = [line for line in shapes.splitlines() if line.startswith("- [repo](overview.md)")]
    assert " which uses `" in used_by and ": 4 references (call, import)" in used_by
    # components with signatures and one-line docs, methods under their class
    assert (
        "- `class Shape` (class): A shape with a colour. "
        "[shapes/base.py:27-38](../../repo/shapes/base.py#L27-L38)"
    ) in shapes
    assert "  - `def _describe(self) -> str` (method, private)" in shapes
    # types: relations cited, a class diagram
    assert "- `Circle` extends `Shape` ([shapes/circle.py:9-9]" in shapes
    assert "classDiagram" in shapes
    # main call paths: a cited chain and a flowchart
    assert "`Circle.describe` → `Shape._describe` → `Shape.area`" in shapes
    assert "## Evidence map" in shapes
    # the parent learned the child's purpose (children are built first)
    overview = (output / "pages" / "overview.md").read_text()
    assert "- [shapes](shapes.md): Shapes package." in overview


def test_java_overview_lists_the_static_main(tmp_path: Path, checker: MermaidChecker) -> None:
    repo = copy_fixture("java", tmp_path)
    build(repo, tmp_path / "out", checker)
    overview = (tmp_path / "out" / "pages" / "overview.md").read_text()
    assert "main function: `com.example.App.main`" in overview


def test_rust_impl_blocks_join_their_type(tmp_path: Path, checker: MermaidChecker) -> None:
    repo = copy_fixture("rust", tmp_path)
    output = tmp_path / "out"
    build(repo, output, checker)
    types = next(s for s in sections_of(output, "overview") if s.id == "types")
    assert "- `Circle` implements `Shape`" in types.markdown
    (diagram,) = types.diagrams
    assert "<<trait>>" in diagram and "<|.." in diagram


def test_this_project(tmp_path: Path, checker: MermaidChecker) -> None:
    """The project's own sources (copied, so concurrent edits cannot move the lines)."""
    repo = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")
    shutil.copytree(PROJECT / "src", repo / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(PROJECT / name, repo / name)
    config = BuildConfig(index=IndexConfig(use_git=False))
    result, manifest = build_checked(repo, tmp_path / "out", checker, config)
    assert len(manifest["pages"]) >= 5
    assert result.summary()["citations"] > 1000
    overview = (tmp_path / "out" / "pages" / "overview.md").read_text()
    assert "console script: `cw = cocowiki.cli:main`" in overview
