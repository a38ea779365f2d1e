"""C++ fixture: the exact components, docs and resolved references it yields."""

from __future__ import annotations

from collections.abc import Callable

from index_helpers import component_rows, doc_map, resolved_rows, signature_of

from cocowiki.index import IndexResult

Indexed = Callable[[str], IndexResult]

COMPONENTS = [
    ("include/shapes.hpp", "module", 1, 48, "public"),
    ("include/shapes.hpp#geo", "module", 5, 48, "public"),
    ("include/shapes.hpp#geo::kPi", "constant", 8, 8, "public"),
    ("include/shapes.hpp#geo::Shape", "class", 11, 20, "public"),
    ("include/shapes.hpp#geo::Shape::~Shape", "method", 13, 13, "public"),
    ("include/shapes.hpp#geo::Shape::area", "method", 15, 15, "public"),
    ("include/shapes.hpp#geo::Shape::describe", "method", 16, 16, "public"),
    ("include/shapes.hpp#geo::Circle", "class", 23, 30, "public"),
    ("include/shapes.hpp#geo::Circle::Circle", "method", 25, 25, "public"),
    ("include/shapes.hpp#geo::Circle::area", "method", 26, 26, "public"),
    ("include/shapes.hpp#geo::Point", "struct", 33, 37, "public"),
    ("include/shapes.hpp#geo::Point::norm", "method", 36, 36, "public"),
    ("include/shapes.hpp#geo::Kind", "enum", 39, 39, "public"),
    ("include/shapes.hpp#geo::Area", "type_alias", 41, 41, "public"),
    ("include/shapes.hpp#geo::twice", "function", 43, 46, "public"),
    ("src/main.cpp", "module", 1, 9, "public"),
    ("src/main.cpp#main", "function", 5, 9, "public"),
    ("src/shapes.cpp", "module", 1, 17, "public"),
    ("src/shapes.cpp#geo", "module", 3, 17, "public"),
    ("src/shapes.cpp#geo::square", "function", 7, 7, "private"),
    ("src/shapes.cpp#geo::Circle::Circle", "method", 11, 11, "public"),
    ("src/shapes.cpp#geo::Circle::area", "method", 13, 13, "public"),
    ("src/shapes.cpp#geo::Shape::describe", "method", 15, 15, "public"),
]

DOCS = {
    "include/shapes.hpp#geo::kPi": "The circle constant.",
    "include/shapes.hpp#geo::Shape": "Anything with an area.",
    "include/shapes.hpp#geo::Shape::area": "The area of the shape.",
    "include/shapes.hpp#geo::Circle": "A round shape.",
    "include/shapes.hpp#geo::Point": "A point in the plane.",
    "src/shapes.cpp#geo::square": "x times x.",
}

RESOLVED = {
    (
        "include/shapes.hpp#geo::Circle",
        "inherit",
        "Shape",
        "include/shapes.hpp#geo::Shape",
        "include/shapes.hpp",
        0.9,
    ),
    ("src/main.cpp", "import", "shapes.hpp", "include/shapes.hpp", "include/shapes.hpp", 0.9),
    (
        "src/main.cpp#main",
        "type_use",
        "Circle",
        "include/shapes.hpp#geo::Circle",
        "include/shapes.hpp",
        0.8,
    ),
    (
        "src/main.cpp#main",
        "call",
        "describe",
        "src/shapes.cpp#geo::Shape::describe",
        "src/shapes.cpp",
        0.5,
    ),
    (
        "src/main.cpp#main",
        "call",
        "twice",
        "include/shapes.hpp#geo::twice",
        "include/shapes.hpp",
        0.8,
    ),
    ("src/shapes.cpp", "import", "shapes.hpp", "include/shapes.hpp", "include/shapes.hpp", 0.9),
    (
        "src/shapes.cpp#geo::Circle::area",
        "call",
        "square",
        "src/shapes.cpp#geo::square",
        "src/shapes.cpp",
        0.9,
    ),
    (
        "src/shapes.cpp#geo::Shape::describe",
        "call",
        "area",
        "include/shapes.hpp#geo::Shape::area",
        "include/shapes.hpp",
        0.8,
    ),
}


def test_components(indexed: Indexed) -> None:
    assert component_rows(indexed("cpp")) == COMPONENTS


def test_docs(indexed: Indexed) -> None:
    assert doc_map(indexed("cpp")) == DOCS


def test_resolved_references(indexed: Indexed) -> None:
    assert resolved_rows(indexed("cpp")) == RESOLVED


def test_no_errors(indexed: Indexed) -> None:
    result = indexed("cpp")
    assert result.errors == []
    assert result.warnings == []


def test_out_of_line_methods(indexed: Indexed) -> None:
    result = indexed("cpp")
    assert signature_of(result, "src/shapes.cpp#geo::Circle::area") == "double Circle::area() const"
    qualified = {c.id: c.qualified_name for c in result.components}
    assert qualified["src/shapes.cpp#geo::Circle::area"] == "geo::Circle::area"
    assert {f.path: f.language for f in result.files}["include/shapes.hpp"] == "cpp"
