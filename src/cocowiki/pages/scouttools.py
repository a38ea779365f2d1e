"""The scout's tools: read-only lookups over one repository and its index, each a footprint.

``read(path, start, end)``, ``glob(pattern)``, ``grep(pattern, scope)``,
``symbol(query)`` and ``graph(seed, relation)`` answer in plain text, as a small model
reads best, and go through the :class:`~.footprints.Explorer`, so each call leaves the
footprint the design names, with its fingerprint:

=========================================  ==========================================
the design's footprint                      recorded as (:mod:`.footprints`)
=========================================  ==========================================
``Read(path, revision_fp, start, end)``     ``ReadFootprint`` (fingerprint of the lines)
``Glob(pattern, path_set_fp, count)``       ``GlobFootprint`` (fingerprint, matches)
``Grep(pattern, scope, match_set_fp, n)``   ``GrepFootprint`` (regex, paths, fingerprint)
``SymbolLookup(query, result_set_fp, n)``   ``SymbolLookupFootprint``
``GraphLookup(seed, relation, adj_fp, n)``  ``GraphLookupFootprint`` (node, direction, kind)
=========================================  ==========================================

A path or pattern that would leave the repository (absolute, ``..``, a symlink out) is
refused with an error the model sees, as is a bad regex or an unknown relation; an error
costs the model a turn, never the run. Results are capped (lines, paths, matches); the
model is told how many there were and asks again more narrowly.
"""

from __future__ import annotations

import re

from tiffany.models import Toolbox

from .footprints import Direction, Explorer, Footprint
from .sources import SourceError, safe_relative

MAX_READ_LINES = 300
MAX_PATHS = 200
MAX_MATCHES = 100
MAX_EDGES = 100
_RELATION = re.compile(r"^(in|out)(?::(\w+))?$")


class ToolRefused(ValueError):
    """A call the scout may not make (a path outside the repository, a bad pattern)."""


class ScoutTools:
    """One scout run's tools over ``explorer``, and the footprints of what they found."""

    def __init__(self, explorer: Explorer) -> None:
        self.explorer = explorer
        self.footprints: list[Footprint] = []
        self.calls = 0

    def toolbox(self) -> Toolbox:
        box = Toolbox()
        for tool in (self.read, self.glob, self.grep, self.symbol, self.graph):
            box.add(tool)
        return box

    def read(self, path: str, start: int = 1, end: int = MAX_READ_LINES) -> str:
        """Read lines start..end (1-based, inclusive) of a repository file, numbered;
        cite what you use as `path:start-end`."""
        self.calls += 1
        _inside(path)
        try:
            count = self.explorer.reader.line_count(path)
        except SourceError as exc:
            raise ToolRefused(str(exc)) from None
        first = max(1, start)
        last = min(max(first, end), first + MAX_READ_LINES - 1, count)
        if first > count:
            raise ToolRefused(f"{path} has {count} lines; read from 1 to {count}")
        lines, footprint = self.explorer.read(path, first, last)
        self.footprints.append(footprint)
        width = len(str(last))
        body = "\n".join(f"{n:>{width}} | {line}" for n, line in enumerate(lines, start=first))
        more = f"\n(the file has {count} lines)" if last < count else ""
        return f"# {path}:{first}-{last}\n{body}{more}"

    def glob(self, pattern: str) -> str:
        """Repository files matching a glob pattern (`**` crosses directories, e.g.
        `src/**/*.py`), sorted."""
        self.calls += 1
        _inside(pattern)
        paths, footprint = self.explorer.glob(pattern)
        self.footprints.append(footprint)
        shown = "\n".join(paths[:MAX_PATHS])
        more = (
            f"\n({len(paths) - MAX_PATHS} more: narrow the pattern)"
            if len(paths) > MAX_PATHS
            else ""
        )
        return f"{len(paths)} files match {pattern}\n{shown}{more}".rstrip()

    def grep(self, pattern: str, scope: str = "**/*") -> str:
        """Lines matching a Python regular expression in the files a glob `scope`
        matches, as `path:line: text`."""
        self.calls += 1
        _inside(scope)
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ToolRefused(f"not a valid regular expression: {exc}") from None
        matches, footprint = self.explorer.grep(pattern, scope)
        self.footprints.append(footprint)
        rows = [f"{m.path}:{m.line}: {m.text.strip()[:200]}" for m in matches[:MAX_MATCHES]]
        more = (
            f"\n({len(matches) - MAX_MATCHES} more: narrow the scope or pattern)"
            if len(matches) > MAX_MATCHES
            else ""
        )
        return f"{len(matches)} matching lines\n" + "\n".join(rows) + more

    def symbol(self, query: str) -> str:
        """Components of the index (functions, classes, methods, ...) with this simple
        name: id, kind, `path:start-end` and signature."""
        self.calls += 1
        found, footprint = self.explorer.symbol_lookup(query)
        self.footprints.append(footprint)
        rows = [
            f"{c.id} ({c.kind}) `{c.path}:{c.start_line}-{c.end_line}` {c.signature}".rstrip()
            for c in found
        ]
        return f"{len(found)} components named {query}\n" + "\n".join(rows)

    def graph(self, seed: str, relation: str = "out") -> str:
        """References around a component id or a file path: relation `out` (what it
        uses) or `in` (what uses it), optionally of one kind: `out:call`, `in:import`."""
        self.calls += 1
        match = _RELATION.match(relation)
        if match is None:
            raise ToolRefused(f"relation must be in, out, in:KIND or out:KIND, not {relation!r}")
        direction: Direction = "in" if match.group(1) == "in" else "out"
        edges, footprint = self.explorer.graph_lookup(seed, direction, match.group(2) or "any")
        self.footprints.append(footprint)
        rows = [
            f"{e.kind}: {e.source} -> {e.target} x{e.count} at `{e.path}:{e.line}`"
            for e in edges[:MAX_EDGES]
        ]
        more = f"\n({len(edges) - MAX_EDGES} more)" if len(edges) > MAX_EDGES else ""
        return f"{len(edges)} edges\n" + "\n".join(rows) + more


def _inside(path: str) -> None:
    if not safe_relative(path):
        raise ToolRefused(
            f"{path!r} is not a path inside the repository (use a relative path, no '..')"
        )
