"""``--estimate`` and ``cw explain-dirty`` on a model-written wiki with sub-pages.

Through the scripted OpenAI-compatible server over real HTTP with the official SDK (the
shop splits its orders off onto a sub-page, which splits its totals off, as in
``test_writer_subpages``): the estimate says what it cannot foresee and what the last
split cost; ``explain-dirty`` explains a model page and a sub-page: why the model would
be asked again (the source pack, the model spec, the contract), and that a sub-page is
written again with the page that asked for it.
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest
from build_helpers import checker_fixture, needs_mermaid  # noqa: F401
from test_writer_pack import model_config, written_shop
from test_writer_subpages import ORDERS, TOTALS, script

from cocowiki.config import WriterConfig
from cocowiki.mermaid import MermaidChecker
from cocowiki.pages import BuildConfig, run_build_command
from cocowiki.pages.explaincommand import run_explain_dirty_command

pytestmark = needs_mermaid


def explain(repo: Path, output: Path, page: str, config: BuildConfig) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    status = run_explain_dirty_command(
        repo, output, page, as_json=True, config=config, stdout=out, stderr=err
    )
    assert status == 0, err.getvalue() + out.getvalue()
    found: dict[str, Any] = json.loads(out.getvalue())
    return found


def estimate(repo: Path, output: Path) -> tuple[dict[str, Any], str]:
    data, text = io.StringIO(), io.StringIO()
    config = model_config()
    assert (
        run_build_command(repo, output, as_json=True, config=config, estimate=True, stdout=data)
        == 0
    )
    run_build_command(repo, output, config=config, estimate=True, stdout=text)
    return json.loads(data.getvalue()), text.getvalue()


@pytest.fixture(name="split_wiki")
def split_wiki_fixture(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    repo, output = written_shop(tmp_path, checker, monkeypatch, script())
    return repo, output


def test_estimate_says_what_the_last_split_cost_and_what_it_cannot_foresee(
    split_wiki: tuple[Path, Path],
) -> None:
    repo, output = split_wiki
    fresh, text = estimate(repo, output.with_name("fresh"))
    assert fresh["subpage_calls_last_time"] == 0 and fresh["calls"] == fresh["pages"]
    assert "not foreseen: sub-page calls (a model decides to split" in text
    clean, _ = estimate(repo, output)
    assert clean["pages_to_write"] == [] and clean["subpage_calls_last_time"] == 0
    orders = repo / "shop" / "orders.py"
    orders.write_text(orders.read_text().replace("What a customer buys.", "What one buys."))
    data, text = estimate(repo, output)
    assert "shop" in data["pages_to_write"] and data["calls"] == len(data["pages_to_write"])
    # the orders sub-page took two calls (its split, its page), the totals one
    assert data["subpage_calls_last_time"] == 3
    assert "their sub-pages took 3 more calls (not counted above)" in text
    assert data["not_foreseen"][0].startswith("sub-page calls")


def test_explain_dirty_tells_why_a_model_page_and_a_sub_page_would_be_asked_again(
    split_wiki: tuple[Path, Path],
) -> None:
    repo, output = split_wiki
    config = model_config()
    for page in ("shop", ORDERS, TOTALS, "util"):
        assert explain(repo, output, page, config)["status"] == "clean", page

    # another model: every model page would be asked again, for its writer and its spec
    other = dataclasses.replace(config, writer=WriterConfig(model="openai:other-model"))
    util = explain(repo, output, "util", other)
    assert util["status"] == "dirty"
    inputs = [reason["input"] for reason in util["reasons"]]
    assert "writer:" in inputs and "model:spec" in inputs
    spec = next(r for r in util["reasons"] if r["input"] == "model:spec")
    assert spec["node"] == "model spec openai:page-model -> openai:other-model"

    # an edit of the sub-page's file: its planned page's pack changed, and the sub-page
    # is written again with it
    orders = repo / "shop" / "orders.py"
    orders.write_text(orders.read_text().replace("What a customer buys.", "What one buys."))
    shop = explain(repo, output, "shop", config)
    assert shop["status"] == "dirty" and shop["changed_files"] == ["shop/orders.py"]
    pack = next(r for r in shop["reasons"] if r["input"] == "model:pack")
    assert pack["node"].startswith("source pack (the module's files, facts)")
    totals = explain(repo, output, TOTALS, config)
    assert totals["status"] == "dirty" and totals["page"] == TOTALS
    assert totals["reasons"][:-1] == shop["reasons"]
    assert totals["reasons"][-1]["chain"] == ["page shop", f"sub-page {TOTALS}"]
    out = io.StringIO()
    run_explain_dirty_command(repo, output, TOTALS, config=config, stdout=out)
    assert out.getvalue().startswith(f"{TOTALS}: dirty\n") and "page shop -> sub-page" in (
        out.getvalue()
    )
