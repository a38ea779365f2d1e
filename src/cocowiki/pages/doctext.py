"""Documentation markup (Markdown, reStructuredText, doc-comment tags) as plain text.

A page's Purpose quotes the first sentences of a README or a doc comment, and a reader
must see those sentences, not their markup: no badges or images, no ``\\$ name\\_``
escapes, no ``.. note::`` directives, ``:class:`Foo``` as ``Foo``, links as their text,
HTML tags dropped. Markdown is read by markdown-it.rs (the parser the viewer uses), then
the HTML it writes is reduced to text; reStructuredText has no parser among our
dependencies and its inline markup is small enough to rewrite here. Inline code stays in
backticks, which the page's Markdown keeps as code spans.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from markdown_it_pyrs import MarkdownIt

#: Sentences a summary keeps at most, and how long it may grow.
MAX_SENTENCES = 2
MAX_SUMMARY = 320
#: A block of fewer words with no closing punctuation is a title, not a sentence.
MIN_SENTENCE_WORDS = 4

_MD = MarkdownIt("commonmark")
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_CODE = re.compile(r"<code[^>]*>(.*?)</code>", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_BLOCK_TAG = re.compile(r"</?(?:p|li|ul|ol|h\d|blockquote|br|hr|tr|td|th|pre|div)\b[^>]*>")
_LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s")
#: ``[`Name`]`` and ``[Name]`` not followed by ``(`` or ``[``: rustdoc's intra-doc links.
_SHORTCUT_LINK = re.compile(r"(?<![!\]\\])\[([^\[\]]+)\](?![(\[:])")
_ROLE = re.compile(r":[\w.+-]+(?::[\w.+-]+)?:`([^`]+)`")
_RST_LITERAL = re.compile(r"``(.+?)``")
_RST_LINK = re.compile(r"`([^`<]+?)\s*(?:<[^>]*>)?`__?")
_SUBSTITUTION = re.compile(r"\|[^|\s][^|]*\|_{0,2}")
_JAVADOC_INLINE = re.compile(r"\{@(?:link|linkplain|code|literal)\s+([^}]*)\}")
_SENTENCE = re.compile(r"(.+?[.!?:;])(?=\s+[A-Z`\"'(\[]|\s*$)")
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+_:.])\1{2,}\s*$")


def markdown_text(text: str) -> str:
    """Markdown as one line of plain text (inline code kept in backticks)."""
    lines = [line for line in text.splitlines() if not _LINK_DEFINITION.match(line)]
    source = _SHORTCUT_LINK.sub(r"\1", "\n".join(lines))
    rendered = _MD.render(source)
    rendered = _IMG.sub("", rendered)
    rendered = _CODE.sub(lambda m: code_span(m.group(1)), rendered)
    rendered = _TAG.sub("", _BLOCK_TAG.sub(" ", rendered))
    return _squeeze(html.unescape(rendered))


def rst_text(text: str) -> str:
    """reStructuredText inline markup as one line of plain text."""

    def role(match: re.Match[str]) -> str:
        target = match.group(1).strip()
        titled = re.match(r"(.+?)\s*<[^>]*>$", target)
        if titled:
            return titled.group(1)
        target = target.lstrip("!")
        if target.startswith("~"):
            target = target[1:].rsplit(".", 1)[-1]
        return f"`{target}`"

    text = _ROLE.sub(role, text)
    text = _RST_LITERAL.sub(lambda m: code_span(m.group(1)), text)
    text = _RST_LINK.sub(r"\1", text)
    text = _SUBSTITUTION.sub("", text)
    text = re.sub(r"\\(.)", r"\1", text)
    return _squeeze(text)


def doc_text(text: str) -> str:
    """A doc comment or docstring (Markdown, reStructuredText or Javadoc) as plain text."""
    text = _JAVADOC_INLINE.sub(lambda m: f"`{m.group(1).strip()}`", text)
    text = _ROLE.sub(lambda m: _role_name(m.group(1)), text)
    text = _RST_LITERAL.sub(lambda m: code_span(m.group(1)), text)
    return markdown_text(text.replace("\\ ", ""))  # rST's escaped space: `Option`\ s


def code_span(code: str) -> str:
    """``code`` as a Markdown code span, fenced by more backticks than it holds, so that
    a literal quoting Markdown (``[`Foo`](foo.md)``) stays a literal on the page."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {code} " if longest else code
    return f"{fence}{padded}{fence}"


