"""C#: namespaces, classes, structs, interfaces, enums, records, delegates, methods, constants.

Visibility is the access modifier; without one, top-level types are ``internal``,
interface members ``public`` and other members ``private`` (the language's defaults).
``const`` and ``static readonly`` fields are constants; a delegate is a type alias; a
namespace block is a module, a file-scoped ``namespace X;`` qualifies the whole file. A
base type named like an interface (``IThing``) is ``impl``, others ``inherit`` (the
syntax cannot tell them apart; this is the .NET naming rule).
"""

from __future__ import annotations

import re

from tree_sitter import Node

from ..model import Component, ComponentKind, ReferenceKind, Visibility
from .base import Extractor

QUERY = """
(namespace_declaration) @def.namespace
(class_declaration) @def.class
(struct_declaration) @def.struct
(interface_declaration) @def.interface
(enum_declaration) @def.enum
(record_declaration) @def.record
(delegate_declaration) @def.delegate
(method_declaration) @def.method
(constructor_declaration) @def.method
(field_declaration) @def.field
(using_directive) @import
(invocation_expression function: (_) @call)
(object_creation_expression type: (_) @new)
(base_list (_) @base)
(variable_declaration type: (identifier) @type)
(parameter type: (identifier) @type)
(method_declaration returns: (identifier) @type)
(property_declaration type: (identifier) @type)
(generic_name (identifier) @type)
(type_argument_list (identifier) @type)
(type_parameter_constraint type: (identifier) @type)
(nullable_type (identifier) @type)
(array_type type: (identifier) @type)
(type_parameter name: (identifier) @_tparam)
"""

_KINDS = {
    "def.namespace": ComponentKind.MODULE,
    "def.class": ComponentKind.CLASS,
    "def.struct": ComponentKind.STRUCT,
    "def.interface": ComponentKind.INTERFACE,
    "def.enum": ComponentKind.ENUM,
    "def.record": ComponentKind.CLASS,
    "def.delegate": ComponentKind.TYPE_ALIAS,
    "def.method": ComponentKind.METHOD,
}
_SIMPLE = re.compile(r"^[\w.]+$")
_GENERICS = re.compile(r"<.*>", re.DOTALL)
_INTERFACE_NAME = re.compile(r"^I[A-Z]")
_XML_REFERENCE = re.compile(r"<(?:see|seealso|paramref|typeparamref)\s+\w+=\"([^\"]*)\"\s*/>")
_XML_PARAM = re.compile(r"<(?:param|typeparam)\s+name=\"([^\"]*)\">")
_XML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


