"""The index's data model: what a repository is made of, as plain typed values.

Everything the wiki says about code is derived from these records, so they are small,
frozen and free of tree-sitter objects: they pickle across processes, round-trip through
SQLite and JSON, and can be compared in tests. Later stages (plan, build, viewer) read them
through :class:`IndexResult` or the SQLite catalog written by :mod:`.store`.

Conventions shared by every record:

* ``path`` is the repository-relative POSIX path of a file (``src/pkg/mod.py``);
* lines are 1-based and inclusive (``start_line``/``end_line`` of a span);
* a component ``id`` is ``<path>#<local name>`` (the module of a file is just ``<path>``),
  where the local name joins the names of the enclosing components in the file with the
  language's separator (``Outer.method``, ``Foo::bar``). Ids depend only on the file's
  path and contents, so they are stable across runs; a repeated local name in one file
  (overloads, ``#ifdef`` variants) gets ``~2``, ``~3`` ... in source order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ComponentKind(StrEnum):
    """What a component is. Language constructs map onto this fixed vocabulary.

    A Rust ``union`` is a ``struct``; a Java ``record`` and a TS ``abstract class`` are
    ``class``es; a Python class deriving from ``Enum`` is an ``enum`` and one deriving from
    ``Protocol`` an ``interface``; C++ namespaces, C# namespaces, TS namespaces and Rust
    inline ``mod`` blocks are ``module``s, like every source file.
    """

    MODULE = "module"
    CLASS = "class"
    STRUCT = "struct"
    ENUM = "enum"
    TRAIT = "trait"
    INTERFACE = "interface"
    IMPL = "impl"
    FUNCTION = "function"
    METHOD = "method"
    CONSTANT = "constant"
    TYPE_ALIAS = "type_alias"


#: Kinds that declare a type; calls to them are constructor calls.
TYPE_KINDS: frozenset[ComponentKind] = frozenset(
    {
        ComponentKind.CLASS,
        ComponentKind.STRUCT,
        ComponentKind.ENUM,
        ComponentKind.TRAIT,
        ComponentKind.INTERFACE,
        ComponentKind.TYPE_ALIAS,
    }
)

#: Kinds that can be called.
CALLABLE_KINDS: frozenset[ComponentKind] = frozenset({ComponentKind.FUNCTION, ComponentKind.METHOD})


class Visibility(StrEnum):
    """Who may use a component, by the rules of its own language.

    * ``public``: exported (Python: no leading underscore, or listed in ``__all__``; Rust:
      ``pub``; Go: capitalised; Java/C#: ``public``; JS/TS: exported from the module,
      and class members without a restricting modifier; C/C++: not ``static``).
    * ``protected``: visible to subclasses (Java/C#/C++/TS ``protected``).
    * ``internal``: visible inside the crate or assembly (Rust ``pub(crate)``,
      ``pub(super)``, ``pub(in ...)``; C# ``internal``).
    * ``package``: visible inside the package (Go unexported names, Java's default).
    * ``private``: everything else (Python ``_name``, C ``static``, C++ anonymous
      namespaces, JS/TS module-local declarations and ``#private`` members).
    """

    PUBLIC = "public"
    PROTECTED = "protected"
    INTERNAL = "internal"
    PACKAGE = "package"
    PRIVATE = "private"


class ReferenceKind(StrEnum):
    """How one component depends on a name.

    ``inherit`` is subclassing and embedding (``class A(B)``, ``extends``, Go struct
    embedding, Rust supertraits); ``impl`` is implementing an interface or trait
    (``implements``, ``impl Trait for T``, C# interfaces by the ``I`` naming convention).
    """

    IMPORT = "import"
    CALL = "call"
    INHERIT = "inherit"
    IMPL = "impl"
    TYPE_USE = "type_use"


class ExclusionReason(StrEnum):
    """Why a file of the repository is not in the index."""

    VENDORED = "vendored"
    GENERATED = "generated"
    MINIFIED = "minified"
    BINARY = "binary"
    TOO_LARGE = "too_large"
    UNSUPPORTED = "unsupported"
    SYMLINK = "symlink"
    SYMLINK_OUTSIDE = "symlink_outside"
    SYMLINK_BROKEN = "symlink_broken"
    EXCLUDED_BY_CONFIG = "excluded_by_config"
    UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file that was parsed: its identity (digest) and the module name it was parsed as.

    ``module_name`` is the language-level name the file's components are qualified with
    (Python ``pkg.mod``, Rust ``crate::a::b``, Go the package import path, Java/C# the
    package or namespace, JS/TS/C/C++ the path without its extension).
    """

    path: str
    language: str
    size: int
    digest: str
    lines: int
    module_name: str


@dataclass(frozen=True, slots=True)
class Component:
    """A named declaration with its span, signature, documentation and visibility.

    ``signature`` is the declaration up to its body with whitespace collapsed (at most
    300 characters); ``doc`` is the docstring or the comment block just before the
    declaration, with comment markers and common indentation removed (``""`` if none).
    ``parent_id`` is the enclosing component (the file's module for top-level ones,
    ``None`` for the module itself). Declarations nested inside function bodies are not
    components: what they reference is attributed to the enclosing function.
    """

    id: str
    kind: ComponentKind
    name: str
    qualified_name: str
    path: str
    language: str
    start_line: int
    end_line: int
    signature: str
    doc: str
    visibility: Visibility
    parent_id: str | None


@dataclass(frozen=True, slots=True)
class Reference:
    """A use of a name by a component, resolved to a target when the index can tell.

    Fields as written in the source (filled by the extractors):

    * ``target_name``: for ``import`` the module specifier as written (``os.path``,
      ``./util``, ``crate::net::Socket``, ``"github.com/x/y"``, ``stdio.h``); otherwise the
      referenced simple name (``helper`` for ``self.helper()``).
    * ``qualifier``: the receiver or path before the name (``self``, ``os.path``, ``Foo``
      in ``Foo::new()``), ``?`` when the receiver is an expression (``make().run()``),
      ``None`` when the name stands alone; for a C/C++ ``#include <...>``, ``system``.
    * ``alias``: for imports, the local name the import binds (``np``), if any.
    * ``member``: for imports of one symbol from a module (``from m import f``,
      ``import {f} from "./m"``), the symbol; ``*`` for wildcard imports.
    * ``count``: how many times the component makes this same reference; ``line`` is the
      first occurrence.

    Fields filled by :mod:`.resolve`: ``target_path`` (the file that the name resolves
    to; for a package of several files, the one named after it), ``target_id`` (the
    component) and ``confidence`` in 0..1 (1.0 for an import resolved to a file, 0.9 a
    name defined in the same file, 0.8 one reached through an import, 0.5 a name unique in
    the repository, less when ambiguous, 0.0 unresolved).
    """

    kind: ReferenceKind
    source_id: str
    target_name: str
    path: str
    line: int
    qualifier: str | None = None
    alias: str | None = None
    member: str | None = None
    count: int = 1
    target_id: str | None = None
    target_path: str | None = None
    confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class ParseError:
    """A part of a file the grammar could not parse; the rest of the file is still indexed."""

    path: str
    line: int
    column: int
    message: str


@dataclass(frozen=True, slots=True)
class IndexWarning:
    """Something wrong with a file that did not stop it from being indexed (bad UTF-8)."""

    path: str
    message: str


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A file (or a pruned directory, ending in ``/``) left out of the index, and why."""

    path: str
    reason: ExclusionReason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class FileExtraction:
    """What one file yields: the unit that is cached by digest and merged into the index."""

    file: SourceFile
    components: tuple[Component, ...]
    references: tuple[Reference, ...]
    errors: tuple[ParseError, ...] = ()
    warnings: tuple[IndexWarning, ...] = ()


@dataclass(frozen=True, slots=True)
class RowsLoader:
    """Reads the components and the references of an index on first use, each on its own
    (see :class:`IndexResult`): a build's entry points read every component but no
    reference, and the references are three quarters of the rows."""

    components: Callable[[], list[Component]]
    references: Callable[[], list[Reference]]


class IndexResult:
    """The whole index of a repository, as returned by ``index_repository``.

    ``files_parsed`` counts files parsed in this run and ``files_unchanged`` files whose
    digest matched the previous catalog and were taken from it without parsing;
    ``catalog_written`` is false when nothing changed and the catalog was left as it was.
    ``timings`` holds seconds per phase (``discover``, ``parse``, ``resolve``, ``store``,
    ``total``).

    ``components`` and ``references`` may be given as a ``rows`` loader instead, called
    on first use: an index read back from an unchanged catalog is then not loaded at all
    unless something asks for them (a clean rerun of a build asks for none; 180,000 rows
    cost about a second). Otherwise it behaves as the plain record it is (equality
    compares every field).
    """

    __slots__ = (
        "_components",
        "_components_pending",
        "_references",
        "_references_pending",
        "_rows",
        "catalog_written",
        "errors",
        "exclusions",
        "files",
        "files_parsed",
        "files_unchanged",
        "repo",
        "timings",
        "warnings",
    )

    def __init__(
        self,
        repo: str,
        files: list[SourceFile] | None = None,
        components: list[Component] | None = None,
        references: list[Reference] | None = None,
        errors: list[ParseError] | None = None,
        warnings: list[IndexWarning] | None = None,
        exclusions: list[Exclusion] | None = None,
        timings: dict[str, float] | None = None,
        files_parsed: int = 0,
        files_unchanged: int = 0,
        catalog_written: bool = False,
        *,
        rows: RowsLoader | None = None,
    ) -> None:
        self.repo = repo
        self.files = [] if files is None else files
        self._components = [] if components is None else components
        self._references = [] if references is None else references
        self._rows = rows
        self._components_pending = self._references_pending = rows is not None
        self.errors = [] if errors is None else errors
        self.warnings = [] if warnings is None else warnings
        self.exclusions = [] if exclusions is None else exclusions
        self.timings = {} if timings is None else timings
        self.files_parsed = files_parsed
        self.files_unchanged = files_unchanged
        self.catalog_written = catalog_written

    def load(self) -> IndexResult:
        """Read the components and references now (before the catalog they would be read
        from goes away); the index itself."""
        self._load_components()
        self._load_references()
        return self

    def _load_components(self) -> None:
        if self._components_pending and self._rows is not None:
            self._components = self._rows.components()
            self._components_pending = False

    def _load_references(self) -> None:
        if self._references_pending and self._rows is not None:
            self._references = self._rows.references()
            self._references_pending = False

    @property
    def components(self) -> list[Component]:
        self._load_components()
        return self._components

    @property
    def references(self) -> list[Reference]:
        self._load_references()
        return self._references

    def _fields(self) -> tuple[object, ...]:
        return (
            self.repo,
            self.files,
            self.components,
            self.references,
            self.errors,
            self.warnings,
            self.exclusions,
            self.timings,
            self.files_parsed,
            self.files_unchanged,
            self.catalog_written,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IndexResult):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it was

    def __repr__(self) -> str:
        return f"IndexResult(repo={self.repo!r}, files={len(self.files)})"

    @property
    def exclusion_counts(self) -> dict[str, int]:
        """Number of excluded files per reason, reasons sorted by name."""
        counts = Counter(str(exclusion.reason) for exclusion in self.exclusions)
        return dict(sorted(counts.items()))

    @property
    def lines(self) -> int:
        """Total lines in the indexed files."""
        return sum(source.lines for source in self.files)

    @property
    def lazy(self) -> bool:
        """Whether the components and references are still to be read."""
        return self._components_pending or self._references_pending

    def summary(self) -> dict[str, Any]:
        """A JSON-ready digest of the run, the ``--json`` output of ``cw index``."""
        kinds = Counter(str(component.kind) for component in self.components)
        return self.summary_with(
            {
                "components": len(self.components),
                "component_kinds": dict(sorted(kinds.items())),
                "references": len(self.references),
                "references_resolved": sum(1 for ref in self.references if ref.confidence > 0),
            }
        )

    def summary_with(self, counts: dict[str, Any]) -> dict[str, Any]:
        """:meth:`summary` with its counts of components and references given (counted
        where they are, without loading a lazy index)."""
        languages = Counter(source.language for source in self.files)
        return {
            "repo": self.repo,
            "files": len(self.files),
            "lines": self.lines,
            "languages": dict(sorted(languages.items())),
            "components": counts["components"],
            "component_kinds": counts["component_kinds"],
            "references": counts["references"],
            "references_resolved": counts["references_resolved"],
            "parse_errors": len(self.errors),
            "warnings": len(self.warnings),
            "excluded": len(self.exclusions),
            "exclusions": self.exclusion_counts,
            "files_parsed": self.files_parsed,
            "files_unchanged": self.files_unchanged,
            "catalog_written": self.catalog_written,
            "timings": {name: round(value, 4) for name, value in sorted(self.timings.items())},
        }
