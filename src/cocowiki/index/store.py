"""The index on disk: ``catalog.sqlite`` in the output directory.

The catalog is written whole into a temporary file next to it and renamed over the old one
(after an fsync), so a crash mid-write leaves the previous catalog intact and a reader
never sees half an index. After an edit that left other files' resolution alone it is
instead updated in place in one SQLite transaction (:func:`update_catalog`), which is
as atomic: a killed writer's journal is rolled back by the next indexer
(:func:`recover_catalog`). Tables:

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
* ``file_edges(path, target, weight)``: how strongly each file uses each other file
  (:func:`edge_weights`), a summary of ``refs`` that planning reads instead of them.

Beside the index: ``changes`` (what each update in place changed, :class:`IndexChanges`)
and ``file_stats`` (each file's ``lstat`` when last read, :class:`FileStat`).

Tables of other stages (the build graph, ``build_nodes``) live in the same file and are
carried over when the index is rewritten.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

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
    RowsLoader,
    SourceFile,
    Visibility,
)

CATALOG_NAME = "catalog.sqlite"
#: 2: ``components_qualified`` (the lookups of :mod:`.partial`), ``refs_target_path``
#: (:func:`references_into`), ``file_edges``.
SCHEMA_VERSION = 2

#: What each update in place changed (:class:`IndexChanges`), oldest first; emptied by a
#: whole write. Not part of the index: readers of the index never look at it.
_CHANGES_SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    step INTEGER PRIMARY KEY, before TEXT NOT NULL, after TEXT NOT NULL, rows TEXT NOT NULL
);
"""
#: How each indexed file looked (its ``lstat``) when it was last read (:class:`FileStat`), so
#: that the next index can take an unchanged file's rows without reading it again. Not
#: part of the index either (a build from nothing of the same tree gives other times).
_STATS_SCHEMA = """
CREATE TABLE IF NOT EXISTS file_stats (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, read_ns INTEGER NOT NULL,
    reader TEXT NOT NULL
);
"""
#: Updates in place remembered (a build more steps behind compares everything).
CHANGES_KEPT = 16

_SCHEMA = (
    """
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
CREATE INDEX components_qualified ON components (qualified_name);
CREATE INDEX components_parent ON components (parent_id);
CREATE TABLE refs (
    kind TEXT NOT NULL, source_id TEXT NOT NULL, target_name TEXT NOT NULL,
    path TEXT NOT NULL, line INTEGER NOT NULL, qualifier TEXT, alias TEXT, member TEXT,
    count INTEGER NOT NULL, target_id TEXT, target_path TEXT, confidence REAL NOT NULL,
    ordinal INTEGER NOT NULL
);
CREATE INDEX refs_source ON refs (source_id);
CREATE INDEX refs_target ON refs (target_id);
CREATE INDEX refs_target_path ON refs (target_path);
CREATE INDEX refs_path ON refs (path);
CREATE TABLE errors (
    path TEXT NOT NULL, line INTEGER NOT NULL, col INTEGER NOT NULL, message TEXT NOT NULL
);
CREATE TABLE warnings (path TEXT NOT NULL, message TEXT NOT NULL);
CREATE TABLE exclusions (path TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE file_edges (
    path TEXT NOT NULL, target TEXT NOT NULL, weight INTEGER NOT NULL,
    PRIMARY KEY (path, target)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE components_fts USING fts5 (
    id UNINDEXED, name, words, qualified_name, signature, doc, tokenize = 'unicode61'
);
"""
    + _CHANGES_SCHEMA
    + _STATS_SCHEMA
)

_E = TypeVar("_E")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


@dataclass(frozen=True, slots=True)
class CachedFile:
    """A file's rows from a previous catalog, reusable when its digest is unchanged."""

    parse_key: str
    extraction: FileExtraction


@dataclass(frozen=True, slots=True)
class FileStat:
    """A file as ``lstat`` saw it just before the index read it: ``stat`` is ``(size,
    mtime_ns, ctime_ns, inode)``, ``read_ns`` the wall clock before that ``lstat`` (to
    tell a file changed in the same timestamp tick as it was read, which a same
    ``stat`` does not rule out), ``reader`` the settings and version it was read with
    (they decide what reading it gives)."""

    stat: tuple[int, int, int, int]
    read_ns: int
    reader: str

    def row(self, path: str) -> tuple[object, ...]:
        return (path, *self.stat, self.read_ns, self.reader)


