"""The index on disk: ``catalog.sqlite`` in the output directory.

The catalog is written whole into a temporary file next to it and renamed over the old one
(after an fsync), so a crash mid-write leaves the previous catalog intact and a reader
never sees half an index. Tables:

* ``meta(key, value)``: ``schema_version``, ``tool_version``, ``fingerprint`` (of the
  inputs; equal fingerprints mean nothing to rewrite), ``summary`` (JSON of the run).
* ``files``: one row per parsed file, with its digest and the module name it was parsed as
  (``parse_key``), which together decide whether the next run may reuse its rows.
* ``components``, ``refs`` (references), ``errors``, ``warnings``, ``exclusions``: the
  records of :mod:`.model`, one column per field, plus an ``ordinal`` that keeps their
  order.
* ``components_fts``: an FTS5 index over component names (also split into words, so
  ``parseFile`` is found by ``parse``), qualified names, signatures and docs, for symbol
  search (``ask`` and the viewer).

Tables of other stages (the build graph, ``build_nodes``) live in the same file and are
carried over when the index is rewritten.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tiffany.atomic import replacement

from .model import (
    Component,
    ComponentKind,
    Exclusion,
    ExclusionReason,
    FileExtraction,
    IndexResult,
    IndexWarning,
    ParseError,
    Reference,
    ReferenceKind,
    SourceFile,
    Visibility,
)

CATALOG_NAME = "catalog.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    path TEXT PRIMARY KEY, language TEXT NOT NULL, size INTEGER NOT NULL,
    digest TEXT NOT NULL, lines INTEGER NOT NULL, module_name TEXT NOT NULL,
    parse_key TEXT NOT NULL, ordinal INTEGER NOT NULL
);
CREATE TABLE components (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,
    qualified_name TEXT NOT NULL, path TEXT NOT NULL, language TEXT NOT NULL,
    start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, signature TEXT NOT NULL,
    doc TEXT NOT NULL, visibility TEXT NOT NULL, parent_id TEXT, ordinal INTEGER NOT NULL
);
CREATE INDEX components_path ON components (path);
CREATE INDEX components_name ON components (name);
CREATE INDEX components_parent ON components (parent_id);
CREATE TABLE refs (
    kind TEXT NOT NULL, source_id TEXT NOT NULL, target_name TEXT NOT NULL,
    path TEXT NOT NULL, line INTEGER NOT NULL, qualifier TEXT, alias TEXT, member TEXT,
    count INTEGER NOT NULL, target_id TEXT, target_path TEXT, confidence REAL NOT NULL,
    ordinal INTEGER NOT NULL
);
CREATE INDEX refs_source ON refs (source_id);
CREATE INDEX refs_target ON refs (target_id);
CREATE INDEX refs_path ON refs (path);
CREATE TABLE errors (
    path TEXT NOT NULL, line INTEGER NOT NULL, col INTEGER NOT NULL, message TEXT NOT NULL
);
CREATE TABLE warnings (path TEXT NOT NULL, message TEXT NOT NULL);
CREATE TABLE exclusions (path TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL);
CREATE VIRTUAL TABLE components_fts USING fts5 (
    id UNINDEXED, name, words, qualified_name, signature, doc, tokenize = 'unicode61'
);
"""

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


@dataclass(frozen=True, slots=True)
class CachedFile:
    """A file's rows from a previous catalog, reusable when its digest is unchanged."""

    parse_key: str
    extraction: FileExtraction


def catalog_path(output: Path) -> Path:
    """Where the catalog of an output directory lives."""
    return output / CATALOG_NAME


def identifier_words(name: str) -> str:
    """``parseHTTPRequest_v2`` -> ``parse http request v 2``: words for full-text search."""
    return " ".join(word.lower() for word in _WORDS.findall(name))


