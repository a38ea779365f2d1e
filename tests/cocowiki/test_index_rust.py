"""Rust fixture: the exact components, docs and resolved references it yields."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from index_helpers import component_rows, doc_map, resolved_rows, signature_of

from cocowiki.index import IndexConfig, IndexResult, index_repository

Indexed = Callable[[str], IndexResult]

COMPONENTS = [
    ("src/lib.rs", "module", 1, 11, "public"),
    ("src/lib.rs#total_area", "function", 9, 11, "public"),
    ("src/shapes.rs", "module", 1, 50, "public"),
    ("src/shapes.rs#PI", "constant", 7, 7, "public"),
    ("src/shapes.rs#Area", "type_alias", 10, 10, "public"),
    ("src/shapes.rs#Shape", "trait", 13, 16, "public"),
    ("src/shapes.rs#Shape::area", "method", 15, 15, "public"),
    ("src/shapes.rs#Kind", "enum", 20, 23, "public"),
    ("src/shapes.rs#Circle", "struct", 27, 29, "public"),
    ("src/shapes.rs#impl Circle", "impl", 31, 40, "public"),
    ("src/shapes.rs#impl Circle::new", "method", 33, 35, "public"),
    ("src/shapes.rs#impl Circle::kind", "method", 37, 39, "internal"),
    ("src/shapes.rs#impl Shape for Circle", "impl", 42, 46, "public"),
    ("src/shapes.rs#impl Shape for Circle::area", "method", 43, 45, "public"),
    ("src/shapes.rs#unit", "function", 48, 50, "private"),
    ("src/util.rs", "module", 1, 4, "public"),
    ("src/util.rs#square", "function", 2, 4, "public"),
]

DOCS = {
    "src/lib.rs": "Geometry: shapes and their areas.",
    "src/lib.rs#total_area": "Sum of the areas of all shapes.",
    "src/shapes.rs": "Shapes.",
    "src/shapes.rs#PI": "The circle constant.",
    "src/shapes.rs#Area": "An area in square units.",
    "src/shapes.rs#Shape": "Anything with an area.",
    "src/shapes.rs#Shape::area": "The area of the shape.",
    "src/shapes.rs#Kind": "What kind of shape a value is.",
    "src/shapes.rs#Circle": "A circle.",
    "src/shapes.rs#impl Circle::new": "Makes a circle.",
    "src/util.rs#square": "x times x.",
}

RESOLVED = {
    ("src/lib.rs", "import", "self::shapes", "src/shapes.rs", "src/shapes.rs", 1.0),
    ("src/lib.rs", "import", "self::util", "src/util.rs", "src/util.rs", 1.0),
    ("src/lib.rs", "import", "shapes::Shape", "src/shapes.rs#Shape", "src/shapes.rs", 1.0),
    ("src/lib.rs#total_area", "type_use", "Shape", "src/shapes.rs#Shape", "src/shapes.rs", 0.8),
    ("src/lib.rs#total_area", "call", "area", "src/shapes.rs#Shape::area", "src/shapes.rs", 0.25),
    ("src/shapes.rs", "import", "crate::util::square", "src/util.rs#square", "src/util.rs", 1.0),
    ("src/shapes.rs#Shape::area", "type_use", "Area", "src/shapes.rs#Area", "src/shapes.rs", 0.9),
    (
        "src/shapes.rs#impl Circle",
        "type_use",
        "Circle",
        "src/shapes.rs#Circle",
        "src/shapes.rs",
        0.9,
    ),
    (
        "src/shapes.rs#impl Circle::new",
        "type_use",
        "Circle",
        "src/shapes.rs#Circle",
        "src/shapes.rs",
        0.9,
    ),
    (
        "src/shapes.rs#impl Circle::kind",
        "type_use",
        "Kind",
        "src/shapes.rs#Kind",
        "src/shapes.rs",
        0.9,
    ),
    (
        "src/shapes.rs#impl Shape for Circle",
        "impl",
        "Shape",
        "src/shapes.rs#Shape",
        "src/shapes.rs",
        0.9,
    ),
    (
        "src/shapes.rs#impl Shape for Circle",
        "type_use",
        "Circle",
        "src/shapes.rs#Circle",
        "src/shapes.rs",
        0.9,
    ),
    (
        "src/shapes.rs#impl Shape for Circle::area",
        "type_use",
        "Area",
        "src/shapes.rs#Area",
        "src/shapes.rs",
        0.9,
    ),
    (
        "src/shapes.rs#impl Shape for Circle::area",
        "call",
        "square",
        "src/util.rs#square",
        "src/util.rs",
        0.8,
    ),
    ("src/shapes.rs#unit", "type_use", "Circle", "src/shapes.rs#Circle", "src/shapes.rs", 0.9),
    ("src/shapes.rs#unit", "call", "new", "src/shapes.rs#impl Circle::new", "src/shapes.rs", 0.9),
}


def test_components(indexed: Indexed) -> None:
    assert component_rows(indexed("rust")) == COMPONENTS


def test_docs(indexed: Indexed) -> None:
    assert doc_map(indexed("rust")) == DOCS


def test_resolved_references(indexed: Indexed) -> None:
    assert resolved_rows(indexed("rust")) == RESOLVED


def test_no_errors(indexed: Indexed) -> None:
    result = indexed("rust")
    assert result.errors == []
    assert result.warnings == []


def test_signatures_and_qualified_names(indexed: Indexed) -> None:
    result = indexed("rust")
    assert signature_of(result, "src/shapes.rs#impl Circle::new") == (
        "pub fn new(radius: f64) -> Self"
    )
    assert signature_of(result, "src/shapes.rs#impl Shape for Circle") == "impl Shape for Circle"
    qualified = {c.id: c.qualified_name for c in result.components}
    assert qualified["src/shapes.rs#impl Shape for Circle::area"] == "crate::shapes::Circle::area"
    assert qualified["src/lib.rs"] == "crate"


def test_module_doc_after_inner_attributes(tmp_path: Path) -> None:
    """A crate root's lints and ``#![cfg(...)]``/``#![doc(...)]`` come before its ``//!``
    (tokio's ``lib.rs``, ``fs/mod.rs``): the doc is still the module's, and a page's
    citation of it covers its lines only (the first run; later ones are the same doc's
    continuation, past another attribute)."""
    (tmp_path / "src").mkdir()
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "demo"\n')
    (tmp_path / "src" / "lib.rs").write_text(
        "// Copyright the authors.\n#![allow(\n    clippy::module_inception,\n)]\n"
        "#![cfg_attr(docsrs, feature(doc_cfg))]\n\n//! A runtime.\n//!\n//! More.\n\n"
        '#![doc(html_root_url = "x")]\n//! Later.\npub mod fs;\n'
    )
    (tmp_path / "src" / "fs.rs").write_text("#![cfg(not(loom))]\n\n//! Files.\npub fn open() {}\n")
    (tmp_path / "src" / "none.rs").write_text("#![cfg(unix)]\npub fn f() {}\n//! Too late.\n")
    result = index_repository(tmp_path, tmp_path / ".cw", IndexConfig(use_git=False))
    docs = {c.id: c.doc for c in result.components if c.kind == "module"}
    assert docs == {"src/lib.rs": "A runtime.\n\nMore.", "src/fs.rs": "Files.", "src/none.rs": ""}


def test_uses_and_mods_inside_item_level_macros(tmp_path: Path) -> None:
    """``cfg_rt! { pub use ..; pub mod ..; }`` (tokio declares most of its modules and
    re-exports so): the braces of a macro at item level, in a file or an inline ``mod``,
    nested ones too, are read as items; a macro in a function or an ``impl``, or with
    parentheses, holds no module items."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lib.rs").write_text(
        "cfg_rt! {\n    pub use crate::runtime::Runtime;\n    pub mod runtime;\n"
        "    cfg_net! { pub use a::{b as c, d}; }\n}\n"
        'println!("{}", 1);\nmod inner {\n    cfg_io! { use super::x; }\n}\n'
        "struct A;\nimpl A { m! { use not_in_impl; } }\n"
        "fn f() { g! { use not_in_fn; } }\nh!(use not_in_parens;);\n"
    )
    (tmp_path / "src" / "runtime.rs").write_text("pub struct Runtime;\n")
    result = index_repository(tmp_path, tmp_path / ".cw", IndexConfig(use_git=False))
    imports = {
        (r.line, r.source_id, r.target_name, r.alias, r.target_path)
        for r in result.references
        if r.kind == "import"
    }
    assert imports == {
        (2, "src/lib.rs", "crate::runtime::Runtime", "Runtime", "src/runtime.rs"),
        (3, "src/lib.rs", "self::runtime", "runtime", "src/runtime.rs"),
        (4, "src/lib.rs", "a::b", "c", None),
        (4, "src/lib.rs", "a::d", "d", None),
        (8, "src/lib.rs#inner", "super::x", "x", "src/lib.rs"),  # the module: no x seen
    }
    assert not result.errors
