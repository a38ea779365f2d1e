"""The tools a model writing a page may call to read more code than its pack holds.

``read_code_components(ids)`` and ``read_file(path, start, end)`` answer with numbered
lines, as the pack shows them, so what the model cites is what it read. Every read goes
through the :class:`~.footprints.Explorer` and leaves a footprint, kept in the page's
research artifact like the deterministic research's own reads, so ``cw verify`` can
tell when the evidence a page was written from has moved.
"""

from __future__ import annotations

from tiffany.models import Toolbox

from .facts import RepositoryFacts
from .footprints import Footprint

#: The most lines one read returns; the model asks again for more.
MAX_READ_LINES = 400


class CodeReader:
    """The reading tools of one page, and the footprints of what they read."""

    def __init__(self, facts: RepositoryFacts) -> None:
        self.facts = facts
        self.footprints: list[Footprint] = []

    def toolbox(self) -> Toolbox:
        box = Toolbox()
        box.add(self.read_code_components)
        box.add(self.read_file)
        return box

    def read_code_components(self, ids: list[str]) -> str:
        """Read the source of components of the index, by id (as listed under "Core
        components"), with numbered lines."""
        parts: list[str] = []
        for component_id in ids:
            component = self.facts.components.get(component_id)
            if component is None:
                parts.append(f"# {component_id}: no such component in the index")
                continue
            parts.append(
                f"# {component_id}\n"
                + self._lines(component.path, component.start_line, component.end_line)
            )
        return "\n\n".join(parts)

    def read_file(self, path: str, start: int, end: int) -> str:
        """Read lines start..end (1-based, inclusive) of a repository file, numbered."""
        if not self.facts.readable(path):
            return f"{path}: not a readable file of the repository"
        return f"# File: {path}\n" + self._lines(path, start, end)

    def _lines(self, path: str, start: int, end: int) -> str:
        first = max(1, start)
        last = min(max(first, end), first + MAX_READ_LINES - 1)
        lines, footprint = self.facts.explorer.read(path, first, last)
        self.footprints.append(footprint)
        if not lines:
            return f"(no lines {first}-{last}: the file has {self.facts.reader.line_count(path)})"
        width = len(str(first + len(lines) - 1))
        return "\n".join(f"{n:>{width}} | {line}" for n, line in enumerate(lines, start=first))
