"""The components a part of a split module is named after, most important first.

Only parts need them, and a plan splits few modules, so both sources answer for a set of
files: :class:`IndexImportance` from an index in memory, :class:`CatalogImportance` from
the catalog a lazy index stands for, by an indexed lookup of the files' components and
one aggregate query over the references for their use (fan-in) from other files, so a
build's plan never loads every component and reference.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from ..index.model import Component, IndexResult
from ..index.ranking import Usage, rank, usage_of
from ..index.store import component_columns, component_from_row, open_catalog


class Importance(Protocol):
    """Where a plan asks which components of some files matter most."""

    def ranked(self, files: Sequence[str]) -> list[Component]:
        """The components declared in ``files``, most important first."""
        ...


class IndexImportance:
    """:class:`Importance` over an index's components and references (read on first use)."""

    def __init__(self, index: IndexResult) -> None:
        self.index = index
        self._by_file: dict[str, list[Component]] | None = None
        self._usage: dict[str, Usage] | None = None

    def ranked(self, files: Sequence[str]) -> list[Component]:
        if self._by_file is None or self._usage is None:
            self._by_file = defaultdict(list)
            for component in self.index.components:
                self._by_file[component.path].append(component)
            self._usage = usage_of(self.index.references)
        by_file = self._by_file
        return rank([c for path in files for c in by_file.get(path, ())], self._usage)


#: Fan-in and inheritance of every component used from another file, as
#: :func:`~cocowiki.index.ranking.usage_of` counts them.
_USAGE_SQL = """
SELECT target_id,
       SUM(CASE WHEN kind IN ('inherit', 'impl') THEN 0 ELSE count END),
       SUM(CASE WHEN kind IN ('inherit', 'impl') THEN 1 ELSE 0 END)
FROM refs
WHERE target_id IS NOT NULL AND instr(target_id, path || '#') != 1 AND target_id != path
GROUP BY target_id
"""


class CatalogImportance:
    """:class:`Importance` read from the catalog at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._usage: dict[str, Usage] | None = None

    def ranked(self, files: Sequence[str]) -> list[Component]:
        with open_catalog(self.path) as connection:
            if self._usage is None:
                self._usage = {
                    target: Usage(fan_in, derived)
                    for target, fan_in, derived in connection.execute(_USAGE_SQL)
                }
            components = [
                component_from_row(row)
                for file in files
                for row in connection.execute(
                    f"SELECT {component_columns()} FROM components WHERE path = ? ORDER BY ordinal",
                    (file,),
                )
            ]
        return rank(components, self._usage)


def catalog_importance(path: Path) -> CatalogImportance | None:
    """A :class:`CatalogImportance` when the catalog can be opened, else None."""
    try:
        with open_catalog(path) as connection:
            connection.execute("SELECT 1 FROM refs LIMIT 1")
    except sqlite3.Error:
        return None
    return CatalogImportance(path)
