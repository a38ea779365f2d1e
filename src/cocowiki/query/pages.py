"""The pages of a built wiki: the module tree (``list_pages``), one page's Markdown
(``read_page``), and the overview's summary (what a planner reads first).

A page id is checked against the manifest before any file is opened, so an id can never
name a file outside ``pages/``. A page's freshness compares the files it was written
from (their digests in the manifest) with the files now: an edited file makes the page
stale even when the index has been refreshed since.
"""

from __future__ import annotations

import json
from typing import Any

from ..pages.artifacts import ModuleNotebook
from ..pages.store import artifact_path, page_path
from .freshness import freshness
from .wiki import Wiki, WikiError

PAGE_URI = "cocowiki://page/{id}"


def page_uri(page: str) -> str:
    return PAGE_URI.format(id=page)


def list_pages(wiki: Wiki) -> dict[str, Any]:
    """Every page, root first then depth-first, with its place in the tree."""
    manifest = wiki.require_pages()
    pages = [
        {
            "id": entry["id"],
            "title": entry.get("title", entry["id"]),
            "parent": entry.get("parent"),
            "children": list(entry.get("children", [])),
            "status": entry.get("status"),
            "files": len(entry.get("files", [])),
            "uri": page_uri(str(entry["id"])),
        }
        for entry in manifest.get("pages", [])
    ]
    return {
        "root": manifest.get("root"),
        "pages": pages,
        "tree": _outline(pages, manifest.get("root")),
        "freshness": freshness(wiki, None, []),
    }


def read_page(wiki: Wiki, page: str) -> dict[str, Any]:
    """One page's Markdown, status and the files it documents, with its freshness."""
    if not isinstance(page, str) or not page.strip():
        raise WikiError("the page id is empty: list_pages gives the ids (the root is 'overview')")
    entry = wiki.page_entry(page.strip())
    markdown = markdown_of(wiki, entry["id"])
    files = entry.get("files", [])
    recorded = {str(f["path"]): str(f["digest"]) for f in files if "digest" in f}
    fresh = freshness(wiki, None, recorded, recorded=recorded)
    return {
        "id": entry["id"],
        "title": entry.get("title", entry["id"]),
        "status": entry.get("status"),
        "problems": entry.get("problems", []),
        "parent": entry.get("parent"),
        "children": list(entry.get("children", [])),
        "files": [f["path"] for f in files],
        "uri": page_uri(str(entry["id"])),
        "markdown": markdown,
        "freshness": fresh,
    }


def markdown_of(wiki: Wiki, page: str) -> str:
    """The Markdown of a page the manifest lists (:class:`WikiError` when it is missing)."""
    wiki.page_entry(page)
    try:
        return (wiki.output / page_path(page)).read_text(encoding="utf-8")
    except OSError as exc:
        raise WikiError(
            f"page {page!r} is in the manifest but {page_path(page)} cannot be read "
            f"({exc.strerror}); {wiki.build_hint()}"
        ) from None


def overview_summary(wiki: Wiki) -> str | None:
    """The root page's one-line summary and its top-level pages with theirs, or ``None``
    without a built wiki: what a planner is shown about the repository first."""
    manifest = wiki.manifest()
    if manifest is None or not manifest.get("root"):
        return None
    root = str(manifest["root"])
    notebook = _notebook(wiki, root)
    if notebook is None:
        return None
    lines = [f"{notebook.title}: {notebook.summary}".strip()]
    lines += [f"- {child.title} ({child.id}): {child.summary}" for child in notebook.children]
    return "\n".join(lines)


def _notebook(wiki: Wiki, page: str) -> ModuleNotebook | None:
    try:
        text = (wiki.output / artifact_path("notebooks", page)).read_text(encoding="utf-8")
        return ModuleNotebook.model_validate(json.loads(text))
    except (OSError, ValueError):
        return None


def _outline(pages: list[dict[str, Any]], root: object) -> dict[str, Any] | None:
    """The tree as nested ``{"id", "title", "children": [...]}``."""
    by_id = {page["id"]: page for page in pages}

    def node(page_id: str) -> dict[str, Any]:
        page = by_id[page_id]
        children = [node(child) for child in page["children"] if child in by_id]
        return {"id": page_id, "title": page["title"], "children": children}

    return node(str(root)) if root in by_id else None
