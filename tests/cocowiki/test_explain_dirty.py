"""``cw explain-dirty PAGE``: the chain from changed files to a page, and that it tells the
truth: the pages it calls dirty are the ones the next build recomputes."""

from __future__ import annotations

import io
import json
from pathlib import Path

from build_helpers import (
    SMALL_PAGES,
    build,
    checker_fixture,  # noqa: F401 (the module's `checker` fixture)
    file_times,
    needs_mermaid,
)
from test_incremental import (  # noqa: F401 (fixtures)
    CHECKOUT_FILE,
    Shop,
    checkout_fixture,
    edit_checkout,
    make_shop,
    shop_fixture,
)

from cocowiki.mermaid import MermaidChecker
from cocowiki.pages.explain import explain_dirty
from cocowiki.pages.explaincommand import run_explain_dirty_command

pytestmark = needs_mermaid


def explain(repo: Path, output: Path | None, page: str, *, as_json: bool) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_explain_dirty_command(
        repo, output, page, as_json=as_json, config=SMALL_PAGES, stdout=out, stderr=err
    )
    return status, out.getvalue(), err.getvalue()


def test_a_built_page_is_clean_and_explaining_writes_nothing(
    tmp_path: Path, checker: MermaidChecker
) -> None:
    repo = make_shop(tmp_path)
    output = repo / ".cocowiki"  # the default place, so the command's defaults apply
    build(repo, output, checker)
    before = file_times(output)
    assert explain(repo, None, "util", as_json=False) == (0, "util: clean\n", "")
    status, out, _ = explain(repo, output, "overview", as_json=True)
    assert status == 0
    assert json.loads(out) == {
        "page": "overview",
        "status": "clean",
        "changed_files": [],
        "reasons": [],
    }
    assert file_times(output) == before


def test_an_edit_is_traced_to_the_pages_the_next_build_recomputes(
    shop: Shop, checker: MermaidChecker
) -> None:
    repo, output, first = shop
    numbers = repo / "util" / "numbers.py"
    numbers.write_text(numbers.read_text().replace("min(value, high)", "min(high, value)"))

    status, out, _ = explain(repo, output, "util", as_json=False)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "util: dirty"
    chains = [line.strip() for line in lines[1:]]
    assert "util/numbers.py -> parse of util/numbers.py -> file util/numbers.py -> page util" in (
        chains
    )
    assert all(chain.endswith("-> page util") for chain in chains)
    explained = {page.id: explain_dirty(repo, output, page.id, SMALL_PAGES) for page in first.pages}
    assert explained["util"].changed_files == ["util/numbers.py"]
    assert {r.input for r in explained["overview"].reasons} == {"notebook:util"}
    assert explained["overview"].status == "depends"

    recomputed = set(build(repo, output, checker).recomputed)
    assert {page for page, e in explained.items() if e.status == "dirty"} == recomputed
    assert all(e.status != "clean" for page, e in explained.items() if page in recomputed)
    assert explain(repo, output, "util", as_json=False)[1] == "util: clean\n"


def test_a_renamed_file_is_named_as_the_cause(shop: Shop) -> None:
    repo, output, _ = shop
    (repo / "report" / "render.py").rename(repo / "report" / "draw.py")
    status, out, _ = explain(repo, output, "report", as_json=True)
    report = json.loads(out)
    assert status == 0 and report["status"] == "dirty"
    assert report["changed_files"] == ["report/draw.py", "report/render.py"]
    assert any(r["files"] == ["report/render.py"] for r in report["reasons"])
    for reason in report["reasons"]:
        assert reason["chain"][-1] == "page report"


def test_an_unknown_page_or_no_wiki_is_an_error_with_a_hint(
    tmp_path: Path, checker: MermaidChecker
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    status, out, err = explain(repo, output, "util", as_json=False)
    assert (status, out) == (2, "")
    assert (
        err
        == f"cw explain-dirty: error: no wiki has been built in {output}: run `cw build` first\n"
    )
    build(repo, output, checker)
    status, out, err = explain(repo, output, "nope", as_json=False)
    assert status == 2 and len(err.splitlines()) == 1
    assert err.startswith("cw explain-dirty: error: no page 'nope' in ")
    assert "overview" in err and "util" in err
    status, out, _ = explain(repo, output, "nope", as_json=True)
    assert status == 2 and json.loads(out)["error"].startswith("no page 'nope'")


def test_an_edit_is_traced_down_to_the_cited_lines_it_changed(
    checkout: Shop, checker: MermaidChecker
) -> None:
    """The page of ``maths`` cites lines 3 and 9 of the checkout: an edit of line 9 is
    named as such; ``words`` cites other lines of the same file and stays clean."""
    repo, output, _ = checkout
    edit_checkout(repo, "clamp(amount, 0, 100)", "clamp(amount, 0, 99)")
    explained = explain_dirty(repo, output, "maths", SMALL_PAGES)
    assert explained.status == "dirty"
    assert [reason.chain for reason in explained.reasons] == [
        [CHECKOUT_FILE, f"parse of {CHECKOUT_FILE}", f"line 9 of {CHECKOUT_FILE}", "page maths"]
    ]
    assert explain_dirty(repo, output, "words", SMALL_PAGES).status == "clean"
    assert set(build(repo, output, checker).recomputed) == {"shop", "maths"}


def test_a_cited_line_cut_off_the_file_is_named_with_the_file_s_new_length(
    checkout: Shop, checker: MermaidChecker
) -> None:
    """``words`` cites line 16 of the checkout, cut down to 10 lines: the cause names the
    line and the file's new end; ``maths`` cites lines 3 and 9 only and stays clean."""
    repo, output, _ = checkout
    checkout_file = repo / CHECKOUT_FILE
    checkout_file.write_text("".join(checkout_file.read_text().splitlines(True)[:10]))
    explained = explain_dirty(repo, output, "words", SMALL_PAGES)
    assert explained.status == "dirty"
    cause = f"line 16 of {CHECKOUT_FILE}, past its end (it has 10 lines now)"
    chain = [CHECKOUT_FILE, f"parse of {CHECKOUT_FILE}", cause, "page words"]
    assert chain in [reason.chain for reason in explained.reasons]
    assert explain_dirty(repo, output, "maths", SMALL_PAGES).status == "clean"
    assert "maths" not in build(repo, output, checker).recomputed
