"""Incremental builds: what a rebuild recomputes, counted, and that it always ends where a
build from scratch would.

Every scenario edits a small repository (four packages, an entry point, a README),
builds again into the same output, and checks two things: which pages were recomputed
and rewritten (the counts ``cw build --json`` reports), and that the output is byte for
byte what a fresh build of the edited repository produces.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from build_helpers import (
    SMALL_PAGES,
    build,
    checker_fixture,  # noqa: F401 (the module's `checker` fixture)
    file_times,
    needs_mermaid,
    sections_of,
    write_files,
)

from cocowiki.index import IndexConfig, index_repository
from cocowiki.index.store import catalog_path, read_index
from cocowiki.mermaid import MermaidChecker
from cocowiki.pages import BuildConfig, BuildResult, builder, graph
from cocowiki.pages.artifacts import Citation
from cocowiki.pages.facts import RepositoryFacts
from cocowiki.pages.graph import load_graph
from cocowiki.plan import PlanConfig, plan_modules

pytestmark = needs_mermaid

SHOP = {
    "README.md": "# Shop\n\nA tiny shop, to test incremental builds.\n",
    "app.py": (
        '"""The shop from the command line."""\n\nfrom shop.orders import Order\n\n\n'
        "def main() -> None:\n    print(Order([3, 4]).total())\n\n\n"
        'if __name__ == "__main__":\n    main()\n'
    ),
    "shop/__init__.py": '"""Orders and their prices."""\n',
    "shop/orders.py": (
        '"""Orders: lines of amounts."""\n\nfrom shop.pricing import price\n\n\n'
        "class Order:\n"
        '    """What a customer buys."""\n\n'
        "    def __init__(self, amounts: list[int]) -> None:\n"
        "        self.amounts = amounts\n\n"
        "    def total(self) -> int:\n"
        '        """The price of every line."""\n'
        "        return sum(price(amount) for amount in self.amounts)\n"
    ),
    "shop/pricing.py": (
        '"""Prices."""\n\nfrom util.numbers import clamp\n\n\n'
        "def price(amount: int) -> int:\n"
        '    """Twice the amount, never above 100."""\n'
        "    return clamp(amount * 2, 0, 100)\n"
    ),
    "util/__init__.py": '"""Small helpers shared by the packages."""\n',
    "util/numbers.py": (
        '"""Numbers."""\n\n\n'
        "def clamp(value: int, low: int, high: int) -> int:\n"
        '    """``value`` kept between ``low`` and ``high``."""\n'
        "    return max(low, min(value, high))\n"
    ),
    "util/text.py": (
        '"""Text."""\n\n\n'
        "def slug(text: str) -> str:\n"
        '    """Lower case, words joined by dashes."""\n'
        '    return "-".join(text.lower().split())\n'
    ),
    "report/__init__.py": '"""Reports on orders."""\n',
    "report/render.py": (
        '"""Rendering."""\n\nfrom util.text import slug\n\n\n'
        "def render(name: str) -> str:\n"
        '    """A report\'s file name."""\n'
        '    return slug(name) + ".txt"\n'
    ),
}

#: Files a fresh build and an incremental one may differ in: the catalog (a database file
#: with the build graph), the viewer's render cache and the lock files.
NOT_COMPARED = {"catalog.sqlite", ".viewer-cache.json", ".lock", ".index.lock"}


Shop = tuple[Path, Path, BuildResult]


@pytest.fixture(name="shop")
def shop_fixture(tmp_path: Path, checker: MermaidChecker) -> Shop:
    """The shop repository, built once into ``out``: (repo, output, first build)."""
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    return repo, output, build(repo, output, checker)


def make_shop(root: Path) -> Path:
    return write_files(root / "repo", SHOP)


def citing(output: Path, path: str) -> set[str]:
    """Pages whose evidence (the citations of their sections) includes ``path``."""
    manifest = json.loads((output / "manifest.json").read_text())
    return {
        page["id"]
        for page in manifest["pages"]
        if any(c.path == path for s in sections_of(output, page["id"]) for c in s.citations)
    }


def rewritten(result: BuildResult) -> set[str]:
    return {page.id for page in result.pages if page.written}


