"""JavaScript, TypeScript and TSX: classes, interfaces, enums, type aliases, functions, methods.

A module-level declaration is public when it is exported (``export``, an ``export { }``
list, ``export default``, or CommonJS ``module.exports``/``exports.x``), private otherwise;
class members are public unless ``private``/``protected`` or ``#private``. A module-level
``const`` bound to a function (``const f = () => {}``) is a function; other ``const``s are
constants. Closures (arrow functions, function expressions) hide their insides, so
callbacks' locals do not become components. Imports cover ES ``import``, re-exports,
``require("x")`` and ``import("x")``; a capitalised JSX element is a call of that
component.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from ..model import Component, ComponentKind, ReferenceKind, Visibility
from .base import Extractor, clean_comment

_JS = """
(class_declaration) @def.class
(function_declaration) @def.function
(generator_function_declaration) @def.function
(method_definition) @def.method
(program (lexical_declaration) @def.variable)
(program (variable_declaration) @def.variable)
(export_statement declaration: (lexical_declaration) @def.variable)
(export_statement declaration: (variable_declaration) @def.variable)
(arrow_function) @def.barrier
(function_expression) @def.barrier
(import_statement) @import
(export_statement source: (_)) @reexport
(call_expression function: (_) @call)
(new_expression constructor: (_) @new)
"""

_JSX = """
(jsx_opening_element name: (_) @jsx)
(jsx_self_closing_element name: (_) @jsx)
"""

_JS_ONLY = """
(class_heritage (_) @inherit)
"""

_TS = """
(abstract_class_declaration) @def.class
(interface_declaration) @def.interface
(type_alias_declaration) @def.type_alias
(enum_declaration) @def.enum
(internal_module) @def.namespace
(method_signature) @def.method
(abstract_method_signature) @def.method
(function_signature) @def.function
(extends_clause value: (_) @inherit)
(implements_clause (_) @impl)
(extends_type_clause type: (_) @inherit)
(type_identifier) @type
(type_parameter name: (type_identifier) @_tparam)
"""

_KINDS = {
    "def.class": ComponentKind.CLASS,
    "def.interface": ComponentKind.INTERFACE,
    "def.type_alias": ComponentKind.TYPE_ALIAS,
    "def.enum": ComponentKind.ENUM,
    "def.namespace": ComponentKind.MODULE,
    "def.function": ComponentKind.FUNCTION,
    "def.method": ComponentKind.METHOD,
}
_FUNCTION_VALUES = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function"}
)
_MEMBER_PARENTS = frozenset({ComponentKind.CLASS, ComponentKind.INTERFACE})
_SIMPLE = re.compile(r"^[\w$.]+$")
_FILE_DOC_NEIGHBOURS = frozenset({"comment", "import_statement"})
_GENERICS = re.compile(r"<.*>", re.DOTALL)


class JavaScriptExtractor(Extractor):
    """Extractor for ``.js``/``.jsx``/``.mjs``/``.cjs``, ``.ts`` and ``.tsx`` files."""

    LANGUAGE_QUERY = {
        "javascript": _JS + _JS_ONLY + _JSX,
        "typescript": _JS + _TS,
        "tsx": _JS + _TS + _JSX,
    }
    SEPARATOR = "."
    DOC_SKIP_TYPES = frozenset({"decorator"})

    def prepare(self, root: Node, captures: dict[str, list[Node]]) -> None:
        self.type_parameters = {self.text(node) for node in captures.get("_tparam", [])}
        self.exported: set[str] = set()
        for statement in root.named_children:
            if statement.type == "export_statement":
                self._export_names(statement)
            elif statement.type == "expression_statement" and statement.named_child_count:
                self._commonjs_exports(statement.named_children[0])

    def _export_names(self, statement: Node) -> None:
        if statement.child_by_field_name("source") is not None:
            return
        for child in statement.named_children:
            if child.type == "export_clause":
                for specifier in child.named_children:
                    self.exported.add(self.field_text(specifier, "name"))
            elif child.type == "identifier":  # export default name;
                self.exported.add(self.text(child))

    def _commonjs_exports(self, expression: Node) -> None:
        if expression.type != "assignment_expression":
            return
        left = self.field_text(expression, "left")
        right = expression.child_by_field_name("right")
        if right is None:
            return
        if left.startswith(("exports.", "module.exports.")):
            self.exported.add(left.rsplit(".", 1)[-1])
            if right.type == "identifier":
                self.exported.add(self.text(right))
        elif left == "module.exports":
            if right.type == "identifier":
                self.exported.add(self.text(right))
            elif right.type == "object":
                for item in right.named_children:
                    if item.type == "shorthand_property_identifier":
                        self.exported.add(self.text(item))
                    elif item.type == "pair":
                        value = item.child_by_field_name("value")
                        if value is not None and value.type == "identifier":
                            self.exported.add(self.text(value))

    def module_doc(self, root: Node) -> str:
        """A leading ``/** ... */`` comment that is not attached to a declaration."""
        first = root.children[0] if root.child_count else None
        if first is None or first.type != "comment" or not self.text(first).startswith("/**"):
            return ""
        following = first.next_sibling
        attached = following is not None and following.start_point.row <= first.end_point.row + 1
        if attached and following is not None and following.type not in _FILE_DOC_NEIGHBOURS:
            return ""
        return clean_comment(self.text(first))

    # -- declarations ---------------------------------------------------------------

    def _top_visibility(self, outer: Node, name: str) -> Visibility:
        if outer.type == "export_statement" or name in self.exported:
            return Visibility.PUBLIC
        return Visibility.PRIVATE

    def _member_visibility(self, node: Node, parent: Component) -> Visibility:
        if parent.kind is ComponentKind.INTERFACE:
            return Visibility.PUBLIC
        for child in node.children:
            if child.type == "accessibility_modifier":
                word = self.text(child)
                if word == "private":
                    return Visibility.PRIVATE
                if word == "protected":
                    return Visibility.PROTECTED
            elif child.type == "private_property_identifier":
                return Visibility.PRIVATE
        return Visibility.PUBLIC

    def define(self, node: Node, capture: str, parent: Component) -> Component | None:
        if capture == "def.variable":
            return self._variables(node, parent)
        outer = node.parent if node.parent is not None else node
        span = outer if outer.type == "export_statement" else node
        name_node = node.child_by_field_name("name")
        if name_node is None:
            if outer.type != "export_statement":
                return None
            name = "default"
        else:
            name = self.text(name_node)
            self.skip_positions.add(name_node.start_byte)
        kind = _KINDS[capture]
        if kind is ComponentKind.METHOD:
            if parent.kind not in _MEMBER_PARENTS:
                return None
            visibility = self._member_visibility(node, parent)
        else:
            visibility = self._top_visibility(outer, name)
        body = node.child_by_field_name("body")
        if kind in (ComponentKind.TYPE_ALIAS, ComponentKind.INTERFACE) and body is None:
            body = node.child_by_field_name("value") if kind is ComponentKind.INTERFACE else None
        return self.add(
            span,
            kind,
            name,
            parent,
            signature=self.signature(node, body)
            if kind is not ComponentKind.MODULE
            else f"namespace {name}",
            doc=self.preceding_doc(span),
            visibility=visibility,
        )

    def _variables(self, node: Node, parent: Component) -> Component | None:
        outer = node.parent if node.parent is not None else node
        span = outer if outer.type == "export_statement" else node
        constant = any(child.type == "const" for child in node.children)
        first: Component | None = None
        for declarator in node.named_children:
            if declarator.type != "variable_declarator":
                continue
            name_node = declarator.child_by_field_name("name")
            if name_node is None or name_node.type != "identifier":
                continue
            value = declarator.child_by_field_name("value")
            value_type = value.type if value is not None else ""
            if value_type in _FUNCTION_VALUES:
                kind = ComponentKind.FUNCTION
                body = value.child_by_field_name("body") if value is not None else None
            elif value_type == "class":
                kind = ComponentKind.CLASS
                body = value.child_by_field_name("body") if value is not None else None
            elif constant and value is not None and not _is_require(self, value):
                kind = ComponentKind.CONSTANT
                body = None
            else:
                continue
            name = self.text(name_node)
            self.skip_positions.add(name_node.start_byte)
            if body is not None:
                signature = self.signature(node, body)
            else:
                first_line, _, rest = self.text(node).partition("\n")
                signature = self.signature(node, None) if not rest else first_line + " …"
            component = self.add(
                span if first is None else declarator,
                kind,
                name,
                parent,
                signature=signature,
                doc=self.preceding_doc(span) if first is None else "",
                visibility=self._top_visibility(outer, name),
            )
            if first is None:
                first = component
        return first

    # -- references -----------------------------------------------------------------

    def refer(self, node: Node, capture: str, owner: str) -> None:
        if capture == "call":
            self._call(node, owner)
        elif capture == "new":
            self._named(ReferenceKind.CALL, node, owner)
        elif capture == "jsx":
            text = self.text(node)
            if text[:1].isupper():
                self._named(ReferenceKind.CALL, node, owner)
        elif capture in ("inherit", "impl"):
            self.skip_positions.add(node.start_byte)
            kind = ReferenceKind.INHERIT if capture == "inherit" else ReferenceKind.IMPL
            self._named(kind, node, owner)
        elif capture == "type":
            name = self.text(node)
            if name not in self.type_parameters:
                self.ref(ReferenceKind.TYPE_USE, owner, name, node)
        elif capture == "import":
            self._import(node, owner)
        elif capture == "reexport":
            self._reexport(node, owner)

    def _named(self, kind: ReferenceKind, node: Node, owner: str) -> None:
        text = _GENERICS.sub("", self.text(node)).strip()
        if not _SIMPLE.match(text):
            return
        qualifier, _, name = text.rpartition(".")
        self.ref(kind, owner, name, node, qualifier=qualifier or None)

    def _call(self, function: Node, owner: str) -> None:
        kind = function.type
        if kind == "identifier":
            name = self.text(function)
            if name == "require":
                self._require(function, owner)
            else:
                self.ref(ReferenceKind.CALL, owner, name, function)
        elif kind == "import":
            self._require(function, owner)
        elif kind == "member_expression":
            name = self.field_text(function, "property")
            receiver = self.field_text(function, "object")
            qualifier = receiver if _SIMPLE.match(receiver) else "?"
            self.ref(ReferenceKind.CALL, owner, name, function, qualifier=qualifier)

    def _require(self, function: Node, owner: str) -> None:
        call = function.parent
        arguments = call.child_by_field_name("arguments") if call is not None else None
        if arguments is None or not arguments.named_child_count:
            return
        first = arguments.named_children[0]
        if first.type != "string":
            return
        source = _string(self.text(first))
        declarator = call.parent if call is not None else None
        if declarator is not None and declarator.type == "variable_declarator":
            pattern = declarator.child_by_field_name("name")
            if pattern is not None and pattern.type == "identifier":
                self.ref(
                    ReferenceKind.IMPORT,
                    owner,
                    source,
                    call_or(call, function),
                    alias=self.text(pattern),
                )
                return
            if pattern is not None and pattern.type == "object_pattern":
                for item in pattern.named_children:
                    if item.type == "shorthand_property_identifier_pattern":
                        member = self.text(item)
                        self.ref(
                            ReferenceKind.IMPORT,
                            owner,
                            source,
                            function,
                            member=member,
                            alias=member,
                        )
                    elif item.type == "pair_pattern":
                        member = self.field_text(item, "key")
                        alias = self.field_text(item, "value")
                        self.ref(
                            ReferenceKind.IMPORT,
                            owner,
                            source,
                            function,
                            member=member,
                            alias=alias,
                        )
                return
        self.ref(ReferenceKind.IMPORT, owner, source, function)

    def _import(self, node: Node, owner: str) -> None:
        source = _string(self.field_text(node, "source"))
        clause = next((c for c in node.named_children if c.type == "import_clause"), None)
        if clause is None:
            self.ref(ReferenceKind.IMPORT, owner, source, node)
            return
        for part in clause.named_children:
            if part.type == "identifier":
                self.ref(
                    ReferenceKind.IMPORT,
                    owner,
                    source,
                    node,
                    member="default",
                    alias=self.text(part),
                )
            elif part.type == "namespace_import":
                names = [c for c in part.named_children if c.type == "identifier"]
                alias = self.text(names[0]) if names else None
                self.ref(ReferenceKind.IMPORT, owner, source, node, alias=alias)
            elif part.type == "named_imports":
                for specifier in part.named_children:
                    if specifier.type != "import_specifier":
                        continue
                    member = self.field_text(specifier, "name")
                    alias = self.field_text(specifier, "alias") or member
                    self.ref(ReferenceKind.IMPORT, owner, source, node, member=member, alias=alias)

    def _reexport(self, node: Node, owner: str) -> None:
        source = _string(self.field_text(node, "source"))
        clause = next((c for c in node.named_children if c.type == "export_clause"), None)
        if clause is None:
            self.ref(ReferenceKind.IMPORT, owner, source, node, member="*")
            return
        for specifier in clause.named_children:
            member = self.field_text(specifier, "name")
            self.ref(
                ReferenceKind.IMPORT,
                owner,
                source,
                node,
                member=member,
                alias=self.field_text(specifier, "alias") or member,
            )


def _string(literal: str) -> str:
    return literal.strip().strip("'\"`")


def _is_require(extractor: Extractor, value: Node) -> bool:
    """``require("x")`` or ``await import("x")`` values are imports, not constants."""
    if value.type == "await_expression" and value.named_child_count:
        value = value.named_children[0]
    if value.type != "call_expression":
        return False
    function = value.child_by_field_name("function")
    return function is not None and extractor.text(function) in ("require", "import")


def call_or(call: Node | None, fallback: Node) -> Node:
    """The call node when there is one, for the reference's line."""
    return call if call is not None else fallback
