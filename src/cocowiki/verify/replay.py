"""Research footprints run again on today's tree, and compared with what was recorded.

A research answer holds only while the lookups behind it give what they gave: each
footprint (Read, Glob, Grep, SymbolLookup, GraphLookup) is re-executed with
:meth:`~cocowiki.pages.footprints.Explorer.rerun` and its fingerprint compared. The same
query asked by several questions or pages runs once. Symbol and graph lookups need the
index of the current tree, which costs an indexing pass, so it is made only when some
footprint asks for it (``index`` is called at most once).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ..index import IndexResult
from ..pages.artifacts import ResearchQuestionArtifact
from ..pages.footprints import (
    Explorer,
    Footprint,
    GlobFootprint,
    GraphLookupFootprint,
    GrepFootprint,
    ReadFootprint,
    SymbolLookupFootprint,
)
from ..pages.markdown import count
from ..pages.sources import SourceReader
from .failures import Failure, Tally

#: Fingerprints a read gives when its lines are gone (see ``Explorer.read``).
_UNREADABLE = ("unreadable: ", "out of range: ")


class Replayer:
    """Re-runs footprints on one repository; each distinct query once."""

    def __init__(
        self,
        repo: Path,
        index: Callable[[], IndexResult],
        reader: SourceReader | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.repo = repo
        self._index = index
        self._reader = reader or SourceReader(repo)
        self._progress = progress
        self.checked = 0
        self._explorer: Explorer | None = None
        self._index_free: Explorer | None = None
        self._now: dict[str, Footprint] = {}

    def rerun(self, footprint: Footprint) -> Footprint:
        """The footprint ``footprint``'s query leaves today."""
        key = json.dumps(footprint.model_dump(exclude={"fingerprint", "matches"}), sort_keys=True)
        now = self._now.get(key)
        if now is None:
            now = self._now[key] = self._explorer_for(footprint).rerun(footprint)
        return now

    def _explorer_for(self, footprint: Footprint) -> Explorer:
        if needs_index(footprint):
            if self._explorer is None:
                self._explorer = Explorer(self.repo, self._index(), self._reader)
            return self._explorer
        if self._index_free is None:  # reads, globs and greps look at files only
            self._index_free = Explorer(self.repo, IndexResult(repo=str(self.repo)), self._reader)
        return self._index_free

    def check(self, page: str, questions: Iterable[ResearchQuestionArtifact]) -> Tally:
        """Every footprint of ``questions`` (research of ``page``) against the tree now."""
        tally = Tally()
        for question in questions:
            for footprint in question.footprints:
                tally.checked += 1
                now = self.rerun(footprint)
                if now.fingerprint != footprint.fingerprint:
                    detail = f"question {question.id!r}: {changed(footprint, now)}"
                    tally.failures.append(Failure(page, "footprint", detail, where(footprint)))
                self.checked += 1
                if self._progress is not None:
                    self._progress(self.checked)
        return tally


def needs_index(footprint: Footprint) -> bool:
    return isinstance(footprint, SymbolLookupFootprint | GraphLookupFootprint)


def count_footprints(questions: Sequence[ResearchQuestionArtifact]) -> int:
    return sum(len(question.footprints) for question in questions)


def describe(footprint: Footprint) -> str:
    """The query of a footprint, as a person would say it (patterns quoted as written)."""
    if isinstance(footprint, ReadFootprint):
        return "read"
    if isinstance(footprint, GlobFootprint):
        return f"glob '{footprint.pattern}'"
    if isinstance(footprint, GrepFootprint):
        return f"grep '{footprint.regex}' in '{footprint.paths}'"
    if isinstance(footprint, SymbolLookupFootprint):
        return f"symbol lookup '{footprint.name}'"
    kind = "" if footprint.kind == "any" else f" {footprint.kind}"
    return f"graph lookup of{kind} references {footprint.direction} '{footprint.node}'"


def changed(recorded: Footprint, now: Footprint) -> str:
    """What differs between a recorded footprint and today's run of its query."""
    if now.fingerprint.startswith(_UNREADABLE):
        return f"{describe(recorded)}: {now.fingerprint}"
    if isinstance(recorded, ReadFootprint):
        return "read: the lines read changed"
    then = count(recorded.matches, "match", "matches")
    if now.matches != recorded.matches:
        return f"{describe(recorded)}: {then} then, {now.matches} now"
    return f"{describe(recorded)}: {then} then and now, but not the same"


def where(footprint: Footprint) -> str | None:
    """The file (and lines) a footprint looked at, when it looked at one place."""
    if isinstance(footprint, ReadFootprint):
        return f"{footprint.path}:{footprint.start}-{footprint.end}"
    if isinstance(footprint, GrepFootprint):
        return footprint.paths
    return None
