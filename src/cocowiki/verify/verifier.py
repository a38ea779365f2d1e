"""``verify_wiki``: re-check a built wiki against the repository as it is now.

It reads the wiki (:mod:`.wiki`) and never writes into it. Diagrams are checked in a
worker thread (answers the build kept for the same text and parser are reused, the rest
go to node, one process per core), while this thread checks citations, links and
footprints (and indexes the tree if a footprint needs the index). The report is the same
whatever the order the checks finish in: failures are sorted by page, then by check.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from ..console import ProgressCallback
from ..index import IndexConfig, IndexResult
from ..mermaid_cache import DiagramCache
from ..pages.sources import SourceReader
from ..pages.verification import DiagramChecker
from ..paths import output_dir
from .citations import CitationCheck
from .diagrams import PageBlock, check_diagrams
from .failures import KINDS, Failure, Kind, Tally
from .links import LinkCheck, LinkResolver
from .pagescan import PageScan, scan_page
from .replay import Replayer, count_footprints
from .treeindex import current_index
from .wiki import BuiltWiki, WikiPage, load_wiki


@dataclass(slots=True)
class VerifyReport:
    """What ``cw verify`` found: per check, what it looked at and what failed."""

    output: Path
    repo: Path
    pages: int
    checks: dict[Kind, Tally]
    built_from: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def failures(self) -> list[Failure]:
        order = {kind: n for n, kind in enumerate(KINDS)}
        found = [f for tally in self.checks.values() for f in tally.failures]
        return sorted(found, key=lambda f: (f.page, order[f.kind], f.where or "", f.detail))

    @property
    def ok(self) -> bool:
        return not any(tally.failures for tally in self.checks.values())

    @property
    def diagrams_not_checked(self) -> str | None:
        """Why no diagram could be parsed (node or mermaid missing), else None."""
        diagrams = self.checks.get("diagram")
        return None if diagrams is None else diagrams.not_checked

    @property
    def failed_pages(self) -> list[str]:
        return sorted({failure.page for failure in self.failures})

    def summary(self) -> dict[str, Any]:
        """The ``--json`` output of ``cw verify``."""
        return {
            "ok": self.ok,
            "output": str(self.output),
            "repo": str(self.repo),
            "built_from": self.built_from,
            "pages": self.pages,
            "pages_failed": self.failed_pages,
            "checks": {
                kind: {"checked": tally.checked, "failed": len(tally.failures)}
                for kind, tally in self.checks.items()
            },
            "failures": [failure.as_json() for failure in self.failures],
            "diagrams_not_checked": self.diagrams_not_checked,
            "timings": {stage: round(s, 4) for stage, s in sorted(self.timings.items())},
        }


def verify_wiki(
    repo: Path,
    output: Path | None = None,
    *,
    index_config: IndexConfig | None = None,
    progress: ProgressCallback | None = None,
    diagram_checker: DiagramChecker | None = None,
    diagram_cache: bool = True,
) -> VerifyReport:
    """Check the wiki in ``output`` (default ``<repo>/.cocowiki``) against ``repo`` now.

    With ``diagram_cache`` (the default) a diagram the build parsed, with the same text
    and the same parser, takes its answer from the wiki's cache; without it every
    diagram is parsed again.

    Raises :class:`~.wiki.VerifyError` when there is no wiki to check or ``repo`` is not
    a directory; every other problem is a failure in the report.
    """
    started = time.perf_counter()
    report = progress or _no_progress
    wiki = load_wiki(repo, output_dir(repo, output))
    timings = {"load": time.perf_counter() - started}
    blocks: Future[list[PageBlock]] = Future()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cw-verify-mermaid") as pool:
        diagrams = pool.submit(
            _timed,
            timings,
            "diagrams",
            check_diagrams,
            blocks.result,
            diagram_checker,
            lambda done, total: report("diagrams", done, total),
            DiagramCache.load(wiki.output) if diagram_cache else None,
        )
        try:
            scans = _scan_pages(wiki, report)
            blocks.set_result(
                [(p.id, p.path, b) for p in wiki.pages for b in scans.get(p.id, _NONE).diagrams]
            )
        except BaseException as exc:
            blocks.set_exception(exc)
            raise
        timings["scan"] = time.perf_counter() - started - timings["load"]
        checks = _check_pages(wiki, scans, index_config, report, timings)
        checks["diagram"] = diagrams.result()
    timings["total"] = time.perf_counter() - started
    return VerifyReport(
        output=wiki.output,
        repo=wiki.repo,
        pages=len(wiki.pages),
        checks={kind: checks[kind] for kind in KINDS},
        built_from=wiki.built_from,
        timings=timings,
    )


def _scan_pages(wiki: BuiltWiki, report: ProgressCallback) -> dict[str, PageScan]:
    scans: dict[str, PageScan] = {}
    for done, page in enumerate(wiki.pages, start=1):
        if page.markdown is not None:
            scans[page.id] = scan_page(page.markdown)
        report("read", done, len(wiki.pages))
    return scans


_NONE = PageScan((), (), frozenset())
P = ParamSpec("P")
T = TypeVar("T")


def _check_pages(
    wiki: BuiltWiki,
    scans: dict[str, PageScan],
    config: IndexConfig | None,
    report: ProgressCallback,
    timings: dict[str, float],
) -> dict[Kind, Tally]:
    """Every check but the diagrams', page by page."""
    reader = SourceReader(wiki.repo)
    checks: dict[Kind, Tally] = {kind: Tally() for kind in KINDS if kind != "diagram"}
    mark = time.perf_counter()
    resolver = LinkResolver(wiki)
    citations = CitationCheck(resolver, reader)
    links = LinkCheck(wiki, scans, resolver)
    for done, page in enumerate(wiki.pages, start=1):
        checks["page"].add(page_problems(page))
        checks["citation"].add(citations.run(page, scans.get(page.id)))
        checks["link"].add(links.run(page))
        report("evidence", done, len(wiki.pages))
    timings["citations_links"] = time.perf_counter() - mark

    mark = time.perf_counter()

    def index() -> IndexResult:
        return _timed(timings, "index", current_index, wiki.repo, wiki.output, config, report)

    total = sum(count_footprints(page.research) for page in wiki.pages)
    replayer = Replayer(wiki.repo, index, reader, lambda done: report("footprints", done, total))
    for page in wiki.pages:
        checks["footprint"].add(replayer.check(page.id, page.research))
    timings["footprints"] = time.perf_counter() - mark
    return checks


def page_problems(page: WikiPage) -> Tally:
    """The page file and its artifacts load (else nothing else of the page can be trusted)."""
    return Tally(1, [Failure(page.id, "page", problem) for problem in page.problems])


def _timed(
    timings: dict[str, float], name: str, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """``work(*args, **kwargs)``, its seconds kept as ``timings[name]``."""
    mark = time.perf_counter()
    try:
        return work(*args, **kwargs)
    finally:
        timings[name] = time.perf_counter() - mark


def _no_progress(phase: str, done: int, total: int) -> None:
    return None
