"""Rust: structs, enums, unions, traits, impl blocks, functions, methods, consts, type aliases.

Visibility follows ``pub``: ``pub`` is public, ``pub(crate)``/``pub(super)``/``pub(in ..)``
internal, none private; items of a trait, and of a trait impl, take the trait's
visibility (public). Methods are qualified by the type their impl block is for
(``crate::shapes::Point::area``), so ``self.area()`` and ``Point::area()`` resolve
whichever impl block defines them. ``mod name;`` is recorded as an import of
``self::name`` (the file it loads); ``use`` trees are expanded into one import per path.

Crates often declare modules and re-exports inside a macro at item level
(``cfg_rt! { pub use runtime::Runtime; pub mod runtime; }``), whose body the grammar
keeps as unparsed tokens. The braced bodies of such macros (in a file or an inline
``mod``, nested ones too, a few levels) are parsed again as items, in place, and their
``use`` and ``mod name;`` declarations recorded as imports like any other.
"""

from __future__ import annotations

import re

from tree_sitter import Node, Parser, Range

from ..languages import grammar
from ..model import Component, ComponentKind, ReferenceKind, Visibility
from .base import Extractor, clean_comment

QUERY = """
(struct_item) @def.struct
(union_item) @def.struct
(enum_item) @def.enum
(trait_item) @def.trait
(impl_item) @def.impl
(function_item) @def.function
(function_signature_item) @def.function
(const_item) @def.constant
(static_item) @def.constant
(type_item) @def.type_alias
(mod_item) @def.module
(use_declaration) @import
(call_expression function: (_) @call)
(type_identifier) @type
(type_parameters (type_parameter name: (type_identifier) @_tparam))
(source_file (macro_invocation) @macro)
(declaration_list (macro_invocation) @macro)
"""

_KINDS = {
    "def.struct": ComponentKind.STRUCT,
    "def.enum": ComponentKind.ENUM,
    "def.trait": ComponentKind.TRAIT,
    "def.impl": ComponentKind.IMPL,
    "def.constant": ComponentKind.CONSTANT,
    "def.type_alias": ComponentKind.TYPE_ALIAS,
    "def.module": ComponentKind.MODULE,
}
_PATH = re.compile(r"^[\w:]+$")
#: How deep macros nested in item-level macros are read.
MACRO_DEPTH = 3
_GENERICS = re.compile(r"<.*>$", re.DOTALL)


