"""People's edits survive a rewrite: kept blocks are found, carried and checked."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from viewer_helpers import BuiltWiki, make_wiki

from cocowiki.pages.keep import NOTES_HEADING, carry_kept, kept_blocks, marker_problems
from cocowiki.viewer import write_viewer
from cocowiki.viewer.kept import LABEL

PUBLISHED = """# Kernel

## Errors and edge cases

The kernel stops on the first error (`src/kernel.py:1-3`).

<!-- cw:keep -->
Never call `run` from a signal handler: it deadlocks (`src/kernel.py:2-2`).
<!-- cw:end -->

## Performance

Fast enough.

<!-- cw:keep Configuration -->
Set `TIFFANY_DEBUG=1` to trace every step.
<!-- cw:end -->
"""

REWRITTEN = """# Kernel

## Errors and edge cases

A failed task cancels its siblings (`src/kernel.py:4-6`).

## Performance

Each step costs one queue operation.
"""


def test_kept_blocks_are_found_with_their_anchor_heading_and_line() -> None:
    blocks = kept_blocks(PUBLISHED)
    assert [(b.name, b.anchor, b.line) for b in blocks] == [
        (None, "Errors and edge cases", 7),
        ("Configuration", "Configuration", 15),
    ]
    assert blocks[0].text.splitlines() == [
        "<!-- cw:keep -->",
        "Never call `run` from a signal handler: it deadlocks (`src/kernel.py:2-2`).",
        "<!-- cw:end -->",
    ]


def test_a_block_goes_back_after_its_heading_and_an_orphan_into_maintainers_notes() -> None:
    carried = carry_kept(PUBLISHED, REWRITTEN)
    lines = carried.splitlines()
    errors = lines.index("## Errors and edge cases")
    assert lines[errors + 1 : errors + 6] == [
        "",
        "<!-- cw:keep -->",
        "Never call `run` from a signal handler: it deadlocks (`src/kernel.py:2-2`).",
        "<!-- cw:end -->",
        "",
    ]
    assert lines[errors + 6] == "A failed task cancels its siblings (`src/kernel.py:4-6`)."
    # "Configuration" is not a heading of the new page: the block goes to the notes at the end
    assert carried.index(NOTES_HEADING) > carried.index("Each step costs")
    assert carried.rstrip().endswith("<!-- cw:end -->")
    assert "Set `TIFFANY_DEBUG=1`" in carried.split(NOTES_HEADING)[1]


def test_carrying_twice_adds_nothing_and_a_block_already_there_is_not_duplicated() -> None:
    once = carry_kept(PUBLISHED, REWRITTEN)
    assert carry_kept(PUBLISHED, once) == once
    assert carry_kept(once, once) == once
    assert carry_kept(PUBLISHED, PUBLISHED) == PUBLISHED
    assert once.count("<!-- cw:keep") == 2


def test_a_named_block_follows_its_heading_when_the_new_page_has_it() -> None:
    new = REWRITTEN + "\n## Configuration\n\nNo settings.\n"
    carried = carry_kept(PUBLISHED, new)
    assert NOTES_HEADING not in carried
    after = carried.split("## Configuration\n")[1]
    assert after.startswith("\n<!-- cw:keep Configuration -->\nSet `TIFFANY_DEBUG=1`")
    assert after.rstrip().endswith("No settings.")


def test_orphans_join_an_existing_maintainers_notes_section() -> None:
    new = REWRITTEN + f"\n{NOTES_HEADING}\n"
    carried = carry_kept(PUBLISHED, new)
    assert carried.count(NOTES_HEADING) == 1
    assert "TIFFANY_DEBUG" in carried.split(NOTES_HEADING)[1]


def test_markers_in_code_are_text_and_well_formed_pages_have_no_marker_problems() -> None:
    example = "# Docs\n\n```markdown\n<!-- cw:keep -->\n```\n"
    assert kept_blocks(example) == []
    assert marker_problems(example) == []
    assert marker_problems(PUBLISHED) == []
    assert marker_problems("<!-- cw:summary -->\nShort.\n<!-- /cw:summary -->\n") == []
    assert carry_kept(example, REWRITTEN) == REWRITTEN


def test_unbalanced_nested_and_misspelt_markers_are_reported_by_line() -> None:
    page = "\n".join(
        [
            "<!-- cw:end -->",  # 1: nothing open
            "<!-- cw:keep -->",  # 2
            "<!-- cw:keep -->",  # 3: nested
            "text",
            "<!-- cw:end -->",  # 5
            "<!-- cw:kept -->",  # 6: misspelt
            "<!-- cw:keep -->",  # 7: never closed
        ]
    )
    problems = marker_problems(page)
    assert [(p.kind, p.line) for p in problems] == [
        ("marker", 1),
        ("marker", 3),
        ("marker", 6),
        ("marker", 7),
    ]
    assert "inside the block opened on line 2" in problems[1].message
    assert "never closed" in problems[3].message
    # only the well-formed block is kept: the nested marker does not open a second one
    assert [b.line for b in kept_blocks(page)] == [2]


# the viewer -------------------------------------------------------------------------------


def kept_wiki(root: Path) -> BuiltWiki:
    """The viewer tests' wiki with a kept block (and a broken marker) on an unverified page."""
    built = make_wiki(root)
    page = built.output / "pages" / "shapes_circle.md"
    page.write_text(
        page.read_text()
        + "\n<!-- cw:keep -->\nCircles are **never** squashed: see"
        + " [shapes/circle.py:9-20](../../repo/shapes/circle.py#L9-L20).\n<!-- cw:end -->\n"
        + "\n<!-- cw:end -->\n"
    )
    write_viewer(built.output, built.repo)
    return built


