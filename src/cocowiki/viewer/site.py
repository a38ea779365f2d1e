"""Everything the viewer shows, written as the pieces of one JSON object.

The pages (rendered, with their place in the tree and their status), the symbols of the
catalog for search, and the text of the cited source files: the browser side only lays
these out, it reads nothing else. The object is written into an :class:`~.pieces.Assembly`
as ``json.dumps(..., sort_keys=True)`` would write it, with each page, cited file and
file's symbols a piece keyed by what it is made from, so an edit serialises only what
changed:

* a page: its Markdown (salted with everything its rendering depends on) and its
  manifest entry. A page whose Markdown is the same but whose entry is not (its status,
  say) takes its HTML and text from its old piece instead of being rendered again;
* a cited file: its bytes;
* a file's symbols: its row in the catalog's ``files`` table (path, digest and the module
  name it was parsed as: the index reuses a file's components on those same terms) and
  the catalog's schema and tool versions. The symbols are the catalog's components file
  by file in the catalog's order, each file's in theirs, which is the components'
  ``ordinal`` order (the index keeps a file's components contiguous).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from html import escape
from importlib.metadata import version
from pathlib import Path
from typing import Any

import orjson

from ..index.store import catalog_path, open_catalog
from .kept import render_with_kept
from .manifest import Manifest, PageEntry
from .markdown import LinkContext, render_page
from .pieces import Assembly, Piece, PieceStore, digest, runs, script_json
from .sources import EmbeddedSource, FileContent, Resolver, embed_sources

MAX_SYMBOLS = 100_000
SYMBOL_COLUMNS = ("name", "kind", "qualified_name", "path", "start", "end", "signature")
RENDER_VERSION = "3"  # bump when render_page's output changes for the same input

#: A JSON value as it is written: literal bytes and pieces, in order.
Parts = list[bytes | Piece]


def site_title(manifest: Manifest, repo: Path) -> str:
    """The wiki's name, for the header and the window title."""
    name = Path(str(manifest.repository.get("path") or repo)).name or repo.name
    return f"{name} wiki"


def write_data(
    doc: Assembly, output: Path, repo: Path, manifest: Manifest, mermaid: dict[str, Any]
) -> None:
    """The viewer's data for the wiki built in ``output`` from ``repo`` (both resolved)."""
    pages = _Pages(doc.store, output, repo, manifest)
    written = [pages.piece(page) for page in manifest.pages]
    cited = {path for part in written if isinstance(part, Piece) for path in part.note["cited"]}
    members: dict[str, Parts] = {
        "title": [script_json(site_title(manifest, repo))],
        "root": [script_json(manifest.root)],
        "tool": [script_json(manifest.tool)],
        "repository": [script_json(manifest.repository)],
        "mermaid": [script_json(mermaid)],
        "pages": _joined(b"[", [[part] for part in written], b"]"),
        "sources": _sources(doc.store, repo, cited),
        "symbols": _joined(
            b"{",
            [
                [b'"columns":', script_json(list(SYMBOL_COLUMNS))],
                [b'"rows":[', *_symbols(doc.store, output), b"]"],
            ],
            b"}",
        ),
    }
    for part in _joined(
        b"{", [[script_json(name) + b":", *members[name]] for name in sorted(members)], b"}"
    ):
        if isinstance(part, Piece):
            doc.piece(part)
        else:
            doc.literal(part)


def _joined(opening: bytes, items: Iterable[Parts], closing: bytes) -> Parts:
    """A JSON array or object: ``items`` between ``opening`` and ``closing``, with commas."""
    parts: Parts = [opening]
    for n, item in enumerate(items):
        if n:
            parts.append(b",")
        parts.extend(item)
    parts.append(closing)
    return parts


class _Pages:
    """Each page of the manifest as a piece (or, when it cannot be read, literal bytes)."""

    def __init__(self, store: PieceStore, output: Path, repo: Path, manifest: Manifest) -> None:
        self.store = store
        self.resolver = Resolver(output)
        self.context = LinkContext(
            pages_dir=output / "pages",
            repo=repo,
            page_ids=frozenset(page.id for page in manifest.pages),
        )
        self.salt = _render_salt(self.context)
        self._renderings: dict[str, str] | None = None

    def piece(self, page: PageEntry) -> bytes | Piece:
        entry = _entry(page)
        located = self.resolver.inside(page.path)
        if located is None:
            return _missing(entry, f"its path {page.path!r} leads outside the output directory")
        try:
            status = located.status or os.stat(located.real)
            content = self.store.files.content(located.real, status)
            reused = self._reused(entry, content)
            if reused is not None:
                return reused
            if content.data is None:  # remembered, but its text is needed now
                content = FileContent.read(located.real)
        except OSError as error:
            reason = f"{page.path} cannot be read ({error.strerror}); run `cw build` again"
            return _missing(entry, reason)
        assert content.data is not None
        rendering, key = self._keys(entry, content)
        text = content.data.decode("utf-8", "replace")
        rendered = render_with_kept(text, self.context, render_page)
        cited = sorted({citation.path for citation in rendered.citations})
        data = script_json({**entry, "html": rendered.html, "text": rendered.text})
        return Piece(key, data, {"rendering": rendering, "cited": cited})

    def _keys(self, entry: dict[str, Any], content: FileContent) -> tuple[str, str]:
        """The digest of a page's rendering and the key of its piece."""
        rendering = digest(self.salt, content.digest)
        return rendering, "p" + digest(rendering, orjson.dumps(entry, option=orjson.OPT_SORT_KEYS))

    def _reused(self, entry: dict[str, Any], content: FileContent) -> Piece | None:
        """The page's old piece; or one made from the HTML and text of the old piece of a
        page rendered from the same Markdown; or None."""
        rendering, key = self._keys(entry, content)
        reused = self.store.reuse(key)
        if reused is not None:
            return reused
        earlier = self._earlier(rendering)
        if earlier is None:
            return None
        old = orjson.loads(self.store.old_piece(earlier.key))
        data = script_json({**entry, "html": old["html"], "text": old["text"]})
        return Piece(key, data, earlier.note)

    def _earlier(self, rendering: str) -> Piece | None:
        """The old file's piece of a page rendered from the same Markdown, if any."""
        if self._renderings is None:
            self._renderings = {
                span[2]["rendering"]: key
                for key, span in self.store.spans.items()
                if key.startswith("p")
            }
        key = self._renderings.get(rendering)
        return self.store.reuse(key) if key is not None else None