@dataclass(frozen=True, slots=True)
class IndexChanges:
    """What an update in place changed, as the build graph asks it (the rows of every
    other file are as they were): the files whose rows were replaced; the files their
    references pointed or point into (each reference's ``target_path`` and the file part
    of its ``target_id``, before ``#``); the simple names of their components, before
    and after."""

    files: frozenset[str] = frozenset()
    targets: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()

    def __or__(self, other: IndexChanges) -> IndexChanges:
        return IndexChanges(
            self.files | other.files, self.targets | other.targets, self.names | other.names
        )

    def dumps(self) -> str:
        return json.dumps([sorted(self.files), sorted(self.targets), sorted(self.names)])

    @classmethod
    def loads(cls, text: str) -> IndexChanges:
        files, targets, names = json.loads(text)
        return cls(frozenset(files), frozenset(targets), frozenset(names))

    @classmethod
    def of(cls, components: Iterable[Component], references: Iterable[Reference]) -> IndexChanges:
        """The names and targets of some rows (their files are added by the caller)."""
        targets: set[str] = set()
        for ref in references:
            targets.update(_targets(ref.target_path, ref.target_id))
        return cls(frozenset(), frozenset(targets), frozenset(c.name for c in components))


def _targets(target_path: str | None, target_id: str | None) -> list[str]:
    return [t for t in (target_path, (target_id or "").split("#", 1)[0]) if t]


def index_changes(path: Path, since: str, now: str) -> IndexChanges | None:
    """What changed in the catalog ``path`` from the index of fingerprint ``since`` to the
    one of ``now`` (nothing when they are equal), or None when that is not known: the
    catalog was written whole in between, or more updates in place than it remembers."""
    if since == now:
        return IndexChanges()
    try:
        with open_catalog(path) as connection:
            steps = connection.execute(
                "SELECT before, after, rows FROM changes ORDER BY step DESC"
            ).fetchall()
    except sqlite3.Error:
        return None
    changes, current = IndexChanges(), now
    for before, after, rows in steps:
        if after != current:
            return None
        changes, current = changes | IndexChanges.loads(rows), before
        if current == since:
            return changes
    return None


def _record_changes(
    connection: sqlite3.Connection, before: str, after: str, changes: IndexChanges
) -> None:
    """Add an update in place to the chain of them (a new chain unless it continues it)."""
    last = connection.execute("SELECT after FROM changes ORDER BY step DESC LIMIT 1").fetchone()
    if last is None or last[0] != before:
        connection.execute("DELETE FROM changes")
    connection.execute(
        "INSERT INTO changes (before, after, rows) VALUES (?, ?, ?)",
        (before, after, changes.dumps()),
    )
    connection.execute(
        "DELETE FROM changes WHERE step <= (SELECT max(step) FROM changes) - ?", (CHANGES_KEPT,)
    )


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
    stats: Mapping[str, FileStat] | None = None,
) -> Path:
    """Write the whole index atomically (temporary file, fsync, rename) and return its path;
    ``stats`` are the files' :class:`FileStat`."""
    target = catalog_path(output)
    with replacement(target) as temporary:
        connection = sqlite3.connect(temporary)
        try:
            connection.execute("PRAGMA journal_mode = OFF")
            connection.execute("PRAGMA synchronous = OFF")
            with connection:
                connection.executescript(_SCHEMA)
                _insert(connection, result, parse_keys, fingerprint, tool_version)
                _put_stats(connection, stats or {})
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
    _insert_meta(connection, result, fingerprint, tool_version)
    connection.executemany(
        "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (_file_row(f, parse_keys, ordinal) for ordinal, f in enumerate(result.files)),
    )
    _insert_components(connection, result.components, 0)
    _insert_references(connection, result.references, 0)
    _insert_edges(connection, result.references)
    _insert_diagnostics(connection, result)