def assert_same_as_fresh(
    repo: Path, output: Path, checker: MermaidChecker, config: BuildConfig = SMALL_PAGES
) -> None:
    """The output equals, byte for byte, a build of the same tree into an empty folder."""
    fresh = output.parent / "fresh"
    build(repo, fresh, checker, config)
    assert_same_output(output, fresh)


def assert_same_output(one: Path, two: Path) -> None:
    names = _names(one)
    assert names == _names(two)
    for name in names - {"manifest.json"}:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    assert _without_timings(one) == _without_timings(two)


def _names(output: Path) -> set[str]:
    return {
        p.relative_to(output).as_posix()
        for p in output.rglob("*")
        if p.is_file() and p.name not in NOT_COMPARED
    }


def _without_timings(output: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((output / "manifest.json").read_text())
    manifest.pop("timings")
    return manifest


def test_a_clean_rerun_recomputes_nothing_and_writes_nothing(
    shop: Shop, checker: MermaidChecker
) -> None:
    repo, output, first = shop
    assert first.summary()["pages_recomputed"] == len(first.pages) >= 4
    before = file_times(output)
    second = build(repo, output, checker)
    summary = second.summary()
    assert summary["recomputed"] == {
        "files_parsed": 0,
        "entry_points": False,
        "pages": [],
        "viewer": False,
    }
    assert summary["pages_rewritten"] == summary["artifacts_written"] == 0
    assert summary["pages_unchanged"] == len(second.pages) == len(first.pages)
    assert summary["verified"] == len(second.pages)
    assert file_times(output) == before  # the catalog and its graph included


def test_an_edit_inside_a_function_recomputes_only_the_pages_citing_the_file(
    shop: Shop, checker: MermaidChecker
) -> None:
    repo, output, first = shop
    cited_by = citing(output, "util/numbers.py")
    assert cited_by and len(cited_by) < len(first.pages)
    numbers = repo / "util" / "numbers.py"
    numbers.write_text(
        numbers.read_text().replace("max(low, min(value, high))", "min(high, max(low, value))")
    )

    second = build(repo, output, checker)
    summary = second.summary()
    assert summary["recomputed"]["files_parsed"] == 1
    assert set(second.recomputed) == cited_by
    # the Markdown names lines, not their digests: only the artifacts pinning them change
    assert rewritten(second) == set()
    assert {Path(p).stem for p in second.files_written} == cited_by
    # the parent was not recomputed: its child's summary did not change (early cutoff)
    assert "overview" not in second.recomputed
    assert summary["viewer_written"] is True  # it embeds the file's new text
    assert_same_as_fresh(repo, output, checker)


def test_cw_index_between_builds_keeps_the_build_graph(shop: Shop, checker: MermaidChecker) -> None:
    """``cw index`` on its own rewrites the catalog; the graph in it must come along."""
    repo, output, _ = shop
    cited_by = citing(output, "util/numbers.py")
    numbers = repo / "util" / "numbers.py"
    numbers.write_text(numbers.read_text().replace("min(value, high)", "min(high, value)"))
    indexed = index_repository(repo, output, IndexConfig(use_git=False))
    assert indexed.catalog_written and indexed.files_parsed == 1

    second = build(repo, output, checker)
    assert set(second.recomputed) == cited_by
    assert_same_as_fresh(repo, output, checker)


def test_a_child_whose_summary_changes_recomputes_its_parent(
    shop: Shop, checker: MermaidChecker
) -> None:
    repo, output, _ = shop
    (repo / "util" / "__init__.py").write_text('"""Helpers for numbers and text."""\n')
    second = build(repo, output, checker)
    assert "util" in second.recomputed and "overview" in second.recomputed
    assert {"shop", "report"}.isdisjoint(second.recomputed)
    assert_same_as_fresh(repo, output, checker)


def test_renaming_a_file_updates_exactly_the_pages_that_cited_it(
    shop: Shop, checker: MermaidChecker
) -> None:
    repo, output, _ = shop
    cited_by = citing(output, "report/render.py")
    (repo / "report" / "render.py").rename(repo / "report" / "draw.py")
    second = build(repo, output, checker)
    assert rewritten(second) == cited_by
    assert citing(output, "report/render.py") == set()
    assert_same_as_fresh(repo, output, checker)


def test_deleting_a_file_updates_the_pages_that_cited_it(
    shop: Shop, checker: MermaidChecker
) -> None:
    repo, output, first = shop
    cited_by = citing(output, "util/text.py")
    (repo / "util" / "text.py").unlink()
    second = build(repo, output, checker)
    assert cited_by <= rewritten(second)
    assert len(second.recomputed) < len(first.pages)
    assert citing(output, "util/text.py") == set()
    assert second.verified == len(second.pages)
    assert_same_as_fresh(repo, output, checker)


def test_a_page_file_changed_by_hand_is_rebuilt(shop: Shop, checker: MermaidChecker) -> None:
    repo, output, _ = shop
    (output / "pages" / "util.md").write_text("edited by hand\n")
    (output / "artifacts" / "dossiers" / "shop.json").unlink()
    second = build(repo, output, checker)
    assert set(second.recomputed) == {"util", "shop"}
    assert_same_as_fresh(repo, output, checker)


def test_an_edit_to_a_file_the_index_does_not_parse_recomputes_its_pages(
    shop: Shop, checker: MermaidChecker
) -> None:
    """The index is unchanged (a README is not source), so the keys of the index are
    taken as unchanged without a look; the files a page read are still checked."""
    repo, output, _ = shop
    cited_by = citing(output, "README.md")
    assert cited_by == {"overview"}
    (repo / "README.md").write_text("# Shop\n\nA small shop, to test incremental builds.\n")
    second = build(repo, output, checker)
    assert second.summary()["catalog_written"] is False
    assert set(second.recomputed) == rewritten(second) == cited_by
    assert_same_as_fresh(repo, output, checker)


def test_new_settings_that_regroup_the_pages_rebuild_what_a_fresh_build_gives(
    shop: Shop, checker: MermaidChecker
) -> None:
    repo, output, first = shop
    fewer = BuildConfig(index=IndexConfig(use_git=False), plan=PlanConfig(min_tokens=10_000))
    second = build(repo, output, checker, fewer)
    assert len(second.pages) < len(first.pages)
    assert second.summary()["pages_removed"] == len(first.pages) - len(second.pages)
    assert_same_as_fresh(repo, output, checker, fewer)
    third = build(repo, output, checker, fewer)
    assert third.recomputed == []


def test_the_index_changes_and_the_changed_files_decide_as_comparing_everything(
    shop: Shop, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After edits inside functions a build compares only the inputs the index's changes
    can touch, and searches entry points again only in the edited files; comparing every
    input and searching everything again recomputes the same pages and ends the same."""
    repo, output, _ = shop
    snapshot = output.parent / "snapshot"
    shutil.copytree(output, snapshot)
    app, numbers = repo / "app.py", repo / "util" / "numbers.py"
    app.write_text(app.read_text().replace("Order([3, 4])", "Order([3, 5])"))
    numbers.write_text(numbers.read_text().replace("min(value, high)", "min(high, value)"))
    seen: list[object] = []
    for name in ("index_changes", "_code_changed"):
        real = getattr(builder, name)
        monkeypatch.setattr(builder, name, lambda *a, real=real: seen.append(real(*a)) or seen[-1])
    known = build(repo, output, checker)
    changes, searched = seen
    assert getattr(changes, "files", None) == {"app.py", "util/numbers.py"}
    assert searched == {"app.py", "util/numbers.py"}  # both are searched for script guards
    entry_points = load_graph(catalog_path(output))["entry-points"].record
    assert known.summary()["recomputed"]["entry_points"] is True

    shutil.rmtree(output)
    shutil.copytree(snapshot, output)
    monkeypatch.setattr(builder, "index_changes", lambda *arguments: None)
    monkeypatch.setattr(builder, "_code_changed", lambda stale: None)
    compared = build(repo, output, checker)
    assert compared.summary()["recomputed"] == known.summary()["recomputed"]
    assert load_graph(catalog_path(output))["entry-points"].record == entry_points
    assert_same_as_fresh(repo, output, checker)


def test_an_edit_of_a_line_an_entry_point_cites_searches_only_its_file_again(
    shop: Shop, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry points cite ``def main`` in ``app.py``: an edit of that line changes
    their ``lines:`` key of the file, and only that file is searched again."""
    repo, output, _ = shop
    app = repo / "app.py"
    app.write_text(app.read_text().replace("def main() -> None:", "def main(*_: str) -> None:"))
    stale: list[list[str]] = []
    searched: list[set[str] | None] = []
    real_changed, real_find = builder._code_changed, builder.find_entry_points

    def code_changed(keys: list[str]) -> set[str] | None:
        stale.append(keys)
        return real_changed(keys)

    def find(facts: RepositoryFacts, previous: Any = (), files: Any = None) -> Any:
        searched.append(None if files is None else set(files))
        return real_find(facts, previous, files)

    monkeypatch.setattr(builder, "_code_changed", code_changed)
    monkeypatch.setattr(builder, "find_entry_points", find)
    second = build(repo, output, checker)
    assert any(key.startswith("lines:app.py:") for key in stale[0])
    assert searched == [{"app.py"}]
    assert second.summary()["recomputed"]["entry_points"] is True
    assert_same_as_fresh(repo, output, checker)


#: A file whose lines three pages cite: its own page, and the pages of the two modules it
#: calls into (each cites the line of its call, the site of an incoming dependency).
CHECKOUT = {
    "maths/__init__.py": '"""Arithmetic helpers."""\n',
    "maths/bounds.py": (
        '"""Bounds."""\n\n\n'
        "def clamp(value: int, low: int, high: int) -> int:\n"
        '    """``value`` kept between ``low`` and ``high``."""\n'
        "    return max(low, min(value, high))\n"
    ),
    "words/__init__.py": '"""Text helpers."""\n',
    "words/slugs.py": (
        '"""Slugs."""\n\n\n'
        "def slug(text: str) -> str:\n"
        '    """Lower case, words joined by dashes."""\n'
        '    return "-".join(text.lower().split())\n'
    ),
    "shop/__init__.py": '"""The shop."""\n',
    "shop/checkout.py": (
        '"""Checkout: totals and labels."""\n\n'
        "from maths.bounds import clamp\nfrom words.slugs import slug\n\n\n"
        "def total(amounts: list[int]) -> int:\n"
        '    """The capped sum of the amounts."""\n'
        "    capped = [clamp(amount, 0, 100) for amount in amounts]\n"  # line 9
        "    return sum(capped)\n\n\n"  # line 10
        "def label(name: str) -> str:\n"
        '    """A file name for the receipt."""\n'
        "    base = name.strip()\n"  # line 15
        '    return slug(base) + ".txt"\n'  # line 16
    ),
}
CHECKOUT_FILE = "shop/checkout.py"


@pytest.fixture(name="checkout")
def checkout_fixture(tmp_path: Path, checker: MermaidChecker) -> Shop:
    """The checkout repository, built once: (repo, output, first build)."""
    repo = write_files(tmp_path / "repo", CHECKOUT)
    output = tmp_path / "out"
    first = build(repo, output, checker)
    assert citing(output, CHECKOUT_FILE) == {"shop", "maths", "words"}
    assert cited_spans(output, "maths", CHECKOUT_FILE) == {(3, 3), (9, 9)}
    assert cited_spans(output, "words", CHECKOUT_FILE) == {(4, 4), (16, 16)}
    return repo, output, first


def cited_spans(output: Path, page: str, path: str) -> set[tuple[int, int]]:
    """The line spans of ``path`` a page cites."""
    return {
        (c.start, c.end) for s in sections_of(output, page) for c in s.citations if c.path == path
    }


def edit_checkout(repo: Path, old: str, new: str) -> None:
    checkout = repo / CHECKOUT_FILE
    text = checkout.read_text()
    assert text.count(old) == 1
    checkout.write_text(text.replace(old, new))


def test_an_edit_of_lines_only_their_file_s_page_cites_recomputes_that_page_alone(
    checkout: Shop, checker: MermaidChecker
) -> None:
    """Three pages cite the file, one of them the edited line (inside ``total``): only
    that page is recomputed, and its Markdown, which names lines, is not rewritten."""
    repo, output, _ = checkout
    edit_checkout(repo, "return sum(capped)", "return sum(capped) or 0")
    second = build(repo, output, checker)
    assert second.summary()["recomputed"]["files_parsed"] == 1
    assert second.recomputed == ["shop"]
    assert rewritten(second) == set()
    assert second.verified == len(second.pages)
    assert_same_as_fresh(repo, output, checker)


def test_an_edit_of_a_line_several_pages_cite_recomputes_each_of_them(
    checkout: Shop, checker: MermaidChecker
) -> None:
    """The edited line is the call into ``maths``: its page cites it, ``words`` does not."""
    repo, output, _ = checkout
    edit_checkout(repo, "clamp(amount, 0, 100)", "clamp(amount, 0, 99)")
    second = build(repo, output, checker)
    assert set(second.recomputed) == {"shop", "maths"}
    assert rewritten(second) == set()
    assert {Path(p).stem for p in second.files_written} == {"shop", "maths"}
    assert_same_as_fresh(repo, output, checker)
    third = build(repo, output, checker)
    assert third.recomputed == [] and third.files_written == []


def test_an_inserted_line_moves_the_later_spans_and_their_pages_cite_them_anew(
    checkout: Shop, checker: MermaidChecker
) -> None:
    """A line inserted in ``label`` moves the call into ``words`` from line 16 to 17: that
    page is recomputed and cites the new line, exactly (every page verifies, and the
    output is a fresh build's). ``maths`` cites lines 3 and 9, before the insertion: the
    file still reaches them, so the page is not recomputed."""
    repo, output, _ = checkout
    edit_checkout(
        repo, "    base = name.strip()\n", '    name = name or "receipt"\n    base = name.strip()\n'
    )
    second = build(repo, output, checker)
    assert set(second.recomputed) == {"shop", "words", "overview"}
    # the links name the moved lines; the overview counts the repository's lines
    assert rewritten(second) == {"shop", "words", "overview"}
    assert cited_spans(output, "words", CHECKOUT_FILE) == {(4, 4), (17, 17)}
    assert cited_spans(output, "maths", CHECKOUT_FILE) == {(3, 3), (9, 9)}
    assert second.verified == len(second.pages)
    assert_same_as_fresh(repo, output, checker)


def test_a_file_cut_short_below_a_cited_line_recomputes_the_page_citing_it(
    checkout: Shop, checker: MermaidChecker
) -> None:
    """The checkout loses ``label`` (lines 12-16): ``words`` cited line 16 and is computed
    again (it no longer cites the file past line 4); ``maths`` cites lines 3 and 9, which
    the file still has, and stays as it was."""
    repo, output, _ = checkout
    checkout_file = repo / CHECKOUT_FILE
    checkout_file.write_text("".join(checkout_file.read_text().splitlines(True)[:10]))
    second = build(repo, output, checker)
    assert {"shop", "words"} <= set(second.recomputed)
    assert "maths" not in second.recomputed
    assert cited_spans(output, "words", CHECKOUT_FILE) == {(4, 4)}
    assert second.verified == len(second.pages)
    assert_same_as_fresh(repo, output, checker)


def test_a_citation_reads_whether_the_file_reaches_its_span_not_the_line_count(
    tmp_path: Path,
) -> None:
    """A citation is clamped to the file as ever, and what it depends on is the span
    (with the line count only when the file ends before the span does): a line inserted
    after the span leaves its key's digest alone, one inserted before it or a cut below
    it changes the digest."""
    repo = write_files(tmp_path / "repo", CHECKOUT)
    spans = [(3, 3), (9, 10), (14, 16), (20, 30)]

    def cite_each() -> tuple[list[Citation], list[Citation], list[dict[str, str]]]:
        """The citations of ``spans`` by plain facts and by facts recording what they read,
        and the keys each recorded with their digests."""
        index = index_repository(repo, tmp_path / "out", IndexConfig(use_git=False))
        plain = RepositoryFacts.build(repo, tmp_path / "out", index, plan_modules(index))
        tracked = RepositoryFacts.build(repo, tmp_path / "out", index, plan_modules(index))
        inputs = graph.Inputs(tracked, "tool", "")
        graph.track(tracked, inputs)
        cited, keys = [], []
        for span in spans:
            with inputs.recording() as read:
                cited.append(tracked.cite(CHECKOUT_FILE, *span))
            keys.append(inputs.digests(read))
        return [plain.cite(CHECKOUT_FILE, *span) for span in spans], cited, keys

    plain, cited, keys = cite_each()
    assert cited == plain
    assert [(c.start, c.end) for c in cited] == [(3, 3), (9, 10), (14, 16), (16, 16)]
    assert [list(k) for k in keys] == [
        [f"lines:{CHECKOUT_FILE}:3"],
        [f"lines:{CHECKOUT_FILE}:9-10"],
        [f"lines:{CHECKOUT_FILE}:14-16"],
        [f"lines:{CHECKOUT_FILE}:16,20-30"],  # past the end: the last line is cited
    ]
    edit_checkout(repo, "    base = name.strip()\n", "    # a comment\n    base = name.strip()\n")
    plain, cited, inserted = cite_each()
    assert cited == plain
    assert [k == i for k, i in zip(keys, inserted, strict=True)] == [True, True, False, False]

    (repo / CHECKOUT_FILE).write_text("".join(CHECKOUT[CHECKOUT_FILE].splitlines(True)[:15]))
    plain, cited, cut = cite_each()
    assert cited == plain
    assert [(c.start, c.end) for c in cited] == [(3, 3), (9, 10), (14, 15), (15, 15)]
    assert [k == c for k, c in zip(keys, cut, strict=True)] == [True, True, False, False]


def test_the_lines_a_page_reads_of_a_file_make_one_key_whose_digest_tells_each_span() -> None:
    """Spans are merged when they touch; each part of the key has a digest of its own (the
    line count when the file ends before the span does)."""
    read = {(9, 9), (3, 3), (4, 6), (5, 5), graph.LENGTH}
    assert graph.lines_key("a:b.py", read) == "lines:a:b.py:n,3-6,9"
    assert graph.lines_key("a.py", set()) == "lines:a.py:"
    lines = ["one", "two", "three"]
    assert graph.part_digest(lines, "n") == "3"
    assert graph.part_digest(lines, "2-3") == graph.part_digest(["x", "two", "three"], "2-3")
    assert graph.part_digest(lines, "2-3") != graph.part_digest(["one", "2", "three"], "2-3")
    assert graph.part_digest(lines, "3-4").endswith("<3")


def test_a_rerun_and_an_edit_load_no_whole_table_of_the_index(
    shop: Shop, checker: MermaidChecker
) -> None:
    """The keys an edit recomputes, the entry points and the research of the page it
    recomputes are answered by indexed lookups of the catalog: the index of a rerun and
    of an edit stays lazy (no component, no reference loaded), and the edit ends where a
    fresh build does."""
    repo, output, _ = shop
    assert build(repo, output, checker).index.lazy
    numbers = repo / "util" / "numbers.py"
    numbers.write_text(numbers.read_text().replace("min(value, high)", "min(high, value)"))
    edited = build(repo, output, checker)
    assert edited.recomputed and edited.summary()["recomputed"]["entry_points"] is True
    assert edited.index.lazy
    assert_same_as_fresh(repo, output, checker)


def test_reference_keys_of_an_index_not_loaded_are_digested_from_the_catalog(
    shop: Shop,
) -> None:
    """The references from and into a file, and a GraphLookup into it, have the same
    digests read from the catalog by indexed lookups as from the loaded index."""
    repo, output, _ = shop
    files = [*SHOP, "nowhere.py"]
    keys = [f"{kind}:{path}" for kind in ("refs_from_file", "refs_into_file") for path in files]
    keys += [f"explore:{json.dumps(['graph_lookup', p, 'in', 'any'])}" for p in files]

    def digests(lazy: bool) -> dict[str, str]:
        index = read_index(output, lazy=lazy)
        facts = RepositoryFacts.build(repo, output, index, plan_modules(index))
        assert (facts.rows is not None) == lazy
        return graph.Inputs(facts, "tool", "").digests(keys)

    from_catalog = digests(lazy=True)
    assert from_catalog == digests(lazy=False)
    assert len(set(from_catalog.values())) > 3  # the shop's files do refer to each other
