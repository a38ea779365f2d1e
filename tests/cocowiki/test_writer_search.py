"""`cw ask` and the viewer's search cover the model pages and the sub-pages (issue 15, item 9).

Through the scripted OpenAI-compatible server over real HTTP with the official SDK: the
shop's pages are written by the model (the shop's splitting its orders off onto a
sub-page, which splits its totals off in turn, as in ``test_writer_subpages``), each
page's prose holding a word no source file holds. ``cw ask`` finds each in the page
that says it (a model page, a sub-page, a sub-sub-page), names the sub-page that
documents a component split off its page, and stays right after a one-line edit
rewrites a page; the viewer's data holds every model page's text for its search.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from build_helpers import checker_fixture, needs_mermaid  # noqa: F401
from test_writer_pack import (
    answers,
    build_scripted,
    guide,
    marker,
    written_shop,
)
from test_writer_subpages import ORDERS, TOTALS, script

from cocowiki.ask import ask
from cocowiki.ask.command import run_ask_command
from cocowiki.mermaid import MermaidChecker

pytestmark = needs_mermaid

#: A word of each page's prose that no source file holds.
WORDS = {"util": "quixotic", ORDERS: "ledgerish", TOTALS: "tallywork"}


def worded_script() -> list[dict[str, Any]]:
    """``test_writer_subpages``' script, each page's prose holding its word."""
    entries = script()
    for entry in entries:
        text = entry.get("text", "")
        if "holds the amounts" in text:
            entry["text"] = text.replace("holds the amounts", f"holds the {WORDS[ORDERS]} amounts")
        elif "adds the prices" in text:
            entry["text"] = text.replace("adds the prices", f"adds the {WORDS[TOTALS]} prices")
    util = guide("util").replace("The util module", f"The {WORDS['util']} util module")
    return [{"match": {"contains": marker("util")}, "text": util, "repeat": True}, *entries]


def viewer_search(output: Path, query: str) -> list[str]:
    """The pages the viewer's search lists for ``query``: those whose title and id, or
    text, hold every term (``viewer.js``, ``search``), from the data it is given."""
    html = (output / "index.html").read_text()
    match = re.search(r'<script type="application/json" id="wiki-data">(.*?)</script>', html, re.S)
    assert match is not None
    pages = json.loads(match.group(1))["pages"]
    terms = query.lower().split()
    found = []
    for page in pages:
        title, text = f"{page['title']} {page['id']}".lower(), page["text"].lower()
        if all(term in title or term in text for term in terms):
            found.append(page["id"])
    return found


@pytest.fixture(name="worded_wiki")
def worded_wiki_fixture(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """The shop written by the model with :func:`worded_script`: (repo, output)."""
    return written_shop(tmp_path, checker, monkeypatch, worded_script())


def test_ask_and_the_viewer_search_find_model_pages_and_sub_pages(
    worded_wiki: tuple[Path, Path],
) -> None:
    repo, output = worded_wiki
    manifest = {e["id"]: e for e in json.loads((output / "manifest.json").read_text())["pages"]}
    assert manifest[TOTALS]["writer"]["model"] and manifest["util"]["writer"]["calls"] == 1

    for page, word in WORDS.items():
        sections = ask(repo, output, f"what is {word}").sections
        assert [s.page for s in sections] == [page], (word, sections)
        lines = (output / "pages" / f"{page}.md").read_text().splitlines()
        # the section cited is the guide's Introduction, which holds the word
        assert sections[0].heading == "Introduction" and lines[sections[0].line - 1] == (
            "## Introduction"
        )
        assert word in sections[0].snippet
        assert viewer_search(output, word) == [page]

    # the evidence names the page documenting each component: the sub-page it was split
    # onto, else the page of its file
    evidence = {e.id: e.page for e in ask(repo, output, "Order total price").evidence}
    assert evidence["shop/orders.py#Order.total"] == TOTALS
    assert evidence["shop/orders.py#Order"] == ORDERS
    assert evidence["shop/pricing.py#price"] == "shop"

    # `cw ask` prints them, with citations into the pages
    out = io.StringIO()
    assert run_ask_command(repo, output, f"{WORDS[TOTALS]} Order", stdout=out) == 0
    printed = out.getvalue()
    assert f"pages/{TOTALS}.md:" in printed and f"[page {TOTALS}]" in printed, printed


def test_ask_finds_a_model_page_rewritten_after_an_edit(
    worded_wiki: tuple[Path, Path], checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, output = worded_wiki
    assert [s.page for s in ask(repo, output, "quixotic").sections] == ["util"]

    text = repo / "util" / "text.py"
    text.write_text(text.read_text().replace('"-".join', '"_".join'))
    util = guide("util").replace("The util module", "The zeugmatic util module")
    server, _ = build_scripted(repo, output, checker, monkeypatch, answers({"util": util}))
    assert len(server.requests) == 1
    assert [s.page for s in ask(repo, output, "zeugmatic").sections] == ["util"]
    assert ask(repo, output, "quixotic").sections == []
    assert (
        viewer_search(output, "zeugmatic") == ["util"] and viewer_search(output, "quixotic") == []
    )