def test_the_viewer_boxes_a_kept_block_under_a_label_and_leaves_broken_markers_as_text(
    tmp_path: Path,
) -> None:
    built = kept_wiki(tmp_path)
    html = built.index.read_text()
    data = json.loads(re.search(r'id="wiki-data">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    page = {p["id"]: p for p in data["pages"]}["shapes_circle"]
    box = page["html"].split('<div class="kept"', 1)[1].split("</div>", 1)[0]
    assert '<p class="kept-label"' in box and LABEL in box
    assert "<strong>never</strong> squashed" in box
    assert 'class="citation"' in box  # the kept block's citation is a citation still
    assert page["html"].count("cw:keep") == 0
    assert page["html"].count("&lt;!-- cw:end --&gt;") == 1  # the stray marker stays text
    assert f"{LABEL}: Circles are never squashed" in page["text"]
    assert page["status"] == "unverified" and page["problems"]


def test_in_the_browser_the_label_shows_and_an_unverified_page_says_why_at_the_top(
    tmp_path: Path,
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    built = kept_wiki(tmp_path)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"))
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=flags, env=env)
        page = browser.new_page()
        page.goto(built.index.as_uri() + "#/page/shapes_circle")
        page.wait_for_selector("main[data-state=ready]")
        label = page.locator("article .kept .kept-label")
        assert label.is_visible() and label.inner_text() == LABEL
        border = page.locator("article .kept").evaluate("e => getComputedStyle(e).borderLeftWidth")
        assert border == "4px"
        # the notice comes before the article and names the reason
        order = page.locator("main > *").evaluate_all("nodes => nodes.map(n => n.className)")
        assert order.index("problems") < order.index("article")
        assert "past the end of the file" in page.locator(".problems").inner_text()
        browser.close()


def test_a_kept_block_the_writer_made_up_is_removed() -> None:
    forged = REWRITTEN.replace(
        "## Performance\n",
        "## Performance\n\n<!-- cw:keep -->\nTrust me, a person wrote this.\n<!-- cw:end -->\n",
    )
    carried = carry_kept(PUBLISHED, forged)
    assert "Trust me" not in carried
    assert carried == carry_kept(PUBLISHED, REWRITTEN)
    assert carry_kept("# Page\n", forged) == REWRITTEN
