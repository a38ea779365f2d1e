"""``ComponentDossier``: everything the index knows about one module, with citations.

The dossier is the fact sheet a writer (deterministic or model-backed) works from: the
module's files and components, its public API, what it depends on and what depends on
it (aggregated per module, with counts and the first few sites cited), its entry points
and the tests that reference it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from ..index.model import Component, ComponentKind, Reference, ReferenceKind
from ..index.resolve import names_own_code
from ..index.suites import is_test_file
from ..plan.model import Module
from .artifacts import (
    Citation,
    ComponentDossier,
    ComponentFacts,
    Dependency,
    EntryPoint,
    FileFacts,
    TestUse,
)
from .facts import RepositoryFacts, is_confident, one_line

#: Sites cited per dependency or test file; the count says how many there are in all.
SITES_PER_EDGE = 3


def build_dossier(
    facts: RepositoryFacts, module: Module, entry_points: list[EntryPoint]
) -> ComponentDossier:
    files = set(module.files)
    components = facts.module_components(module)
    ids = {c.id for c in components}
    return ComponentDossier(
        module=module.id,
        title=module.title,
        path=module.path,
        parent=module.parent,
        children=list(module.children),
        files=[_file_facts(facts, path) for path in module.files],
        components=[component_facts(facts, c) for c in components],
        public_api=[c.id for c in components if not is_file_module(c) and facts.is_public_api(c)],
        outgoing=_outgoing(facts, module),
        incoming=_incoming(facts, module),
        entry_points=[e for e in entry_points if e.citation.path in files or e.component_id in ids],
        tests=_tests(facts, module),
    )


def is_file_module(component: Component) -> bool:
    """The component standing for a whole file (its id is the file's path)."""
    return component.kind == ComponentKind.MODULE and component.id == component.path


def component_facts(facts: RepositoryFacts, component: Component) -> ComponentFacts:
    return ComponentFacts(
        id=component.id,
        kind=str(component.kind),
        name=component.name,
        qualified_name=component.qualified_name,
        signature=component.signature,
        summary=one_line(component.doc),
        visibility=str(component.visibility),
        parent_id=component.parent_id,
        citation=facts.cite_component(component),
    )


def _file_facts(facts: RepositoryFacts, path: str) -> FileFacts:
    source = facts.files.get(path)
    return FileFacts(
        path=path,
        language=source.language if source else "unknown",
        lines=source.lines if source else 0,
        digest=source.digest if source else "",
        parse_errors=len(facts.errors_by_file.get(path, [])),
    )


def _outgoing(facts: RepositoryFacts, module: Module) -> list[Dependency]:
    def other(ref: Reference) -> tuple[str | None, str] | None:
        if ref.target_path is None:
            if ref.kind != ReferenceKind.IMPORT or names_own_code(ref.target_name):
                return None  # an in-repository path left unresolved is still not outside
            return None, ref.target_name
        if not is_confident(ref.confidence):
            return None
        owner = facts.module_of_file.get(ref.target_path)
        if owner is None or owner == module.id:
            return None
        return owner, facts.tree[owner].title

    refs = (ref for path in module.files for ref in facts.refs_from_file.get(path, []))
    return _aggregate(facts, refs, other)


def _incoming(facts: RepositoryFacts, module: Module) -> list[Dependency]:
    def other(ref: Reference) -> tuple[str | None, str] | None:
        if not is_confident(ref.confidence):
            return None
        owner = facts.module_of_file.get(ref.path)
        if owner is None or owner == module.id:
            return None
        return owner, facts.tree[owner].title

    refs = (ref for path in module.files for ref in facts.refs_into_file.get(path, []))
    return _aggregate(facts, refs, other)


def _aggregate(
    facts: RepositoryFacts,
    refs: Iterable[Reference],
    other: Callable[[Reference], tuple[str | None, str] | None],
) -> list[Dependency]:
    groups: dict[tuple[str | None, str], list[Reference]] = defaultdict(list)
    for ref in refs:
        key = other(ref)
        if key is not None:
            groups[key].append(ref)
    dependencies = []
    for (module_id, target), members in groups.items():
        members.sort(key=lambda r: (r.path, r.line, r.kind))
        dependencies.append(
            Dependency(
                module=module_id,
                target=target,
                count=sum(r.count for r in members),
                kinds=sorted({str(r.kind) for r in members}),
                sites=_sites(facts, members),
            )
        )
    return sorted(
        dependencies, key=lambda d: (d.module is None, -d.count, d.target, d.module or "")
    )


def _sites(facts: RepositoryFacts, refs: list[Reference]) -> list[Citation]:
    seen: list[Citation] = []
    for ref in refs:
        citation = facts.cite(ref.path, ref.line)
        if citation not in seen:
            seen.append(citation)
        if len(seen) == SITES_PER_EDGE:
            break
    return seen


def _tests(facts: RepositoryFacts, module: Module) -> list[TestUse]:
    by_test: dict[str, list[Reference]] = defaultdict(list)
    for path in module.files:
        for ref in facts.refs_into_file.get(path, []):
            if is_test_file(ref.path) and is_confident(ref.confidence):
                by_test[ref.path].append(ref)
    uses = []
    for path, refs in sorted(by_test.items()):
        refs.sort(key=lambda r: (r.line, r.kind))
        uses.append(TestUse(path=path, count=sum(r.count for r in refs), sites=_sites(facts, refs)))
    return uses