def _insert_meta(
    connection: sqlite3.Connection,
    result: IndexResult,
    fingerprint: str,
    tool_version: str,
    summary: Mapping[str, Any] | None = None,
) -> None:
    meta = {
        "schema_version": str(SCHEMA_VERSION),
        "tool_version": tool_version,
        "fingerprint": fingerprint,
        "repo": result.repo,
        "summary": json.dumps(result.summary() if summary is None else summary, sort_keys=True),
    }
    connection.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))


def _file_row(f: SourceFile, parse_keys: dict[str, str], ordinal: int) -> tuple[object, ...]:
    key = parse_keys.get(f.path, "")
    return (f.path, f.language, f.size, f.digest, f.lines, f.module_name, key, ordinal)


def _insert_components(
    connection: sqlite3.Connection, components: Sequence[Component], first: int
) -> None:
    """Components (and their search rows), numbered from ``first``."""
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
            for ordinal, c in enumerate(components, start=first)
        ),
    )
    connection.executemany(
        "INSERT INTO components_fts VALUES (?, ?, ?, ?, ?, ?)",
        (
            (c.id, c.name, identifier_words(c.name), c.qualified_name, c.signature, c.doc)
            for c in components
        ),
    )


def _insert_references(
    connection: sqlite3.Connection, references: Sequence[Reference], first: int
) -> None:
    """References, numbered from ``first``."""
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
            for ordinal, r in enumerate(references, start=first)
        ),
    )


def edge_weights(references: Iterable[Reference]) -> dict[tuple[str, str], int]:
    """``{(file, other file): weight}``: each resolved reference from a file into another
    weighs its ``count`` times its confidence in percent (so a call resolved by an
    import outweighs a guess by name); integers, so sums do not depend on order."""
    weights: dict[tuple[str, str], int] = defaultdict(int)
    for ref in references:
        target = ref.target_path
        if target is not None and target != ref.path and ref.confidence > 0:
            weights[(ref.path, target)] += ref.count * max(1, round(ref.confidence * 100))
    return dict(weights)


def _insert_edges(connection: sqlite3.Connection, references: Iterable[Reference]) -> None:
    connection.executemany(
        "INSERT INTO file_edges VALUES (?, ?, ?)",
        ((*edge, weight) for edge, weight in sorted(edge_weights(references).items())),
    )


def read_edge_weights(path: Path) -> dict[tuple[str, str], int]:
    """The :func:`edge_weights` of the index in the catalog ``path``, from its summary."""
    with open_catalog(path) as connection:
        rows = connection.execute("SELECT path, target, weight FROM file_edges").fetchall()
    return {(source, target): weight for source, target, weight in rows}


def _insert_diagnostics(connection: sqlite3.Connection, result: IndexResult) -> None:
    """Parse errors, warnings and exclusions (small tables, kept in order by rowid)."""
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


def _put_stats(connection: sqlite3.Connection, stats: Mapping[str, FileStat]) -> None:
    connection.executemany(
        "INSERT OR REPLACE INTO file_stats VALUES (?, ?, ?, ?, ?, ?, ?)",
        (stat.row(path) for path, stat in sorted(stats.items())),
    )


def load_file_stats(path: Path) -> dict[str, FileStat]:
    """The :class:`FileStat` of each file the catalog indexes (none from a catalog that
    cannot be read or has no such table)."""
    try:
        with open_catalog(path) as connection:
            rows = connection.execute(
                "SELECT s.path, s.size, s.mtime_ns, s.ctime_ns, s.inode, s.read_ns, s.reader "
                "FROM file_stats s JOIN files f ON f.path = s.path"
            ).fetchall()
    except sqlite3.Error:
        return {}
    return {row[0]: FileStat((row[1], row[2], row[3], row[4]), row[5], row[6]) for row in rows}


