"""Full-text search over the wiki's pages, section by section.

Pages say in words what the code says in names, so they answer the questions symbol
lookup cannot. Each page is cut at its headings into sections, and the sections go into
an FTS5 table in ``<output>/search.sqlite``. That file is a cache: it records a digest of
the pages it was made from (names, sizes, modification times) and is rebuilt, atomically,
only when they differ, so an ``ask`` after a build pays for the indexing once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tiffany.atomic import replacement

from ..index.store import open_catalog

SEARCH_NAME = "search.sqlite"
SNIPPET_CHARS = 240

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MARKUP = re.compile(r"```.*?```|`|\*\*|\[([^\]]*)\]\([^)]*\)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class PageSection:
    """A section of a page that matches the question, cited as ``pages/<id>.md:line``."""

    page: str
    heading: str
    line: int
    snippet: str
    score: float

    @property
    def citation(self) -> str:
        return f"pages/{self.page}.md:{self.line}"


def search_pages(output: Path, words: list[str], limit: int) -> list[PageSection]:
    """The best sections for ``words`` (any of them), best first; none without pages."""
    pages = output / "pages"
    if not words or not pages.is_dir():
        return []
    database = _up_to_date(output, pages)
    expression = " OR ".join(f'"{word}"*' for word in sorted(set(words)))
    with open_catalog(database) as connection:
        rows = connection.execute(
            "SELECT page, heading, line, snippet(sections, 3, '', '', ' ... ', 24), "
            "bm25(sections, 0, 4, 0, 1) AS rank FROM sections WHERE sections MATCH ? "
            "ORDER BY rank, page, line LIMIT ?",
            (expression, limit),
        ).fetchall()
    if not rows:
        return []
    best = float(rows[0][-1]) or -1.0
    return [
        PageSection(str(page), str(heading), int(line), str(text)[:SNIPPET_CHARS], rank / best)
        for page, heading, line, text, rank in rows
    ]


def _digest(pages: Path) -> str:
    entries = sorted(
        (entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
        for entry in os.scandir(pages)
        if entry.name.endswith(".md") and entry.is_file()
    )
    return hashlib.sha256(repr(entries).encode()).hexdigest()


def _up_to_date(output: Path, pages: Path) -> Path:
    database = output / SEARCH_NAME
    digest = _digest(pages)
    with contextlib.suppress(sqlite3.Error), open_catalog(database) as connection:
        row = connection.execute("SELECT value FROM meta WHERE key = 'pages'").fetchone()
        if row is not None and row[0] == digest:
            return database
    _rebuild(database, pages, digest)
    return database


def _rebuild(database: Path, pages: Path, digest: str) -> None:
    with replacement(database) as temporary:
        connection = sqlite3.connect(temporary)
        try:
            with connection:
                connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
                connection.execute(
                    "CREATE VIRTUAL TABLE sections USING fts5 (page UNINDEXED, heading, "
                    "line UNINDEXED, body, tokenize = 'porter unicode61')"
                )
                for path in sorted(pages.glob("*.md")):
                    connection.executemany(
                        "INSERT INTO sections VALUES (?, ?, ?, ?)",
                        ((path.stem, *section) for section in _sections(path)),
                    )
                connection.execute("INSERT INTO meta VALUES ('pages', ?)", (digest,))
        finally:
            connection.close()


def _sections(path: Path) -> Iterator[tuple[str, int, str]]:
    """(heading, first line, text without markup) for each part of a Markdown page."""
    heading, start = path.stem, 1
    body: list[str] = []
    fenced = False
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            if body:
                yield heading, start, _plain("\n".join(body))
            heading, start, body = match.group(2), number, []
        else:
            body.append(line)
    if body:
        yield heading, start, _plain("\n".join(body))


def _plain(text: str) -> str:
    """Markdown reduced to the words a reader sees (diagrams and link targets removed)."""
    return _MARKUP.sub(lambda m: m.group(1) or " ", text).strip()
