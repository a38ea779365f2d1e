"""Java fixture: the exact components, docs and resolved references it yields."""

from __future__ import annotations

from collections.abc import Callable

from index_helpers import component_rows, doc_map, resolved_rows, signature_of

from cocowiki.index import IndexResult

Indexed = Callable[[str], IndexResult]

COMPONENTS = [
    ("src/main/java/com/example/App.java", "module", 1, 12, "public"),
    ("src/main/java/com/example/App.java#App", "class", 6, 12, "public"),
    ("src/main/java/com/example/App.java#App.main", "method", 7, 11, "public"),
    ("src/main/java/com/example/shapes/Base.java", "module", 1, 18, "public"),
    ("src/main/java/com/example/shapes/Base.java#Base", "class", 6, 18, "public"),
    ("src/main/java/com/example/shapes/Base.java#Base.Base", "method", 9, 11, "protected"),
    ("src/main/java/com/example/shapes/Base.java#Base.describe", "method", 13, 15, "public"),
    ("src/main/java/com/example/shapes/Base.java#Base.area", "method", 17, 17, "package"),
    ("src/main/java/com/example/shapes/Circle.java", "module", 1, 23, "public"),
    ("src/main/java/com/example/shapes/Circle.java#Circle", "class", 4, 23, "public"),
    ("src/main/java/com/example/shapes/Circle.java#Circle.SIDES", "constant", 5, 5, "private"),
    ("src/main/java/com/example/shapes/Circle.java#Circle.Circle", "method", 8, 11, "public"),
    ("src/main/java/com/example/shapes/Circle.java#Circle.area", "method", 13, 16, "public"),
    ("src/main/java/com/example/shapes/Circle.java#Circle.square", "method", 18, 20, "package"),
    ("src/main/java/com/example/shapes/Circle.java#Circle.Kind", "enum", 22, 22, "package"),
    ("src/main/java/com/example/shapes/Shape.java", "module", 1, 10, "public"),
    ("src/main/java/com/example/shapes/Shape.java#Shape", "interface", 4, 10, "public"),
    ("src/main/java/com/example/shapes/Shape.java#Shape.PI", "constant", 6, 6, "public"),
    ("src/main/java/com/example/shapes/Shape.java#Shape.area", "method", 9, 9, "public"),
]

DOCS = {
    "src/main/java/com/example/shapes/Base.java#Base": "What every shape has: a name.",
    "src/main/java/com/example/shapes/Circle.java#Circle": "A round shape.",
    "src/main/java/com/example/shapes/Shape.java#Shape": "Anything with an area.",
    "src/main/java/com/example/shapes/Shape.java#Shape.PI": "The circle constant.",
    "src/main/java/com/example/shapes/Shape.java#Shape.area": "The area of the shape.",
}

RESOLVED = {
    (
        "src/main/java/com/example/App.java",
        "import",
        "com.example.shapes.Circle",
        "src/main/java/com/example/shapes/Circle.java#Circle",
        "src/main/java/com/example/shapes/Circle.java",
        1.0,
    ),
    (
        "src/main/java/com/example/App.java#App.main",
        "call",
        "Circle",
        "src/main/java/com/example/shapes/Circle.java#Circle",
        "src/main/java/com/example/shapes/Circle.java",
        0.8,
    ),
    (
        "src/main/java/com/example/App.java#App.main",
        "type_use",
        "Circle",
        "src/main/java/com/example/shapes/Circle.java#Circle",
        "src/main/java/com/example/shapes/Circle.java",
        0.8,
    ),
    (
        "src/main/java/com/example/App.java#App.main",
        "call",
        "describe",
        "src/main/java/com/example/shapes/Base.java#Base.describe",
        "src/main/java/com/example/shapes/Base.java",
        0.5,
    ),
    (
        "src/main/java/com/example/shapes/Base.java#Base.describe",
        "call",
        "area",
        "src/main/java/com/example/shapes/Base.java#Base.area",
        "src/main/java/com/example/shapes/Base.java",
        0.9,
    ),
    (
        "src/main/java/com/example/shapes/Circle.java#Circle",
        "impl",
        "Shape",
        "src/main/java/com/example/shapes/Shape.java#Shape",
        "src/main/java/com/example/shapes/Shape.java",
        0.8,
    ),
    (
        "src/main/java/com/example/shapes/Circle.java#Circle",
        "inherit",
        "Base",
        "src/main/java/com/example/shapes/Base.java#Base",
        "src/main/java/com/example/shapes/Base.java",
        0.8,
    ),
    (
        "src/main/java/com/example/shapes/Circle.java#Circle.area",
        "call",
        "square",
        "src/main/java/com/example/shapes/Circle.java#Circle.square",
        "src/main/java/com/example/shapes/Circle.java",
        0.9,
    ),
}


def test_components(indexed: Indexed) -> None:
    assert component_rows(indexed("java")) == COMPONENTS


def test_docs(indexed: Indexed) -> None:
    assert doc_map(indexed("java")) == DOCS


def test_resolved_references(indexed: Indexed) -> None:
    assert resolved_rows(indexed("java")) == RESOLVED


def test_no_errors(indexed: Indexed) -> None:
    result = indexed("java")
    assert result.errors == []
    assert result.warnings == []


def test_packages_and_signatures(indexed: Indexed) -> None:
    result = indexed("java")
    qualified = {c.id: c.qualified_name for c in result.components}
    base = "src/main/java/com/example/shapes/"
    assert qualified[base + "Circle.java#Circle.area"] == "com.example.shapes.Circle.area"
    assert signature_of(result, base + "Circle.java#Circle") == (
        "public class Circle extends Base implements Shape"
    )
