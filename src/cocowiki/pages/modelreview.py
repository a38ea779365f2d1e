"""``Reviewer``: what a model's answer goes through before it may become a page.

For each answer (:class:`~.modelwriter.ModelWriter` calls the reviewer once per round):

1. the known Mermaid 11 traps are fixed in every ``mermaid`` fence
   (:func:`~.mermaid_repair.repair_mermaid`; a kept block is a person's text and is
   never touched);
2. the sections a maintainer kept in the published page (``<!-- cw:keep -->``) are
   carried into the new version (:func:`~.keep.carry_kept`);
3. the page is checked (:func:`~.modelcheck.check_model_page`): citations resolve and
   name what their sentence names, every diagram parses with the real mermaid, links
   name pages of the wiki, kept-block markers pair up. The page's ``Summary`` (which
   goes to the parent page) need not cite.

What is left is the page's problems, and the message that asks the model to correct
them (:func:`~.modelcheck.problems_for_model`). A diagram that could not be checked
(node or mermaid missing) is a problem of the page, but not the model's: it is not sent
back, and a page whose only problems are of that kind is not asked again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..mermaid import MermaidCheckerFailed, MermaidUnavailable
from .keep import carry_kept, kept_blocks
from .mdlines import fences
from .mermaid_repair import repair_mermaid
from .modelcheck import PageProblem, check_model_page, problems_for_model
from .sources import SourceReader
from .store import page_path
from .verification import DiagramChecker

#: Sections of a model page whose prose need not cite: what it hands to its parent.
UNCITED_HEADINGS = ("Summary",)


@dataclass(frozen=True, slots=True)
class PageReview:
    """A model answer after review: the Markdown to publish (repaired where safe, with
    the kept sections), the problems left (as the manifest lists them), what to tell the
    model about them, and whether asking the model again can help."""

    markdown: str
    problems: list[str] = field(default_factory=list)
    feedback: str = ""
    retry: bool = False


@dataclass(slots=True)
class Reviewer:
    """Reviews the answers of one build's model pages (see the module docstring).

    ``pages`` are the ids a page may link to; the writer adds the sub-pages it makes.
    ``output`` is where the published pages are, whose kept sections are carried.
    """

    reader: SourceReader
    pages: set[str]
    diagram_checker: DiagramChecker
    output: Path

    def __call__(
        self, module_id: str, answer: str, pages: Collection[str] | None = None
    ) -> PageReview:
        """The review of ``answer``, the page ``module_id``; ``pages``: the ids it may
        link to (default :attr:`pages`; pass a copy when calling from another thread)."""
        markdown = carry_kept(self.published(module_id), repair_diagrams(answer))
        return self.check(markdown, self.pages if pages is None else pages)

    def check(self, markdown: str, pages: Collection[str]) -> PageReview:
        """The review of a page as it is (no repair, no carrying)."""
        unavailable: list[Exception] = []

        def diagrams(texts: Sequence[str]) -> list[str | None]:
            try:
                return self.diagram_checker(texts)
            except (MermaidUnavailable, MermaidCheckerFailed) as exc:
                unavailable.append(exc)
                raise

        problems = check_model_page(
            markdown,
            reader=self.reader,
            page_ids=pages,
            diagram_checker=diagrams,
            uncited_headings=UNCITED_HEADINGS,
        )
        fixable = [p for p in problems if not (unavailable and _unchecked(p))]
        return PageReview(
            markdown,
            [problem_text(p) for p in problems],
            problems_for_model(fixable) if fixable else "",
            retry=bool(fixable),
        )

    def published(self, module_id: str) -> str:
        """The page as the last build published it (a maintainer may have edited it)."""
        try:
            return (self.output / page_path(module_id)).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return ""

    def kept_changed(self, module_id: str, markdown: str) -> bool:
        """Whether the published page's kept sections differ from those of
        ``markdown`` (a maintainer added, edited or removed one since)."""
        published = self.published(module_id)
        if "cw:" not in published and "cw:" not in markdown:
            return False
        return _kept(published) != _kept(markdown)


def repair_diagrams(markdown: str) -> str:
    """``markdown`` with :func:`~.mermaid_repair.repair_mermaid` applied to each closed
    ``mermaid`` fence outside kept sections."""
    lines = markdown.split("\n")
    kept = {
        block.line - 1 + n
        for block in kept_blocks(markdown)
        for n in range(block.text.count("\n") + 1)
    }
    for fence in reversed(fences(lines)):
        if fence.language != "mermaid" or not fence.closed or fence.start in kept:
            continue
        body = "\n".join(lines[fence.start + 1 : fence.end])
        repaired = repair_mermaid(body)
        if repaired != body:
            lines[fence.start + 1 : fence.end] = repaired.split("\n")
    return "\n".join(lines)


def problem_text(problem: PageProblem) -> str:
    """A problem as the manifest and the viewer show it."""
    where = f" (line {problem.line})" if problem.line is not None else ""
    return f"{problem.kind}{where}: {problem.message}"


def _unchecked(problem: PageProblem) -> bool:
    return problem.kind == "diagram" and "could not be checked" in problem.message


def _kept(markdown: str) -> Collection[str]:
    return [block.text for block in kept_blocks(markdown)]