def update_catalog(
    output: Path,
    result: IndexResult,
    parse_keys: dict[str, str],
    fingerprint: str,
    tool_version: str,
    changed: Mapping[str, tuple[Sequence[Component], Sequence[Reference]]],
    stats: Mapping[str, FileStat] | None = None,
) -> bool:
    """Bring the catalog up to date in place, in one transaction, when it indexes the same
    files and only the rows of the ``changed`` files differ: ``changed`` holds their new
    components and references (the caller kept every other file's resolution), ``stats``
    the :class:`FileStat` of the files read again (those of the others stay). True
    when done; False, having written nothing, when the catalog is not one this can
    update (then :func:`write_catalog`). A ``result`` whose rows are not loaded (a
    lazy one, :mod:`.partial`) stays so: the summary's counts of rows are then counted
    in the catalog once updated.

    A one-file edit of a large repository then writes a few hundred rows instead of the
    whole catalog. The rows end as :func:`write_catalog` would write them: each changed
    file's components and references take the place (the ``ordinal`` range) of its old
    ones, and the rows after them move by the difference. A killed writer leaves a
    journal that the next connection rolls back.
    """
    path = catalog_path(output)
    if not path.is_file():
        return False
    connection = sqlite3.connect(path)
    try:
        meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
        files = [row[0] for row in connection.execute("SELECT path FROM files ORDER BY ordinal")]
        if (
            meta.get("schema_version") != str(SCHEMA_VERSION)
            or meta.get("tool_version") != tool_version
            or files != [f.path for f in result.files]
        ):
            return False
        connection.executescript(_CHANGES_SCHEMA + _STATS_SCHEMA)  # an older catalog's
        with connection:
            changes = _replace_changed(connection, result, parse_keys, changed)
            _put_stats(connection, stats or {})
            for table in ("meta", "errors", "warnings", "exclusions"):
                connection.execute(f"DELETE FROM {table}")
            summary = result.summary_with(_row_counts(connection)) if result.lazy else None
            _insert_meta(connection, result, fingerprint, tool_version, summary)
            _insert_diagnostics(connection, result)
            _record_changes(connection, meta.get("fingerprint", ""), fingerprint, changes)
    except sqlite3.Error:
        return False
    finally:
        connection.close()
    return True


def _row_counts(connection: sqlite3.Connection) -> dict[str, Any]:
    """What :meth:`~.model.IndexResult.summary` counts of the rows, counted in SQL."""
    kinds = connection.execute("SELECT kind, count(*) FROM components GROUP BY kind").fetchall()
    references, resolved = connection.execute(
        "SELECT count(*), count(*) FILTER (WHERE confidence > 0) FROM refs"
    ).fetchone()
    return {
        "components": sum(count for _, count in kinds),
        "component_kinds": dict(sorted(kinds)),
        "references": references,
        "references_resolved": resolved,
    }


def _replace_changed(
    connection: sqlite3.Connection,
    result: IndexResult,
    parse_keys: dict[str, str],
    changed: Mapping[str, tuple[Sequence[Component], Sequence[Reference]]],
) -> IndexChanges:
    """The files, components and references of the ``changed`` files, last file first (so
    the rows a file moves are never those of a file still to come); what that changed."""
    sources = {f.path: f for f in result.files}
    changes = IndexChanges(files=frozenset(changed))
    for position, table in enumerate(("components", "refs")):
        counts = dict(connection.execute(f"SELECT path, count(*) FROM {table} GROUP BY path"))
        start = 0
        old: dict[str, tuple[int, int]] = {}
        for f in result.files:
            old[f.path] = (start, counts.get(f.path, 0))
            start += counts.get(f.path, 0)
        for file_path in sorted(changed, key=lambda p: old[p][0], reverse=True):
            first, count = old[file_path]
            rows = changed[file_path][position]
            if len(rows) != count:
                connection.execute(
                    f"UPDATE {table} SET ordinal = ordinal + ? WHERE ordinal >= ?",
                    (len(rows) - count, first + count),
                )
            if table == "components":
                names = connection.execute(
                    "SELECT name FROM components WHERE path = ?", (file_path,)
                ).fetchall()
                changes |= IndexChanges(names=frozenset(name for (name,) in names))
                components = cast("Sequence[Component]", rows)
                changes |= IndexChanges.of(components, ())
                connection.execute(
                    "DELETE FROM components_fts WHERE id IN "
                    "(SELECT id FROM components WHERE path = ?)",
                    (file_path,),
                )
                connection.execute("DELETE FROM components WHERE path = ?", (file_path,))
                _insert_components(connection, components, first)
            else:
                targets = connection.execute(
                    "SELECT target_path, target_id FROM refs WHERE path = ?", (file_path,)
                ).fetchall()
                old_targets = {t for row in targets for t in _targets(*row)}
                changes |= IndexChanges(targets=frozenset(old_targets))
                references = cast("Sequence[Reference]", rows)
                changes |= IndexChanges.of((), references)
                connection.execute("DELETE FROM refs WHERE path = ?", (file_path,))
                _insert_references(connection, references, first)
                connection.execute("DELETE FROM file_edges WHERE path = ?", (file_path,))
                _insert_edges(connection, references)
    connection.executemany(
        "UPDATE files SET language = ?, size = ?, digest = ?, lines = ?, module_name = ?, "
        "parse_key = ? WHERE path = ? AND ordinal = ?",
        (
            (*_file_row(sources[p], parse_keys, 0)[1:7], p, files_ordinal)
            for files_ordinal, p in enumerate(f.path for f in result.files)
            if p in changed
        ),
    )
    return changes


