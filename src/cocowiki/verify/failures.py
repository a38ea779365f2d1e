"""One failure of ``cw verify``, and the tally of one check.

Every check reports the same way: how many things it looked at, and for each that does
not hold a :class:`Failure` printed as ``page: kind: detail (where)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["page", "citation", "link", "diagram", "footprint"]
#: The checks in the order they are reported (``page``: the page and its artifacts load).
KINDS: tuple[Kind, ...] = ("page", "citation", "link", "diagram", "footprint")


@dataclass(frozen=True, slots=True)
class Failure:
    """One thing on one page that does not hold: ``page: kind: detail (where)``.

    ``where`` is what was checked: ``path:start-end`` of a citation or a lookup, or
    ``pages/<id>.md:line`` of a link or diagram in the page.
    """

    page: str
    kind: Kind
    detail: str
    where: str | None = None

    def __str__(self) -> str:
        suffix = f" ({self.where})" if self.where else ""
        return f"{self.page}: {self.kind}: {self.detail}{suffix}"

    def as_json(self) -> dict[str, Any]:
        return {"page": self.page, "kind": self.kind, "detail": self.detail, "where": self.where}


@dataclass(slots=True)
class Tally:
    """How many things a check looked at, and the failures among them."""

    checked: int = 0
    failures: list[Failure] = field(default_factory=list)
    #: Why nothing could be checked here (node or mermaid missing), said once per run.
    not_checked: str | None = None

    def add(self, other: Tally) -> None:
        self.checked += other.checked
        self.failures.extend(other.failures)
        self.not_checked = self.not_checked or other.not_checked
