"""People's edits survive a rewrite: kept blocks are found, carried and checked."""

from __future__ import annotations

from cocowiki.pages.keep import NOTES_HEADING, carry_kept, kept_blocks, marker_problems

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
