"""Everything the viewer shows, gathered into one JSON-ready value.

The pages (rendered, with their place in the tree and their status), the symbols of the
catalog for search, and the text of the cited source files: the browser side only lays
these out, it reads nothing else.
"""

from __future__ import annotations

import sqlite3
from html import escape
from pathlib import Path
from typing import Any

from ..index.store import catalog_path, open_catalog
from .cache import RenderCache
from .manifest import Manifest, PageEntry, read_manifest
from .markdown import LinkContext, RenderedPage
from .sources import embed_sources

MAX_SYMBOLS = 100_000

SYMBOL_COLUMNS = ("name", "kind", "qualified_name", "path", "start", "end", "signature")


def gather_site(output: Path, repo: Path) -> dict[str, Any]:
    """The viewer's data for the wiki built in ``output`` from ``repo``."""
    output = output.resolve()
    repo = repo.resolve()
    manifest = read_manifest(output)
    context = LinkContext(
        pages_dir=output / "pages",
        repo=repo,
        page_ids=frozenset(page.id for page in manifest.pages),
    )
    cache = RenderCache(output, context)
    rendered = {page.id: _render(output, page, cache) for page in manifest.pages}
    cache.save()
    cited = {citation.path for page in rendered.values() for citation in page.citations}
    sources = embed_sources(repo, cited)
    return {
        "title": _title(manifest, repo),
        "root": manifest.root,
        "tool": manifest.tool,
        "repository": manifest.repository,
        "pages": [_page_json(page, rendered[page.id]) for page in manifest.pages],
        "symbols": {"columns": list(SYMBOL_COLUMNS), "rows": read_symbols(output)},
        "sources": {path: source.as_json() for path, source in sources.items()},
    }


def _title(manifest: Manifest, repo: Path) -> str:
    name = Path(str(manifest.repository.get("path") or repo)).name or repo.name
    return f"{name} wiki"


def _render(output: Path, page: PageEntry, cache: RenderCache) -> RenderedPage:
    path = (output / page.path).resolve()
    if not path.is_relative_to(output):
        return _missing(f"its path {page.path!r} leads outside the output directory")
    try:
        markdown = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        return _missing(f"{page.path} cannot be read ({error.strerror}); run `cw build` again")
    return cache.render(markdown)


def _missing(reason: str) -> RenderedPage:
    html = f'<p class="page-missing">This page is not available: {escape(reason)}.</p>'
    return RenderedPage(html, "", (), 0)


def _page_json(page: PageEntry, rendered: RenderedPage) -> dict[str, Any]:
    return {
        "id": page.id,
        "title": page.title,
        "parent": page.parent,
        "children": list(page.children),
        "status": page.status,
        "problems": list(page.problems),
        "files": [{"path": path, "lines": lines} for path, lines in page.files],
        "html": rendered.html,
        "text": rendered.text,
    }


def read_symbols(output: Path, limit: int = MAX_SYMBOLS) -> list[list[Any]]:
    """The catalog's components as rows of :data:`SYMBOL_COLUMNS` (none without a catalog)."""
    path = catalog_path(output)
    if not path.is_file():
        return []
    query = (
        "SELECT name, kind, qualified_name, path, start_line, end_line, signature "
        "FROM components ORDER BY ordinal LIMIT ?"
    )
    try:
        with open_catalog(path) as connection:
            return [list(row) for row in connection.execute(query, (limit,))]
    except sqlite3.Error:
        return []
