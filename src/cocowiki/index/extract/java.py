"""Java: classes, interfaces, enums, records, annotation types, methods, constructors, constants.

Names are qualified by the file's ``package``. Visibility is the modifier (``public``,
``protected``, ``private``), members of interfaces are public, everything else is
package-private (``package``). Constants are ``static final`` fields and interface
fields. ``extends`` is ``inherit``, ``implements`` is ``impl``; ``new T()`` is a call of
``T``.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from ..model import Component, ComponentKind, ReferenceKind, Visibility
from .base import Extractor

QUERY = """
(class_declaration) @def.class
(interface_declaration) @def.interface
(enum_declaration) @def.enum
(record_declaration) @def.class
(annotation_type_declaration) @def.interface
(method_declaration) @def.method
(constructor_declaration) @def.method
(field_declaration) @def.field
(constant_declaration) @def.field
(import_declaration) @import
(method_invocation name: (_) @call)
(object_creation_expression type: (_) @new)
(superclass (_) @inherit)
(super_interfaces (type_list (_) @impl))
(extends_interfaces (type_list (_) @inherit))
(type_identifier) @type
(type_parameter (type_identifier) @_tparam)
"""

_KINDS = {
    "def.class": ComponentKind.CLASS,
    "def.interface": ComponentKind.INTERFACE,
    "def.enum": ComponentKind.ENUM,
    "def.method": ComponentKind.METHOD,
}
_SIMPLE = re.compile(r"^[\w.]+$")
_GENERICS = re.compile(r"<.*>", re.DOTALL)


class JavaExtractor(Extractor):
    """Extractor for ``.java`` files."""

    LANGUAGE_QUERY = {"java": QUERY}
    SEPARATOR = "."
    COMMENT_TYPES = frozenset({"block_comment", "line_comment"})

    def prepare(self, root: Node, captures: dict[str, list[Node]]) -> None:
        self.type_parameters = {self.text(node) for node in captures.get("_tparam", [])}
        for child in root.named_children:
            if child.type == "package_declaration" and child.named_child_count:
                self.namespace = "".join(self.text(child.named_children[0]).split())
                break

    def modifiers(self, node: Node) -> set[str]:
        for child in node.children:
            if child.type == "modifiers":
                return {part.type for part in child.children}
        return set()

    def visibility(self, modifiers: set[str], parent: Component) -> Visibility:
        for word, visibility in (
            ("public", Visibility.PUBLIC),
            ("protected", Visibility.PROTECTED),
            ("private", Visibility.PRIVATE),
        ):
            if word in modifiers:
                return visibility
        if parent.kind is ComponentKind.INTERFACE:
            return Visibility.PUBLIC
        return Visibility.PACKAGE

    def define(self, node: Node, capture: str, parent: Component) -> Component | None:
        modifiers = self.modifiers(node)
        if capture == "def.field":
            return self._constant(node, modifiers, parent)
        name = self.field_text(node, "name")
        body = node.child_by_field_name("body")
        return self.add(
            node,
            _KINDS[capture],
            name,
            parent,
            signature=self.signature(node, body),
            doc=self.preceding_doc(node),
            visibility=self.visibility(modifiers, parent),
        )

    def _constant(self, node: Node, modifiers: set[str], parent: Component) -> Component | None:
        in_interface = parent.kind is ComponentKind.INTERFACE
        if not in_interface and not {"static", "final"} <= modifiers:
            return None
        declarator = node.child_by_field_name("declarator")
        if declarator is None:
            return None
        return self.add(
            node,
            ComponentKind.CONSTANT,
            self.field_text(declarator, "name"),
            parent,
            signature=self.signature(node, None),
            doc=self.preceding_doc(node),
            visibility=self.visibility(modifiers, parent),
        )

    def refer(self, node: Node, capture: str, owner: str) -> None:
        if capture == "call":
            invocation = node.parent
            receiver = invocation.child_by_field_name("object") if invocation else None
            qualifier = None
            if receiver is not None:
                text = self.text(receiver)
                qualifier = text if _SIMPLE.match(text) else "?"
            self.ref(ReferenceKind.CALL, owner, self.text(node), node, qualifier=qualifier)
        elif capture in ("new", "inherit", "impl"):
            text = _GENERICS.sub("", self.text(node)).strip()
            qualifier, _, name = text.rpartition(".")
            self.skip_positions.add(node.start_byte)
            kind = {
                "new": ReferenceKind.CALL,
                "inherit": ReferenceKind.INHERIT,
                "impl": ReferenceKind.IMPL,
            }[capture]
            self.ref(kind, owner, name, node, qualifier=qualifier or None)
        elif capture == "type":
            name = self.text(node)
            if name not in self.type_parameters:
                self.ref(ReferenceKind.TYPE_USE, owner, name, node)
        elif capture == "import":
            self._import(node, owner)

    def _import(self, node: Node, owner: str) -> None:
        words = {child.type for child in node.children}
        path_node = next(
            (c for c in node.named_children if c.type in ("scoped_identifier", "identifier")), None
        )
        if path_node is None:
            return
        path = "".join(self.text(path_node).split())
        if "asterisk" in words:
            self.ref(ReferenceKind.IMPORT, owner, path, node, member="*")
        elif "static" in words:
            module, _, member = path.rpartition(".")
            self.ref(ReferenceKind.IMPORT, owner, module, node, member=member, alias=member)
        else:
            self.ref(ReferenceKind.IMPORT, owner, path, node, alias=path.rsplit(".", 1)[-1])