def write_catalog(
    output: Path,
    result: IndexResult,
    parse_keys: dict[str, str],
    fingerprint: str,
    tool_version: str,
) -> Path:
    """Write the whole index atomically (temporary file, fsync, rename) and return its path."""
    target = catalog_path(output)
    with replacement(target) as temporary:
        connection = sqlite3.connect(temporary)
        try:
            connection.execute("PRAGMA journal_mode = OFF")
            connection.execute("PRAGMA synchronous = OFF")
            with connection:
                connection.executescript(_SCHEMA)
                _insert(connection, result, parse_keys, fingerprint, tool_version)
            _carry_over(connection, target)
        finally:
            connection.close()
    return target


def _carry_over(connection: sqlite3.Connection, previous: Path) -> None:
    """Copy the tables other stages keep in the catalog (the build graph) from the catalog
    being replaced, so that re-indexing does not make them start over.

    Attaching the old file read-write also rolls back a transaction that a killed writer
    left in its journal: that journal must not outlive the file it belongs to. An old
    catalog that cannot be read has nothing worth keeping.
    """
    if not previous.is_file():
        return
    own = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
    try:
        connection.execute("ATTACH DATABASE ? AS previous", (str(previous),))
    except sqlite3.Error:
        return
    try:
        with connection:
            tables = connection.execute(
                "SELECT name, sql FROM previous.sqlite_master "
                "WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
            for name, sql in tables:
                if name not in own and sql:
                    connection.execute(sql)
                    connection.execute(f'INSERT INTO main."{name}" SELECT * FROM previous."{name}"')
    except sqlite3.Error:
        pass
    finally:
        connection.execute("DETACH DATABASE previous")


def _insert(
    connection: sqlite3.Connection,
    result: IndexResult,
    parse_keys: dict[str, str],
    fingerprint: str,
    tool_version: str,
) -> None:
    meta = {
        "schema_version": str(SCHEMA_VERSION),
        "tool_version": tool_version,
        "fingerprint": fingerprint,
        "repo": result.repo,
        "summary": json.dumps(result.summary(), sort_keys=True),
    }
    connection.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
    connection.executemany(
        "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                f.path,
                f.language,
                f.size,
                f.digest,
                f.lines,
                f.module_name,
                parse_keys.get(f.path, ""),
                ordinal,
            )
            for ordinal, f in enumerate(result.files)
        ),
    )
    connection.executemany(
        "INSERT INTO components VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                c.id,
                str(c.kind),
                c.name,
                c.qualified_name,
                c.path,
                c.language,
                c.start_line,
                c.end_line,
                c.signature,
                c.doc,
                str(c.visibility),
                c.parent_id,
                ordinal,
            )
            for ordinal, c in enumerate(result.components)
        ),
    )
    connection.executemany(
        "INSERT INTO components_fts VALUES (?, ?, ?, ?, ?, ?)",
        (
            (c.id, c.name, identifier_words(c.name), c.qualified_name, c.signature, c.doc)
            for c in result.components
        ),
    )
    connection.executemany(
        "INSERT INTO refs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                str(r.kind),
                r.source_id,
                r.target_name,
                r.path,
                r.line,
                r.qualifier,
                r.alias,
                r.member,
                r.count,
                r.target_id,
                r.target_path,
                r.confidence,
                ordinal,
            )
            for ordinal, r in enumerate(result.references)
        ),
    )
    connection.executemany(
        "INSERT INTO errors VALUES (?, ?, ?, ?)",
        ((e.path, e.line, e.column, e.message) for e in result.errors),
    )
    connection.executemany(
        "INSERT INTO warnings VALUES (?, ?)", ((w.path, w.message) for w in result.warnings)
    )
    connection.executemany(
        "INSERT INTO exclusions VALUES (?, ?, ?)",
        ((x.path, str(x.reason), x.detail) for x in result.exclusions),
    )


