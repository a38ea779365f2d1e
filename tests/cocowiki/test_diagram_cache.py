"""Mermaid answers kept by content: what the build and `cw verify` send to node, counted.

A diagram is parsed once per text and parser; the same text under the same parser takes
its answer from ``<output>/.mermaid-cache.json``, an error as much as a success, and
anything else (another text, another parser) is parsed again.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from build_helpers import (
    SMALL_PAGES,
    checker_fixture,  # noqa: F401 (the module's `checker` fixture)
    copy_fixture,
    needs_mermaid,
)

from cocowiki.mermaid import NODE_MODULES_VARIABLE, MermaidChecker, parser_id
from cocowiki.mermaid_cache import CACHE_FILE, DiagramCache
from cocowiki.pages import build_wiki
from cocowiki.pages.verification import PageDiagramChecks
from cocowiki.verify.command import run_verify_command

pytestmark = needs_mermaid

GOOD = "flowchart LR\n  a --> b\n"
OTHER = "flowchart TD\n  x --> y\n"
BROKEN = "flowchart TD\n  subgraph src--cocowiki\n    A --> B\n  end\n"


class Counting:
    """The shared mermaid process, with every text it is asked to parse written down."""

    def __init__(self, checker: MermaidChecker) -> None:
        self.checker = checker
        self.asked: list[str] = []

    def __call__(self, texts: Sequence[str]) -> list[str | None]:
        self.asked.extend(texts)
        return self.checker.check(texts)


def _problems(
    output: Path, counting: Counting, pages: dict[str, list[str]]
) -> dict[str, list[str]]:
    """Check ``pages`` as a build does, with the cache of ``output``, and save it."""
    with PageDiagramChecks(DiagramCache.load(output), counting) as checks:
        for page, texts in pages.items():
            checks.submit(page, texts)
        found = checks.problems()
    checks.cache.save()
    return found


def test_an_answer_is_parsed_once_per_text_and_an_error_stays_an_error(
    tmp_path: Path, checker: MermaidChecker
) -> None:
    first = Counting(checker)
    found = _problems(tmp_path, first, {"a": [GOOD, BROKEN], "b": [GOOD]})
    assert first.asked == [GOOD, BROKEN]  # the same text on two pages is parsed once
    assert found["b"] == []
    (problem,) = found["a"]
    assert problem.startswith("diagram 2 does not parse: Parse error on line 2")

    again = Counting(checker)
    assert _problems(tmp_path, again, {"a": [GOOD, BROKEN], "b": [GOOD]}) == found
    assert again.asked == []

    changed = Counting(checker)
    found = _problems(tmp_path, changed, {"a": [GOOD, OTHER]})
    assert changed.asked == [OTHER]
    assert found == {"a": []}


def test_another_parser_finds_nothing_and_gone_pages_are_forgotten(
    tmp_path: Path, checker: MermaidChecker
) -> None:
    _problems(tmp_path, Counting(checker), {"a": [GOOD], "b": [OTHER]})
    assert DiagramCache.load(tmp_path).known([GOOD, OTHER, BROKEN]) == {GOOD: None, OTHER: None}
    assert DiagramCache.load(tmp_path, parser="mermaid 99.0.0").known([GOOD, OTHER]) == {}

    cache = DiagramCache.load(tmp_path)
    cache.keep(["a"])
    assert cache.save()
    assert DiagramCache.load(tmp_path).known([GOOD, OTHER]) == {GOOD: None}
    assert not DiagramCache.load(tmp_path).save()  # nothing changed: the file is not written
    stored = json.loads((tmp_path / CACHE_FILE).read_text())
    assert stored["parser"] == parser_id()
    assert parser_id().startswith("mermaid 11.")


def test_an_unreadable_cache_is_an_empty_one(tmp_path: Path, checker: MermaidChecker) -> None:
    for garbage in ("{not json", '{"format": 1, "parser": 3}', "[]"):
        (tmp_path / CACHE_FILE).write_text(garbage)
        counting = Counting(checker)
        assert _problems(tmp_path, counting, {"a": [GOOD]}) == {"a": []}
        assert counting.asked == [GOOD]


def test_without_mermaid_nothing_is_answered_or_written(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    _problems(tmp_path, Counting(checker), {"a": [GOOD]})
    before = (tmp_path / CACHE_FILE).read_bytes()
    monkeypatch.setenv(NODE_MODULES_VARIABLE, str(tmp_path / "empty"))
    cache = DiagramCache.load(tmp_path)
    assert cache.known([GOOD]) == {}
    with PageDiagramChecks(cache) as checks:
        checks.submit("a", [GOOD])
        (problem,) = checks.problems()["a"]
    assert problem.startswith("diagram 1 not checked: ") and "npm ci" in problem
    assert not cache.save()
    assert (tmp_path / CACHE_FILE).read_bytes() == before


def _verify(repo: Path, output: Path, counting: Counting, *, cache: bool = True) -> dict:  # type: ignore[type-arg]
    out = io.StringIO()
    status = run_verify_command(
        repo,
        output,
        as_json=True,
        index_config=SMALL_PAGES.index,
        diagram_checker=counting,
        diagram_cache=cache,
        stdout=out,
        stderr=io.StringIO(),
    )
    report: dict = json.loads(out.getvalue())  # type: ignore[type-arg]
    assert status == (0 if report["ok"] else 1)
    return report


def test_builds_and_verify_reuse_the_answers(tmp_path: Path, checker: MermaidChecker) -> None:
    repo = copy_fixture("python", tmp_path)
    output = tmp_path / "out"
    first = Counting(checker)
    result = build_wiki(repo, output, SMALL_PAGES, diagram_checker=first)
    diagrams = result.summary()["diagrams"]
    assert diagrams > 0 and len(first.asked) == len(set(first.asked)) > 0
    assert result.verified == len(result.pages)

    # Every page built again (the build graph is gone), every diagram the same: no parse.
    (output / "catalog.sqlite").unlink()
    again = Counting(checker)
    result = build_wiki(repo, output, SMALL_PAGES, diagram_checker=again)
    assert result.summary()["pages_recomputed"] == len(result.pages)
    assert again.asked == []
    assert result.verified == len(result.pages)

    checked = Counting(checker)
    report = _verify(repo, output, checked)
    assert report["ok"] and report["checks"]["diagram"] == {"checked": diagrams, "failed": 0}
    assert checked.asked == []

    uncached = Counting(checker)
    assert _verify(repo, output, uncached, cache=False)["ok"]
    assert sorted(uncached.asked) == sorted(first.asked)

    # A diagram edited by hand is parsed again, and its error reported.
    page = output / "pages" / "shapes.md"
    page.write_text(page.read_text().replace("```mermaid\n", "```mermaid\n%% edited\n", 1))
    edited = Counting(checker)
    assert _verify(repo, output, edited)["ok"]
    (text,) = edited.asked
    assert text.startswith("%% edited\n")
    markdown = page.read_text()
    after = markdown.index("\n", markdown.index("%% edited\n") + len("%% edited\n")) + 1
    page.write_text(markdown[:after] + "    subgraph a--b\n" + markdown[after:])
    broken = Counting(checker)
    report = _verify(repo, output, broken)
    assert len(broken.asked) == 1
    (failure,) = report["failures"]
    assert (failure["page"], failure["kind"]) == ("shapes", "diagram")
    assert failure["detail"].startswith("does not parse: Parse error")


def test_the_cache_file_is_the_same_whatever_the_timing(tmp_path: Path) -> None:
    """Two builds with the build's own mermaid processes (one per core) write the same
    cache; the pages' answers do not depend on which process gave them."""
    repo = copy_fixture("python", tmp_path)
    outputs = [tmp_path / "one", tmp_path / "two"]
    results = [build_wiki(repo, output, SMALL_PAGES) for output in outputs]
    assert all(result.verified == len(result.pages) for result in results)
    one, two = ((output / CACHE_FILE).read_bytes() for output in outputs)
    assert one == two
    pages = json.loads(one)["pages"]
    assert sum(len(answers) for answers in pages.values()) > 0
