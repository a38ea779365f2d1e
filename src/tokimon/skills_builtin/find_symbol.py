"""``find_symbol``: where a symbol is defined and who calls it, from cocowiki's index.

The repository is indexed (incrementally: an unchanged tree costs a few ``stat`` calls)
into the skill cache, never into the repository. A symbol is a name (``parse``), a
dotted path (``dates.parse``, ``Kernel.spawn``) or a qualified name as the index writes
it. Definitions are the components whose name or qualified name matches; callers are
the components with a resolved reference to one of them (calls, inheritance, uses), and
"possible callers" the unresolved references by the same name, which the index could not
pin to a definition (a method called on a value whose type it does not know).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from cocowiki.index import IndexConfig, index_repository
from cocowiki.index.store import catalog_path, component_columns, component_from_row, open_catalog

from ..skills.context import SkillContext

_SEPARATORS = re.compile(r"\.|::|->|#")


def run(args: dict[str, Any], ctx: SkillContext) -> dict[str, Any]:
    symbol = str(args["symbol"]).strip().strip("`")
    limit = int(args.get("limit", 30))
    output = ctx.cache / "cocowiki"
    index_repository(ctx.repo, output, IndexConfig(exclude=(".tokimon/**",)))
    with open_catalog(catalog_path(output)) as connection:
        definitions = _definitions(connection, symbol)
        ids = [d["id"] for d in definitions]
        callers = _callers(connection, ids, limit)
        name = _SEPARATORS.split(symbol)[-1]
        possible = _unresolved(connection, name, limit) if len(callers) < limit else []
    lines = [f"symbol {symbol}: {len(definitions)} definition(s), {len(callers)} caller(s)"]
    for d in definitions:
        lines.append(f"defined: {d['path']}:{d['line']} {d['kind']} {d['qualified_name']}")
        if d["signature"]:
            lines.append(f"    {d['signature']}")
    for c in callers:
        lines.append(
            f"caller: {c['path']}:{c['line']} {c['caller']} ({c['kind']} of {c['target']})"
        )
    for p in possible:
        lines.append(f"possible caller: {p['path']}:{p['line']} {p['caller']} ({p['kind']})")
    if not definitions:
        lines.append("no definition found: check the spelling, or grep for it")
    return {
        "text": "\n".join(lines),
        "data": {"definitions": definitions, "callers": callers, "possible_callers": possible},
    }


def _definitions(connection: sqlite3.Connection, symbol: str) -> list[dict[str, Any]]:
    dotted = _SEPARATORS.sub(".", symbol)
    name = dotted.rsplit(".", 1)[-1]
    rows = connection.execute(
        f"SELECT {component_columns()} FROM components "
        "WHERE (name = ? OR qualified_name = ?) ORDER BY ordinal",
        (name, dotted),
    ).fetchall()
    found = []
    for row in rows:
        component = component_from_row(row)
        qualified = component.qualified_name
        if "." in dotted and not (qualified == dotted or qualified.endswith("." + dotted)):
            continue
        found.append(
            {
                "id": component.id,
                "path": component.path,
                "line": component.start_line,
                "end_line": component.end_line,
                "kind": component.kind.value,
                "qualified_name": qualified,
                "signature": component.signature,
            }
        )
    return found


def _callers(connection: sqlite3.Connection, ids: list[str], limit: int) -> list[dict[str, Any]]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = connection.execute(
        "SELECT r.path, r.line, r.kind, r.target_name, c.qualified_name FROM refs r "
        "JOIN components c ON c.id = r.source_id "
        f"WHERE r.target_id IN ({marks}) AND r.kind != 'import' "
        "ORDER BY r.path, r.line LIMIT ?",
        (*ids, limit),
    ).fetchall()
    return [
        {"path": p, "line": line, "kind": kind, "target": target, "caller": caller}
        for p, line, kind, target, caller in rows
    ]


def _unresolved(connection: sqlite3.Connection, name: str, limit: int) -> list[dict[str, Any]]:
    rows = connection.execute(
        "SELECT r.path, r.line, r.kind, c.qualified_name FROM refs r "
        "JOIN components c ON c.id = r.source_id "
        "WHERE r.target_name = ? AND r.target_id IS NULL AND r.kind != 'import' "
        "ORDER BY r.path, r.line LIMIT ?",
        (name, limit),
    ).fetchall()
    return [
        {"path": p, "line": line, "kind": kind, "caller": caller} for p, line, kind, caller in rows
    ]