@contextlib.contextmanager
def open_catalog(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a catalog file (readers never take the writer's lock)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield connection
    finally:
        connection.close()


def read_meta(path: Path) -> dict[str, str]:
    """The catalog's ``meta`` table (empty when there is no readable catalog)."""
    if not path.is_file():
        return {}
    try:
        with open_catalog(path) as connection:
            return dict(connection.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error:
        return {}


def read_index(output: Path) -> IndexResult:
    """Load a whole index back from the catalog of an output directory."""
    path = catalog_path(output)
    with open_catalog(path) as connection:
        meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
        summary = json.loads(meta.get("summary", "{}"))
        files = [
            _file(row)
            for row in connection.execute(f"SELECT {_FILE_COLUMNS} FROM files ORDER BY ordinal")
        ]
        components = [
            component_from_row(row)
            for row in connection.execute(
                f"SELECT {_COMPONENT_COLUMNS} FROM components ORDER BY ordinal"
            )
        ]
        references = [
            _reference(row)
            for row in connection.execute(f"SELECT {_REF_COLUMNS} FROM refs ORDER BY ordinal")
        ]
        errors = [
            ParseError(*row)
            for row in connection.execute(
                "SELECT path, line, col, message FROM errors ORDER BY rowid"
            )
        ]
        warnings = [
            IndexWarning(*row)
            for row in connection.execute("SELECT path, message FROM warnings ORDER BY rowid")
        ]
        exclusions = [
            Exclusion(p, ExclusionReason(r), d)
            for p, r, d in connection.execute(
                "SELECT path, reason, detail FROM exclusions ORDER BY rowid"
            )
        ]
    return IndexResult(
        repo=meta.get("repo", ""),
        files=files,
        components=components,
        references=references,
        errors=errors,
        warnings=warnings,
        exclusions=exclusions,
        timings={str(k): float(v) for k, v in summary.get("timings", {}).items()},
        files_parsed=int(summary.get("files_parsed", 0)),
        files_unchanged=int(summary.get("files_unchanged", 0)),
        catalog_written=bool(summary.get("catalog_written", True)),
    )


def load_file_keys(path: Path) -> dict[str, tuple[str, str]]:
    """``{path: (digest, parse_key)}`` of a previous catalog, to decide what to re-parse.

    An unreadable catalog or one of another schema version gives nothing (the next run
    then parses everything), never an error.
    """
    if read_meta(path).get("schema_version") != str(SCHEMA_VERSION):
        return {}
    try:
        with open_catalog(path) as connection:
            rows = connection.execute("SELECT path, digest, parse_key FROM files").fetchall()
    except sqlite3.Error:
        return {}
    return {row[0]: (row[1], row[2]) for row in rows}


def load_cache(path: Path, paths: set[str] | None = None) -> dict[str, CachedFile]:
    """Per-file extractions of a previous catalog (``paths`` only, if given), unresolved again.

    Like :func:`load_file_keys`, a catalog that cannot be read gives an empty cache.
    """
    if read_meta(path).get("schema_version") != str(SCHEMA_VERSION):
        return {}
    try:
        with open_catalog(path) as connection:
            cache = _load_cache(connection)
    except (sqlite3.Error, ValueError):
        return {}
    if paths is None:
        return cache
    return {key: value for key, value in cache.items() if key in paths}


def _load_cache(connection: sqlite3.Connection) -> dict[str, CachedFile]:
    components: dict[str, list[Component]] = defaultdict(list)
    for row in connection.execute(f"SELECT {_COMPONENT_COLUMNS} FROM components ORDER BY ordinal"):
        component = component_from_row(row)
        components[component.path].append(component)
    references: dict[str, list[Reference]] = defaultdict(list)
    for row in connection.execute(f"SELECT {_REF_COLUMNS} FROM refs ORDER BY ordinal"):
        reference = _reference(row)
        references[reference.path].append(
            Reference(
                kind=reference.kind,
                source_id=reference.source_id,
                target_name=reference.target_name,
                path=reference.path,
                line=reference.line,
                qualifier=reference.qualifier,
                alias=reference.alias,
                member=reference.member,
                count=reference.count,
            )
        )
    errors: dict[str, list[ParseError]] = defaultdict(list)
    for row in connection.execute("SELECT path, line, col, message FROM errors ORDER BY rowid"):
        errors[row[0]].append(ParseError(*row))
    warnings: dict[str, list[IndexWarning]] = defaultdict(list)
    for row in connection.execute("SELECT path, message FROM warnings ORDER BY rowid"):
        warnings[row[0]].append(IndexWarning(*row))
    cache: dict[str, CachedFile] = {}
    for row in connection.execute(
        "SELECT path, language, size, digest, lines, module_name, parse_key FROM files"
    ):
        source = _file(row[:6])
        cache[source.path] = CachedFile(
            parse_key=row[6],
            extraction=FileExtraction(
                file=source,
                components=tuple(components.get(source.path, ())),
                references=tuple(references.get(source.path, ())),
                errors=tuple(errors.get(source.path, ())),
                warnings=tuple(warnings.get(source.path, ())),
            ),
        )
    return cache


def search(output: Path, text: str, limit: int = 20) -> list[Component]:
    """Components whose name, words, qualified name, signature or doc match ``text``.

    Every whitespace-separated term must match (terms are quoted, so FTS syntax in the
    text is taken literally); best matches (BM25) first, names weighing most.
    """
    terms = [term for term in text.split() if term.strip('"')]
    if not terms:
        return []
    expression = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
    with open_catalog(catalog_path(output)) as connection:
        rows = connection.execute(
            f"SELECT {component_columns('c.')} FROM components_fts f "
            "JOIN components c ON c.id = f.id "
            "WHERE components_fts MATCH ? ORDER BY bm25(components_fts, 0, 10, 5, 3, 1, 1), "
            "c.ordinal LIMIT ?",
            (expression, limit),
        ).fetchall()
    return [component_from_row(row) for row in rows]


_FILE_COLUMNS = "path, language, size, digest, lines, module_name"
_COMPONENT_COLUMNS = (
    "id, kind, name, qualified_name, path, language, start_line, end_line, signature, doc, "
    "visibility, parent_id"
)
_REF_COLUMNS = (
    "kind, source_id, target_name, path, line, qualifier, alias, member, count, target_id, "
    "target_path, confidence"
)


def component_columns(prefix: str = "") -> str:
    """The columns :func:`component_from_row` reads, each with ``prefix`` (a table alias)."""
    return ", ".join(prefix + column.strip() for column in _COMPONENT_COLUMNS.split(","))


def _file(row: Sequence[object]) -> SourceFile:
    path, language, size, digest, lines, module_name = row
    return SourceFile(
        str(path), str(language), int(str(size)), str(digest), int(str(lines)), str(module_name)
    )


def component_from_row(row: Sequence[object]) -> Component:
    """A component from a row selected with :func:`component_columns`."""
    (
        identifier,
        kind,
        name,
        qualified,
        path,
        language,
        start,
        end,
        signature,
        doc,
        visibility,
        parent,
    ) = row
    return Component(
        id=str(identifier),
        kind=ComponentKind(str(kind)),
        name=str(name),
        qualified_name=str(qualified),
        path=str(path),
        language=str(language),
        start_line=int(str(start)),
        end_line=int(str(end)),
        signature=str(signature),
        doc=str(doc),
        visibility=Visibility(str(visibility)),
        parent_id=None if parent is None else str(parent),
    )


def _reference(row: Sequence[object]) -> Reference:
    (
        kind,
        source,
        target_name,
        path,
        line,
        qualifier,
        alias,
        member,
        count,
        target_id,
        target_path,
        confidence,
    ) = row
    return Reference(
        kind=ReferenceKind(str(kind)),
        source_id=str(source),
        target_name=str(target_name),
        path=str(path),
        line=int(str(line)),
        qualifier=None if qualifier is None else str(qualifier),
        alias=None if alias is None else str(alias),
        member=None if member is None else str(member),
        count=int(str(count)),
        target_id=None if target_id is None else str(target_id),
        target_path=None if target_path is None else str(target_path),
        confidence=float(str(confidence)),
    )
