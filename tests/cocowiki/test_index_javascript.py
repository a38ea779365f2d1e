"""JavaScript fixture: the exact components, docs and resolved references it yields."""

from __future__ import annotations

from collections.abc import Callable

from index_helpers import component_rows, doc_map, resolved_rows, signature_of

from cocowiki.index import IndexResult

Indexed = Callable[[str], IndexResult]

COMPONENTS = [
    ("lib/legacy.js", "module", 1, 12, "public"),
    ("lib/legacy.js#cube", "function", 4, 6, "public"),
    ("lib/legacy.js#helper", "function", 8, 10, "private"),
    ("src/index.js", "module", 1, 7, "public"),
    ("src/index.js#main", "function", 4, 7, "public"),
    ("src/shapes.js", "module", 1, 48, "public"),
    ("src/shapes.js#PI", "constant", 8, 8, "public"),
    ("src/shapes.js#registry", "constant", 10, 10, "private"),
    ("src/shapes.js#Shape", "class", 13, 28, "public"),
    ("src/shapes.js#Shape.constructor", "method", 16, 18, "public"),
    ("src/shapes.js#Shape.area", "method", 21, 23, "public"),
    ("src/shapes.js#Shape.#track", "method", 25, 27, "private"),
    ("src/shapes.js#Circle", "class", 31, 40, "public"),
    ("src/shapes.js#Circle.constructor", "method", 32, 35, "public"),
    ("src/shapes.js#Circle.area", "method", 37, 39, "public"),
    ("src/shapes.js#makeCircle", "function", 42, 42, "public"),
    ("src/shapes.js#describe", "function", 44, 46, "public"),
    ("src/util.js", "module", 1, 3, "public"),
    ("src/util.js#square", "function", 1, 3, "public"),
]

DOCS = {
    "src/shapes.js": "Shapes and their areas.",
    "src/shapes.js#PI": "The circle constant.",
    "src/shapes.js#Shape": "A shape.",
    "src/shapes.js#Shape.area": "The area; zero for an abstract shape.",
    "src/shapes.js#Circle": "A circle.",
}

RESOLVED = {
    ("lib/legacy.js", "import", "../src/util", "src/util.js#square", "src/util.js", 1.0),
    ("lib/legacy.js#cube", "call", "square", "src/util.js#square", "src/util.js", 0.8),
    ("src/index.js", "import", "./shapes.js", "src/shapes.js#makeCircle", "src/shapes.js", 1.0),
    ("src/index.js", "import", "./shapes.js", "src/shapes.js#describe", "src/shapes.js", 1.0),
    ("src/index.js", "import", "./util", "src/util.js", "src/util.js", 1.0),
    ("src/index.js#main", "call", "makeCircle", "src/shapes.js#makeCircle", "src/shapes.js", 0.8),
    ("src/index.js#main", "call", "describe", "src/shapes.js#describe", "src/shapes.js", 0.8),
    ("src/index.js#main", "call", "square", "src/util.js#square", "src/util.js", 0.8),
    ("src/shapes.js", "import", "./util.js", "src/util.js#square", "src/util.js", 1.0),
    ("src/shapes.js#Circle", "inherit", "Shape", "src/shapes.js#Shape", "src/shapes.js", 0.9),
    ("src/shapes.js#Circle.area", "call", "square", "src/util.js#square", "src/util.js", 0.8),
    ("src/shapes.js#makeCircle", "call", "Circle", "src/shapes.js#Circle", "src/shapes.js", 0.9),
    ("src/shapes.js#describe", "call", "area", "src/shapes.js#Shape.area", "src/shapes.js", 0.25),
}


def test_components(indexed: Indexed) -> None:
    assert component_rows(indexed("javascript")) == COMPONENTS


def test_docs(indexed: Indexed) -> None:
    assert doc_map(indexed("javascript")) == DOCS


def test_resolved_references(indexed: Indexed) -> None:
    assert resolved_rows(indexed("javascript")) == RESOLVED


def test_no_errors(indexed: Indexed) -> None:
    result = indexed("javascript")
    assert result.errors == []
    assert result.warnings == []


def test_signatures_and_imports(indexed: Indexed) -> None:
    result = indexed("javascript")
    assert signature_of(result, "src/shapes.js#makeCircle") == "const makeCircle = (radius)"
    assert signature_of(result, "src/shapes.js#Circle") == "class Circle extends Shape"
    unresolved = {
        r.target_name for r in result.references if r.kind == "import" and not r.target_path
    }
    assert unresolved == {"path"}
