"""Components and adjacency: the repository's modules, from cocowiki's index of it.

A *component* is a module as cocowiki names it (``dates``, ``pkg.sub``, ``crate::net``):
every source file parsed belongs to exactly one. Two components are *adjacent* when a
file of one references a file of the other (cocowiki's resolved file edges, either
direction). Lessons are tagged with the components of the files their step touched or
named, and retrieval widens from a step's components to their neighbours.

:meth:`ComponentMap.build` runs cocowiki's indexer over the repository into a folder of
the workspace (never into the repository itself): it is incremental, so the first run
parses every file, later runs re-parse only files that changed and a clean rerun writes
nothing. The workspace (``.tokimon/`` in the repository by default) is left out.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from cocowiki.index import IndexConfig, index_repository
from cocowiki.index.config import DEFAULT_SKIPPED_DIRS
from cocowiki.index.store import catalog_path, read_edge_weights

_TOKEN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./:-]*")


@dataclass(frozen=True)
class ComponentMap:
    """Which module each file belongs to and which modules reference each other."""

    modules: Mapping[str, str] = field(default_factory=dict)
    """File path (repository-relative, ``/``-separated) -> module name."""
    edges: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Module -> the modules it references or is referenced by."""
    stats: Mapping[str, Any] = field(default_factory=dict)
    """How the index was brought up to date (files parsed, unchanged, seconds)."""

    @classmethod
    def build(cls, repo: Path, output: Path, workspace: Path | None = None) -> ComponentMap:
        """Index ``repo`` into ``output`` incrementally and read its modules and edges."""
        started = time.perf_counter()
        excluded: tuple[str, ...] = ()
        if workspace is not None and workspace.resolve().is_relative_to(repo.resolve()):
            relative = workspace.resolve().relative_to(repo.resolve()).as_posix()
            excluded = (f"{relative}/**",) if relative != "." else ()
        config = IndexConfig(exclude=excluded, skipped_dirs=(*DEFAULT_SKIPPED_DIRS, ".tokimon"))
        result = index_repository(repo, output, config, lazy=True)
        modules = {f.path: f.module_name for f in result.files}
        neighbours: dict[str, set[str]] = defaultdict(set)
        for (source, target), _ in read_edge_weights(catalog_path(output)).items():
            left, right = modules.get(source), modules.get(target)
            if left and right and left != right:
                neighbours[left].add(right)
                neighbours[right].add(left)
        stats = {
            "files": len(modules),
            "parsed": result.files_parsed,
            "unchanged": result.files_unchanged,
            "written": result.catalog_written,
            "seconds": round(time.perf_counter() - started, 4),
        }
        return cls(modules, {m: frozenset(n) for m, n in neighbours.items()}, stats)

    @staticmethod
    def output_for(memory_root: Path, repo: Path) -> Path:
        """Where the index of ``repo`` is kept inside the memory folder."""
        key = hashlib.sha256(str(repo.resolve()).encode()).hexdigest()[:12]
        return memory_root / "repo-index" / key

    # -- lookups ---------------------------------------------------------------------------
    def files_in(self, texts: Iterable[str]) -> list[str]:
        """The repository files that ``texts`` name: by path, by path suffix
        (``test_dates.py``), or by module name (``dates.parse`` names ``dates.py``)."""
        by_module, by_name = self._lookups
        found: dict[str, None] = {}
        for text in texts:
            for token in _TOKEN.findall(text):
                token = token.rstrip(".:-/").partition("@")[0].removeprefix("./")
                for path in self._match(token, by_module, by_name):
                    found.setdefault(path, None)
        return list(found)

    @functools.cached_property
    def _lookups(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Files by module name and by file name (computed once per map)."""
        by_module: dict[str, list[str]] = defaultdict(list)
        by_name: dict[str, list[str]] = defaultdict(list)
        for path, module in self.modules.items():
            by_module[module].append(path)
            by_name[PurePosixPath(path).name].append(path)
        return dict(by_module), dict(by_name)

    def _match(
        self, token: str, by_module: Mapping[str, list[str]], by_name: Mapping[str, list[str]]
    ) -> list[str]:
        if token in self.modules:
            return [token]
        name = PurePosixPath(token).name
        if "/" in token and name in by_name:
            return [p for p in by_name[name] if p.endswith("/" + token) or p == token]
        if "." in name and name in by_name and not token.count(".") > 1:
            return list(by_name[name])
        for separator in (".", "::"):
            parts = token.split(separator)
            for end in range(len(parts), 0, -1):
                prefix = separator.join(parts[:end])
                if prefix in by_module:
                    return list(by_module[prefix])
        return []

    def components_of(self, files: Iterable[str]) -> list[str]:
        """The modules of ``files`` (those the index knows), in first-seen order."""
        return list(dict.fromkeys(self.modules[f] for f in files if f in self.modules))

    def adjacent(self, components: Iterable[str], hops: int = 1) -> list[str]:
        """Modules within ``hops`` references of ``components``, themselves excluded."""
        start = set(components)
        seen, frontier, found = set(start), set(start), []
        for _ in range(hops):
            frontier = {n for c in frontier for n in self.edges.get(c, ())} - seen
            seen |= frontier
            found += sorted(frontier)  # nearer first
        return found

    def files_of(self, components: Iterable[str]) -> list[str]:
        by_module = self._lookups[0]
        return sorted(path for c in set(components) for path in by_module.get(c, ()))
