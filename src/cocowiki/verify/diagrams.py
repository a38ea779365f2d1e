"""Mermaid blocks of the pages, parsed by the real ``mermaid`` parser under node.

All the wiki's diagrams go to one node process (:class:`~cocowiki.mermaid.MermaidChecker`)
in one batch: starting node and loading mermaid costs about a second, a diagram tens of
milliseconds (a class diagram the most), so this check is most of ``cw verify``'s time.
Where node or mermaid is missing, each diagram fails as "not checked", with the reason
and what to install: a diagram nobody parsed is not verified.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..build.verification import DiagramChecker
from ..mermaid import MermaidChecker, MermaidCheckerFailed, MermaidUnavailable
from .failures import Failure, Tally
from .pagescan import Block

#: Characters of a parser message kept in a report.
MAX_MESSAGE = 300

#: A diagram to check: the page id, the page's path in the wiki, the block.
PageBlock = tuple[str, str, Block]


def check_diagrams(
    blocks: Callable[[], Sequence[PageBlock]],
    checker: DiagramChecker | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Tally:
    """Parse every diagram, all in one call of the parser.

    Without ``checker`` a :class:`~cocowiki.mermaid.MermaidChecker` is started here, and
    ``blocks`` is called once it is up, so node starts while the caller is still reading
    the pages.
    """
    report = progress or _no_progress
    try:
        if checker is not None:
            return _parse_all(blocks(), checker, report)
        with MermaidChecker() as owned:
            return _parse_all(blocks(), owned.check, report)
    except (MermaidUnavailable, MermaidCheckerFailed) as exc:
        every = blocks()
        return _tally(every, [f"not checked: {exc}"] * len(every))


def _parse_all(
    blocks: Sequence[PageBlock], checker: DiagramChecker, report: Callable[[int, int], None]
) -> Tally:
    report(0, len(blocks))
    texts = list(dict.fromkeys(block.text for _, _, block in blocks))  # each source once
    parsed = dict(zip(texts, checker(texts) if texts else [], strict=True))
    report(len(blocks), len(blocks))
    errors = [parsed[block.text] for _, _, block in blocks]
    return _tally(blocks, [None if e is None else f"does not parse: {e}" for e in errors])


def _tally(blocks: Sequence[PageBlock], results: Sequence[str | None]) -> Tally:
    tally = Tally(len(blocks))
    for (page, path, block), message in zip(blocks, results, strict=True):
        if message is not None:
            detail = " ".join(message.split())[:MAX_MESSAGE]
            where = f"{path}:{block.start}-{block.end}"
            tally.failures.append(Failure(page, "diagram", detail, where))
    return tally


def _no_progress(done: int, total: int) -> None:
    return None
