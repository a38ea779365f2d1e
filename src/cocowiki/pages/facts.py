"""Lookup tables over the index and the module tree, computed once per build.

Every page asks the same questions of the index (which components are in this file,
which references point into it, which module owns that file, which files are tests), so
they are answered here in one pass each, and every citation is made through
:meth:`RepositoryFacts.cite`, which reads the cited lines and pins their digest.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, KeysView, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Generic, TypeVar

from ..index.model import (
    Component,
    IndexResult,
    ParseError,
    Reference,
    SourceFile,
    Visibility,
)
from ..index.store import catalog_path
from ..plan.model import Module, ModuleTree
from .artifacts import Citation
from .footprints import Explorer
from .rows import CatalogRows
from .sources import SourceError, SourceReader, span_digest

#: References resolved with less confidence than this (a name merely unique in the
#: repository, or one of several candidates) are left out of dependencies, call paths and
#: diagrams: they are guesses, and a page should not present a guess as a fact.
MIN_CONFIDENCE = 0.6


def is_confident(confidence: float) -> bool:
    return confidence >= MIN_CONFIDENCE


def one_line(doc: str) -> str:
    """The first sentence (or line) of a doc comment, for lists and tables."""
    text = " ".join(doc.strip().split("\n\n", 1)[0].split())
    match = re.match(r"(.+?[.!?])(?:\s|$)", text)
    summary = match.group(1) if match else text
    return summary if len(summary) <= 200 else summary[:197].rstrip() + "..."


V = TypeVar("V")


#: Lookups of one key a table answers from the catalog before it reads all its rows
#: instead (a whole table costs about as much as this many lookups on a large catalog).
MAX_LOOKUPS = 2000


class FactTable(dict[str, V]):
    """A table of :class:`RepositoryFacts`. Made with ``lookup`` (the index's rows are not
    loaded), a key is read from the catalog when first looked up (``lookup.row``, an
    indexed query), and the table is made whole (``lookup.whole``, every row) when it is
    iterated or after :data:`MAX_LOOKUPS` lookups: an edit's build asks about a few
    files, and pays for those alone."""

    def __init__(self, data: Mapping[str, V] | None = None, lookup: _Lookup | None = None) -> None:
        super().__init__()
        if data is not None:  # not through its keys, which would read a whole FactTable
            dict.update(self, dict.items(data) if isinstance(data, dict) else data.items())
        self._lookup: _Lookup | None = data._lookup if isinstance(data, FactTable) else lookup
        self._asked: set[str] = set()

    def has(self, key: object) -> bool:
        """Whether ``key`` is in the table (read from the catalog if not asked yet)."""
        lookup = self._lookup
        if (
            lookup is not None
            and isinstance(key, str)
            and key not in self._asked
            and not dict.__contains__(self, key)
        ):
            if len(self._asked) >= MAX_LOOKUPS:
                self._whole()
                return dict.__contains__(self, key)
            self._asked.add(key)
            value = lookup.row(key)
            if value:
                dict.__setitem__(self, key, value)
        return dict.__contains__(self, key)

    def _whole(self) -> None:
        if self._lookup is not None:
            dict.update(self, self._lookup.whole())
            self._lookup = None

    def get(self, key: str, default: Any = None) -> Any:
        return dict.get(self, key, default) if self.has(key) else default

    def __getitem__(self, key: str) -> V:
        self.has(key)
        return dict.__getitem__(self, key)

    def __contains__(self, key: object) -> bool:
        return self.has(key)

    def __iter__(self) -> Iterator[str]:
        self._whole()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._whole()
        return dict.__len__(self)

    def keys(self) -> KeysView[str]:  # type: ignore[override]
        """The keys, a view whose ``in`` looks one key up (untracked), as a dict's does."""
        return _Keys(self)

    def values(self) -> Any:
        self._whole()
        return dict.values(self)

    def items(self) -> Any:
        self._whole()
        return dict.items(self)


class _Keys(KeysView[str]):
    _mapping: FactTable[Any]

    def __contains__(self, key: object) -> bool:
        return self._mapping.has(key)


@dataclass(frozen=True, slots=True)
class _Lookup:
    """How one table of the facts is read from the catalog: a key, or all of it."""

    facts: RepositoryFacts
    rows: CatalogRows
    kind: str

    def row(self, key: str) -> Any:
        return _BY_KEY[self.kind](self.rows, key)

    def whole(self) -> dict[str, Any]:
        return _MAKERS[self.kind](self.facts)[self.kind]


