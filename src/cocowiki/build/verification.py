"""Whether a page may be published as ``verified``, and if not, why.

A page is verified when, checked against the files on disk after it was written:

* every citation resolves: the file exists in the repository, the lines exist, and the
  SHA-256 of their text equals the digest recorded when the page was written;
* every Mermaid diagram parses with the real ``mermaid`` parser (``cocowiki.mermaid``,
  under node); where node or the package is missing, diagrams cannot be checked and a
  page that has any is ``unverified`` with that reason;
* every link to another page names a page of the wiki.

The checks read only section artifacts, so ``cw verify`` can reuse them on a built wiki.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path

from ..mermaid import MermaidChecker, MermaidCheckerFailed, MermaidUnavailable
from .artifacts import Citation, PageSectionArtifact
from .sources import SourceError, SourceReader, span_digest

#: Checks Mermaid sources: None for each that parses, else the parser's message.
DiagramChecker = Callable[[Sequence[str]], list[str | None]]


def citation_problem(reader: SourceReader, citation: Citation) -> str | None:
    """Why ``citation`` does not resolve to the lines it pinned, or None when it does."""
    fault = citation_fault(reader, citation)
    return None if fault is None else f"citation {citation.label}: {fault}"


def citation_fault(reader: SourceReader, citation: Citation) -> str | None:
    """What broke a citation (its file, its line range or its text), or None when nothing
    did; the reason alone, for a report that shows the citation beside it."""
    try:
        lines = reader.lines(citation.path)
    except SourceError as exc:
        return str(exc).removeprefix(f"{citation.path}: ")
    if citation.start < 1 or citation.end < citation.start or citation.end > len(lines):
        return f"the file has {len(lines)} lines"
    if span_digest(lines, citation.start, citation.end) != citation.digest:
        return "the cited lines changed"
    return None


def page_diagrams(sections: Iterable[PageSectionArtifact]) -> list[str]:
    """A page's Mermaid sources in reading order."""
    return [text for s in sorted(sections, key=lambda s: s.order) for text in s.diagrams]


def diagram_problems(texts: Sequence[str], checker: DiagramChecker) -> list[str]:
    """One message per diagram of a page that does not parse (or could not be checked)."""
    if not texts:
        return []
    try:
        results = checker(texts)
    except (MermaidUnavailable, MermaidCheckerFailed) as exc:
        return [f"diagram {n} not checked: {exc}" for n in range(1, len(texts) + 1)]
    return [
        f"diagram {n} does not parse: {' '.join(error.split())[:300]}"
        for n, error in enumerate(results, start=1)
        if error is not None
    ]


def evidence_problems(
    reader: SourceReader, sections: Iterable[PageSectionArtifact], pages: Collection[str]
) -> list[str]:
    """Citations of a page that do not resolve and links to pages that do not exist."""
    problems: list[str] = []
    seen: set[Citation] = set()
    for section in sections:
        for citation in section.citations:
            if citation not in seen:
                seen.add(citation)
                problem = citation_problem(reader, citation)
                if problem is not None:
                    problems.append(problem)
        problems.extend(
            f"link to a page that does not exist: {target}"
            for target in section.links
            if target not in pages
        )
    return problems


def verify_pages(
    repo: Path,
    pages: Mapping[str, Sequence[PageSectionArtifact]],
    checker: DiagramChecker | None = None,
) -> dict[str, list[str]]:
    """Problems per page id (empty for a verified page), all checks in one call.

    Without ``checker``, one mermaid process is started for all the pages.
    """
    reader = SourceReader(repo)
    problems = {
        page: evidence_problems(reader, sections, pages) for page, sections in pages.items()
    }
    if checker is None:
        try:
            with MermaidChecker() as owned:
                return _add_diagrams(problems, pages, owned.check)
        except (MermaidUnavailable, MermaidCheckerFailed) as exc:
            return _add_diagrams(problems, pages, unavailable(exc))
    return _add_diagrams(problems, pages, checker)


def _add_diagrams(
    problems: dict[str, list[str]],
    pages: Mapping[str, Sequence[PageSectionArtifact]],
    checker: DiagramChecker,
) -> dict[str, list[str]]:
    for page, sections in pages.items():
        problems[page] = diagram_problems(page_diagrams(sections), checker) + problems[page]
    return problems


def unavailable(error: Exception) -> DiagramChecker:
    """A checker that reports ``error`` for every diagram (mermaid cannot be run here)."""

    def fail(texts: Sequence[str]) -> list[str | None]:
        raise error

    return fail
