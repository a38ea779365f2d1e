"""Wiki pages from Markdown to HTML, rendered once at build time with markdown-it-py.

Rendering in Python rather than in the browser keeps the viewer free of a JavaScript
Markdown library, gives the same CommonMark reading the rest of the tooling has, and lets
the links be rewritten where their targets are known:

* a citation (a link whose fragment is ``#Lstart-Lend`` and whose target is the source
  file relative to ``pages/``) becomes ``#/source/<path>:<start>-<end>``, the viewer's
  source view at those lines;
* a link to another page (``<id>.md``) becomes ``#/page/<id>``;
* a ``mermaid`` code fence becomes ``<pre class="mermaid-source">``: readable source as
  it stands, turned into an SVG by the viewer's script when mermaid is there.

Raw HTML in a page is escaped, never passed through (``html=False``), so a page that
quotes ``</script>`` or markup shows it as text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

MAX_SEARCH_TEXT = 50_000  # characters of a page's text kept for search

_LINE_FRAGMENT = re.compile(r"^L(\d+)(?:-L?(\d+))?$")


@dataclass(frozen=True, slots=True)
class Citation:
    """A cited span of a repository file (path relative to the repository, lines 1-based)."""

    path: str
    start: int
    end: int

    @property
    def route(self) -> str:
        return f"#/source/{quote(self.path, safe='/')}:{self.start}-{self.end}"


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """A page's HTML, its plain text (for search) and what it cites."""

    html: str
    text: str
    citations: tuple[Citation, ...]
    diagrams: int


@dataclass(frozen=True, slots=True)
class LinkContext:
    """What a page's relative links are relative to.

    ``pages_dir`` is ``<output>/pages``; ``repo`` the repository root; ``page_ids`` the
    ids of every page (links to ``<id>.md`` become page routes).
    """

    pages_dir: Path
    repo: Path
    page_ids: frozenset[str]


def _is_mermaid(token: Token) -> bool:
    return token.info.strip().lower() == "mermaid"


def _fence(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    index: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    """Mermaid fences as readable source the viewer's script turns into SVG."""
    token = tokens[index]
    if _is_mermaid(token):
        return f'<pre class="mermaid-source"><code>{escapeHtml(token.content)}</code></pre>\n'
    return renderer.fence(tokens, index, options, env)


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.add_render_rule("fence", _fence)
    return md


_MD = _markdown()


def render_page(markdown: str, context: LinkContext) -> RenderedPage:
    """Render one page; links are rewritten into viewer routes as described above."""
    env: dict[str, Any] = {}
    tokens = _MD.parse(markdown, env)
    citations: list[Citation] = []
    text: list[str] = []
    diagrams = 0
    for token in tokens:
        if token.type == "fence":
            if _is_mermaid(token):
                diagrams += 1
            else:
                text.append(token.content)
        elif token.type == "code_block":
            text.append(token.content)
        elif token.type == "inline":
            text.append(_inline_text(token))
            _rewrite_links(token.children or [], context, citations)
    html = _MD.renderer.render(tokens, _MD.options, env)
    plain = " ".join(" ".join(text).split())[:MAX_SEARCH_TEXT]
    return RenderedPage(html, plain, tuple(citations), diagrams)


def _inline_text(token: Token) -> str:
    words = (
        " " if child.type in ("softbreak", "hardbreak") else child.content
        for child in token.children or []
        if child.type in ("text", "code_inline", "softbreak", "hardbreak")
    )
    return "".join(words)


def _rewrite_links(children: list[Token], context: LinkContext, citations: list[Citation]) -> None:
    for child in children:
        if child.type != "link_open":
            continue
        href = str(child.attrs.get("href", ""))
        citation = citation_of(href, context)
        if citation is not None:
            citations.append(citation)
            child.attrs["href"] = citation.route
            child.attrs["class"] = "citation"
            continue
        page_id = _page_of(href, context)
        if page_id is not None:
            child.attrs["href"] = f"#/page/{quote(page_id, safe='')}"
            child.attrs["class"] = "page-link"
        elif urlsplit(href).scheme in ("http", "https"):
            child.attrs["rel"] = "noopener noreferrer"
            child.attrs["target"] = "_blank"


def citation_of(href: str, context: LinkContext) -> Citation | None:
    """The citation a link stands for, or None when it is not one.

    The target is resolved from ``pages/`` without touching the file system; one that
    leaves the repository is not a citation (the viewer shows nothing outside it).
    """
    parts = urlsplit(href)
    match = _LINE_FRAGMENT.match(parts.fragment)
    if parts.scheme or parts.netloc or not parts.path or match is None:
        return None
    target = os.path.normpath(os.path.join(context.pages_dir, unquote(parts.path)))
    relative = os.path.relpath(target, context.repo)
    if relative == os.curdir or relative.split(os.sep)[0] == os.pardir:
        return None
    start = int(match.group(1))
    end = int(match.group(2) or start)
    return Citation(Path(relative).as_posix(), start, max(start, end))


def _page_of(href: str, context: LinkContext) -> str | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.endswith(".md"):
        return None
    page_id = PurePosixPath(unquote(parts.path)).stem
    return page_id if page_id in context.page_ids else None
