"""Footprints: the record of each lookup research made, re-executable by ``cw verify``.

A research answer is only as good as the lookups behind it, so every lookup is recorded
with its query and a *fingerprint*, the SHA-256 of its result in a canonical form. Running
the same query again on the same tree gives the same fingerprint; a different one means
the evidence moved. The five tools:

* ``read``: lines ``start``..``end`` of a file; fingerprint = digest of their text (the
  same digest a citation of those lines carries);
* ``glob``: a repository-relative pattern (``pathlib`` syntax, regular files only, no
  symlinks); fingerprint of the sorted matching paths;
* ``grep``: a Python regular expression searched line by line in the files a glob
  matches (``\\A`` and ``\\Z`` are not supported: a file is first searched whole, with
  ``re.MULTILINE``); fingerprint of the ``(path, line, text)`` matches;
* ``symbol_lookup``: components of the index with this simple name; fingerprint of their
  ids and spans;
* ``graph_lookup``: references of the index around a node (a component id or a file
  path), ``in`` or ``out``, of one kind or ``any``; fingerprint of the edges (kind,
  source component, target, count).

:class:`Explorer` runs the queries (build uses the results, the footprints come with
them); :func:`execute` re-runs a recorded footprint and returns its fingerprint now.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..index.model import Component, IndexResult, Reference
from .rows import CatalogRows
from .sources import SourceError, SourceReader, safe_relative, sha256_text, span_digest

#: Files larger than this are not searched by ``grep`` (the index caps files the same way).
GREP_MAX_BYTES = 1024 * 1024

Direction = Literal["in", "out"]
EXTERNAL_PREFIX = "external:"


class _Footprint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    fingerprint: str
    matches: int = 0


class ReadFootprint(_Footprint):
    tool: Literal["read"] = "read"
    path: str
    start: int
    end: int


class GlobFootprint(_Footprint):
    tool: Literal["glob"] = "glob"
    pattern: str


class GrepFootprint(_Footprint):
    tool: Literal["grep"] = "grep"
    regex: str
    paths: str


class SymbolLookupFootprint(_Footprint):
    tool: Literal["symbol_lookup"] = "symbol_lookup"
    name: str


class GraphLookupFootprint(_Footprint):
    tool: Literal["graph_lookup"] = "graph_lookup"
    node: str
    direction: Direction
    kind: str


Footprint = Annotated[
    ReadFootprint | GlobFootprint | GrepFootprint | SymbolLookupFootprint | GraphLookupFootprint,
    Field(discriminator="tool"),
]


@dataclass(frozen=True, slots=True)
class GrepMatch:
    path: str
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Edge:
    """References of one kind from ``source`` (a component) to ``target``, summed.

    ``target`` is a component id, else a file path, else ``external:<name>``; ``path`` and
    ``line`` are the first site; ``confidence`` the first reference's resolution confidence.
    """

    kind: str
    source: str
    target: str
    count: int
    path: str
    line: int
    confidence: float


def fingerprint_of(rows: object) -> str:
    """SHA-256 of the canonical JSON of a query result."""
    return sha256_text(json.dumps(rows, sort_keys=True, separators=(",", ":")))


_WILDCARD = re.compile(r"[*?[]")


@functools.lru_cache(maxsize=256)
def _name_pattern(pattern: str) -> Callable[[str], re.Match[str] | None]:
    return re.compile(fnmatch.translate(pattern)).fullmatch


def _one_directory(repo: Path, pattern: str) -> list[str] | None:
    """The regular files (not symlinks) one directory listing gives for a pattern whose
    only wildcards are in its last part (``pkg/*``, ``docs/[Rr]EADME*``), as
    :meth:`pathlib.Path.glob` finds them (the same matching: ``fnmatch``, case-sensitive,
    hidden names included), from the entries' types instead of two ``stat`` calls per
    entry: research globs a directory per page, and the build checks each again.
    None for any other pattern (then :meth:`~pathlib.Path.glob` itself)."""
    *folders, last = pattern.split("/")
    if (
        last == "**"
        or "**" in last
        or not _WILDCARD.search(last)
        or any(not part or part == "." or _WILDCARD.search(part) for part in folders)
    ):
        return None
    directory = repo.joinpath(*folders)
    if not directory.is_dir():
        return []
    matches = _name_pattern(last)
    prefix = "".join(folder + "/" for folder in folders)
    found: list[str] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if matches(entry.name) and not entry.is_symlink() and entry.is_file():
                    found.append(prefix + entry.name)
    except PermissionError:
        return []
    return sorted(found)


class Explorer:
    """The lookups research may make over one repository and its index."""

    def __init__(
        self,
        repo: Path,
        index: IndexResult,
        reader: SourceReader | None = None,
        rows: CatalogRows | None = None,
    ) -> None:
        self.repo = repo.resolve()
        self.index = index
        self.reader = reader or SourceReader(repo)
        #: The catalog of an index not loaded: lookups are then indexed queries of it, one
        #: name or node at a time, instead of maps of every row.
        self.rows = rows
        self._by_name: dict[str, list[Component]] | None = None
        self._edges: dict[tuple[str, str], list[Reference]] | None = None
        self._edges_read: dict[tuple[str, str], list[Reference]] = {}
        self._files = {source.path for source in index.files}

    # read ---------------------------------------------------------------------------------

    def read(self, path: str, start: int, end: int) -> tuple[list[str], ReadFootprint]:
        """Lines ``start``..``end`` of ``path`` (empty if unreadable or out of range)."""
        lines = self._span(path, start, end)
        text = [] if lines is None else lines
        return text, ReadFootprint(
            path=path,
            start=start,
            end=end,
            matches=len(text),
            fingerprint=self._read_print(path, start, end),
        )

    def _span(self, path: str, start: int, end: int) -> list[str] | None:
        try:
            lines = self.reader.lines(path)
        except SourceError:
            return None
        if start < 1 or end < start or end > len(lines):
            return None
        return lines[start - 1 : end]

    def _read_print(self, path: str, start: int, end: int) -> str:
        try:
            lines = self.reader.lines(path)
        except SourceError as exc:
            return f"unreadable: {exc}"
        if start < 1 or end < start or end > len(lines):
            return f"out of range: {path} has {len(lines)} lines"
        return span_digest(lines, start, end)

    # glob ---------------------------------------------------------------------------------

    def glob(self, pattern: str) -> tuple[list[str], GlobFootprint]:
        matches = self._glob(pattern)
        return matches, GlobFootprint(
            pattern=pattern, matches=len(matches), fingerprint=fingerprint_of(matches)
        )

    def _glob(self, pattern: str) -> list[str]:
        if not safe_relative(pattern):
            return []
        listed = _one_directory(self.repo, pattern)
        if listed is not None:
            return listed
        found: list[str] = []
        for candidate in self.repo.glob(pattern):
            if candidate.is_symlink() or not candidate.is_file():
                continue
            found.append(candidate.relative_to(self.repo).as_posix())
        return sorted(found)

    # grep ---------------------------------------------------------------------------------

    def grep(self, regex: str, paths: str) -> tuple[list[GrepMatch], GrepFootprint]:
        matches = self._grep(regex, paths)
        rows = [[match.path, match.line, match.text] for match in matches]
        return matches, GrepFootprint(
            regex=regex, paths=paths, matches=len(matches), fingerprint=fingerprint_of(rows)
        )

    def _grep(self, regex: str, paths: str) -> list[GrepMatch]:
        try:
            compiled = re.compile(regex)
        except re.error:
            return []
        matches: list[GrepMatch] = []
        for path in self._glob(paths):
            if (self.repo / path).stat().st_size <= GREP_MAX_BYTES:
                matches.extend(self.grep_file(compiled, path))
        return matches

    def grep_file(self, compiled: re.Pattern[str], path: str) -> list[GrepMatch]:
        """Lines of one file ``compiled`` matches (a file with no match anywhere, as one
        ``MULTILINE`` text, is passed over without a look at each line)."""
        try:
            lines = self.reader.lines(path)
        except SourceError:
            return []
        if not re.compile(compiled.pattern, compiled.flags | re.MULTILINE).search("\n".join(lines)):
            return []
        return [
            GrepMatch(path, number, text)
            for number, text in enumerate(lines, start=1)
            if compiled.search(text)
        ]

    # symbol lookup ------------------------------------------------------------------------

    def symbol_lookup(self, name: str) -> tuple[list[Component], SymbolLookupFootprint]:
        found = sorted(self._named(name), key=lambda c: c.id)
        rows = [[c.id, c.start_line, c.end_line] for c in found]
        return found, SymbolLookupFootprint(
            name=name, matches=len(found), fingerprint=fingerprint_of(rows)
        )

    def _named(self, name: str) -> list[Component]:
        if self.rows is not None:
            return self.rows.components("name", name)
        if self._by_name is None:
            by_name: dict[str, list[Component]] = defaultdict(list)
            for component in self.index.components:
                by_name[component.name].append(component)
            self._by_name = dict(by_name)
        return self._by_name.get(name, [])

    # graph lookup -------------------------------------------------------------------------

    def graph_lookup(
        self, node: str, direction: Direction, kind: str = "any"
    ) -> tuple[list[Edge], GraphLookupFootprint]:
        edges = self._edges_at(node, direction, kind)
        rows = [[e.kind, e.source, e.target, e.count] for e in edges]
        return edges, GraphLookupFootprint(
            node=node,
            direction=direction,
            kind=kind,
            matches=len(edges),
            fingerprint=fingerprint_of(rows),
        )

    def _edges_at(self, node: str, direction: Direction, kind: str) -> list[Edge]:
        totals: dict[tuple[str, str, str], Edge] = {}
        for ref in self._edges_of(direction, node):
            if kind != "any" and ref.kind != kind:
                continue
            key = (str(ref.kind), ref.source_id, target_of(ref))
            known = totals.get(key)
            if known is None:
                totals[key] = Edge(*key, ref.count, ref.path, ref.line, ref.confidence)
            else:
                totals[key] = replace(known, count=known.count + ref.count)
        return [totals[key] for key in sorted(totals)]

    def _edges_of(self, direction: Direction, node: str) -> list[Reference]:
        """The references from (``out``) or into (``in``) a node, in the index's order:
        of an index not loaded, read from the catalog a node at a time, with the rule of
        :meth:`_edge_map` as SQL (a page looks up a few nodes of a large index)."""
        if self.rows is None:
            return self._edge_map().get((direction, node), [])
        known = self._edges_read.get((direction, node))
        if known is None:
            conditions = _EDGES_OUT if direction == "out" else _EDGES_IN
            known = self._edges_read[direction, node] = self.rows.references(
                *conditions, value=node
            )
        return known

    def _edge_map(self) -> dict[tuple[str, str], list[Reference]]:
        """References keyed by (``out``, source component or file) and (``in``, target)."""
        if self._edges is None:
            edges: dict[tuple[str, str], list[Reference]] = defaultdict(list)
            for ref in self.index.references:
                edges[("out", ref.source_id)].append(ref)
                if ref.source_id != ref.path:
                    edges[("out", ref.path)].append(ref)
                if ref.target_id is not None:
                    edges[("in", ref.target_id)].append(ref)
                if ref.target_path is not None and ref.target_path != ref.target_id:
                    edges[("in", ref.target_path)].append(ref)
            self._edges = dict(edges)
        return self._edges

    # replay -------------------------------------------------------------------------------

    def execute(self, footprint: Footprint) -> str:
        """Run a recorded footprint's query again; its fingerprint now."""
        return self.rerun(footprint).fingerprint

    def rerun(self, footprint: Footprint) -> Footprint:
        """Run a recorded footprint's query again; the footprint it leaves now (same
        query, the fingerprint and match count of today's result)."""
        if isinstance(footprint, ReadFootprint):
            return self.read(footprint.path, footprint.start, footprint.end)[1]
        if isinstance(footprint, GlobFootprint):
            return self.glob(footprint.pattern)[1]
        if isinstance(footprint, GrepFootprint):
            return self.grep(footprint.regex, footprint.paths)[1]
        if isinstance(footprint, SymbolLookupFootprint):
            return self.symbol_lookup(footprint.name)[1]
        return self.graph_lookup(footprint.node, footprint.direction, footprint.kind)[1]


#: :meth:`Explorer._edge_map`'s keys as conditions on ``refs`` (each one served by an index).
_EDGES_OUT = ("source_id = ?", "path = ? AND source_id != path")
_EDGES_IN = ("target_id = ?", "target_path = ? AND target_id IS NOT target_path")


def target_of(ref: Reference) -> str:
    return ref.target_id or ref.target_path or f"{EXTERNAL_PREFIX}{ref.target_name}"


_explorers: dict[tuple[Path, int], Explorer] = {}


def execute(footprint: Footprint, repo: Path, index: IndexResult) -> str:
    """The fingerprint ``footprint``'s query gives now, on ``repo`` and ``index``.

    Equal to ``footprint.fingerprint`` when the evidence is unchanged. The lookup tables
    of the last (repo, index) pair are kept, so checking many footprints costs one build.
    """
    key = (repo.resolve(), id(index))
    explorer = _explorers.get(key)
    if explorer is None or explorer.index is not index:
        _explorers.clear()
        explorer = _explorers[key] = Explorer(repo, index)
    return explorer.execute(footprint)


def stale_footprints(
    footprints: Sequence[Footprint], repo: Path, index: IndexResult
) -> list[Footprint]:
    """The footprints whose query no longer gives the recorded fingerprint."""
    return [fp for fp in footprints if execute(fp, repo, index) != fp.fingerprint]
