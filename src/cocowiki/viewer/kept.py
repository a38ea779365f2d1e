"""Kept blocks shown as what they are: text a person wrote, not the generator.

A page's ``<!-- cw:keep -->`` ... ``<!-- cw:end -->`` blocks (:mod:`cocowiki.pages.keep`)
would render as the text of their comment markers, since the viewer escapes raw HTML.
:func:`render_with_kept` renders the page with each well-formed block's markers turned
into a box with a visible label, ``Written by a maintainer``, styled with the viewer's
own colour variables inline (so the stylesheet needs nothing). Markers that do not pair
up stay as text, which is how a reader sees that they are broken.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from ..pages.keep import kept_blocks
from .markdown import LinkContext, RenderedPage, render_page

LABEL = "Written by a maintainer"
#: Lines that stand for a block's markers while the page is rendered: a paragraph each.
_OPEN = "cw-kept-block-opens-2f9c41"
_CLOSE = "cw-kept-block-closes-2f9c41"
_BOX = (
    '<div class="kept" title="Kept across rewrites of this page: written by a person" '
    'style="border-left:4px solid var(--accent);background:var(--panel);'
    'padding:4px 12px;margin:12px 0">'
    '<p class="kept-label" style="margin:4px 0;font-size:0.85em;font-weight:600;'
    f'color:var(--muted)">{LABEL}</p>'
)


def render_with_kept(
    markdown: str,
    context: LinkContext,
    render: Callable[[str, LinkContext], RenderedPage] = render_page,
) -> RenderedPage:
    """``render`` (:func:`~.markdown.render_page`) with kept blocks boxed and labelled."""
    blocks = kept_blocks(markdown)
    if not blocks:
        return render(markdown, context)
    lines = markdown.split("\n")
    for block in blocks:
        first = block.line - 1
        last = first + block.text.count("\n")
        lines[first] = f"\n{_OPEN}\n"
        lines[last] = f"\n{_CLOSE}\n"
    rendered = render("\n".join(lines), context)
    html = rendered.html.replace(f"<p>{_OPEN}</p>", _BOX).replace(f"<p>{_CLOSE}</p>", "</div>")
    text = " ".join(rendered.text.replace(_OPEN, LABEL + ":").replace(_CLOSE, " ").split())
    return dataclasses.replace(rendered, html=html, text=text)
