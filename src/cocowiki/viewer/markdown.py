"""Wiki pages from Markdown to HTML, rendered once at build time by markdown-it.rs.

Rendering in Python rather than in the browser keeps the viewer free of a JavaScript
Markdown library, gives the same CommonMark reading the rest of the tooling has (``cw
verify`` reads pages with the same parser), and lets the links be rewritten where their
targets are known:

* a citation (a link whose fragment is ``#Lstart-Lend`` and whose target is the source
  file relative to ``pages/``) becomes ``#/source/<path>:<start>-<end>``, the viewer's
  source view at those lines;
* a link to another page (``<id>.md``) becomes ``#/page/<id>``;
* a ``mermaid`` code fence becomes ``<pre class="mermaid-source">``: readable source as
  it stands, turned into an SVG by the viewer's script when mermaid is there.

Raw HTML in a page is escaped, never passed through (the ``html_block`` and
``html_inline`` rules are not enabled), so a page that quotes ``</script>`` or markup
shows it as text. The one exception is the collapsible section: balanced lines
``<details>``, ``<summary>...</summary>`` and ``</details>`` become those elements.

The parser is markdown-it.rs (``markdown-it-pyrs``), which gives the HTML markdown-it-py
gives for CommonMark with tables and strikethrough, about twenty times faster: a large
wiki's pages are tens of megabytes of Markdown, mostly citations. It has no render hooks
for Python, so the HTML it writes is edited afterwards, which is safe because with raw
HTML escaped every ``<`` in it starts a tag the renderer wrote: each ``<a href="...">``
is a link, each ``<pre><code ...>`` a code block.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urlsplit

from markdown_it_pyrs import MarkdownIt

MAX_SEARCH_TEXT = 50_000  # characters of a page's text kept for search

#: CommonMark as markdown-it-py's ``commonmark`` preset with ``html=False`` (every rule
#: but ``html_block`` and ``html_inline``), plus tables and strikethrough.
_MD = MarkdownIt("zero").enable_many(
    [
        *("blockquote", "code", "fence", "heading", "hr", "lheading", "list", "paragraph"),
        *("reference", "autolink", "backticks", "emphasis", "entity", "escape", "image"),
        *("link", "newline", "table", "strikethrough"),
    ]
)

_LINE_FRAGMENT = re.compile(r"^L(\d+)(?:-L?(\d+))?$")
_LINK = re.compile(r'<a href="([^"]*)"([^>]*)>')
_CODE_BLOCK = re.compile(r'<pre><code(?: class="language-([^"]*)")?>')
_MERMAID_SOURCE = re.compile(r'<pre class="mermaid-source"><code>.*?</code></pre>', re.S)
_TAG = re.compile(r"<[^>]*>")
#: The info string of what may be a fence's opening line (or any other line with three
#: backticks or tildes: finding too many only costs time).
_FENCE_INFO = re.compile(r"(?:```|~~~)[`~]*([^\n]*)")
_DETAILS_CLOSE_HTML = "<p>&lt;/details&gt;</p>"
_DETAILS_PART = re.compile(
    r"<p>&lt;details&gt;\n&lt;summary&gt;((?:(?!&lt;/?summary&gt;)[^<\n])*)&lt;/summary&gt;</p>"
    f"|{re.escape(_DETAILS_CLOSE_HTML)}"
)
_UNESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&amp;", "&"))


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


@dataclass(frozen=True, slots=True)
class _Link:
    """What a link's ``href`` becomes: its new attributes and the citation it makes."""

    attributes: str
    extra: str
    citation: Citation | None


def render_page(markdown: str, context: LinkContext) -> RenderedPage:
    """Render one page; links are rewritten into viewer routes as described above."""
    html = _details(_mermaid_fences(_MD.render(markdown), markdown), markdown)
    citations: list[Citation] = []

    def rewrite(match: re.Match[str]) -> str:
        link = _link(match.group(1), context)
        if link.citation is not None:
            citations.append(link.citation)
        return f"<a {link.attributes}{match.group(2)}{link.extra}>"

    html = _LINK.sub(rewrite, html)
    diagrams = html.count('<pre class="mermaid-source">')
    text = _unescape(_TAG.sub("", _MERMAID_SOURCE.sub(" ", html)))
    plain = " ".join(text.split())[:MAX_SEARCH_TEXT]
    return RenderedPage(html, plain, tuple(citations), diagrams)


