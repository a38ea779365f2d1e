"""Go: structs, interfaces, defined types and aliases, functions, methods, constants.

Exported names (capitalised) are public; the rest are visible in their package
(``package``). Names are qualified by the package's import path (``example.com/m/shapes.
Point.Area``). A method belongs to its receiver type: its parent is that type when the type
is declared in the same file (otherwise the file's module, as Go allows the type to live in
another file of the package). Struct and interface embedding are ``inherit`` references.
Package-level ``var``s are not components (the model has no variables).
"""

from __future__ import annotations

import re

from tree_sitter import Node

from ..model import Component, ComponentKind, ReferenceKind, Visibility
from .base import Extractor

QUERY = """
(type_spec) @def.type
(type_alias) @def.type
(function_declaration) @def.function
(method_declaration) @def.method
(method_elem) @def.method_elem
(const_spec) @def.constant
(import_spec) @import
(call_expression function: (_) @call)
(type_identifier) @type
(qualified_type) @qualified_type
(struct_type (field_declaration_list (field_declaration !name type: (_) @embed)))
(interface_type (type_elem) @embed)
(type_parameter_declaration name: (identifier) @_tparam)
"""

_PREDECLARED = frozenset(
    [
        "any",
        "bool",
        "byte",
        "comparable",
        "complex64",
        "complex128",
        "error",
        "float32",
        "float64",
        "int",
        "int8",
        "int16",
        "int32",
        "int64",
        "rune",
        "string",
        "uint",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "uintptr",
        "append",
        "cap",
        "clear",
        "close",
        "complex",
        "copy",
        "delete",
        "imag",
        "len",
        "make",
        "max",
        "min",
        "new",
        "panic",
        "print",
        "println",
        "real",
        "recover",
    ]
)
_SIMPLE = re.compile(r"^[\w.]+$")


class GoExtractor(Extractor):
    """Extractor for ``.go`` files."""

    LANGUAGE_QUERY = {"go": QUERY}
    SEPARATOR = "."

    def prepare(self, root: Node, captures: dict[str, list[Node]]) -> None:
        self.type_parameters = {self.text(node) for node in captures.get("_tparam", [])}
        self.types: dict[str, Component] = {}
        self.package = ""
        for child in root.named_children:
            if child.type == "package_clause":
                self.package = self.text(child.named_children[0]) if child.named_child_count else ""
                break

    def make_module(self, root: Node) -> Component:
        return self.add(
            root,
            ComponentKind.MODULE,
            self.package or self.path.rsplit("/", 1)[-1].split(".", 1)[0],
            None,
            signature=f"package {self.package}" if self.package else "",
            doc=self.module_doc(root),
            visibility=Visibility.PUBLIC,
            qualified_name=self.namespace or self.package,
        )

    def module_doc(self, root: Node) -> str:
        for child in root.named_children:
            if child.type == "package_clause":
                return self.preceding_doc(child)
        return ""

    @staticmethod
    def visibility(name: str) -> Visibility:
        return Visibility.PUBLIC if name[:1].isupper() else Visibility.PACKAGE

    def _outer(self, node: Node) -> Node:
        """The ``type``/``const`` declaration when it holds only this spec (its doc is above)."""
        parent = node.parent
        declarations = ("type_declaration", "const_declaration")
        if parent is not None and parent.type in declarations and parent.named_child_count == 1:
            return parent
        return node

    def define(self, node: Node, capture: str, parent: Component) -> Component | None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return None
        name = self.text(name_node)
        self.skip_positions.add(name_node.start_byte)
        if capture == "def.type":
            span = self._outer(node)
            type_node = node.child_by_field_name("type")
            shape = type_node.type if type_node is not None else ""
            kind = {
                "struct_type": ComponentKind.STRUCT,
                "interface_type": ComponentKind.INTERFACE,
            }.get(shape, ComponentKind.TYPE_ALIAS)
            component = self.add(
                span,
                kind,
                name,
                parent,
                signature=self._type_signature(node, name, kind),
                doc=self.preceding_doc(span),
                visibility=self.visibility(name),
            )
            self.types.setdefault(name, component)
            return component
        if capture == "def.constant":
            span = self._outer(node)
            return self.add(
                span,
                ComponentKind.CONSTANT,
                name,
                parent,
                signature="const " + self.signature(node, None),
                doc=self.preceding_doc(span),
                visibility=self.visibility(name),
            )
        body = node.child_by_field_name("body")
        if capture == "def.method_elem":
            return self.add(
                node,
                ComponentKind.METHOD,
                name,
                parent,
                signature=self.signature(node, None),
                doc=self.preceding_doc(node),
                visibility=self.visibility(name),
            )
        if capture == "def.method":
            receiver = self._receiver_type(node)
            owner = self.types.get(receiver)
            return self.add(
                node,
                ComponentKind.METHOD,
                name,
                owner if owner is not None else parent,
                signature=self.signature(node, body),
                doc=self.preceding_doc(node),
                visibility=self.visibility(name),
                local_name=name if owner is not None else f"{receiver}.{name}",
            )
        return self.add(
            node,
            ComponentKind.FUNCTION,
            name,
            parent,
            signature=self.signature(node, body),
            doc=self.preceding_doc(node),
            visibility=self.visibility(name),
        )

    def _type_signature(self, node: Node, name: str, kind: ComponentKind) -> str:
        if kind is ComponentKind.STRUCT:
            return f"type {name} struct"
        if kind is ComponentKind.INTERFACE:
            return f"type {name} interface"
        return "type " + self.signature(node, None)

    def _receiver_type(self, node: Node) -> str:
        receiver = node.child_by_field_name("receiver")
        text = self.text(receiver).strip("()")
        parts = text.replace("*", " ").split()
        return parts[-1].split("[", 1)[0] if parts else ""

    def refer(self, node: Node, capture: str, owner: str) -> None:
        if capture == "call":
            kind = node.type
            if kind == "identifier":
                name = self.text(node)
                if name not in _PREDECLARED:
                    self.ref(ReferenceKind.CALL, owner, name, node)
            elif kind == "selector_expression":
                name = self.field_text(node, "field")
                operand = self.field_text(node, "operand")
                qualifier = operand if _SIMPLE.match(operand) else "?"
                self.ref(ReferenceKind.CALL, owner, name, node, qualifier=qualifier)
        elif capture == "type":
            parent = node.parent
            if parent is not None and parent.type == "qualified_type":
                return
            name = self.text(node)
            if name not in _PREDECLARED and name not in self.type_parameters:
                self.ref(ReferenceKind.TYPE_USE, owner, name, node)
        elif capture == "qualified_type":
            package = self.field_text(node, "package")
            name = self.field_text(node, "name")
            self.ref(ReferenceKind.TYPE_USE, owner, name, node, qualifier=package)
        elif capture == "embed":
            raw = self.text(node)
            text = raw.lstrip("*").split("[", 1)[0]
            qualifier, _, name = text.rpartition(".")
            if name and _SIMPLE.match(text):
                self.skip_positions.add(node.start_byte + len(raw) - len(raw.lstrip("*")))
                self.ref(ReferenceKind.INHERIT, owner, name, node, qualifier=qualifier or None)
        elif capture == "import":
            path = self.field_text(node, "path").strip('"`')
            alias = self.field_text(node, "name") or None
            self.ref(ReferenceKind.IMPORT, owner, path, node, alias=alias)
