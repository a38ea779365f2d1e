"""`cw ask`: ranked evidence that cites real lines, and model answers that may only cite it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from build_helpers import write_files

from cocowiki.ask import ask
from cocowiki.ask.command import run_ask_command
from cocowiki.ask.grounded import keep_cited
from cocowiki.index import IndexConfig, index_repository
from cocowiki.plan.model import ROOT_ID, Module, ModuleTree
from tiffany.models import RetryPolicy, client
from tiffany.models.testing import ScriptedServer

SHOP = {
    "shop/__init__.py": '"""A tiny shop: carts, prices and orders."""\n',
    "shop/pricing.py": (
        '"""Prices and discounts."""\n'
        "\n"
        "\n"
        "def apply_discount(amount: float, code: str) -> float:\n"
        '    """Apply a discount code to an amount; unknown codes change nothing."""\n'
        '    if code == "HALF":\n'
        "        return amount / 2\n"
        "    return amount\n"
    ),
    "shop/cart.py": (
        '"""The shopping cart."""\n'
        "\n"
        "from shop.pricing import apply_discount\n"
        "\n"
        "\n"
        "class Cart:\n"
        '    """Items a customer is about to buy."""\n'
        "\n"
        "    def __init__(self) -> None:\n"
        "        self.items: list[float] = []\n"
        "\n"
        "    def add_item(self, price: float) -> None:\n"
        "        self.items.append(price)\n"
        "\n"
        "    def total(self, code: str = '') -> float:\n"
        '        """The sum of the items after the discount code."""\n'
        "        return apply_discount(sum(self.items), code)\n"
    ),
    "shop/orders.py": (
        '"""Orders placed from carts."""\n'
        "\n"
        "from shop.cart import Cart\n"
        "\n"
        "\n"
        "def place_order(cart: Cart) -> dict[str, float]:\n"
        '    """Freeze a cart into an order record."""\n'
        '    return {"total": cart.total()}\n'
    ),
}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return write_files(tmp_path / "repo", SHOP)


def indexed(repo: Path) -> Path:
    output = repo / ".cocowiki"
    index_repository(repo, output, IndexConfig(use_git=False))
    return output


def lines_of(repo: Path, path: str, start: int, end: int) -> list[str]:
    return (repo / path).read_text().splitlines()[start - 1 : end]


def test_a_name_finds_its_component_first_with_a_citation_of_its_real_lines(shop: Path) -> None:
    answer = ask(shop, indexed(shop), "what does apply_discount do?")
    first = answer.evidence[0]
    assert first.qualified_name == "shop.pricing.apply_discount"
    assert first.citation == "shop/pricing.py:4-8"
    assert lines_of(shop, "shop/pricing.py", 4, 8)[0].startswith("def apply_discount(")
    assert first.snippet.splitlines() == lines_of(shop, "shop/pricing.py", 4, 8)
    assert first.doc == "Apply a discount code to an amount; unknown codes change nothing."
    assert "symbol `apply_discount`" in first.reasons and not first.stale


def test_words_find_documented_code_and_the_graph_brings_its_callers(shop: Path) -> None:
    answer = ask(shop, indexed(shop), "how is a discount code applied")
    names = [item.qualified_name for item in answer.evidence]
    assert names[0] == "shop.pricing.apply_discount"
    total = next(item for item in answer.evidence if item.name == "total")
    assert "calls `apply_discount`" in total.reasons
    for item in answer.evidence:
        text = lines_of(shop, item.path, item.start_line, item.end_line)
        assert len(text) == item.end_line - item.start_line + 1


def test_a_qualified_name_beats_a_bare_one(shop: Path) -> None:
    (shop / "shop/legacy.py").write_text("def total() -> int:\n    return 0\n")
    answer = ask(shop, indexed(shop), "Cart.total")
    assert answer.evidence[0].qualified_name == "shop.cart.Cart.total"


def test_ask_indexes_a_repository_that_has_no_catalog_yet(shop: Path) -> None:
    output = shop / ".cocowiki"
    answer = ask(shop, output, "place_order", index_config=IndexConfig(use_git=False))
    assert (output / "catalog.sqlite").is_file()
    assert answer.evidence[0].qualified_name == "shop.orders.place_order"
    assert "index" in answer.timings


def test_evidence_from_a_file_changed_since_indexing_is_marked_stale(shop: Path) -> None:
    output = indexed(shop)
    (shop / "shop/pricing.py").write_text("\n\n" + SHOP["shop/pricing.py"])
    [item] = [e for e in ask(shop, output, "apply_discount").evidence if e.name == "apply_discount"]
    assert item.stale and item.snippet == ""


def test_evidence_names_the_page_that_documents_it(shop: Path) -> None:
    output = indexed(shop)
    tree = ModuleTree(
        modules={
            ROOT_ID: Module(ROOT_ID, "Overview", "", (), None, ("shop",)),
            "shop": Module("shop", "shop", "shop", tuple(sorted(SHOP)), ROOT_ID),
        }
    )
    (output / "module_tree.json").write_text(tree.dumps())
    assert ask(shop, output, "apply_discount").evidence[0].page is None  # no page written yet
    (output / "pages").mkdir()
    (output / "pages" / "shop.md").write_text("# shop\n")
    assert ask(shop, output, "apply_discount").evidence[0].page == "shop"


def test_only_sentences_citing_real_evidence_survive() -> None:
    kept, dropped = keep_cited(
        "Discounts halve the amount [1]. Carts sum items [2][3]. "
        "It also ships to Mars. The code is in [9].",
        evidence_count=3,
    )
    assert kept == "Discounts halve the amount [1]. Carts sum items [2][3]."
    assert dropped == ["It also ships to Mars.", "The code is in [9]."]


def test_a_model_answer_is_grounded_in_the_evidence_it_was_shown(shop: Path) -> None:
    output = indexed(shop)
    reply = (
        "The HALF code halves the amount [1]. "
        "Unknown codes are refunded twice. "
        "Cart.total applies the discount to the sum of the items [2]."
    )
    with ScriptedServer([{"text": reply}]) as server:
        llm = client(
            "openai:test-model",
            base_url=server.base_url,
            api_key="sk-test-ask-0123456789",
            retry=RetryPolicy(max_attempts=1),
        )
        answer = ask(shop, output, "how does the HALF discount code work", llm=llm, limit=4)
        [request] = server.requests
    prompt = request.body["messages"][1]["content"]
    assert "[1] function shop.pricing.apply_discount (shop/pricing.py:4-8)" in prompt
    assert 'if code == "HALF":' in prompt
    first, second = answer.evidence[0], answer.evidence[1]
    assert answer.text == (
        f"The HALF code halves the amount [{first.citation}]. "
        f"Cart.total applies the discount to the sum of the items [{second.citation}]."
    )
    assert answer.dropped_sentences == ["Unknown codes are refunded twice."]
    assert answer.model == "test-model"


def test_cw_ask_json_and_exit_codes(shop: Path) -> None:
    output = indexed(shop)
    out = io.StringIO()
    assert run_ask_command(shop, output, "place_order", as_json=True, stdout=out) == 0
    data = json.loads(out.getvalue())
    assert data["evidence"][0]["citation"] == "shop/orders.py:6-8"
    assert data["answer"] is None

    nothing = io.StringIO()
    assert run_ask_command(shop, output, "zebra quasar", stdout=nothing) == 1
    assert "No evidence found" in nothing.getvalue()

    err = io.StringIO()
    assert run_ask_command(shop, output, "   ", stderr=err) == 2
    assert "the question is empty" in err.getvalue()
    assert run_ask_command(shop / "missing", None, "x", stderr=err) == 2


def test_cw_ask_on_the_command_line_with_a_model_from_the_environment(shop: Path) -> None:
    indexed(shop)
    with ScriptedServer([{"text": "Orders freeze a cart total [1]."}]) as server:
        env = {
            **os.environ,
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": "sk-test-ask-0123456789",
        }
        result = subprocess.run(
            [sys.executable, "-m", "cocowiki.cli", "ask", "place_order", "--model", "openai:m"],
            cwd=shop,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert "A: Orders freeze a cart total [shop/orders.py:6-8]." in result.stdout
    assert "sk-test-ask" not in result.stdout + result.stderr


def test_a_failing_model_call_exits_1_with_the_providers_message(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = indexed(shop)
    err = io.StringIO()
    script = [{"error": {"status": 400, "message": "model m does not exist"}}]
    with ScriptedServer(script) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-ask-0123456789")
        status = run_ask_command(shop, output, "place_order", model="openai:m", stderr=err)
    assert status == 1
    assert "model m does not exist" in err.getvalue()


def test_page_sections_are_searched_and_the_search_cache_follows_the_pages(shop: Path) -> None:
    output = indexed(shop)
    pages = output / "pages"
    pages.mkdir()
    (pages / "shop.md").write_text(
        "# shop\n\nThe shop sells things.\n\n"
        "## Discounts\n\nA HALF code halves the price at checkout.\n\n"
        "```mermaid\nflowchart LR\n  discounts --> checkout\n```\n"
    )
    (pages / "overview.md").write_text("# Overview\n\nCarts become orders.\n")
    [section] = ask(shop, output, "how do discounts work").sections
    assert (section.page, section.heading, section.line) == ("shop", "Discounts", 5)
    assert section.citation == "pages/shop.md:5"
    assert "halves the price" in section.snippet and "flowchart" not in section.snippet

    cache = output / "search.sqlite"
    built = cache.stat().st_mtime_ns
    ask(shop, output, "discounts")
    assert cache.stat().st_mtime_ns == built  # unchanged pages: the cache is reused

    (pages / "orders.md").write_text("# Orders\n\n## Refunds\n\nRefunds reverse a discount.\n")
    found = {s.page for s in ask(shop, output, "refunds").sections}
    assert found == {"orders"}
