"""One thing wrong with a model-written page, where it is, and of which kind.

Defined apart from the checks (:mod:`.modelcheck`) so the kept-block markers
(:mod:`.keep`) can report their problems in the same shape without importing them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ProblemKind = Literal["citation", "diagram", "link", "marker"]


@dataclass(frozen=True)
class PageProblem:
    """``kind`` is one of ``citation``, ``diagram``, ``link``, ``marker``; ``line`` is the
    1-based line of the page's Markdown the problem is on, None for the page as a whole."""

    kind: str
    message: str
    line: int | None
