"""``tokimon memory ...`` as plain functions returning an exit status.

Every command reads through :meth:`DiskStore.reading`, so the first command after a crash
repairs the index from the files before it answers. ``--json`` prints one JSON object;
errors are one line (or ``{"error": ...}``) with exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from cocowiki.index import IndexingError

from ..commands import CommandOptions
from ..console import EXIT_OK, console, line, table
from ..errors import TokimonError
from ..workspace import Workspace
from .components import ComponentMap
from .promote import sweep
from .records import MemoryLesson
from .store import DiskStore, UnknownLesson


def store_of(space: Workspace) -> DiskStore:
    return DiskStore(space.root / "memory")


def _summary(stored: MemoryLesson) -> dict[str, Any]:
    lesson = stored.lesson
    return {
        "id": stored.id,
        "timestamp": lesson.timestamp,
        "run_id": lesson.task_id,
        "step_id": lesson.step_id,
        "attempt": lesson.attempt,
        "failure_signature": lesson.failure_signature,
        "tags": lesson.tags,
        "components": list(stored.components),
        "harmful": stored.harmful,
        "title": stored.title,
    }


def _command(name: str, options: CommandOptions, body: Callable[[DiskStore, TextIO], int]) -> int:
    out, _ = options.streams()
    try:
        return body(store_of(options.located()), out)
    except (TokimonError, OSError, sqlite3.Error) as exc:
        return options.error(f"memory {name}", str(exc))


def list_command(options: CommandOptions) -> int:
    """``tokimon memory list``: every lesson in memory, oldest first (harmful ones marked)."""

    def body(store: DiskStore, out: TextIO) -> int:
        with store.reading() as index:
            lessons = [_summary(stored) for stored in index.all()]
            artifacts = index.artifact_count()
        if options.as_json:
            data = {"memory": str(store.root), "lessons": lessons, "artifacts": artifacts}
            out.write(json.dumps(data) + "\n")
            return EXIT_OK
        if not lessons:
            out.write(f"no lessons in {store.root}\n")
            return EXIT_OK
        rows = [
            (
                item["id"],
                "harmful" if item["harmful"] else "",
                item["step_id"],
                ", ".join(item["components"]),
                item["title"],
            )
            for item in lessons
        ]
        title = f"{len(lessons)} lesson(s), {artifacts} artifact record(s) in {store.root}"
        console(out).print(table(title, ("id", "mark", "step", "components", "title"), rows))
        return EXIT_OK

    return _command("list", options, body)


def search_command(query: str, options: CommandOptions, limit: int = 10) -> int:
    """``tokimon memory search QUERY``: lessons by bm25 (harmful ones never shown)."""

    def body(store: DiskStore, out: TextIO) -> int:
        with store.reading() as index:
            found = index.search(query, limit)
        hits = [{**_summary(stored), "score": round(score, 4)} for stored, score in found]
        if options.as_json:
            out.write(json.dumps({"query": query, "hits": hits}) + "\n")
            return EXIT_OK
        if not hits:
            out.write(f"no lesson matches {query!r}\n")
            return EXIT_OK
        rows = [(f"{h['score']:.2f}", h["id"], h["step_id"], h["title"]) for h in hits]
        console(out).print(table(f"lessons for {query!r}", ("score", "id", "step", "title"), rows))
        return EXIT_OK

    return _command("search", options, body)


def show_command(lesson_id: str, options: CommandOptions) -> int:
    """``tokimon memory show ID``: one lesson, header and body."""

    def body(store: DiskStore, out: TextIO) -> int:
        with store.reading() as index:
            stored = index.get(lesson_id)
        if stored is None:
            raise UnknownLesson(
                f"no lesson {lesson_id!r} in memory; `tokimon memory list` shows the lessons"
            )
        if options.as_json:
            out.write(json.dumps({**stored.to_dict(), "file": str(store.lesson_file(lesson_id))}))
            out.write("\n")
        else:
            out.write(stored.to_markdown())
        return EXIT_OK

    return _command("show", options, body)


def forget_command(lesson_id: str, options: CommandOptions) -> int:
    """``tokimon memory forget ID``: remove a lesson from files and index for good."""

    def body(store: DiskStore, out: TextIO) -> int:
        stored = store.forget(lesson_id)
        if options.as_json:
            out.write(json.dumps({"forgotten": stored.id}) + "\n")
        else:
            out.write(f"forgot lesson {stored.id}\n")
        return EXIT_OK

    return _command("forget", options, body)


def harmful_command(lesson_id: str, options: CommandOptions, *, undo: bool = False) -> int:
    """``tokimon memory harmful ID``: never retrieve this lesson again (``--undo`` clears)."""

    def body(store: DiskStore, out: TextIO) -> int:
        stored = store.mark(lesson_id, harmful=not undo)
        if options.as_json:
            out.write(json.dumps({"id": stored.id, "harmful": stored.harmful}) + "\n")
        else:
            state = "marked harmful: never retrieved" if stored.harmful else "no longer harmful"
            out.write(f"lesson {stored.id} {state}\n")
        return EXIT_OK

    return _command("harmful", options, body)


def blame_command(path: str, options: CommandOptions, limit: int = 10) -> int:
    """``tokimon memory blame PATH``: which runs changed a file, and why (latest first)."""

    def body(store: DiskStore, out: TextIO) -> int:
        with store.reading() as index:
            records = [record.to_dict() for record in index.history(path, limit)]
        if options.as_json:
            out.write(json.dumps({"path": path, "changes": records}) + "\n")
            return EXIT_OK
        if not records:
            out.write(f"no run recorded a change of {path}\n")
            return EXIT_OK
        view = console(out)
        for record in records:
            view.print(
                line(
                    f"{record['ended_at']} run {record['run_id']} step {record['step_id']} "
                    f"attempt {record['attempt']} ({record['state']}) @{record['digest']}\n"
                    f"  {record['why']}"
                )
            )
        return EXIT_OK

    return _command("blame", options, body)


def reindex_command(options: CommandOptions) -> int:
    """``tokimon memory reindex``: rebuild the index from the files, then promote the
    lessons of finished runs that are not in memory yet."""

    def body(store: DiskStore, out: TextIO) -> int:
        space = options.located()
        report = store.repair(rebuild=True)
        repo = (options.repo or Path.cwd()).resolve()
        try:
            output = ComponentMap.output_for(store.root, repo)
            components = ComponentMap.build(repo, output, space.root)
        except IndexingError:
            components = ComponentMap()
        promoted = sweep(store, space, components)
        with store.reading() as index:
            count = index.count()
        data = {
            "memory": str(store.root),
            "lessons": count,
            "index": report.to_dict(),
            "promoted": promoted.to_dict(),
        }
        if options.as_json:
            out.write(json.dumps(data) + "\n")
        else:
            out.write(
                f"reindexed {store.root}: {count} lesson(s), {report.artifacts} artifact "
                f"record(s); promoted {len(promoted.added)} lesson(s) of "
                f"{len(promoted.runs)} run(s)\n"
            )
            for problem in [*report.damaged, *promoted.damaged]:
                out.write(f"damaged: {problem}\n")
        return EXIT_OK

    return _command("reindex", options, body)