class RustExtractor(Extractor):
    """Extractor for ``.rs`` files."""

    LANGUAGE_QUERY = {"rust": QUERY}
    SEPARATOR = "::"
    COMMENT_TYPES = frozenset({"line_comment", "block_comment"})
    DOC_SKIP_TYPES = frozenset({"attribute_item"})
    #: What may come before a file's ``//!`` documentation.
    MODULE_DOC_SKIP = frozenset({"inner_attribute_item", *COMMENT_TYPES})

    def prepare(self, root: Node, captures: dict[str, list[Node]]) -> None:
        self.type_parameters = {self.text(node) for node in captures.get("_tparam", [])}
        self.type_parameters.add("Self")

    def _macro(self, node: Node, owner: str) -> None:
        """The ``use`` and ``mod name;`` items inside an item-level macro's braces (and
        in macros nested there), as imports of ``owner``: the file's module or an
        inline ``mod`` (a macro in an ``impl`` or a trait declares no module items)."""
        parent = node.parent
        if parent is not None and parent.type == "declaration_list":
            holder = parent.parent
            if holder is None or holder.type != "mod_item":
                return
        bodies = [node]
        for _ in range(MACRO_DEPTH):
            ranges = [inner for body in bodies if (inner := _braced_body(body)) is not None]
            if not ranges:
                return
            parser = Parser(grammar(self.language))
            parser.included_ranges = ranges
            bodies = []
            for item in parser.parse(self.source).root_node.named_children:
                if item.type == "use_declaration":
                    self.refer(item, "import", owner)
                elif item.type == "mod_item" and item.child_by_field_name("body") is None:
                    name = self.field_text(item, "name")
                    self.ref(ReferenceKind.IMPORT, owner, f"self::{name}", item, alias=name)
                elif item.type == "macro_invocation":
                    bodies.append(item)

    def module_doc(self, root: Node) -> str:
        """The first run of ``//!`` lines (or a ``/*! */`` block) before the first item,
        past inner attributes (``#![cfg(...)]``, ``#![doc(...)]``, the lints a crate root
        opens with) and plain comments (a license header)."""
        lines: list[str] = []
        for child in root.children:
            text = self.text(child) if child.type in self.COMMENT_TYPES else ""
            if text.startswith(("//!", "/*!")):
                lines.append(text.rstrip("\n"))  # a line comment holds its newline
            elif lines or child.type not in self.MODULE_DOC_SKIP:
                break
        return clean_comment("\n".join(lines)) if lines else ""

    def visibility(self, node: Node, parent: Component) -> Visibility:
        for child in node.children:
            if child.type == "visibility_modifier":
                text = "".join(self.text(child).split())
                if text == "pub":
                    return Visibility.PUBLIC
                return Visibility.PRIVATE if text == "pub(self)" else Visibility.INTERNAL
        if parent.kind is ComponentKind.TRAIT:
            return parent.visibility
        if parent.kind is ComponentKind.IMPL and " for " in parent.name:
            return Visibility.PUBLIC
        return Visibility.PRIVATE

    def define(self, node: Node, capture: str, parent: Component) -> Component | None:
        name_node = node.child_by_field_name("name")
        body = node.child_by_field_name("body")
        if capture == "def.module" and body is None:
            name = self.text(name_node)
            self.ref(ReferenceKind.IMPORT, parent.id, f"self::{name}", node, alias=name)
            return None
        if name_node is not None:
            self.skip_positions.add(name_node.start_byte)
        if capture == "def.impl":
            return self._impl(node, parent, body)
        name = self.text(name_node)
        kind = _KINDS.get(capture, ComponentKind.FUNCTION)
        qualified = None
        if capture == "def.function":
            if parent.kind in (ComponentKind.IMPL, ComponentKind.TRAIT):
                kind = ComponentKind.METHOD
                qualified = f"{parent.qualified_name}::{name}"
        elif parent.kind is ComponentKind.IMPL:
            qualified = f"{parent.qualified_name}::{name}"  # associated consts and types
        signature_end = body if capture != "def.constant" and capture != "def.type_alias" else None
        component = self.add(
            node,
            kind,
            name,
            parent,
            signature=self.signature(node, signature_end),
            doc=self.preceding_doc(node),
            visibility=self.visibility(node, parent),
            qualified_name=qualified,
        )
        if capture == "def.trait":
            bounds = node.child_by_field_name("bounds")
            for bound in [] if bounds is None else bounds.named_children:
                text = self.text(bound)
                target = _base_name(text)
                if target:
                    self.skip_positions.add(bound.start_byte)
                    name_node = bound.child_by_field_name("name")
                    if name_node is not None:
                        self.skip_positions.add(name_node.start_byte)
                    self.ref(
                        ReferenceKind.INHERIT,
                        component.id,
                        target,
                        bound,
                        qualifier=_qualifier(text),
                    )
        return component

    def _impl(self, node: Node, parent: Component, body: Node | None) -> Component:
        trait = node.child_by_field_name("trait")
        implemented = node.child_by_field_name("type")
        type_name = _base_name(self.text(implemented))
        trait_name = _base_name(self.text(trait)) if trait is not None else ""
        name = f"{trait_name} for {type_name}" if trait_name else type_name
        prefix = self.namespace
        if parent.kind is ComponentKind.MODULE and parent.parent_id is not None:
            prefix = parent.qualified_name  # an inline ``mod``
        elif parent.kind is not ComponentKind.MODULE:
            prefix = parent.qualified_name
        component = self.add(
            node,
            ComponentKind.IMPL,
            name,
            parent,
            signature=self.signature(node, body),
            doc=self.preceding_doc(node),
            visibility=Visibility.PUBLIC,
            qualified_name=f"{prefix}::{type_name}" if prefix else type_name,
            local_name=f"impl {name}",
        )
        if trait is not None and trait_name:
            self.skip_positions.add(trait.start_byte)
            qualifier = _qualifier(self.text(trait))
            self.ref(ReferenceKind.IMPL, component.id, trait_name, trait, qualifier=qualifier)
        return component

    def refer(self, node: Node, capture: str, owner: str) -> None:
        if capture == "macro":
            self._macro(node, owner)
        elif capture == "call":
            self._call(node, owner)
        elif capture == "type":
            name = self.text(node)
            if name not in self.type_parameters:
                parent = node.parent
                qualifier = None
                if parent is not None and parent.type == "scoped_type_identifier":
                    qualifier = self.field_text(parent, "path") or None
                self.ref(ReferenceKind.TYPE_USE, owner, name, node, qualifier=qualifier)
        elif capture == "import":
            argument = node.child_by_field_name("argument")
            if argument is not None:
                for path, alias, member in self._use_paths(argument, ""):
                    self.ref(ReferenceKind.IMPORT, owner, path, node, alias=alias, member=member)

    def _call(self, function: Node, owner: str) -> None:
        if function.type == "generic_function":
            inner = function.child_by_field_name("function")
            if inner is None:
                return
            function = inner
        kind = function.type
        if kind == "identifier":
            self.ref(ReferenceKind.CALL, owner, self.text(function), function)
        elif kind == "scoped_identifier":
            name = self.field_text(function, "name")
            path = _GENERICS.sub("", self.field_text(function, "path"))
            self.ref(ReferenceKind.CALL, owner, name, function, qualifier=path or None)
        elif kind == "field_expression":
            name = self.field_text(function, "field")
            receiver = self.field_text(function, "value")
            qualifier = receiver if _PATH.match(receiver) else "?"
            self.ref(ReferenceKind.CALL, owner, name, function, qualifier=qualifier)

    def _use_paths(self, node: Node, prefix: str) -> list[tuple[str, str | None, str | None]]:
        """Expand a ``use`` tree into ``(path, alias, member)`` triples."""
        kind = node.type
        if kind == "use_as_clause":
            path = _join(prefix, self.field_text(node, "path"))
            return [(path, self.field_text(node, "alias"), None)]
        if kind == "use_wildcard":
            inner = node.named_children[0] if node.named_child_count else None
            return [(_join(prefix, self.text(inner)) if inner else prefix.rstrip(":"), None, "*")]
        if kind == "scoped_use_list":
            head = node.child_by_field_name("path")
            new_prefix = _join(prefix, self.text(head)) + "::" if head is not None else prefix
            listing = node.child_by_field_name("list")
            return self._use_paths(listing, new_prefix) if listing is not None else []
        if kind == "use_list":
            paths: list[tuple[str, str | None, str | None]] = []
            for child in node.named_children:
                paths.extend(self._use_paths(child, prefix))
            return paths
        if kind == "self":
            path = prefix.rstrip(":")
            return [(path, path.rsplit("::", 1)[-1], None)] if path else []
        text = "".join(self.text(node).split())
        path = _join(prefix, text)
        return [(path, path.rsplit("::", 1)[-1], None)]


def _braced_body(macro: Node) -> Range | None:
    """What is inside the ``{ .. }`` of a macro invocation, None for ``( .. )`` or
    ``[ .. ]`` (an expression, not items) and for empty braces."""
    for child in macro.children:
        if child.type == "token_tree" and child.child_count > 2:
            first, last = child.children[0], child.children[-1]
            if first.type == "{" and last.type == "}":
                return Range(first.end_point, last.start_point, first.end_byte, last.start_byte)
    return None


def _join(prefix: str, path: str) -> str:
    path = "".join(path.split())
    if not prefix:
        return path
    return prefix + path if prefix.endswith("::") else f"{prefix}::{path}"


def _base_name(text: str) -> str:
    """``std::fmt::Display<T>`` -> ``Display``; ``&mut Vec<T>`` -> ``Vec``."""
    text = _GENERICS.sub("", text.strip()).lstrip("&").removeprefix("mut ").removeprefix("dyn ")
    return text.rsplit("::", 1)[-1].strip()


def _qualifier(text: str) -> str | None:
    text = _GENERICS.sub("", text.strip())
    head, _, _ = text.rpartition("::")
    return head or None
