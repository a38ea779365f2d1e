"""A model's page is checked before it is published, and corrected by the model.

Through the scripted OpenAI-compatible server over real HTTP with the official SDK: a
Mermaid trap is repaired mechanically (no second call); a diagram the parser rejects goes
back with the parser's message and the corrected page of round two is published; bad
citations go back, and a page still citing them after the last round is published
unverified with its reasons (the viewer says so); when no diagram can be checked (no
node), the model is not asked again for it; a maintainer's kept section survives a
rebuild with a new answer, and an edit of the published page alone.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from build_helpers import checker_fixture, needs_mermaid, sections_of  # noqa: F401
from test_incremental import make_shop
from test_writer_pack import MODEL, answers, build_scripted, guide, marker, model_config, serve

from cocowiki.config import WriterConfig
from cocowiki.mermaid import MermaidChecker, MermaidUnavailable
from cocowiki.pages import build_wiki
from tiffany.models.testing import ScriptedServer

pytestmark = needs_mermaid

BROKEN = "flowchart LR\n  caller --> callee[unclosed\n"


def page_with(module_id: str, diagram: str, cite: str = "app.py:1-1") -> str:
    return (
        guide(module_id)
        .replace("`app.py:1-1`", f"`{cite}`")
        .replace("flowchart LR\n  caller --> callee\n", diagram)
    )


def shop_requests(server: ScriptedServer) -> list[dict[str, Any]]:
    return [b for b in server.bodies() if marker("shop") in b["messages"][1]["content"]]


def writer_entry(output: Path, page: str) -> dict[str, Any]:
    manifest = json.loads((output / "manifest.json").read_text())
    [entry] = [e for e in manifest["pages"] if e["id"] == page]
    return entry


def test_a_mermaid_trap_is_repaired_without_asking_again(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    trap = "flowchart LR\n  subgraph shop--core\n    caller --> callee\n  end\n"
    script = answers({"shop": page_with("shop", trap)})
    server, _ = build_scripted(repo, tmp_path / "out", checker, monkeypatch, script)
    assert len(shop_requests(server)) == 1
    page = (tmp_path / "out" / "pages" / "shop.md").read_text()
    assert 'subgraph shop_core ["shop--core"]' in page
    assert writer_entry(tmp_path / "out", "shop")["status"] == "verified"


def test_a_diagram_the_parser_rejects_is_corrected_in_round_two(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    fixed = {"match": {"contains": "diagram 1 does not parse"}, "text": guide("shop")}
    script = [fixed, *answers({"shop": page_with("shop", BROKEN)})]
    server, result = build_scripted(repo, output, checker, monkeypatch, script)
    _, second = shop_requests(server)
    feedback = second["messages"][-1]["content"]
    assert second["messages"][-2] == {"role": "assistant", "content": page_with("shop", BROKEN)}
    assert feedback.startswith("The page has 1 problem. Fix each one")
    assert "Diagrams:\n- line " in feedback and "Parse error on line" in feedback
    entry = writer_entry(output, "shop")
    assert entry["status"] == "verified" and entry["writer"]["rounds"] == 1
    assert entry["writer"]["calls"] == 2
    assert "callee[unclosed" not in (output / "pages" / "shop.md").read_text()
    assert result.verified == 4


def test_bad_citations_go_back_then_the_page_is_published_unverified(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    bad = page_with("shop", "flowchart LR\n  caller --> callee\n", "shop/orders.py:90-99")
    bad = bad.replace("The shop module", "The `Order` class of the shop module")
    again = {"match": {"contains": "the file has 14 lines"}, "text": bad, "repeat": True}
    one_round = dataclasses.replace(
        model_config(), writer=WriterConfig(model=MODEL, repair_rounds=1)
    )
    script = [again, *answers({"shop": bad})]
    server, result = build_scripted(repo, output, checker, monkeypatch, script, one_round)
    _, second = shop_requests(server)
    feedback = second["messages"][-1]["content"]
    assert "Citations:\n" in feedback
    assert "`shop/orders.py:90-99`: the file has 14 lines" in feedback
    entry = writer_entry(output, "shop")
    assert entry["status"] == "unverified" and entry["writer"]["verification"] == "unverified"
    assert entry["writer"]["rounds"] == 1 and entry["writer"]["calls"] == 2
    assert any("the file has 14 lines" in p for p in entry["problems"])
    assert [page.id for page in result.unverified] == ["shop"]
    page = (output / "pages" / "shop.md").read_text()
    assert "`shop/orders.py:90-99`" in page  # a bad citation stays as written
    assert "[app.py:1-1](" not in page  # (this page cites nothing that resolves)
    viewer = (output / "index.html").read_text()
    assert "the file has 14 lines" in viewer

    # a good citation is linked to the source view and recorded for `cw verify`
    util = (output / "pages" / "util.md").read_text()
    assert "The util module [app.py:1-1](../../repo/app.py#L1-L1)." in util
    [guide_section, *_] = sections_of(output, "util")
    assert [(c.path, c.start, c.end) for c in guide_section.citations] == [("app.py", 1, 1)]


def test_no_round_is_asked_for_diagrams_no_parser_could_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"

    def no_node(texts: Sequence[str]) -> list[str | None]:
        raise MermaidUnavailable("node is not installed")

    with ScriptedServer(answers()) as server:
        serve(server, monkeypatch)
        result = build_wiki(repo, output, model_config(), diagram_checker=no_node)
    assert len(shop_requests(server)) == 1 and len(server.requests) == 4
    entry = writer_entry(output, "shop")
    assert entry["writer"]["rounds"] == 0 and entry["status"] == "unverified"
    assert any("could not be checked: node is not installed" in p for p in entry["problems"])
    assert (result.diagrams_not_checked or "").startswith("node is not installed")


KEPT = (
    "<!-- cw:keep -->\n"
    "Never build an `Order` without amounts (`shop/orders.py:6-10`).\n"
    "<!-- cw:end -->"
)


def test_a_kept_section_survives_a_rebuild_with_a_new_answer(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    build_scripted(repo, output, checker, monkeypatch, answers())
    published = output / "pages" / "shop.md"
    text = published.read_text()
    published.write_text(text.replace("## Introduction\n", f"## Introduction\n\n{KEPT}\n", 1))

    # the maintainer's edit alone: the page is published again from its record, kept
    server, _ = build_scripted(repo, output, checker, monkeypatch, [])
    assert server.requests == []
    linked = "([shop/orders.py:6-10](../../repo/shop/orders.py#L6-L10))"
    assert KEPT.replace("(`shop/orders.py:6-10`)", linked) in published.read_text()

    # a change of the module's code: a new answer, and the kept section goes in it
    orders = repo / "shop" / "orders.py"
    orders.write_text(orders.read_text().replace("What a customer buys.", "A customer's buy."))
    new = guide("shop").replace("The shop module", "The reworked shop module")
    server, _ = build_scripted(repo, output, checker, monkeypatch, answers({"shop": new}))
    assert len(shop_requests(server)) == 1
    page = published.read_text()
    assert "The reworked shop module" in page
    assert page.index("## Introduction") < page.index("Never build an `Order` without amounts")
    assert page.index("Never build an `Order`") < page.index("The reworked shop module")
    assert page.count("<!-- cw:keep -->") == 1
    assert writer_entry(output, "shop")["status"] == "verified"
    assert "Written by a maintainer" in (output / "index.html").read_text()