def _details(html: str, markdown: str) -> str:
    """Collapsible sections: a page's ``<details>`` line followed by a
    ``<summary>...</summary>`` line, and its ``</details>`` line, become those elements,
    the Markdown between them rendered as usual.

    Raw HTML stays escaped everywhere else: only these forms are read, and only when the
    page's blocks are balanced (each opened before it is closed, every one closed) and are
    all written as such lines in the Markdown, not quoted in text.
    """
    written = sum(1 for line in markdown.splitlines() if line == "<details>")
    if not written:
        return html
    depth = opened = 0
    for match in _DETAILS_PART.finditer(html):
        closing = match.group(0) == _DETAILS_CLOSE_HTML
        depth += -1 if closing else 1
        opened += not closing
        if depth < 0:
            return html
    if depth or written != opened:
        return html

    def element(match: re.Match[str]) -> str:
        if match.group(0) == _DETAILS_CLOSE_HTML:
            return "</details>"
        return f"<details>\n<summary>{match.group(1)}</summary>"

    return _DETAILS_PART.sub(element, html)


def _mermaid_fences(html: str, markdown: str) -> str:
    """Mermaid fences as readable source the viewer's script turns into SVG.

    A fence is a diagram when its info string is ``mermaid`` (any case, nothing else).
    The class markdown-it writes holds the info's first word only, so a page where that
    may differ is read from its syntax tree: every code block, fenced or indented, is
    one ``<pre><code`` in the HTML, in the tree's order.
    """
    if not any(_ambiguous(info) for info in _FENCE_INFO.findall(markdown)):
        flags: list[bool] | None = None
    else:
        flags = [
            node.name == "fence" and str(node.meta.get("info", "")).strip().lower() == "mermaid"
            for node in _MD.tree(markdown).walk()
            if node.name in ("fence", "code_block")
        ]
    order = itertools.count()

    def replace(match: re.Match[str]) -> str:
        if flags is not None:
            is_mermaid = flags[next(order)]
        else:
            is_mermaid = (match.group(1) or "").lower() == "mermaid"
        return '<pre class="mermaid-source"><code>' if is_mermaid else match.group(0)

    return _CODE_BLOCK.sub(replace, html)


def _ambiguous(info: str) -> bool:
    """Whether a fence with this info string may render with the class of a diagram
    without being one: more words after ``mermaid``, or an entity or escape."""
    words = info.split()
    return ("&" in info or "\\" in info) or (len(words) > 1 and words[0].lower() == "mermaid")


def _unescape(text: str) -> str:
    for entity, character in _UNESCAPES:
        text = text.replace(entity, character)
    return text


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _link(escaped_href: str, context: LinkContext) -> _Link:
    """What a link becomes, from its ``href`` as the HTML has it."""
    href = _unescape(escaped_href)
    citation = citation_of(href, context)
    if citation is not None:
        return _Link(f'href="{_escape(citation.route)}"', ' class="citation"', citation)
    page_id = _page_of(href, context)
    if page_id is not None:
        route = f"#/page/{quote(page_id, safe='')}"
        return _Link(f'href="{_escape(route)}"', ' class="page-link"', None)
    if urlsplit(href).scheme in ("http", "https"):
        return _Link(f'href="{escaped_href}"', ' rel="noopener noreferrer" target="_blank"', None)
    return _Link(f'href="{escaped_href}"', "", None)


def citation_of(href: str, context: LinkContext) -> Citation | None:
    """The citation a link stands for, or None when it is not one.

    The target is resolved from ``pages/`` without touching the file system; one that
    leaves the repository is not a citation (the viewer shows nothing outside it).
    """
    target, _, fragment = href.partition("#")
    match = _LINE_FRAGMENT.match(fragment)
    path = _repository_path(target, context) if match is not None else None
    if match is None or path is None:
        return None
    start = int(match.group(1))
    end = int(match.group(2) or start)
    return Citation(path, start, max(start, end))


@functools.lru_cache(maxsize=16384)
def _repository_path(target: str, context: LinkContext) -> str | None:
    """The repository path a link's target (without its fragment) names, if any (a
    page cites the same files many times)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    resolved = os.path.normpath(os.path.join(context.pages_dir, unquote(parts.path)))
    relative = os.path.relpath(resolved, context.repo)
    if relative == os.curdir or relative.split(os.sep)[0] == os.pardir:
        return None
    return Path(relative).as_posix()


def _page_of(href: str, context: LinkContext) -> str | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.endswith(".md"):
        return None
    page_id = PurePosixPath(unquote(parts.path)).stem
    return page_id if page_id in context.page_ids else None
