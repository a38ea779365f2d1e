"""Citations as a model writes them, and the same citations as the published page links
them.

A model cites the lines it describes as ``path:start-end`` (or ``path:line``) in
backticks, several at once separated by commas (`` `a.py:1-4, b.py:9` ``), or as the
label of a Markdown link (``[a.py:1-4](...)``, the form a published page has). Only
those two forms count: a citation is never guessed from plain prose. A span is a
citation when its whole text is one or more ``path:lines`` whose path has a ``/`` or a
``.``, so ``localhost:8080`` or ``Kernel::run`` in backticks is code, not a citation.

:func:`link_citations` turns each citation that resolves into a link to the source view
(as the deterministic pages link theirs) and returns the :class:`~.artifacts.Citation`
records, each with the digest of the cited lines, that ``cw verify`` and the
incremental build check; a citation that does not resolve is left as written, for
:func:`~.modelcheck.check_model_page` to report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .artifacts import Citation
from .markdown import code, link
from .mdlines import code_lines
from .sources import SourceError, SourceReader, span_digest

_CITE = r"(?P<path>[\w.+@~/-]*[./][\w.+@~/-]*):L?(?P<start>\d+)(?:-L?(?P<end>\d+))?"
_ONE = re.compile(_CITE)
#: A Markdown link or a code span, whichever starts first.
MARK = re.compile(
    r"(?P<link>\[(?P<label>`?[^\]`\n]+`?)\]\((?P<target>[^)\s]*)(?:\s+\"[^\"\n]*\")?\))"
    r"|(?P<ticks>`+)(?P<body>[^`\n]+?)(?P=ticks)"
)


@dataclass(frozen=True, slots=True)
class CitedSpan:
    """Lines ``start``..``end`` of ``path`` as the page cites them: ``written`` is the
    text as written (``a.py:7``), ``line`` the 1-based line of the page it is on."""

    path: str
    start: int
    end: int
    written: str
    line: int

    def citation(self, reader: SourceReader) -> Citation:
        """The record of this citation with the digest of the lines it names now."""
        lines = reader.lines(self.path)
        return Citation(
            path=self.path,
            start=self.start,
            end=self.end,
            digest=span_digest(lines, self.start, self.end),
        )


@dataclass(frozen=True, slots=True)
class CitationMark:
    """A code span or link of a page that holds citations: where it is in its line
    (0-based line index, character offsets) and the citations in it."""

    index: int
    start: int
    end: int
    spans: tuple[CitedSpan, ...]
    is_link: bool


@dataclass(frozen=True, slots=True)
class LinkedPage:
    """A page with its resolving citations linked, and the records of those citations
    (each once, in the order the page first cites it)."""

    markdown: str
    citations: tuple[Citation, ...]


def line_citations(line: str, index: int) -> Iterator[CitationMark]:
    """The citation marks of one line of Markdown (line ``index``, 0-based)."""
    for match in MARK.finditer(line):
        if match.group("link") is not None:
            text, is_link = match.group("label").strip("`"), True
        else:
            text, is_link = match.group("body").strip(), False
        spans = cited_spans(text, index + 1)
        if spans:
            yield CitationMark(index, match.start(), match.end(), spans, is_link)


def cited_spans(text: str, line: int) -> tuple[CitedSpan, ...]:
    """The citations ``text`` is made of, or none when it is anything else."""
    pieces = [piece for piece in re.split(r"\s*[,;]\s*|\s+", text.strip()) if piece]
    spans: list[CitedSpan] = []
    for piece in pieces:
        match = _ONE.fullmatch(piece)
        if match is None:
            return ()
        start = int(match.group("start"))
        end = int(match.group("end") or start)
        spans.append(CitedSpan(match.group("path"), start, end, piece, line))
    return tuple(spans)


def page_citations(markdown: str) -> list[CitationMark]:
    """Every citation mark of a page outside code fences, in reading order."""
    lines = markdown.split("\n")
    code_at = code_lines(lines)
    return [
        mark
        for index, line in enumerate(lines)
        if index not in code_at
        for mark in line_citations(line, index)
    ]


def citation_fault(reader: SourceReader, span: CitedSpan) -> str | None:
    """Why a citation does not resolve in the current tree, or None when it does."""
    try:
        count = reader.line_count(span.path)
    except SourceError as exc:
        return str(exc).removeprefix(f"{span.path}: ")
    if span.start < 1 or span.end < span.start:
        return f"{span.start}-{span.end} is not a line range (write start-end, from line 1)"
    if span.end > count:
        return f"the file has {count} lines"
    return None


def source_lines_link(link_to_file: Callable[[str], str]) -> Callable[[str, int, int], str]:
    """The ``link_to_source`` of :func:`link_citations` from a link to a whole file (as
    :meth:`~.facts.RepositoryFacts.link_to_source` gives): ``<file>#Lstart-Lend``."""
    return lambda path, start, end: f"{link_to_file(path)}#L{start}-L{end}"


def link_citations(
    markdown: str, reader: SourceReader, link_to_source: Callable[[str, int, int], str]
) -> LinkedPage:
    """``markdown`` with each resolving citation a link to the source view; see the
    module docstring. Citations in code fences are left alone."""
    lines = markdown.split("\n")
    cited: dict[Citation, None] = {}
    marks_by_line: dict[int, list[CitationMark]] = {}
    for mark in page_citations(markdown):
        marks_by_line.setdefault(mark.index, []).append(mark)
    for index, marks in marks_by_line.items():
        line = lines[index]
        for mark in reversed(marks):
            if mark.is_link and any(citation_fault(reader, s) is not None for s in mark.spans):
                continue  # a broken link stays as it is, to be reported
            parts: list[str] = []
            for span in mark.spans:
                if citation_fault(reader, span) is None:
                    parts.append(
                        link(span.written, link_to_source(span.path, span.start, span.end))
                    )
                else:
                    parts.append(code(span.written))
            line = line[: mark.start] + ", ".join(parts) + line[mark.end :]
        lines[index] = line
    for mark in page_citations(markdown):
        for span in mark.spans:
            if citation_fault(reader, span) is None:
                cited[span.citation(reader)] = None
    return LinkedPage("\n".join(lines), tuple(cited))