def recover_catalog(path: Path) -> None:
    """Roll back a transaction a killed writer left in the catalog's journal (a read-only
    reader cannot, and fails while the journal is there): SQLite does it when a
    read-write connection first reads the file."""
    if not path.is_file():
        return
    with contextlib.suppress(sqlite3.Error):
        connection = sqlite3.connect(path)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            connection.close()


@contextlib.contextmanager
def open_catalog(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a catalog file (readers never take the writer's lock).

    The URI is built by :meth:`~pathlib.Path.as_uri`, which percent-encodes the path: an
    output directory named ``a?b`` or ``c#d`` is a path, not a query or a fragment."""
    connection = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
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


def read_index(output: Path, *, lazy: bool = False) -> IndexResult:
    """Load a whole index back from the catalog of an output directory.

    With ``lazy``, the components and references (nearly all of its rows) are read when
    first used (:class:`~.model.IndexResult`), from the same file: for a caller that
    keeps the catalog where it is and unchanged meanwhile (a build holds the output's
    lock, as every writer does).
    """
    path = catalog_path(output)
    with open_catalog(path) as connection:
        meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
        summary = json.loads(meta.get("summary", "{}"))
        files = [
            _file(row)
            for row in connection.execute(f"SELECT {_FILE_COLUMNS} FROM files ORDER BY ordinal")
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

    index = IndexResult(
        repo=meta.get("repo", ""),
        files=files,
        errors=errors,
        warnings=warnings,
        exclusions=exclusions,
        timings={str(k): float(v) for k, v in summary.get("timings", {}).items()},
        files_parsed=int(summary.get("files_parsed", 0)),
        files_unchanged=int(summary.get("files_unchanged", 0)),
        catalog_written=bool(summary.get("catalog_written", True)),
        rows=rows_loader(path),
    )
    return index if lazy else index.load()


def rows_loader(path: Path) -> RowsLoader:
    """What reads the components and references of the catalog ``path`` on first use
    (an :class:`~.model.IndexResult`'s ``rows``)."""

    def components() -> list[Component]:
        with open_catalog(path) as connection:
            rows = _in_order(connection, "components", _COMPONENT_COLUMNS)
        return [component_from_row(row) for row in rows]

    def references() -> list[Reference]:
        with open_catalog(path) as connection:
            rows = _in_order(connection, "refs", _REF_COLUMNS)
        return [reference_from_row(row) for row in rows]

    return RowsLoader(components, references)


def _in_order(connection: sqlite3.Connection, table: str, columns: str) -> list[Any]:
    """The rows of ``table`` by ``ordinal``. A catalog written whole stores them in that
    order, so they are sorted here only when they are not (an update in place appends
    the rows it replaces), not by SQLite every time (a tenth of reading them)."""
    rows = connection.execute(f"SELECT {columns}, ordinal FROM {table}").fetchall()
    if any(rows[i][-1] > rows[i + 1][-1] for i in range(len(rows) - 1)):
        rows.sort(key=lambda row: row[-1])
    return [row[:-1] for row in rows]


def references_into(path: Path, files: Iterable[str]) -> dict[str, list[Reference]]:
    """The references of the catalog ``path`` that point into each of ``files`` (by
    ``target_path``, or by the file part of ``target_id``), each list in the catalog's
    order, found by the catalog's indexes: a build asks it of the few files an edit
    touches, which costs next to nothing beside reading every reference."""
    into: dict[str, list[Reference]] = {}
    with open_catalog(path) as connection:
        for file in files:
            rows = connection.execute(
                f"SELECT {_REF_COLUMNS}, ordinal FROM refs WHERE target_path = ? UNION "
                f"SELECT {_REF_COLUMNS}, ordinal FROM refs WHERE target_id = ? "
                "OR (target_id >= ? AND target_id < ?) ORDER BY ordinal",
                (file, file, file + "#", file + "$"),  # "$" follows "#": the ids in PATH
            ).fetchall()
            into[file] = [reference_from_row(row[:-1]) for row in rows]
    return into


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


def load_cache(path: Path, paths: Iterable[str] | None = None) -> dict[str, CachedFile]:
    """Per-file extractions of a previous catalog (of ``paths`` only, if given, read by
    indexed lookups: a few files of a large catalog cost next to nothing).

    Their references are as the catalog holds them, resolved; the resolver reads only
    what was written (:func:`~.resolve.as_written`), and may keep the targets of files
    whose resolution cannot have changed.

    Like :func:`load_file_keys`, a catalog that cannot be read gives an empty cache.
    """
    if read_meta(path).get("schema_version") != str(SCHEMA_VERSION):
        return {}
    try:
        with open_catalog(path) as connection:
            return _load_cache(connection, None if paths is None else sorted(set(paths)))
    except (sqlite3.Error, ValueError):
        return {}


def _load_cache(connection: sqlite3.Connection, paths: list[str] | None) -> dict[str, CachedFile]:
    components: dict[str, list[Component]] = defaultdict(list)
    for row in _rows_of_files(connection, "components", _COMPONENT_COLUMNS, paths):
        component = component_from_row(row)
        components[component.path].append(component)
    references: dict[str, list[Reference]] = defaultdict(list)
    for row in _rows_of_files(connection, "refs", _REF_COLUMNS, paths):
        reference = reference_from_row(row)
        references[reference.path].append(reference)
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
        if paths is not None and row[0] not in paths:
            continue
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


def _rows_of_files(
    connection: sqlite3.Connection, table: str, columns: str, paths: list[str] | None
) -> list[Any]:
    """The rows of ``table`` in order: all of them, or those of ``paths`` (by its index)."""
    if paths is None:
        return _in_order(connection, table, columns)
    return [
        row
        for path in paths
        for row in connection.execute(
            f"SELECT {columns} FROM {table} WHERE path = ? ORDER BY ordinal", (path,)
        )
    ]


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


#: Enum members by stored value: a dict lookup costs a tenth of calling the enum, which
#: counts at a hundred thousand rows.
_COMPONENT_KINDS = {kind.value: kind for kind in ComponentKind}
_VISIBILITIES = {visibility.value: visibility for visibility in Visibility}
_REFERENCE_KINDS = {kind.value: kind for kind in ReferenceKind}


def _member(members: dict[str, _E], value: object) -> _E:
    """The enum member stored as ``value``; ValueError for a value this version does not know."""
    try:
        return members[value]  # type: ignore[index]
    except KeyError:
        raise ValueError(f"unknown value in the catalog: {value!r}") from None


def _file(row: Sequence[Any]) -> SourceFile:
    path, language, size, digest, lines, module_name = row
    return SourceFile(path, language, size, digest, lines, module_name)


def component_from_row(row: Sequence[Any]) -> Component:
    """A component from a row selected with :func:`component_columns`."""
    values = list(row)
    values[1] = _member(_COMPONENT_KINDS, values[1])
    values[10] = _member(_VISIBILITIES, values[10])
    return Component(*values)


def reference_columns() -> str:
    """The columns :func:`reference_from_row` reads."""
    return _REF_COLUMNS


def reference_from_row(row: Sequence[Any]) -> Reference:
    """A reference from a row selected with :func:`reference_columns`."""
    kind, *fields = row
    return Reference(_member(_REFERENCE_KINDS, kind), *fields)
