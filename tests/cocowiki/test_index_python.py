"""Python fixture: the exact components, docs and resolved references it yields."""

from __future__ import annotations

from collections.abc import Callable

from index_helpers import component_rows, doc_map, resolved_rows, signature_of

from cocowiki.index import IndexResult

Indexed = Callable[[str], IndexResult]

COMPONENTS = [
    ("app.py", "module", 1, 9, "public"),
    ("app.py#main", "function", 7, 9, "public"),
    ("shapes/__init__.py", "module", 1, 6, "public"),
    ("shapes/base.py", "module", 1, 42, "public"),
    ("shapes/base.py#PI", "constant", 8, 8, "public"),
    ("shapes/base.py#Number", "type_alias", 11, 11, "public"),
    ("shapes/base.py#Color", "enum", 14, 18, "public"),
    ("shapes/base.py#Color.RED", "constant", 17, 17, "public"),
    ("shapes/base.py#Color.GREEN", "constant", 18, 18, "public"),
    ("shapes/base.py#HasArea", "interface", 21, 24, "public"),
    ("shapes/base.py#HasArea.area", "method", 24, 24, "public"),
    ("shapes/base.py#Shape", "class", 27, 38, "public"),
    ("shapes/base.py#Shape.__init__", "method", 30, 31, "public"),
    ("shapes/base.py#Shape.area", "method", 33, 35, "public"),
    ("shapes/base.py#Shape._describe", "method", 37, 38, "private"),
    ("shapes/base.py#_helper", "function", 41, 42, "private"),
    ("shapes/circle.py", "module", 1, 26, "public"),
    ("shapes/circle.py#Circle", "class", 9, 20, "public"),
    ("shapes/circle.py#Circle.__init__", "method", 12, 14, "public"),
    ("shapes/circle.py#Circle.area", "method", 16, 17, "public"),
    ("shapes/circle.py#Circle.describe", "method", 19, 20, "public"),
    ("shapes/circle.py#square", "function", 24, 26, "public"),
]

DOCS = {
    "app.py": "Command line entry.",
    "shapes/__init__.py": "Shapes package.",
    "shapes/base.py": "Base shapes.",
    "shapes/base.py#PI": "Pi, roughly.",
    "shapes/base.py#Color": "Colours a shape can have.",
    "shapes/base.py#HasArea": "Anything with an area.",
    "shapes/base.py#Shape": "A shape with a colour.",
    "shapes/base.py#Shape.area": "The area; zero for an abstract shape.",
    "shapes/circle.py": "Circles.",
    "shapes/circle.py#Circle": "A circle.",
    "shapes/circle.py#square": "x times x.",
}

RESOLVED = {
    ("app.py", "import", "shapes.circle", "shapes/circle.py", "shapes/circle.py", 1.0),
    ("app.py", "import", "shapes", "shapes/circle.py#Circle", "shapes/circle.py", 1.0),
    ("app.py#main", "call", "Circle", "shapes/circle.py#Circle", "shapes/circle.py", 0.8),
    ("app.py#main", "call", "area", "shapes/base.py#HasArea.area", "shapes/base.py", 0.167),
    ("app.py#main", "call", "square", "shapes/circle.py#square", "shapes/circle.py", 0.8),
    ("shapes/__init__.py", "import", ".base", "shapes/base.py#Shape", "shapes/base.py", 1.0),
    ("shapes/__init__.py", "import", ".circle", "shapes/circle.py#Circle", "shapes/circle.py", 1.0),
    (
        "shapes/base.py#HasArea.area",
        "type_use",
        "Number",
        "shapes/base.py#Number",
        "shapes/base.py",
        0.9,
    ),
    (
        "shapes/base.py#Shape.__init__",
        "type_use",
        "Color",
        "shapes/base.py#Color",
        "shapes/base.py",
        0.9,
    ),
    (
        "shapes/base.py#Shape.area",
        "type_use",
        "Number",
        "shapes/base.py#Number",
        "shapes/base.py",
        0.9,
    ),
    (
        "shapes/base.py#Shape._describe",
        "call",
        "area",
        "shapes/base.py#Shape.area",
        "shapes/base.py",
        0.9,
    ),
    ("shapes/circle.py", "import", ".", "shapes/base.py", "shapes/base.py", 1.0),
    ("shapes/circle.py", "import", ".base", "shapes/base.py#PI", "shapes/base.py", 1.0),
    ("shapes/circle.py", "import", ".base", "shapes/base.py#Shape", "shapes/base.py", 1.0),
    ("shapes/circle.py#Circle", "inherit", "Shape", "shapes/base.py#Shape", "shapes/base.py", 0.8),
    (
        "shapes/circle.py#Circle.__init__",
        "call",
        "__init__",
        "shapes/base.py#Shape.__init__",
        "shapes/base.py",
        0.25,
    ),
    (
        "shapes/circle.py#Circle.area",
        "call",
        "square",
        "shapes/circle.py#square",
        "shapes/circle.py",
        0.9,
    ),
    (
        "shapes/circle.py#Circle.describe",
        "call",
        "_describe",
        "shapes/base.py#Shape._describe",
        "shapes/base.py",
        0.8,
    ),
}


def test_components(indexed: Indexed) -> None:
    assert component_rows(indexed("python")) == COMPONENTS


def test_docs(indexed: Indexed) -> None:
    assert doc_map(indexed("python")) == DOCS


def test_resolved_references(indexed: Indexed) -> None:
    assert resolved_rows(indexed("python")) == RESOLVED


def test_no_errors(indexed: Indexed) -> None:
    result = indexed("python")
    assert result.errors == []
    assert result.warnings == []


def test_signatures_and_qualified_names(indexed: Indexed) -> None:
    result = indexed("python")
    assert signature_of(result, "shapes/base.py#Shape.__init__") == (
        "def __init__(self, color: Color) -> None"
    )
    assert signature_of(result, "shapes/base.py#Number") == "Number: TypeAlias = float"
    qualified = {c.id: c.qualified_name for c in result.components}
    assert qualified["shapes/circle.py#square"] == "shapes.circle.square"
    assert qualified["shapes/__init__.py"] == "shapes"