class CSharpExtractor(Extractor):
    """Extractor for ``.cs`` files."""

    LANGUAGE_QUERY = {"csharp": QUERY}
    SEPARATOR = "."

    def prepare(self, root: Node, captures: dict[str, list[Node]]) -> None:
        self.type_parameters = {self.text(node) for node in captures.get("_tparam", [])}
        self.namespace = ""
        for child in root.named_children:
            if child.type == "file_scoped_namespace_declaration":
                self.namespace = "".join(self.field_text(child, "name").split())
                break

    def preceding_doc(self, node: Node) -> str:
        """The ``///`` XML documentation as text: tags dropped, references kept by name."""
        return xml_doc_text(super().preceding_doc(node))

    def modifiers(self, node: Node) -> set[str]:
        words: set[str] = set()
        for child in node.children:
            if child.type == "modifier":
                words.add(self.text(child))
        return words

    def visibility(self, modifiers: set[str], parent: Component) -> Visibility:
        if "public" in modifiers:
            return Visibility.PUBLIC
        if "protected" in modifiers:
            return Visibility.PRIVATE if "private" in modifiers else Visibility.PROTECTED
        if "internal" in modifiers:
            return Visibility.INTERNAL
        if "private" in modifiers:
            return Visibility.PRIVATE
        if parent.kind is ComponentKind.INTERFACE:
            return Visibility.PUBLIC
        if parent.kind is ComponentKind.MODULE:
            return Visibility.INTERNAL
        return Visibility.PRIVATE

    def define(self, node: Node, capture: str, parent: Component) -> Component | None:
        modifiers = self.modifiers(node)
        if capture == "def.field":
            return self._constant(node, modifiers, parent)
        name = "".join(self.field_text(node, "name").split())
        body = node.child_by_field_name("body")
        kind = _KINDS[capture]
        if capture == "def.record" and any(child.type == "struct" for child in node.children):
            kind = ComponentKind.STRUCT
        if kind is ComponentKind.MODULE:
            return self.add(
                node,
                kind,
                name,
                parent,
                signature=f"namespace {name}",
                doc=self.preceding_doc(node),
                visibility=Visibility.PUBLIC,
            )
        return self.add(
            node,
            kind,
            name,
            parent,
            signature=self.signature(node, body),
            doc=self.preceding_doc(node),
            visibility=self.visibility(modifiers, parent),
        )

    def _constant(self, node: Node, modifiers: set[str], parent: Component) -> Component | None:
        if "const" not in modifiers and not {"static", "readonly"} <= modifiers:
            return None
        declaration = next(
            (c for c in node.named_children if c.type == "variable_declaration"), None
        )
        if declaration is None:
            return None
        declarator = next(
            (c for c in declaration.named_children if c.type == "variable_declarator"), None
        )
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
            self._call(node, owner)
        elif capture in ("new", "base"):
            text = _GENERICS.sub("", self.text(node)).strip()
            if not _SIMPLE.match(text):
                return
            qualifier, _, name = text.rpartition(".")
            self.skip_positions.add(node.start_byte)
            if capture == "new":
                kind = ReferenceKind.CALL
            elif _INTERFACE_NAME.match(name) and not owner_is_interface(node):
                kind = ReferenceKind.IMPL
            else:
                kind = ReferenceKind.INHERIT
            self.ref(kind, owner, name, node, qualifier=qualifier or None)
        elif capture == "type":
            name = self.text(node)
            if name not in self.type_parameters:
                self.ref(ReferenceKind.TYPE_USE, owner, name, node)
        elif capture == "import":
            self._using(node, owner)

    def _call(self, function: Node, owner: str) -> None:
        kind = function.type
        if kind == "generic_name":
            inner = function.named_children[0] if function.named_child_count else None
            if inner is None:
                return
            self.ref(ReferenceKind.CALL, owner, self.text(inner), function)
        elif kind == "identifier":
            self.ref(ReferenceKind.CALL, owner, self.text(function), function)
        elif kind == "member_access_expression":
            name_node = function.child_by_field_name("name")
            name = self.text(name_node).split("<", 1)[0]
            receiver = self.field_text(function, "expression")
            qualifier = receiver if _SIMPLE.match(receiver) else "?"
            self.ref(ReferenceKind.CALL, owner, name, function, qualifier=qualifier)

    def _using(self, node: Node, owner: str) -> None:
        alias = self.field_text(node, "name") or None
        target = next(
            (
                c
                for c in node.named_children
                if c.type in ("qualified_name", "identifier", "generic_name")
                and c != node.child_by_field_name("name")
            ),
            None,
        )
        if target is None:
            return
        path = "".join(self.text(target).split())
        if alias is not None:
            self.ref(ReferenceKind.IMPORT, owner, path, node, alias=alias)
        else:
            self.ref(ReferenceKind.IMPORT, owner, path, node, member="*")


def xml_doc_text(doc: str) -> str:
    """``<summary>Adds <see cref="X"/>.</summary>`` -> ``Adds X.``"""
    if "<" not in doc:
        return doc
    text = _XML_REFERENCE.sub(r"\1", doc)
    text = _XML_PARAM.sub(r"\1: ", text)
    text = _XML_TAG.sub("", text)
    lines = [line.strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def owner_is_interface(base: Node) -> bool:
    """Whether a ``base_list`` entry belongs to an interface (which only inherits)."""
    declaration = base.parent.parent if base.parent is not None else None
    return declaration is not None and declaration.type == "interface_declaration"
