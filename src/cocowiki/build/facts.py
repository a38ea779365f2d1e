"""Lookup tables over the index and the module tree, computed once per build.

Every page asks the same questions of the index (which components are in this file,
which references point into it, which module owns that file, which files are tests), so
they are answered here in one pass each, and every citation is made through
:meth:`RepositoryFacts.cite`, which reads the cited lines and pins their digest.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..index.model import (
    Component,
    IndexResult,
    ParseError,
    Reference,
    SourceFile,
    Visibility,
)
from ..plan.model import Module, ModuleTree
from .artifacts import Citation
from .footprints import Explorer
from .sources import SourceError, SourceReader, span_digest

_TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "specs", "testing", "testdata"})
_TEST_NAME = re.compile(
    r"^test_.+\.py$|_test\.(?:py|go|c|cc|cpp|rs)$|\.(?:test|spec)\.[cm]?[jt]sx?$"
    r"|Tests?\.(?:java|cs|kt)$|^test_.+\.(?:c|cc|cpp)$|^conftest\.py$",
)


#: References resolved with less confidence than this (a name merely unique in the
#: repository, or one of several candidates) are left out of dependencies, call paths and
#: diagrams: they are guesses, and a page should not present a guess as a fact.
MIN_CONFIDENCE = 0.6


def is_confident(confidence: float) -> bool:
    return confidence >= MIN_CONFIDENCE


def is_test_file(path: str) -> bool:
    """Whether a path looks like test code by the conventions of its language."""
    *directories, name = path.split("/")
    return bool(_TEST_NAME.search(name)) or any(d.lower() in _TEST_DIRS for d in directories)


def one_line(doc: str) -> str:
    """The first sentence (or line) of a doc comment, for lists and tables."""
    text = " ".join(doc.strip().split("\n\n", 1)[0].split())
    match = re.match(r"(.+?[.!?])(?:\s|$)", text)
    summary = match.group(1) if match else text
    return summary if len(summary) <= 200 else summary[:197].rstrip() + "..."


@dataclass(slots=True)
class RepositoryFacts:
    """The index, the module tree and the files of one repository, cross-referenced."""

    repo: Path
    output: Path
    index: IndexResult
    tree: ModuleTree
    reader: SourceReader
    explorer: Explorer
    files: dict[str, SourceFile] = field(default_factory=dict)
    components: dict[str, Component] = field(default_factory=dict)
    by_file: dict[str, list[Component]] = field(default_factory=dict)
    children_of: dict[str, list[Component]] = field(default_factory=dict)
    refs_from_file: dict[str, list[Reference]] = field(default_factory=dict)
    refs_into_file: dict[str, list[Reference]] = field(default_factory=dict)
    module_of_file: dict[str, str] = field(default_factory=dict)
    listed: list[str] = field(default_factory=list)
    errors_by_file: dict[str, list[ParseError]] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls, repo: Path, output: Path, index: IndexResult, tree: ModuleTree
    ) -> RepositoryFacts:
        reader = SourceReader(repo)
        facts = cls(repo, output, index, tree, reader, Explorer(repo, index, reader))
        facts.files = {source.path: source for source in index.files}
        by_file: dict[str, list[Component]] = defaultdict(list)
        children: dict[str, list[Component]] = defaultdict(list)
        for component in index.components:
            facts.components[component.id] = component
            by_file[component.path].append(component)
            if component.parent_id is not None:
                children[component.parent_id].append(component)
        facts.by_file = dict(by_file)
        facts.children_of = dict(children)
        out: dict[str, list[Reference]] = defaultdict(list)
        into: dict[str, list[Reference]] = defaultdict(list)
        for ref in index.references:
            out[ref.path].append(ref)
            if ref.target_path is not None and ref.target_path != ref.path:
                into[ref.target_path].append(ref)
        facts.refs_from_file = dict(out)
        facts.refs_into_file = dict(into)
        facts.module_of_file = tree.module_of_file()
        errors: dict[str, list[ParseError]] = defaultdict(list)
        for error in sorted(index.errors, key=lambda e: (e.path, e.line, e.column)):
            errors[error.path].append(error)
        facts.errors_by_file = dict(errors)
        facts.listed = sorted(
            set(facts.files) | {e.path for e in index.exclusions if not e.path.endswith("/")}
        )
        return facts

    # citations ------------------------------------------------------------------------------

    def cite(self, path: str, start: int, end: int | None = None) -> Citation:
        """A citation of lines ``start``..``end`` of ``path``, clamped to the file."""
        lines = self.reader.lines(path)
        last = max(1, len(lines))
        first = min(max(1, start), last)
        final = min(max(first, end if end is not None else start), last)
        return Citation(path=path, start=first, end=final, digest=span_digest(lines, first, final))

    def cite_component(self, component: Component) -> Citation:
        return self.cite(component.path, component.start_line, component.end_line)

    def cite_file(self, path: str) -> list[Citation]:
        """The whole file as one citation; none for an empty file (it has no lines)."""
        lines = self.reader.line_count(path)
        return [self.cite(path, 1, lines)] if lines else []

    def cite_doc(self, component: Component) -> Citation:
        """The lines of a component's doc comment or docstring, found near its span."""
        doc_lines = [line.strip() for line in component.doc.strip().splitlines()]
        first = next((line for line in doc_lines if line), "")
        if first:
            lines = self.reader.lines(component.path)
            low = max(1, component.start_line - len(doc_lines) - 12)
            for number in range(low, min(component.end_line, len(lines)) + 1):
                if first in lines[number - 1]:
                    return self.cite(component.path, number, number + len(doc_lines) - 1)
        return self.cite_component(component)

    def readable(self, path: str) -> bool:
        try:
            self.reader.lines(path)
        except SourceError:
            return False
        return True

    # modules ----------------------------------------------------------------------------------

    def module(self, module_id: str) -> Module:
        return self.tree[module_id]

    def module_components(self, module: Module) -> list[Component]:
        return [c for path in module.files for c in self.by_file.get(path, [])]

    def is_public_api(self, component: Component) -> bool:
        """Public, and every enclosing component up to its file public too."""
        current: Component | None = component
        while current is not None:
            if current.visibility != Visibility.PUBLIC:
                return False
            current = self.components.get(current.parent_id) if current.parent_id else None
        return True

    def top_level(self, path: str) -> list[Component]:
        """Components of a file whose parent is the file's module (or none), in source order."""
        return [
            c
            for c in self.by_file.get(path, [])
            if c.id != path and (c.parent_id is None or c.parent_id == path)
        ]

    def subtree_files(self, module_id: str) -> list[str]:
        """Files of a module and of all its descendants."""
        module = self.tree[module_id]
        files = list(module.files)
        for child in module.children:
            files.extend(self.subtree_files(child))
        return files

    def link_to_source(self, path: str) -> str:
        """The relative URL from the pages directory to a source file (POSIX separators)."""
        known = self.links.get(path)
        if known is None:
            relative = os.path.relpath(self.repo / path, self.output / "pages")
            known = self.links[path] = PurePosixPath(*Path(relative).parts).as_posix()
        return known