class _Table(Generic[V]):
    """A table of :class:`RepositoryFacts`, made on first use (its attribute's name is
    the table's kind)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.kind = name

    def __get__(self, facts: RepositoryFacts, owner: type) -> dict[str, V]:
        return facts.table(self.kind)


#: Wraps a table of the facts as it is made (the build graph records what pages read).
TableWrapper = Callable[[str, dict[str, Any]], dict[str, Any]]


@dataclass(slots=True)
class RepositoryFacts:
    """The index, the module tree and the files of one repository, cross-referenced.

    The tables are made on first use, a group at a time: a build whose pages are all
    unchanged reads only ``files``, and the index's components and references are then
    never loaded (:class:`~cocowiki.index.model.IndexResult` reads them on first use).
    Of an index not loaded (``rows``: its catalog), the tables of components and
    references are :class:`FactTable` read a key at a time, so an edit's build loads
    neither. ``wrap`` (set by :func:`~.graph.track`) sees each table as it is made.
    """

    repo: Path
    output: Path
    index: IndexResult
    tree: ModuleTree
    reader: SourceReader
    explorer: Explorer
    links: dict[str, str] = field(default_factory=dict)
    wrap: TableWrapper | None = None
    #: The tree as planned: the tables are made from it, not from a tracked view of it.
    plain_tree: ModuleTree | None = None
    rows: CatalogRows | None = None
    _tables: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def build(
        cls, repo: Path, output: Path, index: IndexResult, tree: ModuleTree
    ) -> RepositoryFacts:
        reader = SourceReader(repo)
        rows = CatalogRows(catalog_path(output)) if index.lazy else None
        explorer = Explorer(repo, index, reader, rows)
        return cls(repo, output, index, tree, reader, explorer, plain_tree=tree, rows=rows)

    def table(self, kind: str) -> dict[str, Any]:
        """The table of a kind (``by_file``, ...), made with its group if it is not yet."""
        table = self._tables.get(kind)
        if table is None:
            if self.rows is not None and kind in _BY_KEY:
                made: dict[str, dict[str, Any]] = {
                    kind: FactTable(lookup=_Lookup(self, self.rows, kind))
                }
            else:
                made = _MAKERS[kind](self)
            for name, each in made.items():
                self._tables[name] = each if self.wrap is None else self.wrap(name, each)
            table = self._tables[kind]
        return table

    def rewrap(self) -> None:
        """Pass the tables made so far through ``wrap`` (set after they were made)."""
        if self.wrap is not None:
            self._tables = {kind: self.wrap(kind, table) for kind, table in self._tables.items()}

    files = _Table[SourceFile]()
    components = _Table[Component]()
    by_file = _Table[list[Component]]()
    children_of = _Table[list[Component]]()
    refs_from_file = _Table[list[Reference]]()
    refs_into_file = _Table[list[Reference]]()
    module_of_file = _Table[str]()
    errors_by_file = _Table[list[ParseError]]()

    @property
    def listed(self) -> list[str]:
        """Every file the index saw (indexed or excluded), sorted."""
        return sorted(
            set(dict.keys(self.files))
            | {e.path for e in self.index.exclusions if not e.path.endswith("/")}
        )

    # citations ------------------------------------------------------------------------------

    def cite(self, path: str, start: int, end: int | None = None) -> Citation:
        """A citation of lines ``start``..``end`` of ``path``, clamped to the file: a span
        running past the file's end ends at its last line, one wholly past it is its last
        line. The clamp asks whether the file reaches the span's end, not its line count
        (:meth:`~.sources.SourceReader.reach`): a page citing lines 10-20 does not depend
        on a line inserted after line 20."""
        lines = self.reader.lines(path)
        first = max(1, start)
        final = max(first, end if end is not None else start)
        reached = self.reader.reach(path, first, final)
        if reached < first:  # the file ends before the span (line 1 of an empty file)
            first = final = max(1, reached)
        else:
            final = reached
        return Citation(path=path, start=first, end=final, digest=span_digest(lines, first, final))

    def cite_component(self, component: Component) -> Citation:
        return self.cite(component.path, component.start_line, component.end_line)

    def cite_file(self, path: str) -> list[Citation]:
        """The whole file as one citation; none for an empty file (it has no lines)."""
        lines = self.reader.line_count(path)
        return [self.cite(path, 1, lines)] if lines else []

    def cite_doc(self, component: Component) -> Citation:
        """The lines of a component's doc comment or docstring, found near its span."""
        doc_lines = [line.strip() for line in component.doc.strip().splitlines()]
        first = next((line for line in doc_lines if line), "")
        if first:
            lines = self.reader.lines(component.path)
            low = max(1, component.start_line - len(doc_lines) - 12)
            last = self.reader.reach(component.path, low, component.end_line)
            for number in range(low, last + 1):
                if first in lines[number - 1]:
                    return self.cite(component.path, number, number + len(doc_lines) - 1)
        return self.cite_component(component)

    def readable(self, path: str) -> bool:
        try:
            self.reader.lines(path)
        except SourceError:
            return False
        return True

    # modules ----------------------------------------------------------------------------------

    def module(self, module_id: str) -> Module:
        return self.tree[module_id]

    def module_components(self, module: Module) -> list[Component]:
        return [c for path in module.files for c in self.by_file.get(path, [])]

    def is_public_api(self, component: Component) -> bool:
        """Public, and every enclosing component up to its file public too."""
        current: Component | None = component
        while current is not None:
            if current.visibility != Visibility.PUBLIC:
                return False
            current = self.components.get(current.parent_id) if current.parent_id else None
        return True

    def top_level(self, path: str) -> list[Component]:
        """Components of a file whose parent is the file's module (or none), in source order."""
        return [
            c
            for c in self.by_file.get(path, [])
            if c.id != path and (c.parent_id is None or c.parent_id == path)
        ]

    def subtree_files(self, module_id: str) -> list[str]:
        """Files of a module and of all its descendants."""
        module = self.tree[module_id]
        files = list(module.files)
        for child in module.children:
            files.extend(self.subtree_files(child))
        return files

    def link_to_source(self, path: str) -> str:
        """The relative URL from the pages directory to a source file (POSIX separators)."""
        known = self.links.get(path)
        if known is None:
            relative = os.path.relpath(self.repo / path, self.output / "pages")
            known = self.links[path] = PurePosixPath(*Path(relative).parts).as_posix()
        return known


