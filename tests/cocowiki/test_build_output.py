"""What ``cw build`` leaves on disk: written only on change, deterministic, stale pages
removed, and a page for whatever the repository is (empty, broken, without node)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from build_helpers import (
    SMALL_PAGES,
    build,
    build_checked,
    check_wiki,
    checker_fixture,  # noqa: F401 (the module's `checker` fixture)
    copy_fixture,
    file_times,
    manifest_of,
    needs_mermaid,
    sections_of,
)

from cocowiki.mermaid import NODE_MODULES_VARIABLE, MermaidChecker
from cocowiki.pages import build_wiki

pytestmark = needs_mermaid


def test_second_build_rewrites_nothing(tmp_path: Path, checker: MermaidChecker) -> None:
    repo = copy_fixture("python", tmp_path)
    output = tmp_path / "out"
    first = build(repo, output, checker)
    assert first.manifest_written and all(page.written for page in first.pages)
    before = file_times(output)
    second = build(repo, output, checker)
    assert file_times(output) == before
    summary = second.summary()
    assert summary["pages_written"] == 0
    assert summary["pages_unchanged"] == len(second.pages) == 2
    assert summary["artifacts_written"] == 0
    assert summary["artifacts_unchanged"] == 8  # 4 kinds x 2 pages
    assert not second.manifest_written and second.viewer_written is False
    assert second.verified == 2


def test_two_outputs_are_identical_but_for_timings(tmp_path: Path, checker: MermaidChecker) -> None:
    repo = copy_fixture("go", tmp_path)
    build(repo, tmp_path / "one", checker)
    build(repo, tmp_path / "two", checker)
    one, two = tmp_path / "one", tmp_path / "two"
    names = sorted(p.relative_to(one).as_posix() for p in one.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(two).as_posix() for p in two.rglob("*") if p.is_file())
    for name in names:
        if name in ("manifest.json", "catalog.sqlite", ".viewer-cache.json"):
            continue  # timings; the index's own timings; the viewer's cache, keyed by place
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    first, second = manifest_of(one), manifest_of(two)
    assert set(first.pop("timings")) == {"index", "plan", "pages", "verify", "total"}
    second.pop("timings")
    assert first == second


def test_edit_rewrites_the_page_and_removes_a_gone_module(
    tmp_path: Path, checker: MermaidChecker
) -> None:
    repo = copy_fixture("python", tmp_path)
    output = tmp_path / "out"
    build(repo, output, checker)
    assert (output / "pages" / "shapes.md").is_file()
    circle = repo / "shapes" / "circle.py"
    circle.write_text(circle.read_text().replace('"""A circle."""', '"""A round shape."""'))
    edited = build(repo, output, checker)
    written = {page.id for page in edited.pages if page.written}
    assert written == {"shapes"}  # the overview cites app.py only
    assert "A round shape." in (output / "pages" / "shapes.md").read_text()
    check_wiki(repo, output, checker)

    shutil.rmtree(repo / "shapes")
    (repo / "app.py").write_text(
        '"""Nothing left to import."""\n\n\ndef main() -> None:\n    pass\n'
    )
    shrunk = build(repo, output, checker)
    assert [page.id for page in shrunk.pages] == ["overview"]
    assert "pages/shapes.md" in shrunk.files_removed
    assert not (output / "pages" / "shapes.md").exists()
    assert not (output / "artifacts" / "sections" / "shapes.json").exists()
    assert not (output / "artifacts" / "dossiers" / "shapes.json").exists()
    assert [page["id"] for page in manifest_of(output)["pages"]] == ["overview"]


def test_empty_repository(tmp_path: Path, checker: MermaidChecker) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    result = build(repo, tmp_path / "out", checker)
    assert [page.id for page in result.pages] == ["overview"]
    assert result.verified == 1
    page = (tmp_path / "out" / "pages" / "overview.md").read_text()
    assert page.startswith("# empty\n")
    assert "The index holds no source files." in page
    manifest = manifest_of(tmp_path / "out")
    assert manifest["pages"][0]["counts"] == {"components": 0, "citations": 0, "diagrams": 0}
    assert manifest["excluded"] == {"counts": {}, "files": []}


def test_file_with_syntax_errors(tmp_path: Path, checker: MermaidChecker) -> None:
    repo = copy_fixture("python", tmp_path)
    (repo / "broken.py").write_text(
        '"""Half a module."""\n\ndef broken(:\n    pass\n\n\nclass Fine:\n'
        '    """Still documented."""\n\n    def ok(self) -> int:\n        return 1\n'
    )
    (repo / "blob.py").write_bytes(b"\x00\x01binary")
    (repo / "empty.py").write_text("")
    result, manifest = build_checked(repo, tmp_path / "out", checker)
    overview = (tmp_path / "out" / "pages" / "overview.md").read_text()
    assert "- `class Fine` (class): Still documented." in overview
    assert "### `empty.py`\n\n0 lines of python.\n" in overview
    assert "parse error (" in overview and "[broken.py:3-3]" in overview
    assert result.index.errors
    assert manifest["excluded"]["counts"] == {"binary": 1}
    ((excluded),) = manifest["excluded"]["files"]
    assert (excluded["path"], excluded["reason"]) == ("blob.py", "binary")


def test_without_mermaid_pages_with_diagrams_are_unverified(
    tmp_path: Path, monkeypatch: object
) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv(NODE_MODULES_VARIABLE, str(tmp_path / "no-node-modules"))
    repo = copy_fixture("python", tmp_path)
    result = build_wiki(repo, tmp_path / "out", SMALL_PAGES)
    assert result.verified == 0
    (problem,) = result.pages[1].problems  # one problem for all the page's diagrams
    assert problem.startswith("diagrams 1, 2 and 3 not checked: ")
    reason = result.diagrams_not_checked
    assert reason is not None and NODE_MODULES_VARIABLE in reason and problem.endswith(reason)
    manifest = manifest_of(tmp_path / "out")
    assert {page["status"] for page in manifest["pages"]} == {"unverified"}
    # once mermaid is back, the same pages are checked again and verified
    monkeypatch.delenv(NODE_MODULES_VARIABLE)
    again = build_wiki(repo, tmp_path / "out", SMALL_PAGES)
    assert again.verified == 2 and again.manifest_written


def test_a_diagram_that_does_not_parse_is_reported(tmp_path: Path) -> None:
    repo = copy_fixture("python", tmp_path)

    def strict_checker(texts: object) -> list[str | None]:
        assert isinstance(texts, list)
        return ["Parse error on line 2:\n...\nExpecting 'SPACE'" for _ in texts]

    result = build_wiki(repo, tmp_path / "out", SMALL_PAGES, diagram_checker=strict_checker)
    shapes = next(page for page in result.pages if page.id == "shapes")
    assert shapes.status == "unverified"
    assert shapes.problems[0] == (
        "diagram 1 does not parse: Parse error on line 2: ... Expecting 'SPACE'"
    )
    sections = sections_of(tmp_path / "out", "shapes")
    assert sum(len(s.diagrams) for s in sections) == shapes.diagrams == len(shapes.problems)
    entry = json.loads((tmp_path / "out" / "manifest.json").read_text())["pages"][1]
    assert entry["status"] == "unverified" and entry["problems"] == shapes.problems
