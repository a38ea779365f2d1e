"""What ``cw verify`` reads out of a page's Markdown: links, Mermaid blocks and headings.

The page on disk is what a reader sees, so it is the page, not the build's record of it,
whose links and diagrams are checked: a hand edit or a broken write shows up here. The
Markdown is read by a CommonMark parser (markdown-it.rs through ``markdown-it-pyrs``, ten
times faster than markdown-it-py on the pages of a large wiki, and reading them the same
way), so a link inside a code span, or a fence that is not ``mermaid``, is not taken for
one.

Heading anchors follow GitHub's rule (lower case, punctuation dropped, spaces to hyphens,
``-1``, ``-2``, ... for repeats), the anchors a ``page.md#section`` link means wherever
the Markdown is read.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from markdown_it_pyrs import MarkdownIt, Node

_MD = MarkdownIt("commonmark").enable_many(["table", "strikethrough"])
_NOT_SLUG = re.compile(r"[^\w\- ]")


@dataclass(frozen=True, slots=True)
class Link:
    """A link's target as written, and the page line it is on (1-based)."""

    href: str
    line: int


@dataclass(frozen=True, slots=True)
class Block:
    """A ``mermaid`` fence: its source and the page lines of the fence (1-based)."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class PageScan:
    links: tuple[Link, ...]
    diagrams: tuple[Block, ...]
    anchors: frozenset[str]


def scan_page(markdown: str) -> PageScan:
    """The links, Mermaid blocks and heading anchors of one page, in reading order."""
    line_of = _LineIndex(markdown)
    links: list[Link] = []
    diagrams: list[Block] = []
    headings: list[str] = []
    for node in _MD.tree(markdown).walk():
        if node.name == "link":
            links.append(Link(str(node.meta.get("url", "")), line_of(node.srcmap)))
        elif node.name == "fence" and str(node.meta.get("info", "")).strip().lower() == "mermaid":
            start, end = node.srcmap or (0, 0)
            text = str(node.meta.get("content", ""))
            diagrams.append(Block(text, line_of((start, end)), line_of((max(start, end - 1), end))))
        elif node.name == "heading":
            headings.append(_plain(node))
    return PageScan(tuple(links), tuple(diagrams), frozenset(anchors(headings)))


def anchors(headings: list[str]) -> list[str]:
    """The GitHub anchor of each heading, repeats numbered as GitHub numbers them."""
    seen: dict[str, int] = {}
    result: list[str] = []
    for heading in headings:
        base = slug(heading)
        repeat = seen.get(base, 0)
        seen[base] = repeat + 1
        result.append(base if repeat == 0 else f"{base}-{repeat}")
    return result


def slug(heading: str) -> str:
    """``## How it fits`` -> ``how-it-fits``."""
    return _NOT_SLUG.sub("", heading.strip().lower()).replace(" ", "-")


def _plain(heading: Node) -> str:
    """A heading's text as shown (emphasis and escapes gone, code spans kept as text)."""
    return "".join(
        str(node.meta.get("content", "")) for node in heading.walk() if node.name == "text"
    )


class _LineIndex:
    """1-based line numbers of byte offsets into a page (the parser counts in bytes)."""

    def __init__(self, markdown: str) -> None:
        data = markdown.encode("utf-8")
        self._breaks = [match.start() for match in re.finditer(b"\n", data)]

    def __call__(self, span: tuple[int, int] | None) -> int:
        return bisect_right(self._breaks, span[0] - 1) + 1 if span else 0
