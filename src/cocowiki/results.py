"""What the library returns: frozen dataclasses whose fields are the ``--json`` keys of ``cw``.

``cw build --json`` prints :func:`to_json` of a :class:`BuildResult`, ``cw verify --json``
of a :class:`VerifyReport`, ``cw ask --json`` of an :class:`Answer` and ``cw explain-dirty
--json`` of a :class:`DirtyExplanation`: one serialiser for the library and the command
line, so a field and its JSON key cannot drift apart. :func:`from_json` is its inverse
(``from_json(T, to_json(x)) == x``), driven by the field annotations alone. Both live in
:mod:`tiffany.jsondata`, shared with tokimon's results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tiffany.jsondata import from_json, to_json

# --- cw build -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recomputed:
    """What a build computed again rather than took from the previous build."""

    files_parsed: int
    entry_points: bool
    pages: tuple[str, ...]
    viewer: bool


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What :func:`cocowiki.build` did (``cw build --json``).

    ``unverified_pages`` maps each page left unverified to its problems; ``model`` holds
    the model writer's run (pages asked, calls, cost, why it stopped), None without one;
    ``research`` the research scout's.
    """

    output: str
    files: int
    lines: int
    catalog_written: bool
    module_tree_written: bool
    pages: int
    pages_recomputed: int
    pages_rewritten: int
    pages_written: int
    pages_unchanged: int
    pages_removed: int
    artifacts_written: int
    artifacts_unchanged: int
    recomputed: Recomputed
    verified: int
    unverified: int
    unverified_pages: dict[str, tuple[str, ...]]
    diagrams_not_checked: str | None
    components: int
    citations: int
    diagrams: int
    manifest_written: bool
    viewer_written: bool | None
    viewer_problem: str | None
    timings: dict[str, float]
    #: Open known gaps of the completeness gate, over all pages.
    known_gaps: int
    gaps_closed: int
    #: Each page's known gaps (open and closed), by page id.
    gaps: dict[str, tuple[dict[str, Any], ...]]
    built_from: str
    model: dict[str, Any] | None = None
    #: The research scout's run (questions, reused answers, calls); None without one.
    research: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """Every page is verified."""
        return self.unverified == 0


# --- cw verify ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    """How many things one check of verify looked at, and how many failed."""

    checked: int
    failed: int


@dataclass(frozen=True, slots=True)
class Failure:
    """One thing on one page that does not hold, printed as ``page: kind: detail (where)``.

    ``kind`` is ``page``, ``citation``, ``link``, ``diagram`` or ``footprint``; ``where``
    is what was checked (``path:start-end`` or ``pages/<id>.md:line``).
    """

    page: str
    kind: str
    detail: str
    where: str | None

    def __str__(self) -> str:
        suffix = f" ({self.where})" if self.where else ""
        return f"{self.page}: {self.kind}: {self.detail}{suffix}"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What :func:`cocowiki.verify` found (``cw verify --json``): per check, what it
    looked at and what failed; ``ok`` when every check holds."""

    ok: bool
    output: str
    repo: str
    built_from: str
    pages: int
    pages_failed: tuple[str, ...]
    checks: dict[str, Check]
    failures: tuple[Failure, ...]
    diagrams_not_checked: str | None
    timings: dict[str, float]


# --- cw ask ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evidence:
    """One component that helps answer a question, cited as ``path:start-end``.

    ``stale`` means the file changed since it was indexed (``snippet`` is then empty);
    ``page`` is the wiki page documenting it, when there is one.
    """

    id: str
    kind: str
    name: str
    qualified_name: str
    signature: str
    doc: str
    path: str
    start_line: int
    end_line: int
    score: float
    reasons: tuple[str, ...]
    snippet: str
    stale: bool
    page: str | None
    citation: str


@dataclass(frozen=True, slots=True)
class PageMatch:
    """A section of a wiki page that matches the question, cited as ``pages/<id>.md:line``."""

    page: str
    heading: str
    line: int
    snippet: str
    score: float
    citation: str


@dataclass(frozen=True, slots=True)
class Answer:
    """What :func:`cocowiki.ask` found (``cw ask --json``): the evidence always, and with
    a model a short ``answer`` that says only what the evidence shows."""

    question: str
    evidence: tuple[Evidence, ...]
    pages: tuple[PageMatch, ...]
    answer: str | None
    model: str | None
    dropped_sentences: tuple[str, ...]
    timings: dict[str, float]


# --- cw explain-dirty -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DirtyReason:
    """One changed input of a page: the chain from the changed files to the page."""

    input: str
    node: str
    files: tuple[str, ...]
    chain: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DirtyExplanation:
    """Why a page would be built again (``cw explain-dirty --json``).

    ``status`` is ``clean``, ``dirty``, or ``depends`` (only on the summaries of sub-pages
    that will be rebuilt).
    """

    page: str
    status: str
    changed_files: tuple[str, ...]
    reasons: tuple[DirtyReason, ...]


__all__ = [
    "Answer",
    "BuildResult",
    "Check",
    "DirtyExplanation",
    "DirtyReason",
    "Evidence",
    "Failure",
    "PageMatch",
    "Recomputed",
    "VerifyReport",
    "from_json",
    "to_json",
]
