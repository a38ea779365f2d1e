"""Where memory lives: the :class:`MemoryStore` protocol, in memory and on disk.

:class:`InMemoryStore` keeps everything in one ``:memory:`` SQLite index (tests,
benchmarks, a run with no workspace). :class:`DiskStore` is the workspace's memory::

    memory/
        lessons/<lesson-id>.md      promoted lessons (markdown, JSON header)
        artifacts/<run-id>.json     what each run's steps wrote, and why
        forgotten/<lesson-id>       tombstones: forgotten lessons are never promoted again
        index.sqlite                FTS5 index built from the files above
        pending                     present while a writer is changing files and index
        .lock                       flock held by each writer

Files are the source of truth. Every change (promote, forget, mark harmful) takes the
lock, writes ``pending``, changes the files atomically (``tiffany.atomic``), brings the
index in line by one function (:meth:`DiskStore._sync`: re-read the files whose size or
``mtime_ns`` differ from what the index recorded, drop rows whose file is gone) and only
then removes ``pending``. So a process killed at any point leaves whole files and either
a consistent index or a ``pending`` file, and the next reader, seeing it (or the folders'
``mtime_ns`` differing from the index's record of them, or an index SQLite cannot open),
repairs the index from the files first. A damaged index is rebuilt from scratch in a
temporary file renamed over it; the index never writes a file back.

Concurrent runs each write their own lesson files under the lock, so none is lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tiffany.atomic import replacement, write_atomic

from ..errors import TokimonError, WorkspaceError
from ..workspace import safe_name
from .embed import Embedder
from .index import SCHEMA_VERSION, FileStamp, LessonIndex, create_schema, pack_vector
from .records import (
    ArtifactRecord,
    MemoryLesson,
    artifacts_document,
    parse_artifacts,
    parse_memory_lesson,
)


class UnknownLesson(TokimonError):
    """No lesson in memory has the id the user gave."""


@dataclass
class SyncReport:
    """What a sync or rebuild of the index did."""

    added: int = 0
    removed: int = 0
    artifacts: int = 0
    damaged: list[str] = field(default_factory=list)
    rebuilt: bool = False

    def to_dict(self) -> dict[str, object]:
        return dict(vars(self))


class MemoryStore(Protocol):
    """Lessons and artifact records, and an index to query them."""

    def promote(
        self, lessons: Sequence[MemoryLesson], artifacts: Mapping[str, Sequence[ArtifactRecord]]
    ) -> list[str]:
        """Add lessons not yet known (never replacing one, never one that was forgotten)
        and each run's artifact records (replacing that run's); returns the ids added."""
        ...

    def known(self, lesson_id: str) -> bool:
        """Whether the lesson is in memory or was forgotten (so promotion skips it)."""
        ...

    def forget(self, lesson_id: str) -> MemoryLesson:
        """Remove a lesson for good; :class:`UnknownLesson` if there is none."""
        ...

    def mark(self, lesson_id: str, harmful: bool) -> MemoryLesson:
        """Mark a lesson harmful (never retrieved again) or clear the mark."""
        ...

    def reading(self) -> contextlib.AbstractContextManager[LessonIndex]:
        """The index, up to date with the lessons, for queries."""
        ...


class InMemoryStore:
    """A :class:`MemoryStore` in one ``:memory:`` SQLite database, no files."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.embedder = embedder
        self.index = LessonIndex(sqlite3.connect(":memory:"))
        create_schema(self.index.connection)
        self._forgotten: set[str] = set()

    def promote(
        self, lessons: Sequence[MemoryLesson], artifacts: Mapping[str, Sequence[ArtifactRecord]]
    ) -> list[str]:
        fresh = [stored for stored in lessons if not self.known(stored.id)]
        vectors = _vectors(self.embedder, fresh)
        with self.index.connection:
            for stored, vector in zip(fresh, vectors, strict=True):
                self.index.put_lesson(stored, vector=vector)
            for run_id, records in artifacts.items():
                self.index.put_artifacts(f"{run_id}.json", records)
        return [stored.id for stored in fresh]

    def known(self, lesson_id: str) -> bool:
        return lesson_id in self._forgotten or self.index.get(lesson_id) is not None

    def forget(self, lesson_id: str) -> MemoryLesson:
        stored = _existing(self.index, lesson_id)
        with self.index.connection:
            self.index.delete_lesson(lesson_id)
        self._forgotten.add(lesson_id)
        return stored

    def mark(self, lesson_id: str, harmful: bool) -> MemoryLesson:
        stored = _existing(self.index, lesson_id).with_harmful(harmful)
        [vector] = _vectors(self.embedder, [stored])
        with self.index.connection:
            self.index.put_lesson(stored, vector=vector)
        return stored

    @contextlib.contextmanager
    def reading(self) -> Iterator[LessonIndex]:
        yield self.index


