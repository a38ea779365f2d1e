"""C and C++: functions, prototypes, structs, unions, enums, classes, typedefs, macros, constants.

One extractor serves both grammars (C++'s query adds classes, namespaces, templates and
aliases). Visibility follows linkage: ``static`` functions and variables and everything in
an anonymous namespace are private, other file-scope declarations public; macros are
public in headers and private in source files. Class members take their access section
(``public:``...), defaulting to private in a ``class`` and public in a ``struct``.
Prototypes are components too (in a C header they carry the documentation); an
out-of-line definition ``void Shape::area()`` is a method of ``Shape``. ``#include`` is
an import whose ``qualifier`` is ``system`` for the ``<...>`` form.
"""

from __future__ import annotations

import bisect
import re

from tree_sitter import Node

from ..languages import HEADER_EXTENSIONS
from ..model import Component, ComponentKind, ReferenceKind, Visibility
from .base import Extractor

_COMMON = """
(function_definition) @def.function
(declaration) @def.declaration
(field_declaration) @def.field
(struct_specifier body: (_)) @def.struct
(union_specifier body: (_)) @def.struct
(enum_specifier body: (_)) @def.enum
(type_definition) @def.typedef
(preproc_def value: (_)) @def.macro
(preproc_function_def) @def.macro_function
(preproc_include) @import
(call_expression function: (_) @call)
(type_identifier) @type
"""

_CPP = """
(class_specifier body: (_)) @def.class
(namespace_definition) @def.namespace
(alias_declaration) @def.alias
(base_class_clause) @base
(field_declaration_list (access_specifier) @_access)
(type_parameter_declaration (type_identifier) @_tparam)
(optional_type_parameter_declaration name: (type_identifier) @_tparam)
"""

_KINDS = {
    "def.struct": ComponentKind.STRUCT,
    "def.enum": ComponentKind.ENUM,
    "def.class": ComponentKind.CLASS,
}
_TYPE_KINDS = frozenset({ComponentKind.CLASS, ComponentKind.STRUCT, ComponentKind.ENUM})
_SPECIFIERS = frozenset(
    {"struct_specifier", "union_specifier", "enum_specifier", "class_specifier"}
)
_WRAPPERS = frozenset(
    {"pointer_declarator", "reference_declarator", "parenthesized_declarator", "init_declarator"}
)
_SIMPLE = re.compile(r"^[\w.:>-]+$")
_TEMPLATE_ARGS = re.compile(r"<.*>", re.DOTALL)


