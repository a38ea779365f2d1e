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

import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from ..mermaid import MermaidChecker, MermaidCheckerFailed, MermaidPool, MermaidUnavailable
from ..mermaid_cache import DiagramCache
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
        return problem_messages(texts, {}, dict.fromkeys(texts, str(exc)))
    return problem_messages(texts, dict(zip(texts, results, strict=True)), {})


def problem_messages(
    texts: Sequence[str], answers: Mapping[str, str | None], unchecked: Mapping[str, str]
) -> list[str]:
    """The problems of a page's diagrams (numbered from 1 in reading order), from the
    parser's ``answers`` and the reasons some could not be checked: one problem for each
    diagram that does not parse, one for all those that could not be checked for the
    same reason."""
    problems: list[str] = []
    reasons: dict[str, list[int]] = {}
    for n, text in enumerate(texts, start=1):
        if text in unchecked:
            reasons.setdefault(unchecked[text], []).append(n)
        elif (error := answers[text]) is not None:
            problems.append(f"diagram {n} does not parse: {' '.join(error.split())[:300]}")
    for reason, numbers in reasons.items():
        problems.append(f"{_diagrams_named(numbers)} not checked: {reason}")
    return problems


def _diagrams_named(numbers: Sequence[int]) -> str:
    """``diagram 2``, ``diagrams 1 and 3``, ``diagrams 1, 2 and 3``."""
    if len(numbers) == 1:
        return f"diagram {numbers[0]}"
    return f"diagrams {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"


class PageDiagramChecks:
    """The diagrams of a build's pages, parsed in the background as each page is made.

    :meth:`submit` returns at once: a diagram the cache knows (the same text parsed by
    the same parser before) is not parsed again, the others go to the mermaid processes
    (:class:`~cocowiki.mermaid.MermaidPool`, one per core), which work while the build's
    thread goes on with the next pages. :meth:`problems` waits for every answer and
    keeps them in the cache. The problems do not depend on the order answers come in.

    ``checker`` replaces the pool (tests share one process across builds); it is called
    from one thread, one request at a time.

    :meth:`check` parses at once and waits for the answer, for the model writer, which
    must know whether a page's diagrams parse before it publishes the page; what it
    learns is not parsed again when the page is :meth:`submit`-ted.
    """

    def __init__(self, cache: DiagramCache, checker: DiagramChecker | None = None) -> None:
        self.cache = cache
        #: Diagrams sent to the parser (the others' answers came from the cache).
        self.parsed = 0
        #: Why no diagram could be parsed in this build (node or mermaid missing), once
        #: :meth:`problems` has found it; the build says it once, not once per diagram.
        self.unavailable: MermaidUnavailable | None = None
        self._checker = checker
        self._pool: MermaidPool | None = None
        self._serial: ThreadPoolExecutor | None = None
        self._pending: dict[str, tuple[Future[list[str | None]], int]] = {}
        self._pages: list[tuple[str, list[str], dict[str, str | None]]] = []
        #: Answers :meth:`check` waited for (it may be called from worker threads).
        self._checked: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def check(self, texts: Sequence[str]) -> list[str | None]:
        """The parser's answer for each of ``texts`` (None: it parses), waited for; the
        shape of a :data:`DiagramChecker`. Raises :class:`MermaidUnavailable` (or
        :class:`MermaidCheckerFailed`) when they cannot be checked."""
        known = self._known(texts)
        new = [t for t in dict.fromkeys(texts) if t not in known]
        if new:
            answers = self._parse(new).result()
            with self._lock:
                self._checked.update(zip(new, answers, strict=True))
            known.update(zip(new, answers, strict=True))
        return [known[text] for text in texts]

    def _known(self, texts: Sequence[str]) -> dict[str, str | None]:
        known = self.cache.known(texts)
        with self._lock:
            known.update((t, self._checked[t]) for t in texts if t in self._checked)
        return known

    def submit(self, page: str, texts: list[str]) -> None:
        """Start checking ``page``'s diagrams (its Mermaid sources in reading order)."""
        known = self._known(texts)
        new = [t for t in dict.fromkeys(texts) if t not in known and t not in self._pending]
        if new:
            future = self._parse(new)
            self._pending.update((text, (future, n)) for n, text in enumerate(new))
            self.parsed += len(new)
        self._pages.append((page, texts, known))

    def problems(self) -> dict[str, list[str]]:
        """Problems per page submitted, once every answer is in (kept in the cache)."""
        found: dict[str, list[str]] = {}
        for page, texts, known in self._pages:
            answers = dict(known)
            unchecked: dict[str, str] = {}
            for text in texts:
                if text in answers or text in unchecked:
                    continue
                future, position = self._pending[text]
                try:
                    answers[text] = future.result()[position]
                except MermaidUnavailable as exc:
                    self.unavailable = self.unavailable or exc
                    unchecked[text] = str(exc)
                except MermaidCheckerFailed as exc:
                    unchecked[text] = str(exc)
            self.cache.record(page, answers)
            found[page] = problem_messages(texts, answers, unchecked)
        return found

    def close(self) -> None:
        """End the mermaid processes (work not started is dropped)."""
        if self._pool is not None:
            self._pool.close()
        if self._serial is not None:
            self._serial.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> PageDiagramChecks:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _parse(self, texts: list[str]) -> Future[list[str | None]]:
        with self._lock:
            if self._checker is not None:
                if self._serial is None:
                    self._serial = ThreadPoolExecutor(1, thread_name_prefix="cw-diagrams")
                return self._serial.submit(self._checker, texts)
            if self._pool is None:
                self._pool = MermaidPool()
            pool = self._pool
        return pool.submit(texts)


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
