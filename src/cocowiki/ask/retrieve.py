"""Finding the evidence for a question: symbol lookup, full-text search, graph expansion.

A question names things in two ways: as code (``parse_file``, ``Kernel.spawn``,
```run```) and in words ("how are parse errors recorded"). Symbol lookup answers the first
exactly, through the catalog's name index; full-text search (FTS5, BM25) answers the
second over names split into words, signatures and docs. The hits of both seed a graph
expansion along resolved references (callers, callees, bases), because the code that
answers a "how" question is usually next to the thing it names, not the thing itself.
Every route adds to one score per component, so a component several routes agree on
ranks first.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..index.model import Component, ComponentKind
from ..index.store import component_columns, component_from_row

#: Words that carry no meaning for retrieval.
_STOPWORD_TEXT = (
    "a an and any are as at be been by can could did do does doing for from has have how "
    "i if in into is it its may me my need of on or should so some than that the their "
    "them then there these this those to use used uses using was we were what when where "
    "which who why will with would you your get gets"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_TOKEN = re.compile(r"`([^`]+)`|([A-Za-z_][\w]*(?:(?:\.|::|->|#)[A-Za-z_]\w*)*)")
_CODE_LIKE = re.compile(r"_|\.|::|->|#|[a-z][A-Z]|^[A-Z][a-z]+[A-Z]")
_SEPARATORS = re.compile(r"\.|::|->|#")

SYMBOL_EXACT = 10.0
SYMBOL_WORD = 4.0
TEXT_TOP = 6.0
GRAPH_SHARE = 0.35
GRAPH_SEEDS = 5
MIN_CONFIDENCE = 0.5
#: Tests are evidence too, but a question is usually about the code they test.
TEST_FILE_WEIGHT = 0.75
_TEST_PATH = re.compile(
    r"(^|/)(tests?|spec|__tests__)/|(^|/)test_[^/]*$|_test\.\w+$|\.(test|spec)\.\w+$"
)


@dataclass(slots=True)
class Hit:
    """A component and why it was found; ``score`` sums what every route gave it."""

    component: Component
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)

    def add(self, score: float, reason: str) -> None:
        self.score += score
        if reason not in self.reasons:
            self.reasons.append(reason)


@dataclass(frozen=True, slots=True)
class Query:
    """A question split into the names it may mention and the words it uses."""

    text: str
    symbols: tuple[str, ...]
    words: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Query:
        symbols: list[str] = []
        words: list[str] = []
        for quoted, bare in _TOKEN.findall(text):
            token = (quoted or bare).strip()
            if not token:
                continue
            if quoted or _CODE_LIKE.search(token) or token.lower() not in STOPWORDS:
                symbols.append(token)
            for word in re.findall(r"[A-Za-z]+|\d+", token):
                lowered = word.lower()
                if lowered not in STOPWORDS and len(lowered) > 1:
                    words.append(lowered)
        return cls(text, tuple(dict.fromkeys(symbols)), tuple(dict.fromkeys(words)))


def retrieve(connection: sqlite3.Connection, query: Query, limit: int) -> list[Hit]:
    """The best ``limit`` components for ``query``, best first, ties broken by place."""
    hits: dict[str, Hit] = {}
    _symbol_route(connection, query, hits)
    _text_route(connection, query, hits, limit=max(30, limit * 3))
    _graph_route(connection, hits)
    for hit in hits.values():
        if _TEST_PATH.search(hit.component.path):
            hit.score *= TEST_FILE_WEIGHT
    ranked = sorted(
        hits.values(),
        key=lambda h: (-h.score, h.component.path, h.component.start_line, h.component.id),
    )
    return ranked[:limit]


def _hit(hits: dict[str, Hit], component: Component) -> Hit:
    return hits.setdefault(component.id, Hit(component))


def _symbol_route(connection: sqlite3.Connection, query: Query, hits: dict[str, Hit]) -> None:
    for symbol in query.symbols:
        code_like = bool(_CODE_LIKE.search(symbol))
        name = _SEPARATORS.split(symbol)[-1]
        rows = connection.execute(
            f"SELECT {component_columns()} FROM components "
            "WHERE name = ? OR qualified_name = ? OR qualified_name LIKE ? ESCAPE '\\' "
            "ORDER BY ordinal LIMIT 50",
            (name, symbol, "%" + _like_escape(_SEPARATORS.sub(".", symbol))),
        ).fetchall()
        for row in rows:
            component = component_from_row(row)
            exact = component.qualified_name.endswith(_SEPARATORS.sub(".", symbol)) or (
                component.name == symbol
            )
            weight = SYMBOL_EXACT if code_like and exact else SYMBOL_WORD
            if component.kind is ComponentKind.MODULE:
                weight /= 2
            _hit(hits, component).add(weight, f"symbol `{symbol}`")


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _stem(word: str) -> str:
    """A crude English stem, so that "errors" finds ``ParseError`` and "parsing" ``parse``."""
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _text_route(
    connection: sqlite3.Connection, query: Query, hits: dict[str, Hit], *, limit: int
) -> None:
    terms = sorted({_stem(word) for word in query.words})
    if not terms:
        return
    expression = " OR ".join(f'"{term}"*' for term in terms)
    rows = connection.execute(
        f"SELECT {component_columns('c.')}, bm25(components_fts, 0, 10, 5, 3, 1, 1) AS rank "
        "FROM components_fts f JOIN components c ON c.id = f.id "
        "WHERE components_fts MATCH ? ORDER BY rank, c.ordinal LIMIT ?",
        (expression, limit),
    ).fetchall()
    if not rows:
        return
    best = float(rows[0][-1]) or -1.0
    for row in rows:
        component = component_from_row(row[:-1])
        _hit(hits, component).add(TEXT_TOP * float(row[-1]) / best, "text")


def _graph_route(connection: sqlite3.Connection, hits: dict[str, Hit]) -> None:
    seeds = sorted(hits.values(), key=lambda h: -h.score)[:GRAPH_SEEDS]
    for seed in seeds:
        for neighbour, relation, confidence in _neighbours(connection, seed.component.id):
            share = GRAPH_SHARE * seed.score * confidence
            _hit(hits, neighbour).add(share, f"{relation} `{seed.component.name}`")


def _neighbours(
    connection: sqlite3.Connection, component_id: str
) -> Iterable[tuple[Component, str, float]]:
    """Components one resolved reference away, with how they relate to ``component_id``."""
    outgoing = connection.execute(
        f"SELECT {component_columns('c.')}, r.kind, MAX(r.confidence) FROM refs r "
        "JOIN components c ON c.id = r.target_id "
        "WHERE r.source_id = ? AND r.confidence >= ? AND r.kind != 'import' "
        "GROUP BY c.id ORDER BY c.ordinal LIMIT 20",
        (component_id, MIN_CONFIDENCE),
    ).fetchall()
    for row in outgoing:
        kind = str(row[-2])
        relation = {"call": "called by", "inherit": "base of", "impl": "implemented by"}.get(
            kind, "used by"
        )
        yield component_from_row(row[:-2]), relation, float(row[-1])
    incoming = connection.execute(
        f"SELECT {component_columns('c.')}, r.kind, MAX(r.confidence) FROM refs r "
        "JOIN components c ON c.id = r.source_id "
        "WHERE r.target_id = ? AND r.confidence >= ? AND r.kind != 'import' "
        "GROUP BY c.id ORDER BY c.ordinal LIMIT 20",
        (component_id, MIN_CONFIDENCE),
    ).fetchall()
    for row in incoming:
        kind = str(row[-2])
        relation = {"call": "calls", "inherit": "derives from", "impl": "implements"}.get(
            kind, "uses"
        )
        yield component_from_row(row[:-2]), relation, float(row[-1])
