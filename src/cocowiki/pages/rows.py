"""The rows of the catalog a build asks for one at a time, by indexed lookups.

An index read back from an unchanged catalog, or updated in place by an edit, is lazy:
its components and references are read only when first used, all of them (180,000 rows
cost about 1.5 s on a 500,000-line repository). An edit's build asks about a few files and
components (the keys of the edited file, the references into the files it points into,
the research of the one page recomputed), so those questions are answered here from the
catalog the index reads its rows from, each in the index's order, as the loaded rows
would answer them.
"""

from __future__ import annotations

from pathlib import Path

from ..index.model import Component, Reference
from ..index.store import (
    component_columns,
    component_from_row,
    open_catalog,
    reference_columns,
    reference_from_row,
    references_into,
)

#: Columns of ``components`` a lookup may be by (each has an index).
COMPONENT_KEYS = frozenset({"id", "path", "parent_id", "name", "qualified_name"})


class CatalogRows:
    """Indexed lookups of one catalog's components and references."""

    def __init__(self, catalog: Path) -> None:
        self.catalog = catalog

    def components(self, column: str, value: str) -> list[Component]:
        """The components whose ``column`` (one of :data:`COMPONENT_KEYS`) is ``value``."""
        if column not in COMPONENT_KEYS:
            raise ValueError(f"not a column to look components up by: {column}")
        with open_catalog(self.catalog) as connection:
            rows = connection.execute(
                f"SELECT {component_columns()} FROM components WHERE {column} = ? ORDER BY ordinal",
                (value,),
            ).fetchall()
        return [component_from_row(row) for row in rows]

    def component_languages(self) -> list[str]:
        """The language of every component, sorted (counted by the catalog)."""
        with open_catalog(self.catalog) as connection:
            counts = connection.execute(
                "SELECT language, count(*) FROM components GROUP BY language"
            ).fetchall()
        return [language for language, count in sorted(counts) for _ in range(count)]

    def references(self, *conditions: str, value: str) -> list[Reference]:
        """The references meeting any of ``conditions`` (SQL over ``refs``, each with one
        ``?`` for ``value``, each served by an index)."""
        union = " UNION ".join(
            f"SELECT {reference_columns()}, ordinal FROM refs WHERE {condition}"
            for condition in conditions
        )
        with open_catalog(self.catalog) as connection:
            rows = connection.execute(
                f"{union} ORDER BY ordinal", (value,) * len(conditions)
            ).fetchall()
        return [reference_from_row(row[:-1]) for row in rows]

    def references_into(self, path: str) -> list[Reference]:
        """The references into ``path`` by ``target_path`` or by the file of
        ``target_id`` (:func:`~cocowiki.index.store.references_into`)."""
        return references_into(self.catalog, [path])[path]
