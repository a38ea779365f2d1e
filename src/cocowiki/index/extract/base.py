"""The machinery every language extractor shares: one query pass, nesting, ids, docs, errors.

An extractor runs one tree-sitter query over a file's tree. Captures whose name starts
with ``def`` are candidate declarations; every other capture is a reference site. The base
class sorts the declarations by position and walks them with a stack, so each one learns
its enclosing component before the language's code decides what it is; declarations
nested in a function body are skipped (a stack entry of ``None`` is such a barrier). The
reference sites are then assigned to their innermost enclosing component by a second
sweep over the component spans. Doing the traversal in the query engine (C) and only the
decisions in Python is what makes indexing fast enough (see ``bench/cocowiki``).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from dataclasses import dataclass

from tree_sitter import Node, QueryCursor, Tree

from ..languages import parser, query
from ..model import (
    Component,
    ComponentKind,
    FileExtraction,
    IndexWarning,
    ParseError,
    Reference,
    ReferenceKind,
    SourceFile,
    Visibility,
)

MAX_SIGNATURE = 300
MAX_ERRORS_PER_FILE = 20
_RefKey = tuple[ReferenceKind, str, str, str | None, str | None, str | None]
_FUNCTION_KINDS = frozenset({ComponentKind.FUNCTION, ComponentKind.METHOD})
_SIGNATURE_TAIL = re.compile(r"\s*(?:\{|:|=>|=|;)\s*$")


@dataclass(frozen=True, slots=True)
class FileContext:
    """What an extractor knows of a file besides its bytes.

    ``module_name`` is the indexer's name for the file's module (see
    :class:`~..model.SourceFile`); extractors of languages that declare their namespace in
    the file (Java, C#, Go) may refine the qualified names from the declaration.
    """

    path: str
    language: str
    module_name: str
    digest: str = ""
    size: int = 0
    lines: int = 0


class Extractor:
    """Base class of the language extractors; one instance per file.

    Subclasses set ``LANGUAGE_QUERY`` (a query per language name), ``SEPARATOR`` and
    ``COMMENT_TYPES`` and implement :meth:`define` and :meth:`refer`.
    """

    LANGUAGE_QUERY: dict[str, str] = {}
    SEPARATOR = "."
    COMMENT_TYPES: frozenset[str] = frozenset({"comment"})
    #: Node types between a declaration and its comment block (attributes, annotations).
    DOC_SKIP_TYPES: frozenset[str] = frozenset()

    def __init__(self, context: FileContext, source: bytes) -> None:
        self.context = context
        self.path = context.path
        self.language = context.language
        self.source = source
        self.namespace = context.module_name
        self.components: list[Component] = []
        self._locals: dict[str, str] = {}
        self._ids: set[str] = set()
        self._spans: list[tuple[int, int, str]] = []
        self._refs: dict[_RefKey, list[int]] = {}
        self.module: Component | None = None
        #: Start bytes of declared names, so a name is not also a reference to itself.
        self.skip_positions: set[int] = set()

    # -- the pipeline ---------------------------------------------------------------

    def run(self) -> FileExtraction:
        """Parse the file and return what it yields (never raises on bad syntax)."""
        tree = parser(self.language).parse(self.source)
        root = tree.root_node
        captures = QueryCursor(query(self.language, self.LANGUAGE_QUERY[self.language])).captures(
            root
        )
        self.prepare(root, captures)
        self.module = self.make_module(root)
        self._declare(captures)
        self._reference(captures)
        return FileExtraction(
            file=SourceFile(
                path=self.path,
                language=self.language,
                size=self.context.size,
                digest=self.context.digest,
                lines=self.context.lines,
                module_name=self.module.qualified_name,
            ),
            components=tuple(self.components),
            references=tuple(self._build_refs()),
            errors=tuple(collect_errors(self.path, tree)),
            warnings=(),
        )

    def prepare(self, root: Node, captures: dict[str, list[Node]]) -> None:
        """Read file-level facts (package, ``__all__``) before declarations are made."""

    def make_module(self, root: Node) -> Component:
        """The component standing for the whole file."""
        name = self.path.rsplit("/", 1)[-1].split(".", 1)[0]
        return self.add(
            root,
            ComponentKind.MODULE,
            name,
            None,
            signature="",
            doc=self.module_doc(root),
            visibility=Visibility.PUBLIC,
            qualified_name=self.namespace or self.path.rsplit(".", 1)[0],
        )

    def module_doc(self, root: Node) -> str:
        """The file's own documentation; none by default."""
        return ""

    def define(self, node: Node, capture: str, parent: Component) -> Component | None:
        """Turn a captured declaration into a component, or ``None`` to ignore it."""
        raise NotImplementedError

    def refer(self, node: Node, capture: str, owner: str) -> None:
        """Record the reference(s) made at a captured site, owned by component ``owner``."""
        raise NotImplementedError

    def opens_scope(self, component: Component) -> bool:
        """Whether declarations nested in this component are components themselves."""
        return component.kind not in _FUNCTION_KINDS

    def _declare(self, captures: dict[str, list[Node]]) -> None:
        """Walk declarations outside-in; ``def.barrier`` captures (closures) hide their insides."""
        found = [
            (node.start_byte, -node.end_byte, capture, node)
            for capture, nodes in captures.items()
            if capture.startswith("def")
            for node in nodes
        ]
        found.sort(key=lambda item: (item[0], item[1], item[2]))
        assert self.module is not None
        stack: list[tuple[int, Component | None]] = []
        seen: set[tuple[int, int]] = set()
        for start, negative_end, capture, node in found:
            if (start, negative_end) in seen:
                continue  # one node matched by two patterns: the first capture name wins
            while stack and stack[-1][0] <= start:
                stack.pop()
            parent = stack[-1][1] if stack else self.module
            if parent is None:
                continue
            if capture == "def.barrier":
                stack.append((-negative_end, None))
                continue
            component = self.define(node, capture, parent)
            if component is None:
                continue
            seen.add((start, negative_end))
            scope = component if self.opens_scope(component) else None
            stack.append((-negative_end, scope))

    def _reference(self, captures: dict[str, list[Node]]) -> None:
        sites = [
            (node.start_byte, capture, node)
            for capture, nodes in captures.items()
            if not capture.startswith("def") and not capture.startswith("_")
            for node in nodes
        ]
        if not sites:
            return
        sites.sort(key=lambda item: (item[0], item[1]))
        spans = sorted(self._spans, key=lambda span: (span[0], -span[1]))
        assert self.module is not None
        default = self.module.id
        stack: list[tuple[int, int, str]] = []
        index = 0
        for position, capture, node in sites:
            while index < len(spans) and spans[index][0] <= position:
                span = spans[index]
                while stack and stack[-1][1] <= span[0]:
                    stack.pop()
                stack.append(span)
                index += 1
            while stack and stack[-1][1] <= position:
                stack.pop()
            if position not in self.skip_positions:
                self.refer(node, capture, stack[-1][2] if stack else default)

    # -- building blocks ------------------------------------------------------------

    def text(self, node: Node | None) -> str:
        """The source text of a node (``""`` for ``None``)."""
        if node is None:
            return ""
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def field_text(self, node: Node, field: str) -> str:
        """The text of a node's named field, ``""`` when absent."""
        return self.text(node.child_by_field_name(field))

    def add(
        self,
        span: Node,
        kind: ComponentKind,
        name: str,
        parent: Component | None,
        *,
        signature: str,
        doc: str,
        visibility: Visibility,
        qualified_name: str | None = None,
        local_name: str | None = None,
    ) -> Component:
        """Create a component spanning ``span`` inside ``parent`` and record its span.

        ``local_name`` overrides the name used in the id and qualified name (a Rust impl's
        methods are qualified by the implemented type, not the impl block).
        """
        sep = self.SEPARATOR
        if parent is None:
            local = ""
            identifier = self.path
        else:
            parent_local = self._locals.get(parent.id, "")
            own = local_name if local_name is not None else name
            local = f"{parent_local}{sep}{own}" if parent_local else own
            identifier = f"{self.path}#{local}"
            if identifier in self._ids:
                counter = 2
                while f"{identifier}~{counter}" in self._ids:
                    counter += 1
                identifier = f"{identifier}~{counter}"
        if qualified_name is None:
            qualified_name = f"{self.namespace}{sep}{local}" if self.namespace else local
        component = Component(
            id=identifier,
            kind=kind,
            name=name,
            qualified_name=qualified_name,
            path=self.path,
            language=self.language,
            start_line=span.start_point.row + 1,
            end_line=last_row(span) + 1,
            signature=signature,
            doc=doc,
            visibility=visibility,
            parent_id=None if parent is None else parent.id,
        )
        self._ids.add(identifier)
        self._locals[identifier] = local
        self.components.append(component)
        if parent is not None:
            self._spans.append((span.start_byte, span.end_byte, identifier))
        return component

    def local_name(self, component: Component) -> str:
        """The component's name path inside its file (``Outer.method``)."""
        return self._locals.get(component.id, "")

    def ref(
        self,
        kind: ReferenceKind,
        owner: str,
        target_name: str,
        node: Node,
        *,
        qualifier: str | None = None,
        alias: str | None = None,
        member: str | None = None,
    ) -> None:
        """Record a reference; repeats by the same owner are counted, not duplicated."""
        if not target_name:
            return
        key = (kind, owner, target_name, qualifier, alias, member)
        entry = self._refs.get(key)
        if entry is None:
            self._refs[key] = [node.start_point.row + 1, 1]
        else:
            entry[1] += 1

    def _build_refs(self) -> Iterable[Reference]:
        for (kind, owner, target, qualifier, alias, member), (line, count) in self._refs.items():
            yield Reference(
                kind=kind,
                source_id=owner,
                target_name=target,
                path=self.path,
                line=line,
                qualifier=qualifier,
                alias=alias,
                member=member,
                count=count,
            )

    def signature(self, node: Node, body: Node | None) -> str:
        """The declaration's text up to its body, whitespace collapsed, capped in length."""
        end = body.start_byte if body is not None else node.end_byte
        raw = self.source[node.start_byte : end].decode("utf-8", "replace")
        return clean_signature(raw)

    def preceding_doc(self, node: Node) -> str:
        """The comment block just above a declaration (no blank line between), cleaned."""
        comments: list[str] = []
        expected_row = node.start_point.row
        sibling = node.prev_sibling
        while sibling is not None:
            kind = sibling.type
            if kind in self.COMMENT_TYPES:
                if last_row(sibling) < expected_row - 1:
                    break
                before = sibling.prev_sibling
                if before is not None and last_row(before) == sibling.start_point.row:
                    break  # a trailing comment of the previous line's code
                comments.append(self.text(sibling))
                expected_row = sibling.start_point.row
            elif kind in self.DOC_SKIP_TYPES:
                expected_row = sibling.start_point.row
            else:
                break
            sibling = sibling.prev_sibling
        if not comments:
            return ""
        comments.reverse()
        return clean_comment("\n".join(comments))


def last_row(node: Node) -> int:
    """The 0-based row of a node's last character (a line comment may end after its newline)."""
    end = node.end_point
    if end.column == 0 and end.row > node.start_point.row:
        return end.row - 1
    return end.row


def clean_signature(raw: str) -> str:
    """Collapse whitespace and drop a trailing body opener (``{``, ``:``, ``=>``)."""
    text = " ".join(raw.split())
    text = _SIGNATURE_TAIL.sub("", text)
    if len(text) > MAX_SIGNATURE:
        text = text[: MAX_SIGNATURE - 1].rstrip() + "…"
    return text


_LINE_MARKER = re.compile(r"^\s*(?:///?!?|#!?|--)\s?")
_BLOCK_LINE = re.compile(r"^\s*\*(?!/) ?")


def clean_comment(raw: str) -> str:
    """Strip comment syntax (``//``, ``///``, ``/** */``, ``#``) and common indentation."""
    lines: list[str] = []
    for chunk in _split_comments(raw):
        stripped = chunk.strip()
        if stripped.startswith("/*"):
            body = stripped[2:]
            body = body[:-2] if body.endswith("*/") else body
            body = body.lstrip("*!")
            for line in body.split("\n"):
                lines.append(_BLOCK_LINE.sub("", line, count=1))
        else:
            for line in chunk.split("\n"):
                lines.append(_LINE_MARKER.sub("", line, count=1))
    return inspect.cleandoc("\n".join(lines)).strip()


def _split_comments(raw: str) -> list[str]:
    """Separate block comments from runs of line comments in a joined comment block."""
    parts: list[str] = []
    buffer: list[str] = []
    in_block = False
    for line in raw.split("\n"):
        stripped = line.strip()
        if not in_block and stripped.startswith("/*"):
            if buffer:
                parts.append("\n".join(buffer))
                buffer = []
            in_block = "*/" not in stripped[2:]
            buffer.append(line)
            if not in_block:
                parts.append("\n".join(buffer))
                buffer = []
            continue
        buffer.append(line)
        if in_block and "*/" in stripped:
            in_block = False
            parts.append("\n".join(buffer))
            buffer = []
    if buffer:
        parts.append("\n".join(buffer))
    return parts


def collect_errors(path: str, tree: Tree) -> list[ParseError]:
    """Where the grammar failed: ``ERROR`` nodes and tokens it had to invent (``MISSING``).

    Only subtrees flagged ``has_error`` are visited, so a clean file costs one check.
    """
    root = tree.root_node
    if not root.has_error:
        return []
    errors: list[ParseError] = []
    pending = [root]
    while pending and len(errors) < MAX_ERRORS_PER_FILE:
        node = pending.pop()
        if node.is_error:
            snippet = (node.text or b"")[:40].decode("utf-8", "replace").split("\n")[0]
            message = f"syntax error near {snippet!r}" if snippet else "syntax error"
            errors.append(_error(path, node, message))
            continue
        if node.is_missing:
            errors.append(_error(path, node, f"missing {node.type!r}"))
            continue
        pending.extend(child for child in reversed(node.children) if child.has_error)
    errors.sort(key=lambda error: (error.line, error.column))
    return errors


def _error(path: str, node: Node, message: str) -> ParseError:
    return ParseError(path, node.start_point.row + 1, node.start_point.column + 1, message)


def warn(path: str, message: str) -> IndexWarning:
    """A warning about a file, for extractors that notice something odd but go on."""
    return IndexWarning(path, message)
