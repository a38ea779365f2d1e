"""The SQLite index of memory: lessons in FTS5 (bm25), their tags and components, the
artifact records, and optional embedding vectors.

The index is derived data. :class:`LessonIndex` wraps one connection (a file's, or
``:memory:`` for :class:`~.store.InMemoryStore`) and only ever writes rows built from
:class:`~.records.MemoryLesson` and :class:`~.records.ArtifactRecord` values; the disk
store decides which files those come from. Each lesson row remembers the size and
``mtime_ns`` of the file it was read from, so a sync re-reads only files that changed.
"""

from __future__ import annotations

import json
import re
import sqlite3
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..lessons import Lesson
from .records import ArtifactRecord, MemoryLesson

SCHEMA_VERSION = "3"
FileStamp = tuple[int, int]
"""``(size, mtime_ns)`` of the file a row was read from (``(0, 0)`` in memory)."""

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE lessons (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    timestamp TEXT NOT NULL,
    task_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    failure_signature TEXT NOT NULL,
    strategy_id TEXT NOT NULL,
    goal TEXT NOT NULL,
    title TEXT NOT NULL,
    harmful INTEGER NOT NULL,
    header TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX lessons_failure ON lessons (failure_signature);
CREATE INDEX lessons_harmful ON lessons (n) WHERE harmful = 1;
CREATE VIRTUAL TABLE lessons_fts USING fts5 (
    title, body, tags, components, goal, tokenize = 'unicode61'
);
CREATE VIRTUAL TABLE lessons_vocab USING fts5vocab (lessons_fts, 'row');
CREATE TABLE lesson_tags (n INTEGER NOT NULL, tag TEXT NOT NULL);
CREATE INDEX lesson_tags_tag ON lesson_tags (tag);
CREATE INDEX lesson_tags_n ON lesson_tags (n);
CREATE TABLE tag_counts (tag TEXT PRIMARY KEY, lessons INTEGER NOT NULL);
CREATE TABLE lesson_components (n INTEGER NOT NULL, component TEXT NOT NULL);
CREATE INDEX lesson_components_component ON lesson_components (component);
CREATE INDEX lesson_components_n ON lesson_components (n);
CREATE TABLE lesson_vectors (n INTEGER PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE artifact_files (
    name TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL
);
CREATE TABLE artifacts (
    file TEXT NOT NULL,
    path TEXT NOT NULL,
    digest TEXT NOT NULL,
    run_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    state TEXT NOT NULL,
    ended_at TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX artifacts_path ON artifacts (path, ended_at);
CREATE INDEX artifacts_file ON artifacts (file);
"""

_WORD = re.compile(r"[A-Za-z0-9]+")
_STOP = "a an and are as at be by do does for from has have in is it its of on or so that the "
_STOP += "this to was were will with not no your you step run goal task make makes"
STOP_WORDS = frozenset(_STOP.split(" "))


def words(text: str, limit: int = 32) -> list[str]:
    """The distinct search words of ``text``, lowercased, in order, stop words left out."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if len(word) > 1 and word not in STOP_WORDS:
            seen.setdefault(word, None)
            if len(seen) >= limit:
                break
    return list(seen)


def match_expression(terms: Iterable[str]) -> str:
    """An FTS5 query matching any of ``terms`` (each quoted, so none is an operator)."""
    return " OR ".join(f'"{term}"' for term in terms)


def pack_vector(vector: Sequence[float]) -> bytes:
    return struct.pack(f"<{len(vector)}f", *vector)


def unpack_vector(blob: bytes) -> list[float]:
    return list(struct.unpack(f"<{len(blob) // 4}f", blob))


@dataclass(frozen=True)
class Candidate:
    """A lesson row as retrieval sees it."""

    n: int
    id: str
    step_id: str
    task_id: str
    failure_signature: str
    title: str
    body: str
    tags: tuple[str, ...]
    components: tuple[str, ...]


def create_schema(connection: sqlite3.Connection) -> None:
    connection.executescript(SCHEMA)
    connection.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
    connection.commit()


class LessonIndex:
    """Reads and writes the index over one open connection (see the module docstring)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    # -- meta ------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.connection.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- lessons ---------------------------------------------------------------------------
    def lesson_stamps(self) -> dict[str, FileStamp]:
        rows = self.connection.execute("SELECT id, size, mtime_ns FROM lessons")
        return {row[0]: (row[1], row[2]) for row in rows}

    def put_lesson(
        self, stored: MemoryLesson, stamp: FileStamp = (0, 0), vector: bytes | None = None
    ) -> None:
        """Insert or replace one lesson (call inside a transaction)."""
        self.delete_lesson(stored.id)
        lesson = stored.lesson
        cursor = self.connection.execute(
            "INSERT INTO lessons (id, size, mtime_ns, timestamp, task_id, step_id, attempt, "
            "failure_signature, strategy_id, goal, title, harmful, header, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                lesson.id,
                *stamp,
                lesson.timestamp,
                lesson.task_id,
                lesson.step_id,
                lesson.attempt,
                lesson.failure_signature,
                lesson.strategy_id,
                stored.goal,
                stored.title,
                int(stored.harmful),
                json.dumps(stored.header(), sort_keys=True),
                lesson.body,
            ),
        )
        n = cursor.lastrowid
        self.connection.execute(
            "INSERT INTO lessons_fts (rowid, title, body, tags, components, goal) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                n,
                stored.title,
                lesson.body,
                " ".join(lesson.tags),
                " ".join(stored.components),
                stored.goal,
            ),
        )
        self.connection.executemany(
            "INSERT INTO lesson_tags VALUES (?, ?)", ((n, tag) for tag in set(lesson.tags))
        )
        self.connection.executemany(
            "INSERT INTO tag_counts VALUES (?, 1) "
            "ON CONFLICT (tag) DO UPDATE SET lessons = lessons + 1",
            ((tag,) for tag in set(lesson.tags)),
        )
        self.connection.executemany(
            "INSERT INTO lesson_components VALUES (?, ?)",
            ((n, component) for component in set(stored.components)),
        )
        if vector is not None:
            self.connection.execute("INSERT INTO lesson_vectors VALUES (?, ?)", (n, vector))

    def delete_lesson(self, lesson_id: str) -> bool:
        row = self.connection.execute("SELECT n FROM lessons WHERE id = ?", (lesson_id,)).fetchone()
        if row is None:
            return False
        n = row[0]
        self.connection.execute(
            "UPDATE tag_counts SET lessons = lessons - 1 "
            "WHERE tag IN (SELECT tag FROM lesson_tags WHERE n = ?)",
            (n,),
        )
        for table in ("lesson_tags", "lesson_components"):
            self.connection.execute(f"DELETE FROM {table} WHERE n = ?", (n,))
        self.connection.execute("DELETE FROM lesson_vectors WHERE n = ?", (n,))
        self.connection.execute("DELETE FROM lessons_fts WHERE rowid = ?", (n,))
        self.connection.execute("DELETE FROM lessons WHERE n = ?", (n,))
        return True

    def get(self, lesson_id: str) -> MemoryLesson | None:
        row = self.connection.execute(
            "SELECT header, body FROM lessons WHERE id = ?", (lesson_id,)
        ).fetchone()
        return None if row is None else _from_row(row[0], row[1])

    def all(self) -> list[MemoryLesson]:
        """Every lesson, oldest first (harmful ones included, marked)."""
        rows = self.connection.execute(
            "SELECT header, body FROM lessons ORDER BY timestamp, id"
        ).fetchall()
        return [_from_row(header, body) for header, body in rows]

    def count(self) -> int:
        return int(self.connection.execute("SELECT count(*) FROM lessons").fetchone()[0])

    def search(self, text: str, limit: int = 10) -> list[tuple[MemoryLesson, float]]:
        """Lessons matching any word of ``text`` by bm25 (higher score is better);
        harmful lessons are left out."""
        terms = words(text)
        if not terms:
            return []
        rows = self.connection.execute(
            "SELECT l.header, l.body, -bm25(lessons_fts) AS score FROM lessons_fts "
            "JOIN lessons l ON l.n = lessons_fts.rowid "
            "WHERE lessons_fts MATCH ? AND l.harmful = 0 ORDER BY score DESC LIMIT ?",
            (match_expression(terms), limit),
        ).fetchall()
        return [(_from_row(header, body), float(score)) for header, body, score in rows]

    # -- retrieval primitives ----------------------------------------------------------------
    def text_scores(self, terms: Sequence[str], limit: int) -> dict[int, float]:
        """``{n: -bm25}`` of the best ``limit`` unharmful lessons matching any term in their
        text (module names share prefixes such as ``app``: components are matched as
        such, by :meth:`by_components`, not as words)."""
        if not terms:
            return {}
        harmful = self.harmful()
        # No join with lessons here: it makes FTS5 rank every match four times slower.
        rows = self.connection.execute(
            "SELECT rowid, -bm25(lessons_fts, 2.0, 1.0, 1.0, 2.0, 0.5) AS score "
            "FROM lessons_fts WHERE lessons_fts MATCH ? ORDER BY score DESC LIMIT ?",
            (f"{{title body tags goal}} : ({match_expression(terms)})", limit + len(harmful)),
        ).fetchall()
        kept = [(int(n), float(score)) for n, score in rows if n not in harmful]
        return dict(kept[:limit])

    def harmful(self) -> set[int]:
        """The row numbers of the lessons marked harmful."""
        rows = self.connection.execute("SELECT n FROM lessons WHERE harmful = 1")
        return {int(row[0]) for row in rows}

    def selective_terms(self, terms: Sequence[str], limit: int, share: float = 0.1) -> list[str]:
        """The ``limit`` rarest of ``terms`` that some lesson has and at most ``share`` of
        the lessons have (bm25 over a word most lessons share costs time and says little;
        when every term is that common, the rarest ``limit`` of them)."""
        if not terms:
            return []
        marks = ",".join("?" * len(terms))
        rows = self.connection.execute(
            f"SELECT term, doc FROM lessons_vocab WHERE term IN ({marks})", list(terms)
        ).fetchall()
        ranked = sorted(rows, key=lambda row: (row[1], row[0]))
        bound = max(20, int(self.count() * share))
        chosen = [term for term, doc in ranked if doc <= bound] or [t for t, _ in ranked]
        return chosen[:limit]

    def selective_tags(self, tags: Iterable[str], share: float = 0.05) -> list[str]:
        """The tags of ``tags`` that at most ``share`` of the lessons carry."""
        chosen = sorted(set(tags))
        if not chosen:
            return []
        bound = max(20, int(self.count() * share))
        marks = ",".join("?" * len(chosen))
        rows = self.connection.execute(
            f"SELECT tag FROM tag_counts WHERE tag IN ({marks}) AND lessons BETWEEN 1 AND ?",
            (*chosen, bound),
        ).fetchall()
        return sorted(row[0] for row in rows)

    def by_components(self, components: Iterable[str], limit: int) -> dict[int, int]:
        """``{n: how many of components}`` for unharmful lessons concerning any of them."""
        return self._by("lesson_components", "component", components, limit)

    def by_tags(self, tags: Iterable[str], limit: int) -> dict[int, int]:
        return self._by("lesson_tags", "tag", tags, limit)

    def _by(self, table: str, column: str, values: Iterable[str], limit: int) -> dict[int, int]:
        chosen = sorted(set(values))
        if not chosen:
            return {}
        marks = ",".join("?" * len(chosen))
        harmful = self.harmful()
        rows = self.connection.execute(
            f"SELECT n, count(*) AS hits FROM {table} WHERE {column} IN ({marks}) "
            "GROUP BY n ORDER BY hits DESC, n DESC LIMIT ?",
            (*chosen, limit + len(harmful)),
        ).fetchall()
        kept = [(int(n), int(hits)) for n, hits in rows if n not in harmful]
        return dict(kept[:limit])

    def by_failures(self, signatures: Iterable[str], limit: int) -> set[int]:
        chosen = sorted({s for s in signatures if s})
        if not chosen:
            return set()
        marks = ",".join("?" * len(chosen))
        rows = self.connection.execute(
            f"SELECT n FROM lessons WHERE failure_signature IN ({marks}) AND harmful = 0 "
            "ORDER BY timestamp DESC LIMIT ?",
            (*chosen, limit),
        ).fetchall()
        return {int(row[0]) for row in rows}

    def candidates(self, numbers: Iterable[int]) -> dict[int, Candidate]:
        chosen = sorted(set(numbers))
        if not chosen:
            return {}
        marks = ",".join("?" * len(chosen))
        found: dict[int, Candidate] = {}
        tags = self._grouped("lesson_tags", "tag", chosen, marks)
        components = self._grouped("lesson_components", "component", chosen, marks)
        rows = self.connection.execute(
            f"SELECT n, id, step_id, task_id, failure_signature, title, body FROM lessons "
            f"WHERE n IN ({marks})",
            chosen,
        )
        for n, lesson_id, step_id, task_id, failure, title, body in rows:
            found[n] = Candidate(
                n,
                lesson_id,
                step_id,
                task_id,
                failure,
                title,
                body,
                tuple(sorted(tags.get(n, ()))),
                tuple(sorted(components.get(n, ()))),
            )
        return found

    def _grouped(
        self, table: str, column: str, numbers: list[int], marks: str
    ) -> dict[int, list[str]]:
        grouped: dict[int, list[str]] = {}
        rows = self.connection.execute(
            f"SELECT n, {column} FROM {table} WHERE n IN ({marks})", numbers
        )
        for n, value in rows:
            grouped.setdefault(n, []).append(value)
        return grouped

    def vectors(self, numbers: Iterable[int]) -> dict[int, list[float]]:
        chosen = sorted(set(numbers))
        if not chosen:
            return {}
        marks = ",".join("?" * len(chosen))
        rows = self.connection.execute(
            f"SELECT n, vector FROM lesson_vectors WHERE n IN ({marks})", chosen
        )
        return {int(n): unpack_vector(blob) for n, blob in rows}

    def all_vectors(self) -> dict[int, list[float]]:
        rows = self.connection.execute(
            "SELECT v.n, v.vector FROM lesson_vectors v JOIN lessons l ON l.n = v.n "
            "WHERE l.harmful = 0"
        )
        return {int(n): unpack_vector(blob) for n, blob in rows}

    # -- artifacts -------------------------------------------------------------------------
    def artifact_stamps(self) -> dict[str, FileStamp]:
        rows = self.connection.execute("SELECT name, size, mtime_ns FROM artifact_files")
        return {row[0]: (row[1], row[2]) for row in rows}

    def put_artifacts(
        self, name: str, records: Sequence[ArtifactRecord], stamp: FileStamp = (0, 0)
    ) -> None:
        """Replace the records of one artifacts file (one run) with ``records``."""
        self.delete_artifacts(name)
        self.connection.execute("INSERT INTO artifact_files VALUES (?, ?, ?)", (name, *stamp))
        self.connection.executemany(
            "INSERT INTO artifacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    name,
                    r.path,
                    r.digest,
                    r.run_id,
                    r.step_id,
                    r.attempt,
                    r.state,
                    r.ended_at,
                    json.dumps(r.to_dict(), sort_keys=True),
                )
                for r in records
            ),
        )

    def delete_artifacts(self, name: str) -> None:
        self.connection.execute("DELETE FROM artifacts WHERE file = ?", (name,))
        self.connection.execute("DELETE FROM artifact_files WHERE name = ?", (name,))

    def history(self, path: str, limit: int = 20) -> list[ArtifactRecord]:
        """Every recorded change of ``path``, latest first: ``[0]`` is "which run last
        changed this file, and why"."""
        rows = self.connection.execute(
            "SELECT record FROM artifacts WHERE path = ? ORDER BY ended_at DESC, attempt DESC "
            "LIMIT ?",
            (path, limit),
        ).fetchall()
        return [ArtifactRecord.from_dict(json.loads(row[0])) for row in rows]

    def latest_changes(self, paths: Iterable[str], limit: int) -> list[ArtifactRecord]:
        """The last recorded change of each of ``paths`` (those with any), latest first."""
        chosen = sorted(set(paths))
        if not chosen:
            return []
        marks = ",".join("?" * len(chosen))
        rows = self.connection.execute(
            f"SELECT record, max(ended_at) FROM artifacts WHERE path IN ({marks}) "
            "GROUP BY path ORDER BY max(ended_at) DESC LIMIT ?",
            (*chosen, limit),
        ).fetchall()
        return [ArtifactRecord.from_dict(json.loads(row[0])) for row in rows]

    def artifact_count(self) -> int:
        return int(self.connection.execute("SELECT count(*) FROM artifacts").fetchone()[0])


def _from_row(header: str, body: str) -> MemoryLesson:
    data: dict[str, Any] = json.loads(header)
    components = tuple(data.pop("components", ()) or ())
    goal = str(data.pop("goal", ""))
    harmful = bool(data.pop("harmful", False))
    promoted_at = str(data.pop("promoted_at", ""))
    lesson = Lesson(**data, body=body)
    return MemoryLesson(lesson, components, goal, promoted_at, harmful)
