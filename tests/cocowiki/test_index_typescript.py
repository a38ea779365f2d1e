"""TypeScript and TSX fixture: the exact components, docs and resolved references it yields."""

from __future__ import annotations

from collections.abc import Callable

from index_helpers import component_rows, doc_map, resolved_rows, signature_of

from cocowiki.index import IndexResult

Indexed = Callable[[str], IndexResult]

COMPONENTS = [
    ("src/View.tsx", "module", 1, 13, "public"),
    ("src/View.tsx#Props", "type_alias", 3, 3, "private"),
    ("src/View.tsx#Label", "function", 5, 7, "private"),
    ("src/View.tsx#CircleView", "function", 10, 13, "public"),
    ("src/shapes.ts", "module", 1, 44, "public"),
    ("src/shapes.ts#PI", "constant", 5, 5, "public"),
    ("src/shapes.ts#Shape", "class", 8, 17, "public"),
    ("src/shapes.ts#Shape.constructor", "method", 9, 9, "public"),
    ("src/shapes.ts#Shape.area", "method", 12, 12, "public"),
    ("src/shapes.ts#Shape.describe", "method", 14, 16, "protected"),
    ("src/shapes.ts#Circle", "class", 19, 34, "public"),
    ("src/shapes.ts#Circle.constructor", "method", 22, 25, "public"),
    ("src/shapes.ts#Circle.area", "method", 27, 29, "public"),
    ("src/shapes.ts#Circle.kind", "method", 31, 33, "public"),
    ("src/shapes.ts#square", "function", 36, 38, "private"),
    ("src/shapes.ts#Shapes", "module", 40, 44, "public"),
    ("src/shapes.ts#Shapes.unit", "function", 41, 43, "public"),
    ("src/types.ts", "module", 1, 14, "public"),
    ("src/types.ts#Area", "type_alias", 2, 2, "public"),
    ("src/types.ts#HasArea", "interface", 5, 8, "public"),
    ("src/types.ts#HasArea.area", "method", 6, 6, "public"),
    ("src/types.ts#Kind", "enum", 11, 14, "public"),
]

DOCS = {
    "src/View.tsx#CircleView": "Shows a circle's area.",
    "src/shapes.ts#PI": "The circle constant.",
    "src/shapes.ts#Shape": "A shape with a name.",
    "src/shapes.ts#Shape.area": "The area of the shape.",
    "src/types.ts#Area": "An area in square units.",
    "src/types.ts#HasArea": "Anything with an area.",
    "src/types.ts#Kind": "Kinds of shapes.",
}

RESOLVED = {
    ("src/View.tsx", "import", "./shapes", "src/shapes.ts#Circle", "src/shapes.ts", 1.0),
    ("src/View.tsx#CircleView", "type_use", "Props", "src/View.tsx#Props", "src/View.tsx", 0.9),
    ("src/View.tsx#CircleView", "call", "Circle", "src/shapes.ts#Circle", "src/shapes.ts", 0.8),
    ("src/View.tsx#CircleView", "call", "Label", "src/View.tsx#Label", "src/View.tsx", 0.9),
    ("src/View.tsx#CircleView", "call", "area", "src/shapes.ts#Shape.area", "src/shapes.ts", 0.167),
    ("src/shapes.ts", "import", "./types", "src/types.ts#Area", "src/types.ts", 1.0),
    ("src/shapes.ts", "import", "./types", "src/types.ts#HasArea", "src/types.ts", 1.0),
    ("src/shapes.ts", "import", "./types", "src/types.ts#Kind", "src/types.ts", 1.0),
    ("src/shapes.ts#Shape", "impl", "HasArea", "src/types.ts#HasArea", "src/types.ts", 0.8),
    ("src/shapes.ts#Shape.area", "type_use", "Area", "src/types.ts#Area", "src/types.ts", 0.8),
    (
        "src/shapes.ts#Shape.describe",
        "call",
        "area",
        "src/shapes.ts#Shape.area",
        "src/shapes.ts",
        0.9,
    ),
    ("src/shapes.ts#Circle", "inherit", "Shape", "src/shapes.ts#Shape", "src/shapes.ts", 0.9),
    ("src/shapes.ts#Circle.area", "type_use", "Area", "src/types.ts#Area", "src/types.ts", 0.8),
    ("src/shapes.ts#Circle.area", "call", "square", "src/shapes.ts#square", "src/shapes.ts", 0.9),
    ("src/shapes.ts#Circle.kind", "type_use", "Kind", "src/types.ts#Kind", "src/types.ts", 0.8),
    (
        "src/shapes.ts#Shapes.unit",
        "type_use",
        "Circle",
        "src/shapes.ts#Circle",
        "src/shapes.ts",
        0.9,
    ),
    ("src/shapes.ts#Shapes.unit", "call", "Circle", "src/shapes.ts#Circle", "src/shapes.ts", 0.9),
    ("src/types.ts#HasArea.area", "type_use", "Area", "src/types.ts#Area", "src/types.ts", 0.9),
}


def test_components(indexed: Indexed) -> None:
    assert component_rows(indexed("typescript")) == COMPONENTS


def test_docs(indexed: Indexed) -> None:
    assert doc_map(indexed("typescript")) == DOCS


def test_resolved_references(indexed: Indexed) -> None:
    assert resolved_rows(indexed("typescript")) == RESOLVED


def test_no_errors(indexed: Indexed) -> None:
    result = indexed("typescript")
    assert result.errors == []
    assert result.warnings == []


def test_tsx_is_parsed_with_the_tsx_grammar(indexed: Indexed) -> None:
    result = indexed("typescript")
    assert {f.path: f.language for f in result.files} == {
        "src/View.tsx": "tsx",
        "src/shapes.ts": "typescript",
        "src/types.ts": "typescript",
    }
    assert signature_of(result, "src/shapes.ts#Shape.describe") == "protected describe(): string"
