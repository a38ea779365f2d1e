"""Mermaid blocks of the pages, parsed by the real ``mermaid`` parser under node.

A diagram whose text the build already parsed, under the same parser (the versions of
mermaid and jsdom and the checker script), has its answer in the output's cache
(:mod:`cocowiki.mermaid_cache`): the same text under the same parser parses the same
way, so it is not parsed again. Every other diagram is parsed, spread over one node
process per core (:class:`~cocowiki.mermaid.MermaidPool`): starting node and loading
mermaid costs about a second, a diagram tens of milliseconds (a class diagram the most).
Where node or mermaid is missing, each page with diagrams that have no answer fails once
as "not checked", and the report says why (and what to install) once, in
:attr:`~.failures.Tally.not_checked`: a diagram nobody parsed is not verified.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

from ..mermaid import MermaidCheckerFailed, MermaidPool, MermaidUnavailable
from ..mermaid_cache import DiagramCache
from ..pages.verification import DiagramChecker
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
    cache: DiagramCache | None = None,
) -> Tally:
    """Parse every diagram ``cache`` has no answer for, each distinct text once.

    Without ``checker`` the mermaid processes are started here; when no answer can come
    from the cache they start before ``blocks`` is called, so node loads while the
    caller is still reading the pages.
    """
    report = progress or _no_progress
    with contextlib.ExitStack() as stack:
        if checker is None:
            pool = stack.enter_context(MermaidPool())
            if cache is None or not len(cache):
                pool.start()
            checker = pool.check
        every = blocks()
        report(0, len(every))
        texts = list(dict.fromkeys(block.text for _, _, block in every))
        answers = cache.known(texts) if cache is not None else {}
        new = [text for text in texts if text not in answers]
        unchecked: dict[str, str] = {}
        unavailable: MermaidUnavailable | None = None
        try:
            answers.update(zip(new, checker(new) if new else [], strict=True))
        except MermaidUnavailable as exc:
            unavailable = exc
        except MermaidCheckerFailed as exc:
            unchecked = dict.fromkeys(new, f"not checked: {exc}")
        report(len(every), len(every))
    if unavailable is not None:
        return _unavailable(every, answers, unavailable)
    return _tally(every, [_message(block.text, answers, unchecked) for _, _, block in every])


def _unavailable(
    blocks: Sequence[PageBlock], answers: dict[str, str | None], error: MermaidUnavailable
) -> Tally:
    """The diagrams with answers (from the cache) as usual; the others, one failure per
    page, with the reason once in the tally."""
    known = [block for block in blocks if block[2].text in answers]
    tally = _tally(known, [_message(block.text, answers, {}) for _, _, block in known])
    tally.checked = len(blocks)
    tally.not_checked = str(error)
    pages: dict[tuple[str, str], list[str]] = {}
    for page, path, block in blocks:
        if block.text not in answers:
            pages.setdefault((page, path), []).append(f"{block.start}-{block.end}")
    for (page, path), lines in pages.items():
        noun = "diagram" if len(lines) == 1 else f"{len(lines)} diagrams"
        where = f"{path}:{', '.join(lines)}"
        tally.failures.append(Failure(page, "diagram", f"{noun} not checked (see above)", where))
    return tally


def _message(text: str, answers: dict[str, str | None], unchecked: dict[str, str]) -> str | None:
    if text in unchecked:
        return unchecked[text]
    error = answers[text]
    return None if error is None else f"does not parse: {error}"


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