class DiskStore:
    """The workspace's memory folder; see the module docstring."""

    def __init__(self, root: Path, embedder: Embedder | None = None) -> None:
        self.root = root
        self.embedder = embedder

    # -- layout ------------------------------------------------------------------------------
    @property
    def lessons_dir(self) -> Path:
        return self.root / "lessons"

    @property
    def artifacts_dir(self) -> Path:
        return self.root / "artifacts"

    @property
    def forgotten_dir(self) -> Path:
        return self.root / "forgotten"

    @property
    def index_path(self) -> Path:
        return self.root / "index.sqlite"

    @property
    def pending(self) -> Path:
        return self.root / "pending"

    def lesson_file(self, lesson_id: str) -> Path:
        return self.lessons_dir / f"{safe_name(lesson_id, 'lesson id')}.md"

    # -- changes -----------------------------------------------------------------------------
    def promote(
        self, lessons: Sequence[MemoryLesson], artifacts: Mapping[str, Sequence[ArtifactRecord]]
    ) -> list[str]:
        added: list[str] = []
        with self._changing(f"promote {len(lessons)} lesson(s)"):
            for stored in lessons:
                target = self.lesson_file(stored.id)
                if target.exists() or self._tombstone(stored.id).exists():
                    continue
                write_atomic(target, stored.to_markdown())
                added.append(stored.id)
            for run_id, records in artifacts.items():
                name = f"{safe_name(run_id, 'run id')}.json"
                document = json.dumps(artifacts_document(run_id, list(records)), indent=1)
                write_atomic(self.artifacts_dir / name, document + "\n")
        return added

    def known(self, lesson_id: str) -> bool:
        return self.lesson_file(lesson_id).exists() or self._tombstone(lesson_id).exists()

    def forget(self, lesson_id: str) -> MemoryLesson:
        with self._changing(f"forget {lesson_id}"):
            stored = self._read(lesson_id)
            write_atomic(self._tombstone(lesson_id), stored.to_markdown())
            self.lesson_file(lesson_id).unlink()
        return stored

    def mark(self, lesson_id: str, harmful: bool) -> MemoryLesson:
        with self._changing(f"mark {lesson_id}"):
            stored = self._read(lesson_id).with_harmful(harmful)
            write_atomic(self.lesson_file(lesson_id), stored.to_markdown())
        return stored

    # -- reading -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def reading(self) -> Iterator[LessonIndex]:
        """The index, repaired from the files first if anything says it may be stale."""
        if self._stale():
            self.repair()
        connection = sqlite3.connect(self.index_path, timeout=30)
        try:
            yield LessonIndex(connection)
        finally:
            connection.close()

    def repair(self, *, rebuild: bool = False) -> SyncReport:
        """Bring the index in line with the files (``rebuild``: from scratch)."""
        with self._locked():
            report = self._sync(rebuild=rebuild)
            self.pending.unlink(missing_ok=True)
            return report

    # -- internals ---------------------------------------------------------------------------
    def _tombstone(self, lesson_id: str) -> Path:
        return self.forgotten_dir / safe_name(lesson_id, "lesson id")

    def _read(self, lesson_id: str) -> MemoryLesson:
        try:
            text = self.lesson_file(lesson_id).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UnknownLesson(
                f"no lesson {lesson_id!r} in {self.lessons_dir}; `tokimon memory list` "
                "shows the lessons"
            ) from None
        return parse_memory_lesson(text, str(self.lesson_file(lesson_id)))

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        for folder in (self.lessons_dir, self.artifacts_dir, self.forgotten_dir):
            folder.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _changing(self, what: str) -> Iterator[None]:
        """Hold the lock, mark the change pending, let the caller change files, sync."""
        with self._locked():
            write_atomic(self.pending, f"{os.getpid()} {what}\n")
            try:
                yield
            finally:
                self._sync()
                self.pending.unlink(missing_ok=True)

    def _folder_stamps(self) -> str:
        stamps = []
        for folder in (self.lessons_dir, self.artifacts_dir):
            try:
                info = folder.stat()
                stamps.append(f"{info.st_ino}:{info.st_mtime_ns}")
            except FileNotFoundError:
                stamps.append("-")
        return " ".join(stamps)

    def _stale(self) -> bool:
        if self.pending.exists() or not self.index_path.exists():
            return True
        try:
            connection = sqlite3.connect(self.index_path, timeout=30)
            try:
                index = LessonIndex(connection)
                return (
                    index.meta("schema") != SCHEMA_VERSION
                    or index.meta("folders") != self._folder_stamps()
                    or index.meta("embedder") != _embedder_name(self.embedder)
                )
            finally:
                connection.close()
        except sqlite3.DatabaseError:
            return True

    def _sync(self, *, rebuild: bool = False) -> SyncReport:
        """Make the index match the files (under the lock)."""
        if not rebuild:
            try:
                connection = sqlite3.connect(self.index_path, timeout=30)
                try:
                    index = LessonIndex(connection)
                    if index.meta("schema") == SCHEMA_VERSION and index.meta(
                        "embedder"
                    ) == _embedder_name(self.embedder):
                        return self._update(index)
                finally:
                    connection.close()
            except sqlite3.DatabaseError:
                pass
        # Rebuild: a new database beside the old one, renamed over it when complete. A
        # rollback journal of the old file must not be applied to the new one.
        with replacement(self.index_path) as temporary:
            connection = sqlite3.connect(temporary)
            try:
                create_schema(connection)
                report = self._update(LessonIndex(connection))
            finally:
                connection.close()
            for leftover in ("-journal", "-wal", "-shm"):
                Path(f"{self.index_path}{leftover}").unlink(missing_ok=True)
        report.rebuilt = True
        return report

    def _update(self, index: LessonIndex) -> SyncReport:
        report = SyncReport()
        folders = self._folder_stamps()  # before listing: a later change makes it differ
        lessons = _listing(self.lessons_dir, ".md")
        known = index.lesson_stamps()
        changed = [name for name, stamp in lessons.items() if known.get(name) != stamp]
        parsed: list[tuple[MemoryLesson, FileStamp]] = []
        for name in changed:
            path = self.lessons_dir / f"{name}.md"
            try:
                stored = parse_memory_lesson(path.read_text(encoding="utf-8"), str(path))
                if stored.id != name:
                    raise WorkspaceError(f"{path} holds lesson {stored.id!r}, not {name!r}")
                parsed.append((stored, lessons[name]))
            except (OSError, WorkspaceError) as exc:
                report.damaged.append(str(exc))
        vectors = _vectors(self.embedder, [stored for stored, _ in parsed])
        runs = _listing(self.artifacts_dir, ".json")
        known_runs = index.artifact_stamps()
        with index.connection:
            for name in set(known) - set(lessons):
                report.removed += index.delete_lesson(name)
            for name in changed:
                index.delete_lesson(name)
            for (stored, stamp), vector in zip(parsed, vectors, strict=True):
                index.put_lesson(stored, stamp, vector)
                report.added += 1
            for name in set(known_runs) - set(runs):
                index.delete_artifacts(f"{name}.json")
            for name, stamp in runs.items():
                if known_runs.get(f"{name}.json") == stamp:
                    continue
                path = self.artifacts_dir / f"{name}.json"
                try:
                    records = parse_artifacts(path.read_text(encoding="utf-8"), str(path))
                except (OSError, WorkspaceError) as exc:
                    report.damaged.append(str(exc))
                    index.delete_artifacts(f"{name}.json")
                    continue
                index.put_artifacts(f"{name}.json", records, stamp)
                report.artifacts += len(records)
            index.set_meta("folders", folders)
            index.set_meta("embedder", _embedder_name(self.embedder))
        return report


