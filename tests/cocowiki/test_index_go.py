"""Go fixture: the exact components, docs and resolved references it yields."""

from __future__ import annotations

from collections.abc import Callable

from index_helpers import component_rows, doc_map, resolved_rows, signature_of

from cocowiki.index import IndexResult

Indexed = Callable[[str], IndexResult]

COMPONENTS = [
    ("main.go", "module", 1, 12, "public"),
    ("main.go#main", "function", 9, 12, "package"),
    ("shapes/base.go", "module", 1, 11, "public"),
    ("shapes/base.go#Base", "struct", 4, 6, "public"),
    ("shapes/base.go#Base.Describe", "method", 9, 11, "public"),
    ("shapes/shapes.go", "module", 1, 36, "public"),
    ("shapes/shapes.go#Pi", "constant", 7, 7, "public"),
    ("shapes/shapes.go#Area", "type_alias", 10, 10, "public"),
    ("shapes/shapes.go#Shape", "interface", 13, 16, "public"),
    ("shapes/shapes.go#Shape.Area", "method", 15, 15, "public"),
    ("shapes/shapes.go#Circle", "struct", 19, 22, "public"),
    ("shapes/shapes.go#NewCircle", "function", 25, 27, "public"),
    ("shapes/shapes.go#Circle.Area", "method", 30, 32, "public"),
    ("shapes/shapes.go#square", "function", 34, 36, "package"),
]

DOCS = {
    "shapes/base.go#Base": "Base holds what every shape has.",
    "shapes/base.go#Base.Describe": "Describe names the shape.",
    "shapes/shapes.go": "Package shapes computes areas.",
    "shapes/shapes.go#Pi": "Pi is the circle constant.",
    "shapes/shapes.go#Area": "Area is an area in square units.",
    "shapes/shapes.go#Shape": "Shape is anything with an area.",
    "shapes/shapes.go#Shape.Area": "Area returns the area.",
    "shapes/shapes.go#Circle": "Circle is a round shape.",
    "shapes/shapes.go#NewCircle": "NewCircle makes a circle.",
    "shapes/shapes.go#Circle.Area": "Area of the circle.",
}

RESOLVED = {
    ("main.go", "import", "example.com/geo/shapes", "shapes/shapes.go", "shapes/shapes.go", 1.0),
    ("main.go#main", "call", "NewCircle", "shapes/shapes.go#NewCircle", "shapes/shapes.go", 0.8),
    ("main.go#main", "call", "Area", "shapes/shapes.go#Shape.Area", "shapes/shapes.go", 0.25),
    ("main.go#main", "call", "Describe", "shapes/base.go#Base.Describe", "shapes/base.go", 0.5),
    (
        "shapes/base.go#Base.Describe",
        "type_use",
        "Base",
        "shapes/base.go#Base",
        "shapes/base.go",
        0.9,
    ),
    (
        "shapes/shapes.go#Shape.Area",
        "type_use",
        "Area",
        "shapes/shapes.go#Area",
        "shapes/shapes.go",
        0.9,
    ),
    ("shapes/shapes.go#Circle", "inherit", "Base", "shapes/base.go#Base", "shapes/base.go", 0.8),
    (
        "shapes/shapes.go#NewCircle",
        "type_use",
        "Circle",
        "shapes/shapes.go#Circle",
        "shapes/shapes.go",
        0.9,
    ),
    (
        "shapes/shapes.go#NewCircle",
        "type_use",
        "Base",
        "shapes/base.go#Base",
        "shapes/base.go",
        0.8,
    ),
    (
        "shapes/shapes.go#Circle.Area",
        "type_use",
        "Area",
        "shapes/shapes.go#Area",
        "shapes/shapes.go",
        0.9,
    ),
    (
        "shapes/shapes.go#Circle.Area",
        "type_use",
        "Circle",
        "shapes/shapes.go#Circle",
        "shapes/shapes.go",
        0.9,
    ),
    (
        "shapes/shapes.go#Circle.Area",
        "call",
        "square",
        "shapes/shapes.go#square",
        "shapes/shapes.go",
        0.9,
    ),
}


def test_components(indexed: Indexed) -> None:
    assert component_rows(indexed("go")) == COMPONENTS


def test_docs(indexed: Indexed) -> None:
    assert doc_map(indexed("go")) == DOCS


def test_resolved_references(indexed: Indexed) -> None:
    assert resolved_rows(indexed("go")) == RESOLVED


def test_no_errors(indexed: Indexed) -> None:
    result = indexed("go")
    assert result.errors == []
    assert result.warnings == []


def test_package_names_and_signatures(indexed: Indexed) -> None:
    result = indexed("go")
    modules = {f.path: f.module_name for f in result.files}
    assert modules == {
        "main.go": "example.com/geo",
        "shapes/base.go": "example.com/geo/shapes",
        "shapes/shapes.go": "example.com/geo/shapes",
    }
    assert signature_of(result, "shapes/shapes.go#Circle.Area") == "func (c *Circle) Area() Area"
    package_import = next(r for r in result.references if r.target_name == "example.com/geo/shapes")
    assert (package_import.target_path, package_import.confidence) == ("shapes/shapes.go", 1.0)
