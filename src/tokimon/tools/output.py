"""What a tool hands back, and the one way output is cut down to size.

Every result goes into a model's context, which is small and paid for by the token, so
output is bounded. When text is cut the cut is said in the text itself
(``[truncated: 12,345 more bytes]``): a model that does not know it saw a part takes the
part for the whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Keep = Literal["head", "tail"]


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """A tool's answer: ``text`` for the model, ``data`` for the agent's own logic.

    ``data`` holds the facts a program wants without parsing the text (test counts, the
    files a patch changed); it must be JSON-serialisable, since it goes to the trace.
    """

    text: str
    is_error: bool = False
    data: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def error(cls, text: str, **data: Any) -> ToolOutput:
        return cls(text=text, is_error=True, data=data)


def truncation_marker(omitted_bytes: int, keep: Keep = "head") -> str:
    """The marker put where text was cut; ``keep`` says which end was kept."""
    where = "more" if keep == "head" else "earlier"
    return f"[truncated: {omitted_bytes:,} {where} bytes]"


def bound_text(text: str, limit: int, keep: Keep = "head") -> tuple[str, int]:
    """``text`` cut to at most about ``limit`` UTF-8 bytes, with the cut marked.

    Returns the text and how many bytes were left out (0 when nothing was cut). The cut
    falls on a line boundary when one is near, so no line is shown half.
    """
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text, 0
    if keep == "head":
        kept = data[:limit]
        newline = kept.rfind(b"\n")
        if newline >= limit // 2:
            kept = kept[: newline + 1]
        omitted = len(data) - len(kept)
        shown = kept.decode("utf-8", "ignore")
        separator = "" if shown.endswith("\n") else "\n"
        return f"{shown}{separator}{truncation_marker(omitted, keep)}", omitted
    kept = data[len(data) - limit :]
    newline = kept.find(b"\n")
    if 0 <= newline < limit // 2:
        kept = kept[newline + 1 :]
    omitted = len(data) - len(kept)
    return f"{truncation_marker(omitted, keep)}\n{kept.decode('utf-8', 'ignore')}", omitted