def _role_name(target: str) -> str:
    titled = re.match(r"(.+?)\s*<[^>]*>$", target.strip())
    if titled:
        return titled.group(1)
    name = target.strip().lstrip("!")
    return f"`{name[1:].rsplit('.', 1)[-1] if name.startswith('~') else name}`"


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def first_sentences(text: str) -> str:
    """The first sentence of plain text, and the next when the first is short."""
    kept: list[str] = []
    rest = text.strip()
    while rest and len(kept) < MAX_SENTENCES:
        match = _SENTENCE.match(rest)
        sentence = match.group(1) if match else rest
        if kept and len(" ".join(kept)) + len(sentence) > MAX_SUMMARY:
            break
        kept.append(sentence)
        rest = rest[len(sentence) :].strip()
        if len(" ".join(kept)) >= MAX_SUMMARY // 4:
            break
    summary = " ".join(kept)
    return summary if len(summary) <= MAX_SUMMARY else summary[: MAX_SUMMARY - 3].rstrip() + "..."


@dataclass(frozen=True, slots=True)
class Passage:
    """The first prose block of a document: its lines (1-based, inclusive) and its text."""

    start: int
    end: int
    text: str


def first_passage(lines: list[str], syntax: str) -> Passage | None:
    """The first block of ``lines`` that reads as prose (``syntax``: ``markdown``,
    ``rst`` or ``doc``): headings, title-only lines, badges, images, code blocks,
    directives and HTML are passed over. Its text is its first sentence(s), plain. A doc
    comment that is only a title ("Multi-threaded runtime") is still its module's own
    word, and is taken when no sentence follows it; a README's title never is."""
    title: Passage | None = None
    for start, end in _blocks(lines, syntax):
        block = lines[start - 1 : end]
        if _skipped(block, syntax):
            continue
        source = "\n".join(block)
        plain = rst_text(source) if syntax == "rst" else doc_text(source)
        plain = plain.strip()
        if plain and _title_only(plain):
            title = title or (Passage(start, end, plain) if syntax == "doc" else None)
            continue
        if plain:
            return Passage(start, end, first_sentences(plain))
    return title


def _blocks(lines: list[str], syntax: str) -> list[tuple[int, int]]:
    """Spans of blank-line separated blocks, code fences and rST directive bodies left out."""
    blocks: list[tuple[int, int]] = []
    start: int | None = None
    fenced = False
    directive = False
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if text.startswith(("```", "~~~")):
            fenced = not fenced
            start = None
            continue
        if fenced:
            continue
        if directive:
            if text and not line[:1].isspace():
                directive = False
            else:
                continue
        if syntax == "rst" and text.startswith(".. "):
            directive = True
            if start is not None:
                blocks.append((start, number - 1))
            start = None
            continue
        if not text:
            if start is not None:
                blocks.append((start, number - 1))
            start = None
        elif start is None:
            start = number
    if start is not None and not fenced:
        blocks.append((start, len(lines)))
    return blocks


def _skipped(block: list[str], syntax: str) -> bool:
    first = block[0].strip()
    if first.startswith(("#", "<", "|", "---", "***", "===")) and syntax != "rst":
        return True
    if any(_RST_UNDERLINE.match(line.strip()) for line in block[1:2]):
        return True  # a heading: its title, then a line of one repeated character
    if syntax == "rst" and (first.startswith(("|", ":")) or _RST_UNDERLINE.match(first)):
        return True
    return first.startswith(("[![", "![", "    "))


def _title_only(text: str) -> bool:
    return len(text.split()) < MIN_SENTENCE_WORDS and not text.rstrip().endswith((".", "!", "?"))
