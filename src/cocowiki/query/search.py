"""``search``: pages, page sections and symbols that match some words.

Symbols come from the catalog's full-text index (:func:`cocowiki.index.search`: every
word must match, names weigh most); sections from the pages' own index
(:func:`cocowiki.ask.pages.search_pages`, any word); pages are the pages whose title or
id has one of the words, then the pages of the best sections. ``kind`` narrows the
search to one of the three.
"""

from __future__ import annotations

from typing import Any, Literal

from ..ask.pages import search_pages
from ..ask.retrieve import Query
from ..index import search as search_symbols
from .freshness import freshness
from .wiki import Wiki, WikiError

Kind = Literal["page", "section", "symbol"]
KINDS: tuple[Kind, ...] = ("page", "section", "symbol")
DEFAULT_LIMIT = 10
MAX_QUERY_CHARS = 500


def search(
    wiki: Wiki, query: str, *, kind: str | None = None, limit: int = DEFAULT_LIMIT
) -> dict[str, Any]:
    """What matches ``query``, by kind; :class:`WikiError` on an empty query or bad kind."""
    text = query.strip()
    if not text:
        raise WikiError("the query is empty: give a few words or names, such as 'retry policy'")
    if len(text) > MAX_QUERY_CHARS:
        raise WikiError(f"the query is {len(text)} characters; keep it under {MAX_QUERY_CHARS}")
    if kind is not None and kind not in KINDS:
        raise WikiError(f"kind must be one of {', '.join(KINDS)} (or left out), not {kind!r}")
    if kind in ("page", "section"):
        wiki.require_pages()
    words = list(Query.parse(text).words)
    wanted = KINDS if kind is None else (kind,)
    result: dict[str, Any] = {"query": text}
    sections = (
        search_pages(wiki.output, words, limit) if "section" in wanted or "page" in wanted else []
    )
    if "symbol" in wanted:
        wiki.require_index()
        result["symbols"] = [
            {
                "kind": str(c.kind),
                "qualified_name": c.qualified_name,
                "citation": f"{c.path}:{c.start_line}-{c.end_line}",
                "signature": c.signature,
                "doc": c.doc.split("\n\n")[0].strip(),
            }
            for c in _symbols(wiki, text, words, limit)
        ]
    if "page" in wanted:
        result["pages"] = _pages(wiki, words, sections, limit)
    if "section" in wanted:
        result["sections"] = [
            {
                "page": s.page,
                "heading": s.heading,
                "citation": s.citation,
                "snippet": s.snippet,
                "uri": f"cocowiki://page/{s.page}",
            }
            for s in sections
        ]
    cited = [item["citation"].rsplit(":", 1)[0] for item in result.get("symbols", [])]
    if wiki.catalog.is_file():
        with wiki.connect() as connection:
            result["freshness"] = freshness(wiki, connection, cited)
    else:
        result["freshness"] = freshness(wiki, None, cited)
    return result


def _symbols(wiki: Wiki, text: str, words: list[str], limit: int) -> list[Any]:
    """Every word must match; when nothing does, any of the words (still best first)."""
    found = search_symbols(wiki.output, text, limit)
    if found or len(words) < 2:
        return found
    seen: dict[str, Any] = {}
    for word in words:
        for component in search_symbols(wiki.output, word, limit):
            seen.setdefault(component.id, component)
    return list(seen.values())[:limit]


def _pages(wiki: Wiki, words: list[str], sections: list[Any], limit: int) -> list[dict[str, Any]]:
    manifest = wiki.manifest()
    if manifest is None:
        return []
    entries = {str(page["id"]): page for page in manifest.get("pages", [])}
    chosen: list[str] = []
    for page_id, entry in entries.items():
        name = f"{page_id} {entry.get('title', '')}".lower()
        if any(word in name for word in words):
            chosen.append(page_id)
    chosen += [s.page for s in sections if s.page in entries]
    return [
        {
            "id": page_id,
            "title": entries[page_id].get("title", page_id),
            "status": entries[page_id].get("status"),
            "uri": f"cocowiki://page/{page_id}",
        }
        for page_id in list(dict.fromkeys(chosen))[:limit]
    ]
