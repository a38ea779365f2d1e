"""Resolve a few re-parsed files against the catalog, without loading it.

When the re-parsed files kept their :func:`~.resolve.resolution_interface`, no other
file's references can resolve differently (:func:`~.resolve.reusable_resolution`): only
the re-parsed files' references need resolving. The whole-repository resolver builds
its indexes over every component and every file's scope first (about a second on a
500,000-line repository, after reading every row back); :class:`CatalogResolver` is the
same resolver with each of those indexes answered on first use by an indexed lookup of
the catalog (by id, name, qualified name, path) and kept, so an edit reads the few
hundred rows its names lead to.

The catalog still holds the re-parsed files' previous rows. They are as good as the new
ones for resolution: what resolution reads of a file's components (ids, kinds, names,
qualified names, parents, their order by line) is part of its interface, which did not
change; their lines differ, but only break ties between candidates of one file, in the
same order. Bases are taken as the catalog resolved them, from the files before the one
being resolved (a ``self.x`` lookup sees the bases resolved before it, as in
:meth:`~.resolve.Resolver.resolve`).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from .model import TYPE_KINDS, Component, ComponentKind, FileExtraction, Reference, ReferenceKind
from .resolution_inputs import ResolutionInputs
from .resolve import CALL_TARGET_KINDS, FileScope, Resolver
from .store import component_columns, component_from_row, reference_columns, reference_from_row

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")
_COMPONENTS = f"SELECT {component_columns()} FROM components"


class _OnDemand(dict[_K, _V]):
    """A dict whose entries are looked up by ``load`` on first use (None: no entry),
    answering ``[]``, ``get`` and ``in`` as the resolver asks its indexes."""

    def __init__(self, load: Callable[[_K], _V | None], *, keep_absent: bool = True) -> None:
        super().__init__()
        self._load = load
        self._keep_absent = keep_absent
        self._absent: set[_K] = set()

    def __missing__(self, key: _K) -> _V:
        if key in self._absent:
            raise KeyError(key)
        value = self._load(key)
        if value is None:
            if self._keep_absent:
                self._absent.add(key)
            raise KeyError(key)
        self[key] = value
        return value

    def get(self, key: _K, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None  # type: ignore[arg-type]


class CatalogResolver(Resolver):
    """The resolver of :mod:`.resolve` over a catalog's rows, read as its lookups need
    them; :meth:`resolve_files` resolves the re-parsed files only."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        files: Sequence[tuple[str, str]],
        fresh: Sequence[FileExtraction],
        inputs: ResolutionInputs,
    ) -> None:
        """``files``: every indexed file's path and language, in the catalog's order;
        ``fresh``: the re-parsed files; ``inputs``: the repository's configs."""
        self.connection = connection
        self.inputs = inputs
        self.extractions = sorted(fresh, key=lambda x: x.file.path)
        self._fresh = {x.file.path for x in fresh}
        self._current = ""
        self.family = {}
        self.paths = set()
        self.by_basename = defaultdict(list)
        self.python_suffix = defaultdict(list)
        for path, language in files:
            self._index_path(path, language)
        self.by_name = {}  # only the whole-repository index fills it
        self.by_id = _OnDemand(self._component)
        self.module_of = _OnDemand(self._module)
        self.file_names = _OnDemand(self._names_in)
        self.callables = _OnDemand(lambda key: self._named(key, callable_kinds=True))
        self.types = _OnDemand(lambda key: self._named(key, callable_kinds=False))
        self.by_qualified = _OnDemand(self._qualified_name)
        self.module_files = _OnDemand(self._module_files)
        self.scopes = _OnDemand(self._stored_scope)
        self.bases = _OnDemand(self._stored_bases, keep_absent=False)  # they grow
        self.rust_imports = _OnDemand(self._stored_imports)
        self.rust_uses = {}
        self.rust = self._rust_paths()

    def resolve_files(self) -> dict[str, list[Reference]]:
        """The re-parsed files' references, resolved as the whole-repository resolver
        would, each file's in the catalog's order."""
        imports = {x.file.path: self._scope(x.file.path, x.references) for x in self.extractions}
        resolved: dict[str, list[Reference]] = {}
        for extraction in self.extractions:
            path = extraction.file.path
            self._current = path
            self._implicit_scope(path, self.family[path], self.scopes[path])
            followed = [self._follow_reexport(ref) for ref in imports[path]]
            resolved[path] = self._names(extraction, followed)
        return resolved

    # -- lookups ----------------------------------------------------------------------

    def _select(self, where: str, key: object) -> list[Component]:
        rows = self.connection.execute(f"{_COMPONENTS} WHERE {where} ORDER BY ordinal", (key,))
        return [component_from_row(row) for row in rows]

    def _in_family(self, component: Component, family: str) -> bool:
        return self.family.get(component.path) == family

    def _component(self, component_id: str) -> Component | None:
        found = self._select("id = ?", component_id)
        return found[0] if found else None

    def _module(self, path: str) -> Component | None:
        roots = [c for c in self._select("path = ?", path) if c.parent_id is None]
        return roots[-1] if roots else None

    def _names_in(self, path: str) -> dict[str, list[Component]]:
        names: dict[str, list[Component]] = defaultdict(list)
        for component in self._select("path = ?", path):
            if component.parent_id is not None:
                names[component.name].append(component)
        return names

    def _named(self, key: tuple[str, str], *, callable_kinds: bool) -> list[Component]:
        family, name = key
        kinds = CALL_TARGET_KINDS if callable_kinds else TYPE_KINDS
        return [
            c
            for c in self._select("name = ?", name)
            if c.parent_id is not None and c.kind in kinds and self._in_family(c, family)
        ]

    def _qualified_name(self, key: tuple[str, str]) -> list[Component]:
        family, qualified = key
        return [
            c
            for c in self._select("qualified_name = ?", qualified)
            if c.parent_id is not None and self._in_family(c, family)
        ]

    def _module_files(self, key: tuple[str, str]) -> list[str]:
        """As the whole index lists them: by file, a file's namespaces (in order) before
        its own module."""
        family, qualified = key
        files: list[str] = []
        found = [
            c
            for c in self._select("qualified_name = ?", qualified)
            if self._in_family(c, family) and (c.kind is ComponentKind.MODULE or not c.parent_id)
        ]
        for path in dict.fromkeys(c.path for c in found):
            files.extend(path for c in found if c.path == path and c.parent_id is not None)
            module = self.module_of.get(path)
            if module is not None and module.qualified_name == qualified:
                files.append(path)
        return files

    def _stored_imports(self, path: str) -> list[Reference]:
        """A file's imports as the catalog holds them (the re-parsed files' as parsed)."""
        for extraction in self.extractions:
            if extraction.file.path == path:
                return [r for r in extraction.references if r.kind is ReferenceKind.IMPORT]
        rows = self.connection.execute(
            f"SELECT {reference_columns()} FROM refs WHERE path = ? AND kind = ? ORDER BY ordinal",
            (path, str(ReferenceKind.IMPORT)),
        )
        return [reference_from_row(row) for row in rows]

    def _stored_scope(self, path: str) -> FileScope:
        """The scope of a file not re-parsed, from its imports as the catalog holds them."""
        self._scope(path, self._stored_imports(path))
        return self.scopes[path]

    def _stored_bases(self, type_id: str) -> list[str] | None:
        """The bases resolved so far of a type: those the catalog holds when its file
        comes before the one being resolved (and is not being resolved itself)."""
        path = type_id.split("#", 1)[0]
        if path in self._fresh:
            return [] if path == self._current else None
        if path >= self._current:
            return None
        rows = self.connection.execute(
            "SELECT target_id FROM refs WHERE source_id = ? AND kind IN (?, ?) "
            "AND target_id IS NOT NULL ORDER BY ordinal",
            (type_id, str(ReferenceKind.INHERIT), str(ReferenceKind.IMPL)),
        )
        return [target for (target,) in rows]
