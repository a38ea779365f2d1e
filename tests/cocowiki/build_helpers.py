"""Helpers for the ``cw build`` tests: fixture repositories built, and the checks that
every built wiki must pass, made independently of the build's own verification.

``check_wiki`` re-reads every citation from disk and compares digests, follows every
citation link and page link as a reader's browser would, parses every Mermaid block of
every page with the real parser, and checks that every public component is documented
on exactly one page (and named there).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from cocowiki.index import IndexConfig, read_index
from cocowiki.mermaid import MermaidChecker, mermaid_available
from cocowiki.pages import (
    BuildConfig,
    BuildResult,
    PageSectionArtifact,
    SectionsArtifact,
    build_wiki,
)
from cocowiki.plan import ModuleTree, PlanConfig

FIXTURES = Path(__file__).parent / "fixtures"
LANGUAGES = ["c", "cpp", "csharp", "go", "java", "javascript", "python", "rust", "typescript"]

#: Every directory its own page, however small: the fixtures are tiny.
SMALL_PAGES = BuildConfig(index=IndexConfig(use_git=False), plan=PlanConfig(min_tokens=0))

needs_mermaid = pytest.mark.skipif(
    not mermaid_available() and not os.environ.get("CI"),
    reason="the mermaid npm package is not installed (run `npm ci` at the repository root)",
)

_CITATION_LINK = re.compile(r"\[([^\]\s]+):(\d+)-(\d+)\]\(([^)#]+)#L(\d+)-L(\d+)\)")
_PAGE_LINK = re.compile(r"\]\(([A-Za-z0-9_.-]+)\.md\)")
_CODE_SPAN = re.compile(r"(`+).+?(?<!`)\1(?!`)", re.DOTALL)
_MERMAID = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)


@pytest.fixture(scope="module", name="checker")
def checker_fixture() -> Iterator[MermaidChecker]:
    """One node process with mermaid loaded, shared by a test module's builds."""
    with MermaidChecker() as shared:
        yield shared


def write_files(repo: Path, files: Mapping[str, str]) -> Path:
    """Write ``files`` (path in the repository -> text) under ``repo``, making the folders
    they need; returns ``repo``. The tests spell their small repositories out as such
    mappings, and all of them are laid out on disk by this one loop."""
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    return repo


def copy_fixture(language: str, root: Path) -> Path:
    repo = root / "repo"
    shutil.copytree(FIXTURES / language, repo)
    return repo


def build(
    repo: Path,
    output: Path,
    checker: MermaidChecker,
    config: BuildConfig = SMALL_PAGES,
    tree: ModuleTree | None = None,
) -> BuildResult:
    return build_wiki(repo, output, config, tree=tree, diagram_checker=checker.check)


def build_checked(
    repo: Path, output: Path, checker: MermaidChecker, config: BuildConfig = SMALL_PAGES
) -> tuple[BuildResult, dict[str, Any]]:
    """Build, then assert what "done" means for the wiki built (:func:`check_wiki`): the
    build's result and the manifest. The tests that hold a whole built wiki to that bar
    do the two together, on the same repository and output; here they cannot drift."""
    result = build(repo, output, checker, config)
    return result, check_wiki(repo, output, checker)


def sections_of(output: Path, page: str) -> list[PageSectionArtifact]:
    path = output / "artifacts" / "sections" / f"{page}.json"
    return SectionsArtifact.model_validate_json(path.read_text()).sections


def manifest_of(output: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((output / "manifest.json").read_text())
    return data


def check_wiki(repo: Path, output: Path, checker: MermaidChecker) -> dict[str, Any]:
    """Assert what "done" means for a built wiki; returns the manifest."""
    manifest = manifest_of(output)
    pages = {page["id"]: page for page in manifest["pages"]}
    assert manifest["root"] in pages
    documented: Counter[str] = Counter()
    for page_id, page in pages.items():
        assert page["status"] == "verified", (page_id, page["problems"])
        markdown = (output / page["path"]).read_text()
        sections = sections_of(output, page_id)
        assert "\n".join(s.markdown for s in sections) == markdown
        _check_citations(repo, output, markdown, sections)
        for target in _PAGE_LINK.findall(_CODE_SPAN.sub("", markdown)):
            assert target in pages, f"{page_id} links to a missing page {target}"
        diagrams = _MERMAID.findall(markdown)
        assert diagrams == [d for s in sections for d in s.diagrams]
        assert page["counts"]["diagrams"] == len(diagrams)
        for text, error in zip(diagrams, checker.check(diagrams), strict=True):
            assert error is None, f"{page_id}: {error}\n{text}"
        on_page = {c for s in sections for c in s.components}  # key ones are listed again
        documented.update(on_page)
        for component in on_page:
            name = component.split("#")[-1].split("::")[-1].split(".")[-1].split("~")[0]
            assert name in markdown, (page_id, component)
    index = read_index(output)
    public = {c.id for c in index.components if c.visibility == "public"}
    assert public, "the fixture has public components"
    for component_id in public:
        assert documented[component_id] == 1, component_id
    return manifest


def _check_citations(
    repo: Path, output: Path, markdown: str, sections: list[PageSectionArtifact]
) -> None:
    links = _CITATION_LINK.findall(markdown)
    recorded = {(c.path, c.start, c.end): c.digest for s in sections for c in s.citations}
    assert {(p, int(a), int(b)) for p, a, b, *_ in links} == set(recorded)
    for path, start, end, target, link_start, link_end in links:
        assert (start, end) == (link_start, link_end)
        assert (output / "pages" / target).resolve() == (repo / path).resolve()
    for (path, start, end), digest in recorded.items():
        lines = (repo / path).read_text(encoding="utf-8", errors="replace").split("\n")
        text = "\n".join(lines[start - 1 : end])
        assert 1 <= start <= end <= len(lines), (path, start, end)
        assert hashlib.sha256(text.encode()).hexdigest() == digest, (path, start, end)


def file_times(output: Path) -> dict[str, int]:
    return {
        path.relative_to(output).as_posix(): path.stat().st_mtime_ns
        for path in output.rglob("*")
        if path.is_file()
    }
