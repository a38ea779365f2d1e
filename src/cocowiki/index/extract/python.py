"""Python: classes, functions, methods, constants, type aliases, imports, calls, bases, types.

Python has no declared visibility, so its conventions decide: a module's ``__all__``, when
present, is the list of public top-level names; otherwise a leading underscore makes a
name private (dunder names stay public). Constants are module- or class-level
assignments to ``UPPER_CASE`` names; ``X: TypeAlias = ...`` and ``type X = ...`` are type
aliases. A class deriving from an ``Enum`` type is an ``enum``, one deriving from
``Protocol`` an ``interface``. Calls to builtins (``len``, ``print``) are not recorded:
they would be unresolvable noise.
"""

from __future__ import annotations

import builtins
import inspect
import re

from tree_sitter import Node

from ..model import Component, ComponentKind, ReferenceKind, Visibility
from .base import Extractor, clean_signature

QUERY = """
(class_definition) @def.class
(function_definition) @def.function
(module (expression_statement (assignment left: (identifier))) @def.assign)
(class_definition body: (block (expression_statement (assignment left: (identifier))) @def.assign))
(type_alias_statement) @def.type_alias
(call function: (_) @call)
(decorator (identifier) @call)
(decorator (attribute) @call)
(import_statement) @import
(import_from_statement) @import
(class_definition superclasses: (argument_list) @inherit)
(type (identifier) @type)
(type (attribute) @type)
(generic_type (identifier) @type)
(type (binary_operator (identifier) @type))
"""

_BUILTINS = frozenset(dir(builtins))
_CONSTANT_NAME = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
_CAMEL_NAME = re.compile(r"^_?[A-Z][a-z0-9]+[A-Za-z0-9]*$")
_STRING_PREFIX = re.compile(r"^[rRbBuUfF]*(\"\"\"|'''|\"|')")
_DOTTED = re.compile(r"^[A-Za-z_][\w.]*$")
_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})
_INTERFACE_BASES = frozenset({"Protocol"})
_CLASS_KINDS = frozenset({ComponentKind.CLASS, ComponentKind.ENUM, ComponentKind.INTERFACE})
_TYPE_ALIAS_ANNOTATIONS = frozenset({"TypeAlias", "typing.TypeAlias", "t.TypeAlias"})