class CExtractor(Extractor):
    """Extractor for C and C++ files (``language`` decides the grammar and query)."""

    LANGUAGE_QUERY = {"c": _COMMON, "cpp": _COMMON + _CPP}
    SEPARATOR = "::"

    def prepare(self, root: Node, captures: dict[str, list[Node]]) -> None:
        self.type_parameters = {self.text(node) for node in captures.get("_tparam", [])}
        self.header = any(self.path.lower().endswith(ext) for ext in HEADER_EXTENSIONS)
        self.consumed: set[int] = set()
        self.anonymous: list[tuple[int, int]] = []
        self.classes: dict[str, Component] = {}
        self.access: dict[int, list[tuple[int, str]]] = {}
        for node in captures.get("_access", []):
            body = node.parent
            if body is not None:
                word = self.text(node).strip().rstrip(":").strip()
                self.access.setdefault(body.start_byte, []).append((node.start_byte, word))
        for entries in self.access.values():
            entries.sort()

    def make_module(self, root: Node) -> Component:
        component = super().make_module(root)
        self.namespace = ""  # C and C++ names are not qualified by their file
        return component

    # -- visibility -----------------------------------------------------------------

    def _linkage(self, node: Node) -> Visibility:
        for child in node.children:
            if child.type == "storage_class_specifier" and self.text(child) == "static":
                return Visibility.PRIVATE
        position = node.start_byte
        if any(start <= position < end for start, end in self.anonymous):
            return Visibility.PRIVATE
        return Visibility.PUBLIC

    def _member_access(self, node: Node, parent: Component) -> Visibility:
        body = node.parent
        default = "private" if parent.kind is ComponentKind.CLASS else "public"
        word = default
        if body is not None:
            entries = self.access.get(body.start_byte, [])
            index = bisect.bisect_left(entries, (node.start_byte, ""))
            if index:
                word = entries[index - 1][1]
        return {
            "public": Visibility.PUBLIC,
            "protected": Visibility.PROTECTED,
        }.get(word, Visibility.PRIVATE)

    def visibility(self, node: Node, parent: Component) -> Visibility:
        if parent.kind in _TYPE_KINDS:
            return self._member_access(node, parent)
        return self._linkage(node)

    # -- declarations ---------------------------------------------------------------

    def define(self, node: Node, capture: str, parent: Component) -> Component | None:
        if node.start_byte in self.consumed:
            return None
        outer = node.parent if node.parent is not None else node
        span = outer if outer.type == "template_declaration" else node
        if capture == "def.function":
            return self._function(node, span, parent, node.child_by_field_name("body"))
        if capture in ("def.declaration", "def.field"):
            return self._declaration(node, span, parent)
        if capture in _KINDS:
            return self._type(node, span, parent, _KINDS[capture])
        if capture == "def.typedef":
            return self._typedef(node, parent)
        if capture == "def.namespace":
            return self._namespace(node, parent)
        if capture == "def.alias":
            name_node = node.child_by_field_name("name")
            if name_node is not None:
                self.skip_positions.add(name_node.start_byte)
            return self.add(
                span,
                ComponentKind.TYPE_ALIAS,
                self.text(name_node),
                parent,
                signature=self.signature(span, None),
                doc=self.preceding_doc(span),
                visibility=self.visibility(node, parent),
            )
        if capture in ("def.macro", "def.macro_function"):
            name = self.field_text(node, "name")
            kind = ComponentKind.CONSTANT if capture == "def.macro" else ComponentKind.FUNCTION
            return self.add(
                node,
                kind,
                name,
                parent,
                signature=self.signature(node, None),
                doc=self.preceding_doc(node),
                visibility=Visibility.PUBLIC if self.header else Visibility.PRIVATE,
            )
        return None

    def _namespace(self, node: Node, parent: Component) -> Component | None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            self.anonymous.append((node.start_byte, node.end_byte))
            return None
        name = self.text(name_node)
        return self.add(
            node,
            ComponentKind.MODULE,
            name,
            parent,
            signature=f"namespace {name}",
            doc=self.preceding_doc(node),
            visibility=self._linkage(node),
        )

    def _type(
        self, node: Node, span: Node, parent: Component, kind: ComponentKind
    ) -> Component | None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return None
        self.skip_positions.add(name_node.start_byte)
        name = _TEMPLATE_ARGS.sub("", self.text(name_node)).rsplit("::", 1)[-1]
        component = self.add(
            span,
            kind,
            name,
            parent,
            signature=self.signature(span, node.child_by_field_name("body")),
            doc=self.preceding_doc(span),
            visibility=self.visibility(span, parent),
        )
        self.classes.setdefault(name, component)
        return component

    def _typedef(self, node: Node, parent: Component) -> Component | None:
        declared = _innermost(node.child_by_field_name("declarator"))
        alias = self.text(declared)
        if declared is not None:
            self.skip_positions.add(declared.start_byte)
        inner = node.child_by_field_name("type")
        doc = self.preceding_doc(node)
        visibility = self._linkage(node)
        if inner is not None and inner.type in _SPECIFIERS and inner.child_by_field_name("body"):
            self.consumed.add(inner.start_byte)
            tag_node = inner.child_by_field_name("name")
            tag = self.text(tag_node)
            if tag_node is not None:
                self.skip_positions.add(tag_node.start_byte)
            kind = {
                "enum_specifier": ComponentKind.ENUM,
                "class_specifier": ComponentKind.CLASS,
            }.get(inner.type, ComponentKind.STRUCT)
            component = self.add(
                node,
                kind,
                tag or alias,
                parent,
                signature=f"typedef {self._head(inner)} {{…}} {alias}".replace("  ", " "),
                doc=doc,
                visibility=visibility,
            )
            self.classes.setdefault(tag or alias, component)
            if tag and alias and tag != alias:
                self.add(
                    node,
                    ComponentKind.TYPE_ALIAS,
                    alias,
                    parent,
                    signature=f"typedef {self._head(inner)} {alias}",
                    doc=doc,
                    visibility=visibility,
                )
            return component
        if not alias:
            return None
        return self.add(
            node,
            ComponentKind.TYPE_ALIAS,
            alias,
            parent,
            signature=self.signature(node, None),
            doc=doc,
            visibility=visibility,
        )

    def _head(self, specifier: Node) -> str:
        """``struct point`` of ``struct point { ... }``."""
        return self.signature(specifier, specifier.child_by_field_name("body"))

    def _function(
        self, node: Node, span: Node, parent: Component, body: Node | None
    ) -> Component | None:
        declarator = _function_declarator(node.child_by_field_name("declarator"))
        if declarator is None:
            return None
        name_node = declarator.child_by_field_name("declarator")
        if name_node is None:
            return None
        full = "".join(self.text(name_node).split())
        scope, _, name = _TEMPLATE_ARGS.sub("", full).rpartition("::")
        owner = parent
        local_name = None
        if scope:
            owner = self.classes.get(scope.rsplit("::", 1)[-1], parent)
            if owner is parent:
                local_name = f"{scope}::{name}"
        kind = (
            ComponentKind.METHOD if owner.kind in _TYPE_KINDS or scope else ComponentKind.FUNCTION
        )
        if owner.kind in _TYPE_KINDS and owner is not parent:
            visibility = owner.visibility
        else:
            visibility = self.visibility(node, owner)
        return self.add(
            span,
            kind,
            name,
            owner,
            signature=self.signature(span, body),
            doc=self.preceding_doc(span),
            visibility=visibility,
            local_name=local_name,
        )

    def _declaration(self, node: Node, span: Node, parent: Component) -> Component | None:
        declarator = node.child_by_field_name("declarator")
        if declarator is None:
            return None
        function = _function_declarator(declarator)
        if function is not None:
            return self._function(node, span, parent, None)
        qualifiers = {self.text(c) for c in node.children if c.type == "type_qualifier"}
        if not qualifiers & {"const", "constexpr"}:
            return None
        if node.type == "field_declaration":
            storage = {self.text(c) for c in node.children if c.type == "storage_class_specifier"}
            if "static" not in storage and "constexpr" not in qualifiers:
                return None
        name = self.text(_innermost(declarator))
        if not name:
            return None
        return self.add(
            span,
            ComponentKind.CONSTANT,
            name,
            parent,
            signature=self.signature(span, None),
            doc=self.preceding_doc(span),
            visibility=self.visibility(node, parent),
        )

    # -- references -----------------------------------------------------------------

    def refer(self, node: Node, capture: str, owner: str) -> None:
        if capture == "call":
            self._call(node, owner)
        elif capture == "type":
            name = self.text(node)
            if name not in self.type_parameters:
                self.ref(ReferenceKind.TYPE_USE, owner, name, node)
        elif capture == "base":
            for child in node.named_children:
                if child.type == "access_specifier":
                    continue
                text = _TEMPLATE_ARGS.sub("", self.text(child)).strip()
                qualifier, _, name = text.rpartition("::")
                self.skip_positions.add(child.start_byte)
                self.ref(ReferenceKind.INHERIT, owner, name, child, qualifier=qualifier or None)
        elif capture == "import":
            path = node.child_by_field_name("path")
            if path is None:
                return
            text = self.text(path)
            system = path.type == "system_lib_string"
            target = text.strip('<>"')
            self.ref(
                ReferenceKind.IMPORT, owner, target, node, qualifier="system" if system else None
            )

    def _call(self, function: Node, owner: str) -> None:
        kind = function.type
        if kind == "template_function":
            inner = function.child_by_field_name("name")
            if inner is None:
                return
            function = inner
            kind = function.type
        if kind == "identifier":
            self.ref(ReferenceKind.CALL, owner, self.text(function), function)
        elif kind == "field_expression":
            name = self.field_text(function, "field")
            receiver = self.field_text(function, "argument")
            qualifier = receiver if _SIMPLE.match(receiver) else "?"
            self.ref(ReferenceKind.CALL, owner, name, function, qualifier=qualifier)
        elif kind == "qualified_identifier":
            text = _TEMPLATE_ARGS.sub("", "".join(self.text(function).split()))
            qualifier, _, name = text.rpartition("::")
            self.ref(ReferenceKind.CALL, owner, name, function, qualifier=qualifier or None)


def _function_declarator(node: Node | None) -> Node | None:
    """The ``function_declarator`` under pointer/reference wrappers, if the node has one."""
    while node is not None:
        if node.type == "function_declarator":
            return node
        if node.type not in _WRAPPERS:
            return None
        node = node.child_by_field_name("declarator")
    return None


def _innermost(node: Node | None) -> Node | None:
    """The identifier a declarator declares (``*const name[3]`` -> ``name``)."""
    while node is not None:
        inner = node.child_by_field_name("declarator")
        if inner is None:
            return node
        node = inner
    return None
