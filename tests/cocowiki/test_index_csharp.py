"""C# fixture: the exact components, docs and resolved references it yields."""

from __future__ import annotations

from collections.abc import Callable

from index_helpers import component_rows, doc_map, resolved_rows, signature_of

from cocowiki.index import IndexResult

Indexed = Callable[[str], IndexResult]

COMPONENTS = [
    ("App/Program.cs", "module", 1, 14, "public"),
    ("App/Program.cs#Geo.App", "module", 4, 14, "public"),
    ("App/Program.cs#Geo.App.Program", "class", 6, 13, "internal"),
    ("App/Program.cs#Geo.App.Program.Main", "method", 8, 12, "private"),
    ("Shapes/Circle.cs", "module", 1, 28, "public"),
    ("Shapes/Circle.cs#Geo.Shapes", "module", 3, 28, "public"),
    ("Shapes/Circle.cs#Geo.Shapes.Circle", "class", 6, 21, "public"),
    ("Shapes/Circle.cs#Geo.Shapes.Circle.Circle", "method", 10, 13, "public"),
    ("Shapes/Circle.cs#Geo.Shapes.Circle.Area", "method", 15, 18, "public"),
    ("Shapes/Circle.cs#Geo.Shapes.Circle.Square", "method", 20, 20, "private"),
    ("Shapes/Circle.cs#Geo.Shapes.Kind", "enum", 23, 23, "public"),
    ("Shapes/Circle.cs#Geo.Shapes.Point", "struct", 25, 25, "public"),
    ("Shapes/Circle.cs#Geo.Shapes.Measure", "type_alias", 27, 27, "public"),
    ("Shapes/IShape.cs", "module", 1, 9, "public"),
    ("Shapes/IShape.cs#Geo.Shapes", "module", 1, 9, "public"),
    ("Shapes/IShape.cs#Geo.Shapes.IShape", "interface", 4, 8, "public"),
    ("Shapes/IShape.cs#Geo.Shapes.IShape.Area", "method", 7, 7, "public"),
    ("Shapes/ShapeBase.cs", "module", 1, 18, "public"),
    ("Shapes/ShapeBase.cs#ShapeBase", "class", 4, 18, "public"),
    ("Shapes/ShapeBase.cs#ShapeBase.Pi", "constant", 6, 6, "public"),
    ("Shapes/ShapeBase.cs#ShapeBase.ShapeBase", "method", 8, 11, "protected"),
    ("Shapes/ShapeBase.cs#ShapeBase.Describe", "method", 15, 15, "public"),
    ("Shapes/ShapeBase.cs#ShapeBase.Area", "method", 17, 17, "public"),
]

DOCS = {
    "Shapes/Circle.cs#Geo.Shapes.Circle": "A round shape.",
    "Shapes/IShape.cs#Geo.Shapes.IShape": "Anything with an area.",
    "Shapes/IShape.cs#Geo.Shapes.IShape.Area": "The area of the shape.",
    "Shapes/ShapeBase.cs#ShapeBase": "What every shape has: a name.",
}

RESOLVED = {
    ("App/Program.cs", "import", "Geo.Shapes", "Shapes/Circle.cs", "Shapes/Circle.cs", 1.0),
    (
        "App/Program.cs#Geo.App.Program.Main",
        "call",
        "Circle",
        "Shapes/Circle.cs#Geo.Shapes.Circle",
        "Shapes/Circle.cs",
        0.8,
    ),
    (
        "App/Program.cs#Geo.App.Program.Main",
        "call",
        "Describe",
        "Shapes/ShapeBase.cs#ShapeBase.Describe",
        "Shapes/ShapeBase.cs",
        0.5,
    ),
    (
        "Shapes/Circle.cs#Geo.Shapes.Circle",
        "impl",
        "IShape",
        "Shapes/IShape.cs#Geo.Shapes.IShape",
        "Shapes/IShape.cs",
        0.8,
    ),
    (
        "Shapes/Circle.cs#Geo.Shapes.Circle",
        "inherit",
        "ShapeBase",
        "Shapes/ShapeBase.cs#ShapeBase",
        "Shapes/ShapeBase.cs",
        0.8,
    ),
    (
        "Shapes/Circle.cs#Geo.Shapes.Circle.Area",
        "call",
        "Square",
        "Shapes/Circle.cs#Geo.Shapes.Circle.Square",
        "Shapes/Circle.cs",
        0.9,
    ),
    (
        "Shapes/Circle.cs#Geo.Shapes.Measure",
        "type_use",
        "IShape",
        "Shapes/IShape.cs#Geo.Shapes.IShape",
        "Shapes/IShape.cs",
        0.8,
    ),
    (
        "Shapes/ShapeBase.cs#ShapeBase.Describe",
        "call",
        "Area",
        "Shapes/ShapeBase.cs#ShapeBase.Area",
        "Shapes/ShapeBase.cs",
        0.9,
    ),
}


def test_components(indexed: Indexed) -> None:
    assert component_rows(indexed("csharp")) == COMPONENTS


def test_docs(indexed: Indexed) -> None:
    assert doc_map(indexed("csharp")) == DOCS


def test_resolved_references(indexed: Indexed) -> None:
    assert resolved_rows(indexed("csharp")) == RESOLVED


def test_no_errors(indexed: Indexed) -> None:
    result = indexed("csharp")
    assert result.errors == []
    assert result.warnings == []


def test_namespaces(indexed: Indexed) -> None:
    result = indexed("csharp")
    qualified = {c.id: c.qualified_name for c in result.components}
    assert qualified["Shapes/ShapeBase.cs#ShapeBase.Describe"] == "Geo.Shapes.ShapeBase.Describe"
    assert qualified["Shapes/Circle.cs#Geo.Shapes.Circle"] == "Geo.Shapes.Circle"
    assert signature_of(result, "Shapes/Circle.cs#Geo.Shapes.Measure") == (
        "public delegate double Measure(IShape shape)"
    )