class PythonExtractor(Extractor):
    """Extractor for ``.py`` and ``.pyi`` files."""

    LANGUAGE_QUERY = {"python": QUERY}
    SEPARATOR = "."

    def prepare(self, root: Node, captures: dict[str, list[Node]]) -> None:
        self.all_names: frozenset[str] | None = None
        for statement in root.named_children:
            if statement.type != "expression_statement" or statement.named_child_count != 1:
                continue
            assignment = statement.named_children[0]
            if assignment.type not in ("assignment", "augmented_assignment"):
                continue
            if self.field_text(assignment, "left") != "__all__":
                continue
            value = assignment.child_by_field_name("right")
            names = set() if self.all_names is None else set(self.all_names)
            if value is not None:
                for item in value.named_children:
                    if item.type == "string":
                        names.add(string_value(self.text(item)))
            self.all_names = frozenset(names)

    def make_module(self, root: Node) -> Component:
        name = self.namespace.rsplit(".", 1)[-1] if self.namespace else "__main__"
        return self.add(
            root,
            ComponentKind.MODULE,
            name,
            None,
            signature="",
            doc=self.docstring(root),
            visibility=Visibility.PRIVATE
            if name.startswith("_") and name != "__init__"
            else Visibility.PUBLIC,
            qualified_name=self.namespace,
        )

    def docstring(self, body: Node | None) -> str:
        """The string literal that opens a module, class or function body, cleaned."""
        if body is None:
            return ""
        for statement in body.named_children:
            if statement.type == "comment":
                continue
            if statement.type == "expression_statement" and statement.named_child_count:
                literal = statement.named_children[0]
                if literal.type == "string":
                    return inspect.cleandoc(string_value(self.text(literal))).strip()
            return ""
        return ""

    def visibility(self, name: str, parent: Component) -> Visibility:
        if parent.kind is ComponentKind.MODULE and self.all_names is not None:
            return Visibility.PUBLIC if name in self.all_names else Visibility.PRIVATE
        if name.startswith("__") and name.endswith("__"):
            return Visibility.PUBLIC
        return Visibility.PRIVATE if name.startswith("_") else Visibility.PUBLIC

    def define(self, node: Node, capture: str, parent: Component) -> Component | None:
        if capture == "def.assign":
            return self._assignment(node, parent)
        outer = node.parent if node.parent is not None else node
        span = outer if outer.type == "decorated_definition" else node
        if capture == "def.type_alias":
            left = node.child_by_field_name("left")
            name = self.text(left).split("[", 1)[0].strip()
            if left is not None:
                self.skip_positions.add(left.start_byte)
            return self.add(
                span,
                ComponentKind.TYPE_ALIAS,
                name,
                parent,
                signature=self.signature(node, None),
                doc=self.preceding_doc(span),
                visibility=self.visibility(name, parent),
            )
        name = self.field_text(node, "name")
        body = node.child_by_field_name("body")
        if capture == "def.class":
            kind = self._class_kind(node)
        elif parent.kind in _CLASS_KINDS:
            kind = ComponentKind.METHOD
        else:
            kind = ComponentKind.FUNCTION
        return self.add(
            span,
            kind,
            name,
            parent,
            signature=self.signature(node, body),
            doc=self.docstring(body),
            visibility=self.visibility(name, parent),
        )

    def _class_kind(self, node: Node) -> ComponentKind:
        bases = node.child_by_field_name("superclasses")
        if bases is None:
            return ComponentKind.CLASS
        for base in bases.named_children:
            if base.type not in ("identifier", "attribute", "subscript"):
                continue
            name = self.text(base).split("[", 1)[0].rsplit(".", 1)[-1]
            if name in _ENUM_BASES:
                return ComponentKind.ENUM
            if name in _INTERFACE_BASES:
                return ComponentKind.INTERFACE
        return ComponentKind.CLASS

    def _assignment(self, statement: Node, parent: Component) -> Component | None:
        assignment = statement.named_children[0]
        name = self.field_text(assignment, "left")
        annotation = self.field_text(assignment, "type")
        value = assignment.child_by_field_name("right")
        if annotation in _TYPE_ALIAS_ANNOTATIONS or (
            not annotation and _CAMEL_NAME.match(name) and _is_type_expression(value)
        ):
            kind = ComponentKind.TYPE_ALIAS
        elif _CONSTANT_NAME.match(name) and assignment.child_by_field_name("right") is not None:
            kind = ComponentKind.CONSTANT
        else:
            return None
        text = self.text(statement)
        first, _, rest = text.partition("\n")
        signature = clean_signature(first) + ("…" if rest.strip() else "")
        doc = self.preceding_doc(statement) or self._attribute_docstring(statement)
        return self.add(
            statement,
            kind,
            name,
            parent,
            signature=signature,
            doc=doc,
            visibility=self.visibility(name, parent),
        )

    def _attribute_docstring(self, statement: Node) -> str:
        """A string literal right after an assignment documents it (PEP 257 convention)."""
        following = statement.next_named_sibling
        if following is None or following.type != "expression_statement":
            return ""
        if following.start_point.row != statement.end_point.row + 1:
            return ""
        if following.named_child_count and following.named_children[0].type == "string":
            return inspect.cleandoc(string_value(self.text(following.named_children[0]))).strip()
        return ""

    def refer(self, node: Node, capture: str, owner: str) -> None:
        if capture == "call":
            self._call(node, owner)
        elif capture == "import":
            self._import(node, owner)
        elif capture == "inherit":
            for base in node.named_children:
                if base.type in ("identifier", "attribute"):
                    qualifier, _, name = self.text(base).rpartition(".")
                    self.ref(ReferenceKind.INHERIT, owner, name, base, qualifier=qualifier or None)
        elif capture == "type":
            qualifier, _, name = self.text(node).rpartition(".")
            if qualifier or name not in _BUILTINS:
                self.ref(ReferenceKind.TYPE_USE, owner, name, node, qualifier=qualifier or None)

    def _call(self, function: Node, owner: str) -> None:
        if function.type == "identifier":
            name = self.text(function)
            if name not in _BUILTINS:
                self.ref(ReferenceKind.CALL, owner, name, function)
        elif function.type == "attribute":
            name = self.field_text(function, "attribute")
            receiver = self.field_text(function, "object")
            qualifier = receiver if _DOTTED.match(receiver) else "?"
            self.ref(ReferenceKind.CALL, owner, name, function, qualifier=qualifier)

    def _import(self, node: Node, owner: str) -> None:
        if node.type == "import_statement":
            for child in node.children_by_field_name("name"):
                if child.type == "aliased_import":
                    target = self.field_text(child, "name")
                    alias = self.field_text(child, "alias")
                    self.ref(ReferenceKind.IMPORT, owner, target, child, alias=alias)
                else:
                    self.ref(ReferenceKind.IMPORT, owner, self.text(child), child)
            return
        module = "".join(self.field_text(node, "module_name").split())
        names = node.children_by_field_name("name")
        if not names:
            self.ref(ReferenceKind.IMPORT, owner, module, node, member="*")
            return
        for child in names:
            if child.type == "aliased_import":
                member = self.field_text(child, "name")
                alias = self.field_text(child, "alias")
                self.ref(ReferenceKind.IMPORT, owner, module, child, member=member, alias=alias)
            else:
                self.ref(ReferenceKind.IMPORT, owner, module, child, member=self.text(child))


def _is_type_expression(value: Node | None) -> bool:
    """``Callable[[int], str]`` or ``A | B``: an implicit type alias (PEP 613 before 3.10)."""
    if value is None:
        return False
    if value.type == "subscript":
        return True
    if value.type == "binary_operator":
        operator = value.child_by_field_name("operator")
        return operator is not None and operator.type == "|"
    return False


def string_value(literal: str) -> str:
    """The contents of a Python string literal, without prefix and quotes (escapes kept)."""
    match = _STRING_PREFIX.match(literal)
    if match is None:
        return literal
    quote = match.group(1)
    body = literal[match.end() :]
    return body[: -len(quote)] if body.endswith(quote) else body
