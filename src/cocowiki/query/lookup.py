"""``lookup_symbol``: where a name is defined, what it says, who calls it and what it calls.

A name is matched the way ``cw ask`` matches code-like words: ``parse_file`` by its simple
name, ``Kernel.spawn`` (or ``Kernel::spawn``, ``a/b.Kernel.spawn``) by the end of its
qualified name. The lookup goes through the catalog's name index only (no scan of all
components), so it stays fast on large repositories. Each definition comes with its
citation (``path:start-end``), signature, doc, the wiki page that documents its file, and
its callers and callees from the resolved references (an unresolved callee is listed by
the name the code uses).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from ..index.model import Component
from ..index.store import component_columns, component_from_row
from .freshness import freshness
from .wiki import Wiki, WikiError, unknown

#: Definitions returned for one name, and callers/callees listed for each.
MAX_DEFINITIONS = 10
MAX_NEIGHBOURS = 20
MAX_NAME_CHARS = 300

_SEPARATORS = re.compile(r"::|->|#|/|\\")


@dataclass(frozen=True, slots=True)
class SymbolName:
    """A looked-up name split into its simple name and the qualified suffix to match."""

    text: str
    simple: str
    dotted: str

    @classmethod
    def parse(cls, text: str) -> SymbolName:
        name = text.strip().strip("`").strip()
        if not name:
            raise WikiError(
                "the name is empty: give a symbol such as 'parse_file' or 'Kernel.spawn'"
            )
        if len(name) > MAX_NAME_CHARS or any(ch.isspace() for ch in name):
            raise WikiError(
                f"{text[:80]!r} is not a symbol name (no spaces, at most {MAX_NAME_CHARS} "
                "characters); use search or ask for words"
            )
        dotted = _SEPARATORS.sub(".", name).strip(".").removesuffix("()")
        return cls(name, dotted.rsplit(".", 1)[-1], dotted)

    def matches(self, component: Component) -> bool:
        qualified = _SEPARATORS.sub(".", component.qualified_name)
        return qualified == self.dotted or qualified.endswith("." + self.dotted)


def lookup_symbol(wiki: Wiki, name: str, *, limit: int = MAX_DEFINITIONS) -> dict[str, Any]:
    """The definitions of ``name`` with their neighbours; :class:`WikiError` when none."""
    symbol = SymbolName.parse(name)
    pages = wiki.page_of_file()
    with wiki.connect() as connection:
        found = _definitions(connection, symbol)
        if not found:
            raise WikiError(_not_found(connection, symbol))
        shown = found[:limit]
        definitions = [_definition(connection, c, pages) for c in shown]
        cited = {c.path for c in shown}
        for item in definitions:
            cited.update(n["path"] for n in item["callers"] + item["callees"] if n.get("path"))
        fresh = freshness(wiki, connection, cited)
    return {
        "name": symbol.text,
        "definitions": definitions,
        "total_definitions": len(found),
        "freshness": fresh,
    }


def _definitions(connection: sqlite3.Connection, symbol: SymbolName) -> list[Component]:
    rows = connection.execute(
        f"SELECT {component_columns()} FROM components WHERE name = ? ORDER BY ordinal",
        (symbol.simple,),
    ).fetchall()
    components = [component_from_row(row) for row in rows]
    if symbol.dotted == symbol.simple:
        return components
    return [c for c in components if symbol.matches(c)]


def _definition(
    connection: sqlite3.Connection, component: Component, pages: dict[str, str]
) -> dict[str, Any]:
    return {
        "id": component.id,
        "kind": str(component.kind),
        "qualified_name": component.qualified_name,
        "citation": f"{component.path}:{component.start_line}-{component.end_line}",
        "path": component.path,
        "start_line": component.start_line,
        "end_line": component.end_line,
        "signature": component.signature,
        "doc": component.doc,
        "page": pages.get(component.path),
        "callers": _callers(connection, component.id),
        "callees": _callees(connection, component.id),
    }


def _callers(connection: sqlite3.Connection, component_id: str) -> list[dict[str, Any]]:
    rows = connection.execute(
        "SELECT c.qualified_name, c.kind, r.path, r.line, r.count FROM refs r "
        "JOIN components c ON c.id = r.source_id "
        "WHERE r.target_id = ? AND r.kind = 'call' ORDER BY r.ordinal LIMIT ?",
        (component_id, MAX_NEIGHBOURS),
    ).fetchall()
    return [
        {
            "qualified_name": name,
            "kind": kind,
            "path": path,
            "line": line,
            "citation": f"{path}:{line}-{line}",
            "count": count,
        }
        for name, kind, path, line, count in rows
    ]


def _callees(connection: sqlite3.Connection, component_id: str) -> list[dict[str, Any]]:
    rows = connection.execute(
        "SELECT r.target_name, r.line, r.path, r.count, c.qualified_name, c.path, c.start_line, "
        "c.end_line FROM refs r LEFT JOIN components c ON c.id = r.target_id "
        "WHERE r.source_id = ? AND r.kind = 'call' ORDER BY r.ordinal LIMIT ?",
        (component_id, MAX_NEIGHBOURS),
    ).fetchall()
    callees = []
    for target, line, site, count, qualified, path, start, end in rows:
        entry: dict[str, Any] = {
            "name": target,
            "call_site": f"{site}:{line}-{line}",
            "count": count,
        }
        if qualified is not None:
            entry |= {
                "qualified_name": qualified,
                "path": path,
                "citation": f"{path}:{start}-{end}",
            }
        callees.append(entry)
    return callees


def _not_found(connection: sqlite3.Connection, symbol: SymbolName) -> str:
    """``no symbol 'x'`` with names that are close (by prefix, then by spelling)."""
    prefix = symbol.simple[: max(3, len(symbol.simple) // 2)]
    rows = connection.execute(
        "SELECT DISTINCT name FROM components WHERE name >= ? AND name < ? LIMIT 200",
        (prefix, prefix + "\U0010ffff"),
    ).fetchall()
    names = sorted({str(row[0]) for row in rows})
    message = unknown("symbol", symbol.text, names) if names else f"no symbol {symbol.text!r}"
    return f"{message} in the index; try search for words, or check the spelling"
