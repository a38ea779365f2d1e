"""Rendered pages remembered by the digest of their Markdown, across builds.

A large wiki's pages are tens of megabytes of citation-heavy Markdown (a couple of
seconds to render), and a one-file edit changes a few of them. The cache
(``<output>/.viewer-cache.json``) maps the SHA-256 of a page's Markdown, salted with
everything else the rendering depends on (this renderer's version, markdown-it-pyrs's,
where the pages sit relative to the repository, the set of page ids),
to what :func:`.markdown.render_page` returned. Entries no page uses any more are dropped
on save; the file is written only when it changes.
"""

from __future__ import annotations

import hashlib
import os
from importlib.metadata import version
from pathlib import Path
from typing import Any

import orjson

from tiffany.atomic import write_if_changed

from .markdown import Citation, LinkContext, RenderedPage, render_page

CACHE_NAME = ".viewer-cache.json"
RENDER_VERSION = "2"  # bump when render_page's output changes for the same input


class RenderCache:
    """Renders pages through the cache in ``output``; call :meth:`save` when done."""

    def __init__(self, output: Path, context: LinkContext) -> None:
        self.path = output / CACHE_NAME
        self.salt = _salt(context)
        self.context = context
        self._known = self._load()
        self._used: dict[str, dict[str, Any]] = {}

    def render(self, markdown: str) -> RenderedPage:
        key = hashlib.sha256(markdown.encode("utf-8", "surrogatepass")).hexdigest()
        entry = self._used.get(key) or self._known.get(key)
        if entry is not None:
            try:
                page = _page(entry)
            except (KeyError, TypeError, ValueError):  # a damaged cache: render afresh
                entry = None
        if entry is None:
            page = render_page(markdown, self.context)
            entry = _entry(page)
        self._used[key] = entry
        return page

    def save(self) -> bool:
        """Keep what this build used; True when the file changed."""
        document = {"salt": self.salt, "pages": self._used}
        return write_if_changed(self.path, orjson.dumps(document, option=orjson.OPT_SORT_KEYS))

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            document = orjson.loads(self.path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return {}
        if not isinstance(document, dict) or document.get("salt") != self.salt:
            return {}
        pages = document.get("pages")
        return pages if isinstance(pages, dict) else {}


def _salt(context: LinkContext) -> str:
    ids = "\0".join(sorted(context.page_ids))
    where = os.path.relpath(context.pages_dir, context.repo)
    material = f"{RENDER_VERSION}\0{version('markdown-it-pyrs')}\0{where}\0{ids}"
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def _entry(page: RenderedPage) -> dict[str, Any]:
    return {
        "html": page.html,
        "text": page.text,
        "citations": [[c.path, c.start, c.end] for c in page.citations],
        "diagrams": page.diagrams,
    }


def _page(entry: dict[str, Any]) -> RenderedPage:
    citations = tuple(
        Citation(str(path), int(start), int(end)) for path, start, end in entry["citations"]
    )
    return RenderedPage(str(entry["html"]), str(entry["text"]), citations, int(entry["diagrams"]))