def _files(facts: RepositoryFacts) -> dict[str, dict[str, Any]]:
    return {"files": {source.path: source for source in facts.index.files}}


def _components(facts: RepositoryFacts) -> dict[str, dict[str, Any]]:
    components: dict[str, Component] = {}
    by_file: dict[str, list[Component]] = defaultdict(list)
    children: dict[str, list[Component]] = defaultdict(list)
    for component in facts.index.components:
        components[component.id] = component
        by_file[component.path].append(component)
        if component.parent_id is not None:
            children[component.parent_id].append(component)
    return {"components": components, "by_file": dict(by_file), "children_of": dict(children)}


def _references(facts: RepositoryFacts) -> dict[str, dict[str, Any]]:
    out: dict[str, list[Reference]] = defaultdict(list)
    into: dict[str, list[Reference]] = defaultdict(list)
    for ref in facts.index.references:
        out[ref.path].append(ref)
        if ref.target_path is not None and ref.target_path != ref.path:
            into[ref.target_path].append(ref)
    return {"refs_from_file": dict(out), "refs_into_file": dict(into)}


def _module_of_file(facts: RepositoryFacts) -> dict[str, dict[str, Any]]:
    return {"module_of_file": (facts.plain_tree or facts.tree).module_of_file()}


def _errors(facts: RepositoryFacts) -> dict[str, dict[str, Any]]:
    errors: dict[str, list[ParseError]] = defaultdict(list)
    for error in sorted(facts.index.errors, key=lambda e: (e.path, e.line, e.column)):
        errors[error.path].append(error)
    return {"errors_by_file": dict(errors)}


#: What makes each table (a maker makes every table of its group in one pass).
_MAKERS: dict[str, Callable[[RepositoryFacts], dict[str, dict[str, Any]]]] = {
    "files": _files,
    "components": _components,
    "by_file": _components,
    "children_of": _components,
    "refs_from_file": _references,
    "refs_into_file": _references,
    "module_of_file": _module_of_file,
    "errors_by_file": _errors,
}


#: How each table of the index's rows answers one key from the catalog, as its maker
#: would (the same rows, in the same order; None where the maker has no entry).
_BY_KEY: dict[str, Callable[[CatalogRows, str], Any]] = {
    "components": lambda rows, key: next(iter(rows.components("id", key)), None),
    "by_file": lambda rows, key: rows.components("path", key),
    "children_of": lambda rows, key: rows.components("parent_id", key),
    "refs_from_file": lambda rows, key: rows.references("path = ?", value=key),
    "refs_into_file": lambda rows, key: rows.references(
        "target_path = ? AND path != target_path", value=key
    ),
}
