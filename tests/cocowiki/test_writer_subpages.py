"""Sub-pages the model asks for, and ``--pages``, through the scripted OpenAI-compatible
server over real HTTP with the official SDK.

The shop's page splits its orders off onto a sub-page, which splits its totals off in
turn: both are written first by sub-writers (shown the tree with themselves in it and
only their components' files), summarised into their parents, added to the manifest
and the viewer; every component stays on exactly one page; the last level is offered
no such tool; a clean rerun asks nothing and keeps them. ``--pages`` asks only for the
pages named, first, in the order given.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from build_helpers import checker_fixture, needs_mermaid, sections_of  # noqa: F401
from test_incremental import make_shop
from test_writer_pack import (
    answers,
    asked,
    build_scripted,
    build_with_model,
    guide,
    marker,
    model_config,
)

from cocowiki.config import load_config
from cocowiki.mermaid import MermaidChecker
from cocowiki.pages import BuildError
from cocowiki.pages.settings import build_config
from cocowiki.verify.command import run_verify_command

pytestmark = needs_mermaid

ORDERS = "shop__orders"
TOTALS = "shop__orders__totals"


def sub_marker(page_id: str) -> str:
    return f"[id {page_id}] (shop)  <- this page"


def page(title: str, body: str, summary: str, subs: str = "") -> str:
    sub_section = f"## Sub-modules\n\n{subs}\n\n" if subs else ""
    return (
        f"# {title}\n\n## Introduction\n\n{body}\n\n{sub_section}"
        f"## Summary\n\n<!-- cw:summary -->\n{summary}\n<!-- /cw:summary -->\n"
    )


def split(name: str, ids: list[str], call: str = "s1") -> dict[str, Any]:
    arguments = {"name": name, "component_ids": ids}
    return {"id": call, "name": "generate_sub_module_documentation", "arguments": arguments}


def script() -> list[dict[str, Any]]:
    shop = guide("shop").replace(
        "## Summary", "## Sub-modules\n\n- [Orders](shop__orders.md)\n\n## Summary"
    )
    return [
        {
            "match": {"contains": marker("shop")},
            "tool_calls": [
                split("Orders", ["shop/nope.py#Nope"], "bad"),
                split("Orders", ["shop/orders.py"]),
            ],
        },
        {
            "match": {"contains": sub_marker(ORDERS)},
            "tool_calls": [split("Totals", ["shop/orders.py#Order.total"])],
        },
        {
            "match": {"contains": sub_marker(ORDERS)},
            "text": page(
                "Orders",
                "The `Order` class holds the amounts `shop/orders.py:6-10`.",
                "Orders of amounts.",
                "- [Totals](shop__orders__totals.md)",
            ),
            "repeat": True,
        },
        {
            "match": {"contains": sub_marker(TOTALS)},
            "text": page(
                "Totals", "The `total` method adds the prices `shop/orders.py:12-14`.", "Sums."
            ),
            "repeat": True,
        },
        *answers({"shop": shop}),
    ]


def about(body: dict[str, Any]) -> str:
    pack = body["messages"][1]["content"]
    for page_id in (TOTALS, ORDERS):
        if sub_marker(page_id) in pack:
            return page_id
    return next(p for p in ["report", "shop", "util", "overview"] if marker(p) in pack)


def test_a_sub_module_call_writes_sub_pages_first_and_summarises_them_into_the_parent(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    server, result = build_scripted(
        repo, output, checker, monkeypatch, script(), model_config(jobs=1)
    )
    bodies = [b for b in server.bodies() if about(b) in ("shop", ORDERS, TOTALS)]
    assert [about(b) for b in bodies] == ["shop", ORDERS, TOTALS, ORDERS, "shop"]

    orders_pack = bodies[1]["messages"][1]["content"]
    assert "  - shop [id shop] (shop)\n    - Orders [id shop__orders] (shop)  <- this page\n" in (
        orders_pack
    )
    assert (
        "# File: shop/orders.py\n" in orders_pack and "# File: shop/pricing.py" not in orders_pack
    )
    assert "- shop/orders.py#Order.total (method, lines 12-14)" in orders_pack
    totals = bodies[2]
    assert (
        "      - Totals [id shop__orders__totals] (shop)  <- this page\n"
        in (totals["messages"][1]["content"])
    )
    # the last level is offered no sub-module tool (bounded depth)
    assert [t["function"]["name"] for t in totals["tools"]] == ["read_code_components", "read_file"]

    tool_results = [m["content"] for m in bodies[-1]["messages"] if m["role"] == "tool"]
    assert tool_results[0] == (
        "No sub-page was written: shop/nope.py#Nope is not a component of this module"
    )
    assert tool_results[1].startswith("Sub-page [Orders](shop__orders.md) written;")
    assert tool_results[1].endswith("Its summary: Orders of amounts.")

    manifest = {e["id"]: e for e in json.loads((output / "manifest.json").read_text())["pages"]}
    assert manifest["shop"]["children"] == [ORDERS]
    assert manifest[ORDERS]["parent"] == "shop" and manifest[ORDERS]["children"] == [TOTALS]
    assert manifest[TOTALS]["parent"] == ORDERS and manifest[TOTALS]["status"] == "verified"
    assert manifest[ORDERS]["writer"]["calls"] == 2  # the split, then its page
    assert result.verified == len(result.pages) == 6
    orders_page = (output / "pages" / f"{ORDERS}.md").read_text()
    assert "[shop/orders.py:6-10](../../repo/shop/orders.py#L6-L10)" in orders_page
    assert "[Totals](shop__orders__totals.md)" in orders_page
    viewer = (output / "index.html").read_text()
    assert '"id":"shop__orders__totals","parent":"shop__orders"' in viewer
    assert "The Order class holds the amounts" in viewer  # the page's text, searchable

    # every component on exactly one page
    on = {p: {c for s in sections_of(output, p) for c in s.components} for p in manifest}
    assert on[TOTALS] == {"shop/orders.py#Order.total"}
    assert on[ORDERS] == {"shop/orders.py", "shop/orders.py#Order", "shop/orders.py#Order.__init__"}
    assert "shop/pricing.py#price" in on["shop"] and "shop/orders.py#Order" not in on["shop"]
    counts = Counter(c for components in on.values() for c in components)
    assert [c for c, n in counts.items() if n != 1] == []

    # `cw verify` checks the sub-pages as any page: their citations and reads
    out, err = io.StringIO(), io.StringIO()
    status = run_verify_command(
        repo, output, as_json=True, diagram_checker=checker.check, stdout=out, stderr=err
    )
    verified = json.loads(out.getvalue())
    assert status == 0, verified
    assert verified["pages"] == 6 and verified["pages_failed"] == []

    # a clean rerun asks nothing and keeps the sub-pages
    server, again = build_scripted(repo, output, checker, monkeypatch, [])
    assert server.requests == [] and again.recomputed == []
    assert [p.id for p in again.pages] == [p.id for p in result.pages]
    assert (output / "pages" / f"{TOTALS}.md").read_text()
    manifest = {e["id"]: e for e in json.loads((output / "manifest.json").read_text())["pages"]}
    assert manifest["shop"]["children"] == [ORDERS] and manifest[ORDERS]["children"] == [TOTALS]


def test_pages_are_written_first_in_the_order_given(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    config = build_config(
        load_config(output), model="openai:page-model", pages="util, shop", jobs=1
    )
    assert config.limits.pages == ("util", "shop")
    server, result = build_scripted(
        repo, output, checker, monkeypatch, answers(), model_config(jobs=1, pages=("util", "shop"))
    )
    assert asked(server) == ["util", "shop"]  # leaf-first alone would ask shop first
    assert sorted(result.summary()["model"]["pages_pending"]) == ["overview", "report"]

    with pytest.raises(BuildError, match=r"--pages: no such page: utl \(did you mean util\?\)"):
        build_with_model(repo, output, checker, model_config(pages=("utl",)))
