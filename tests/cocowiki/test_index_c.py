"""C fixture: the exact components, docs and resolved references it yields."""

from __future__ import annotations

from collections.abc import Callable

from index_helpers import component_rows, doc_map, resolved_rows, signature_of

from cocowiki.index import IndexResult

Indexed = Callable[[str], IndexResult]

COMPONENTS = [
    ("include/geo.h", "module", 1, 19, "public"),
    ("include/geo.h#GEO_PI", "constant", 5, 5, "public"),
    ("include/geo.h#point", "struct", 8, 11, "public"),
    ("include/geo.h#point_t", "type_alias", 8, 11, "public"),
    ("include/geo.h#shape_kind", "enum", 14, 14, "public"),
    ("include/geo.h#circle_area", "function", 17, 17, "public"),
    ("src/geo.c", "module", 1, 12, "public"),
    ("src/geo.c#SIDES", "constant", 3, 3, "private"),
    ("src/geo.c#square", "function", 6, 8, "private"),
    ("src/geo.c#circle_area", "function", 10, 12, "public"),
    ("src/main.c", "module", 1, 8, "public"),
    ("src/main.c#main", "function", 4, 8, "public"),
]

DOCS = {
    "include/geo.h#GEO_PI": "The circle constant.",
    "include/geo.h#point": "A point in the plane.",
    "include/geo.h#point_t": "A point in the plane.",
    "include/geo.h#shape_kind": "Kinds of shapes.",
    "include/geo.h#circle_area": "Area of a circle of the given radius.",
    "src/geo.c#square": "x times x.",
}

RESOLVED = {
    ("src/geo.c", "import", "geo.h", "include/geo.h", "include/geo.h", 0.9),
    ("src/geo.c#circle_area", "call", "square", "src/geo.c#square", "src/geo.c", 0.9),
    ("src/main.c", "import", "../include/geo.h", "include/geo.h", "include/geo.h", 1.0),
    ("src/main.c#main", "type_use", "point_t", "include/geo.h#point_t", "include/geo.h", 0.8),
    ("src/main.c#main", "call", "circle_area", "src/geo.c#circle_area", "src/geo.c", 0.8),
}


def test_components(indexed: Indexed) -> None:
    assert component_rows(indexed("c")) == COMPONENTS


def test_docs(indexed: Indexed) -> None:
    assert doc_map(indexed("c")) == DOCS


def test_resolved_references(indexed: Indexed) -> None:
    assert resolved_rows(indexed("c")) == RESOLVED


def test_no_errors(indexed: Indexed) -> None:
    result = indexed("c")
    assert result.errors == []
    assert result.warnings == []


def test_typedef_and_prototype_signatures(indexed: Indexed) -> None:
    result = indexed("c")
    assert signature_of(result, "include/geo.h#point") == "typedef struct point {…} point_t"
    assert signature_of(result, "include/geo.h#circle_area") == "double circle_area(double radius)"
    assert signature_of(result, "include/geo.h#GEO_PI") == "#define GEO_PI 3.14159"
