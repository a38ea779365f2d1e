"""Markdown pieces that render as meant whatever the code's names and docs contain."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)


def escape(text: str) -> str:
    """Plain text for Markdown: characters with a meaning there are backslash-escaped.

    Backtick code spans already in the text (doc comments use them) are kept as they are.
    """
    parts: list[str] = []
    last = 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(_SPECIAL.sub(r"\\\1", text[last : match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_SPECIAL.sub(r"\\\1", text[last:]))
    return "".join(parts)


def code(text: str) -> str:
    """``text`` as an inline code span, fenced with more backticks than it contains."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def link(text: str, target: str) -> str:
    """``[text](target)``; the target in angle brackets when it has spaces or parentheses."""
    label = text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    label = label.replace("|", "\\|")
    if re.search(r"[\s()<>]", target):
        target = "<" + target.replace("<", "%3C").replace(">", "%3E") + ">"
    return f"[{label}]({target})"


def fence(language: str, body: str) -> str:
    """A fenced code block (``mermaid`` diagrams)."""
    return f"```{language}\n{body.rstrip()}\n```"


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``1 file``, ``2 files`` (``plural`` for irregular nouns)."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def and_more(total: int, shown: int) -> str:
    """`` and 3 more`` when only ``shown`` of ``total`` items were listed, else ``""``."""
    return f" and {total - shown} more" if total > shown else ""