def _listing(folder: Path, suffix: str) -> dict[str, FileStamp]:
    """``{stem: (size, mtime_ns)}`` of the files of ``folder`` ending in ``suffix``
    (temporary files of atomic writes, which start with a dot, left out)."""
    found: dict[str, FileStamp] = {}
    try:
        entries = os.scandir(folder)
    except FileNotFoundError:
        return found
    with entries:
        for entry in entries:
            if entry.name.startswith(".") or not entry.name.endswith(suffix):
                continue
            try:
                info = entry.stat()
            except FileNotFoundError:
                continue
            found[entry.name[: -len(suffix)]] = (info.st_size, info.st_mtime_ns)
    return found


def _embedder_name(embedder: Embedder | None) -> str:
    return "" if embedder is None else embedder.name


def _vectors(embedder: Embedder | None, lessons: Sequence[MemoryLesson]) -> list[bytes | None]:
    if embedder is None or not lessons:
        return [None] * len(lessons)
    texts = [f"{s.title}\n{' '.join(s.lesson.tags)}\n{s.lesson.body}" for s in lessons]
    return [pack_vector(vector) for vector in embedder.embed(texts)]


def _existing(index: LessonIndex, lesson_id: str) -> MemoryLesson:
    stored = index.get(lesson_id)
    if stored is None:
        raise UnknownLesson(f"no lesson {lesson_id!r} in memory")
    return stored
