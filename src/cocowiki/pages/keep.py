"""People's edits that survive a rewrite: the ``cw:keep`` blocks of a page.

A maintainer marks a part of a published page as theirs by wrapping it in HTML comments
on lines of their own::

    <!-- cw:keep -->
    What we learned the hard way ... (`src/x.py:10-20`)
    <!-- cw:end -->

The block is anchored after the heading above it; ``<!-- cw:keep Errors and edge cases
-->`` anchors it after the heading of that name instead. When the page is written again,
:func:`carry_kept` puts every kept block of the published page into the new one,
directly after the heading it is anchored to when the new page still has that heading,
else in a ``## Maintainers' notes`` section at the end. The block's text, markers
included, is carried byte for byte, so it is found again next time; a block the new page
already holds is not added twice, and a kept block in the new page that the published
page does not have is removed (only a person's edit may be shown as one; a writer that
copies the markers does not make its text a maintainer's). Markers inside code fences
are text, not markers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .mdlines import code_lines
from .pageproblem import PageProblem

NOTES_HEADING = "## Maintainers' notes"
_OPEN = re.compile(r"^\s*<!--\s*cw:keep(?:\s+(?P<name>.*?))?\s*-->\s*$")
_CLOSE = re.compile(r"^\s*<!--\s*cw:end\s*-->\s*$")
#: What may be a keep or end marker written wrong (``cw:kept``, text on the marker's
#: line); other ``cw:`` comments (the writer's ``cw:summary``) are not this module's.
_ANY_MARKER = re.compile(r"<!--\s*cw:\s*(?:ke|en)", re.IGNORECASE)
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True, slots=True)
class KeptBlock:
    """A kept block: the name written in its marker (or None), the heading it is anchored
    after (its name, else the nearest heading above it, else None), its text from the
    opening marker to the closing one, and the 1-based line of the opening marker."""

    name: str | None
    anchor: str | None
    text: str
    line: int


def kept_blocks(markdown: str) -> list[KeptBlock]:
    """The well-formed kept blocks of a page, in order (see :func:`marker_problems` for
    the others: a nested marker closes nothing, an unclosed block is not kept)."""
    lines = markdown.split("\n")
    blocks: list[KeptBlock] = []
    heading: str | None = None
    opened: tuple[int, str | None, str | None] | None = None
    for n, line in _outside_code(lines):
        if opened is None and (title := heading_text(line)) is not None:
            heading = title
        elif (match := _OPEN.match(line)) is not None:
            if opened is None:
                name = match.group("name") or None
                opened = (n, name, name or heading)
        elif _CLOSE.match(line) and opened is not None:
            start, name, anchor = opened
            blocks.append(KeptBlock(name, anchor, "\n".join(lines[start : n + 1]), start + 1))
            opened = None
    return blocks


def marker_problems(markdown: str) -> list[PageProblem]:
    """Markers that do not pair up: a ``cw:keep`` inside an open block, a ``cw:end``
    with no block open, a block never closed, and markers written wrong (misspelt, or
    not alone on their line)."""
    problems: list[PageProblem] = []
    opened: int | None = None
    for n, line in _outside_code(markdown.split("\n")):
        if _OPEN.match(line):
            if opened is not None:
                problems.append(_marker(n, f"cw:keep inside the block opened on line {opened}"))
            else:
                opened = n + 1
        elif _CLOSE.match(line):
            if opened is None:
                problems.append(_marker(n, "cw:end with no cw:keep open before it"))
            opened = None
        elif _ANY_MARKER.search(line):
            problems.append(
                _marker(
                    n, "not a marker: write `<!-- cw:keep -->` or `<!-- cw:end -->` alone on a line"
                )
            )
    if opened is not None:
        problems.append(
            PageProblem("marker", "cw:keep is never closed by `<!-- cw:end -->`", opened)
        )
    return problems


def carry_kept(published: str, new: str) -> str:
    """``new`` with every kept block of ``published`` put in (see the module docstring)."""
    kept = kept_blocks(published)
    new = _without_forged(new, {_normal(block.text) for block in kept})
    present = {_normal(block.text) for block in kept_blocks(new)}
    missing = [block for block in kept if _normal(block.text) not in present]
    if not missing:
        return new
    lines = new.split("\n")
    headings = _headings(lines)
    anchored: dict[int, list[str]] = {}
    orphans: list[str] = []
    for block in missing:
        where = headings.get(_key(block.anchor)) if block.anchor is not None else None
        if where is None:
            orphans.append(block.text)
        else:
            anchored.setdefault(where, []).append(block.text)
    notes = headings.get(_key(heading_text(NOTES_HEADING) or ""))
    if orphans and notes is not None:
        anchored.setdefault(notes, []).extend(orphans)
        orphans = []
    out: list[str] = []
    for n, line in enumerate(lines):
        out.append(line)
        for text in anchored.get(n, []):
            out.extend(["", text])
        if n in anchored and n + 1 < len(lines) and lines[n + 1].strip():
            out.append("")
    text = "\n".join(out)
    if orphans:
        text = text.rstrip("\n") + "\n\n" + NOTES_HEADING + "\n\n" + "\n\n".join(orphans) + "\n"
    return text


def _without_forged(new: str, known: set[str]) -> str:
    """``new`` without the kept blocks no person wrote: only a published page's blocks
    are a maintainer's, so a block the writer made up is dropped, markers and all."""
    forged = [block for block in kept_blocks(new) if _normal(block.text) not in known]
    if not forged:
        return new
    lines = new.split("\n")
    for block in reversed(forged):
        first = block.line - 1
        del lines[first : first + block.text.count("\n") + 1]
        if 0 < first < len(lines) and not lines[first].strip() and not lines[first - 1].strip():
            del lines[first]
    return "\n".join(lines)


def heading_text(line: str) -> str | None:
    """The text of an ATX heading line (``## Errors`` -> ``Errors``), else None."""
    match = _HEADING.match(line)
    return match.group(2) if match is not None else None


def _headings(lines: list[str]) -> dict[str, int]:
    """The first line index of each heading outside code, by its normalised text."""
    found: dict[str, int] = {}
    for n, line in _outside_code(lines):
        title = heading_text(line)
        if title is not None:
            found.setdefault(_key(title), n)
    return found


def _outside_code(lines: list[str]) -> list[tuple[int, str]]:
    code = code_lines(lines)
    return [(n, line) for n, line in enumerate(lines) if n not in code]


def _key(title: str) -> str:
    return " ".join(title.split()).casefold()


def _normal(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def _marker(index: int, message: str) -> PageProblem:
    return PageProblem("marker", message, index + 1)
