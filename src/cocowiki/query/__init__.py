"""Questions to a repository's wiki, answered as JSON values with citations and freshness.

This is what ``cw mcp`` serves over the Model Context Protocol and what tokimon's workers
call in-process; both stay thin over it. A :class:`Wiki` is opened on a repository and
its output folder, then asked:

* :func:`ask`: the ranked, cited evidence of ``cw ask`` (a grounded model answer too);
* :func:`search`: pages, sections and symbols matching words;
* :func:`lookup_symbol`: definitions with ``path:start-end``, signature, doc, page,
  callers and callees;
* :func:`list_pages`, :func:`read_page`: the module tree and one page's Markdown;
* :func:`explain_dirty`: whether a page is stale, and why.

Every answer has a ``freshness`` object (:mod:`.freshness`). Mistakes in a question raise
:class:`WikiError` with the reason; a missing wiki raises :class:`NoWiki`, which says how
to build it.
"""

from __future__ import annotations

from .answers import ask, explain_dirty
from .freshness import freshness
from .lookup import lookup_symbol
from .pages import PAGE_URI, list_pages, markdown_of, overview_summary, page_uri, read_page
from .search import KINDS, search
from .wiki import NoWiki, Refresh, Wiki, WikiError

__all__ = [
    "KINDS",
    "PAGE_URI",
    "NoWiki",
    "Refresh",
    "Wiki",
    "WikiError",
    "ask",
    "explain_dirty",
    "freshness",
    "list_pages",
    "lookup_symbol",
    "markdown_of",
    "overview_summary",
    "page_uri",
    "read_page",
    "search",
]
