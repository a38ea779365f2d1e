"""Which lines of a page's Markdown are inside fenced code blocks.

The checks of a model page, its kept blocks and its citation links all read the page
line by line and must skip code: a ``<!-- cw:keep -->`` or a ``path:1-2`` quoted in a
code block is an example, not a marker or a citation. Fences are CommonMark's: three
or more backticks or tildes, closed by a run of the same character at least as long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


@dataclass(frozen=True, slots=True)
class Fence:
    """A fenced block: its opening and closing line indexes (0-based; ``end`` is the
    closing fence, or the last line when the fence is never ``closed``) and info string."""

    start: int
    end: int
    info: str
    closed: bool = True

    def body(self, lines: list[str]) -> str:
        """The text between the fences."""
        last = self.end if self.closed else self.end + 1
        return "\n".join(lines[self.start + 1 : last]) + "\n"

    @property
    def language(self) -> str:
        words = self.info.split()
        return words[0].lower() if words else ""


def fences(lines: list[str]) -> list[Fence]:
    """Every fenced block of ``lines``, in order."""
    found: list[Fence] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None or (opening.group(1)[0] == "`" and "`" in opening.group(2)):
            index += 1
            continue
        marker = opening.group(1)
        closing = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}\s*$")
        end = next((n for n in range(index + 1, len(lines)) if closing.match(lines[n])), None)
        info = opening.group(2).strip()
        if end is None:
            found.append(Fence(index, len(lines) - 1, info, closed=False))
            break
        found.append(Fence(index, end, info))
        index = end + 1
    return found


def code_lines(lines: list[str]) -> set[int]:
    """Indexes of the lines that are part of a fenced block, fences included."""
    return {n for fence in fences(lines) for n in range(fence.start, fence.end + 1)}