def _render_salt(context: LinkContext) -> str:
    """What a page's rendering depends on besides its Markdown."""
    ids = "\0".join(sorted(context.page_ids))
    where = os.path.relpath(context.pages_dir, context.repo)
    return digest(RENDER_VERSION, version("markdown-it-pyrs"), where, ids)


def _entry(page: PageEntry) -> dict[str, Any]:
    """A page's fields but its HTML and text."""
    return {
        "id": page.id,
        "title": page.title,
        "parent": page.parent,
        "children": list(page.children),
        "status": page.status,
        "problems": list(page.problems),
        "gaps": list(page.gaps),
        "files": [{"path": path, "lines": lines} for path, lines in page.files],
    }


def _missing(entry: dict[str, Any], reason: str) -> bytes:
    html = f'<p class="page-missing">This page is not available: {escape(reason)}.</p>'
    return script_json({**entry, "html": html, "text": ""})


def _sources(store: PieceStore, repo: Path, cited: set[str]) -> Parts:
    """The cited files as the members of a JSON object, a piece per run of files."""
    embedded = list(embed_sources(repo, cited, known=store.files).items())
    items: list[Parts] = []
    for run in runs(embedded, lambda item: item[0]):
        piece = store.reuse(_sources_key(run))
        if piece is None:  # read the files now, and key them by what was read
            run = [(path, source.loaded()) for path, source in run]
            members = (
                script_json(path) + b":" + script_json(source.as_json()) for path, source in run
            )
            piece = Piece(_sources_key(run), b",".join(members))
        items.append([piece])
    return _joined(b"{", items, b"}")


def _sources_key(run: list[tuple[str, EmbeddedSource]]) -> str:
    """What a run of cited files' JSON is made from: each path, and the file's digest or
    why it is left out."""
    parts: list[str] = []
    for path, source in run:
        parts.append(path)
        parts.append(source.content.digest if source.content else f"omitted: {source.omitted}")
    return "s" + digest(*parts)


def _symbols(store: PieceStore, output: Path) -> Parts:
    """The rows of :data:`SYMBOL_COLUMNS`, comma-separated, a piece per run of files (the
    first :data:`MAX_SYMBOLS` components of the catalog; none without a readable one)."""
    path = catalog_path(output)
    if not path.is_file():
        return []
    try:
        with open_catalog(path) as connection:
            return _symbol_parts(store, connection, MAX_SYMBOLS)
    except sqlite3.Error:
        return []


def _symbol_parts(store: PieceStore, connection: sqlite3.Connection, limit: int) -> Parts:
    meta = dict(connection.execute("SELECT key, value FROM meta"))
    versions = (str(meta.get("schema_version")), str(meta.get("tool_version")))
    files = connection.execute("SELECT path, digest, parse_key FROM files ORDER BY ordinal")
    keyed = [
        (
            "y" + digest(*versions, *(str(field) for row in run for field in row)),
            [row[0] for row in run],
        )
        for run in runs(files.fetchall(), lambda row: str(row[0]))
    ]
    unknown = [path for key, paths in keyed if store.reuse(key) is None for path in paths]
    fresh = _component_rows(connection, unknown)
    parts: Parts = []
    total = 0
    for key, paths in keyed:
        piece = store.reuse(key)
        if piece is None:
            rows = [row for path in paths for row in fresh.get(path, ())]
            piece = Piece(key, script_json(rows)[1:-1], len(rows))
        count = int(piece.note)
        part: bytes | Piece = piece
        if total + count > limit:  # the last run, which fits only in part
            count = limit - total
            by_path = _component_rows(connection, paths)
            part = script_json([row for path in paths for row in by_path.get(path, ())][:count])
            part = part[1:-1]
        if count and total:
            parts.append(b",")
        parts.append(part)
        total += count
        if total == limit:
            break
    return parts


def _component_rows(connection: sqlite3.Connection, paths: list[str]) -> dict[str, list[list[Any]]]:
    """The components of the files at ``paths`` as rows of :data:`SYMBOL_COLUMNS`, each
    file's in order."""
    rows: dict[str, list[list[Any]]] = {}
    if not paths:
        return rows
    query = (
        "SELECT name, kind, qualified_name, path, start_line, end_line, signature "
        "FROM components WHERE path IN (SELECT value FROM json_each(?)) ORDER BY ordinal"
    )
    for row in connection.execute(query, (orjson.dumps(paths).decode(),)):
        rows.setdefault(row[3], []).append(list(row))
    return rows
