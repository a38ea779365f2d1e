"""Research: the questions every page answers, answered from the index with footprints.

Each question is one :class:`ResearchQuestionArtifact`. Its answer is made only from
lookups through the :class:`~.footprints.Explorer` (Read, Glob, Grep, SymbolLookup,
GraphLookup), and each lookup's footprint is kept with it, so ``cw verify`` can tell
whether the evidence still holds. The typed results (purpose claims, call paths, use
counts) go on to the notebook in a :class:`ModuleResearch`.
"""

from __future__ import annotations

import glob
from collections import Counter
from dataclasses import dataclass, field
from typing import TypeVar

from ..index.model import Component, ComponentKind
from ..index.suites import is_test_file
from ..plan.model import Module
from .artifacts import Citation, Claim, ComponentDossier, EntryPoint, ResearchQuestionArtifact
from .callgraph import confident_calls, main_paths
from .dossier import is_file_module
from .entrypoints import SCRIPT_GUARD
from .facts import RepositoryFacts, is_confident, one_line
from .footprints import Edge, Footprint
from .keycomponents import KeyComponent, key_components, module_usage
from .markdown import count
from .moduledocs import module_docs
from .suitepage import SuiteStudy, study_suite

#: Public components looked up by name per module (the most used first).
MAX_SYMBOL_LOOKUPS = 12
T = TypeVar("T")


@dataclass(slots=True)
class ModuleResearch:
    """The artifacts of a module's research and the typed results the notebook uses."""

    artifacts: list[ResearchQuestionArtifact] = field(default_factory=list)
    purpose: list[Claim] = field(default_factory=list)
    calls: list[Edge] = field(default_factory=list)
    call_paths: list[list[Edge]] = field(default_factory=list)
    uses: Counter[str] = field(default_factory=Counter)
    #: The module's most important components (:mod:`.keycomponents`), first first.
    key: list[KeyComponent] = field(default_factory=list)
    #: Of a suite (tests, examples, benchmarks): how it runs and what it exercises.
    suite: SuiteStudy | None = None


class _Question:
    """Collects the footprints and findings of one question while it is answered."""

    def __init__(self, facts: RepositoryFacts) -> None:
        self.facts = facts
        self.footprints: list[Footprint] = []
        self.findings: list[Claim] = []

    def use(self, lookup: tuple[T, Footprint]) -> T:
        """Keep a lookup's footprint; its result."""
        self.footprints.append(lookup[1])
        return lookup[0]

    def claim(self, text: str, *citations: Citation) -> Claim:
        made = Claim(text=text, citations=list(citations))
        self.findings.append(made)
        return made

    def done(
        self, module: Module, ident: str, question: str, answer: str
    ) -> ResearchQuestionArtifact:
        return ResearchQuestionArtifact(
            module=module.id,
            id=ident,
            question=question,
            answer=answer,
            findings=self.findings,
            footprints=self.footprints,
        )


def research_module(
    facts: RepositoryFacts,
    module: Module,
    dossier: ComponentDossier,
    entry_points: list[EntryPoint],
) -> ModuleResearch:
    """Answer the page's questions; ``entry_points`` are those the page presents."""
    result = ModuleResearch()
    starts = [e.component_id for e in dossier.entry_points if e.component_id is not None]
    result.key = key_components(facts, module, dossier, module_usage(facts, module, starts))
    result.artifacts.append(_purpose(facts, module, result))
    if module.kind != "code":
        result.suite, artifact = study_suite(facts, module)
        result.artifacts.append(artifact)
    if module.files:
        result.artifacts.append(_files(facts, module))
        result.artifacts.append(_users(facts, module, result))
        result.artifacts.append(_api(facts, module, dossier, result))
        result.artifacts.append(_dependencies(facts, module, dossier))
    if module.files or entry_points:
        result.artifacts.append(_entry_points(facts, module, entry_points))
    if module.files:
        result.artifacts.append(_calls(facts, module, dossier, entry_points, result))
    return result


def directories(module: Module) -> list[str]:
    """The directories holding a module's files, sorted (``""`` for the repository root)."""
    return sorted({_parent(path) for path in module.files})


def _glob_in(directory: str, pattern: str) -> str:
    return f"{directory}/{pattern}" if directory else pattern


def _purpose(
    facts: RepositoryFacts, module: Module, result: ModuleResearch
) -> ResearchQuestionArtifact:
    """The module's own documentation (:mod:`.moduledocs`), each piece read and cited."""
    q = _Question(facts)
    for doc in module_docs(facts, module):
        citation = facts.cite(doc.path, doc.start, doc.end)
        q.use(facts.explorer.read(*_span(citation)))
        q.claim(doc.text, citation)
    result.purpose = list(q.findings)
    answer = (
        q.findings[0].text
        if q.findings
        else f"No README or module documentation was found for {module.title}."
    )
    return q.done(module, "purpose", f"What is {module.title} for?", answer)


def _files(facts: RepositoryFacts, module: Module) -> ResearchQuestionArtifact:
    q = _Question(facts)
    beside: list[str] = []
    for directory in directories(module):
        matches = q.use(facts.explorer.glob(_glob_in(directory, "*")))
        beside.extend(p for p in matches if p not in facts.files)
    for path in module.files:
        source = facts.files.get(path)
        component = facts.components.get(path)
        about = f": {one_line(component.doc)}" if component and component.doc else ""
        language = source.language if source else "unknown"
        q.claim(
            f"`{path}` ({language}, {facts.reader.line_count(path)} lines){about}",
            *facts.cite_file(path),
        )
    answer = count(len(module.files), "source file")
    if beside:
        answer += f"; beside them: {', '.join(sorted(beside)[:10])}"
    return q.done(module, "files", f"Which files make up {module.title}?", answer + ".")


def _users(
    facts: RepositoryFacts, module: Module, result: ModuleResearch
) -> ResearchQuestionArtifact:
    """Who references the module's files: GraphLookup ``in`` per file."""
    q = _Question(facts)
    users: Counter[str] = Counter()
    tests: Counter[str] = Counter()
    files = set(module.files)
    for path in module.files:
        edges = q.use(facts.explorer.graph_lookup(path, "in"))
        for edge in edges:
            source_path = edge.source.split("#", 1)[0]
            if source_path in files or not is_confident(edge.confidence):
                continue
            result.uses[edge.target] += edge.count
            users[facts.module_of_file.get(source_path, source_path)] += edge.count
            if is_test_file(source_path):
                tests[source_path] += edge.count
    for test, times in sorted(tests.items()):
        q.claim(f"`{test}` references it {count(times, 'time')}", *facts.cite_file(test))
    answer = (
        f"Referenced {count(sum(users.values()), 'time')} from "
        f"{count(len(users), 'other module')}"
        + (f"; {count(len(tests), 'test file')} among them." if tests else ".")
        if users
        else "Nothing outside the module references it."
    )
    return q.done(
        module, "tests", f"What uses {module.title}, and which tests exercise it?", answer
    )


def _api(
    facts: RepositoryFacts, module: Module, dossier: ComponentDossier, result: ModuleResearch
) -> ResearchQuestionArtifact:
    q = _Question(facts)
    public = [facts.components[i] for i in dossier.public_api]
    top = [c for c in public if c.parent_id is None or c.parent_id == c.path]
    ranked = sorted(top, key=lambda c: (-result.uses[c.id], c.path, c.start_line))
    for component in ranked[:MAX_SYMBOL_LOOKUPS]:
        same_name = q.use(facts.explorer.symbol_lookup(component.name))
        uses = result.uses[component.id]
        text = f"`{component.name}` ({component.kind})"
        text += (
            f", used {count(uses, 'time')} from other modules"
            if uses
            else ", not used from other modules"
        )
        if len(same_name) > 1:
            text += f"; {count(len(same_name) - 1, 'other component')} with the same name"
        q.claim(text, facts.cite_component(component))
    answer = (
        f"{count(len(public), 'public component')}, {len(top)} at the top level of their files."
        if public
        else "No public components."
    )
    return q.done(module, "api", f"What does {module.title} offer to the rest of the code?", answer)


def _dependencies(
    facts: RepositoryFacts, module: Module, dossier: ComponentDossier
) -> ResearchQuestionArtifact:
    q = _Question(facts)
    for path in module.files:
        q.use(facts.explorer.graph_lookup(path, "out", "import"))
    for dependency in dossier.outgoing:
        where = "outside the repository" if dependency.module is None else "another module"
        q.claim(
            f"depends on `{dependency.target}` ({where}): {dependency.count} references",
            *dependency.sites,
        )
    for dependency in dossier.incoming:
        q.claim(
            f"`{dependency.target}` depends on it: {dependency.count} references",
            *dependency.sites,
        )
    inside = [d for d in dossier.outgoing if d.module is not None]
    answer = (
        f"It uses {count(len(inside), 'other module')} and "
        f"{count(len(dossier.outgoing) - len(inside), 'external name')}; "
        f"{count(len(dossier.incoming), 'module')} use it."
    )
    return q.done(
        module,
        "dependencies",
        f"What does {module.title} depend on, and what depends on it?",
        answer,
    )


def _entry_points(
    facts: RepositoryFacts, module: Module, entry_points: list[EntryPoint]
) -> ResearchQuestionArtifact:
    q = _Question(facts)
    names = {"main"} | {
        facts.components[e.component_id].name
        for e in entry_points
        if e.kind == "main_function" and e.component_id in facts.components
    }
    for name in sorted(names):
        q.use(facts.explorer.symbol_lookup(name))
    searched = [path for path in module.files if path.endswith(".py")]
    for path in searched:
        q.use(facts.explorer.grep(SCRIPT_GUARD, glob.escape(path)))
    for entry in entry_points:
        found_by_search = entry.kind == "main_function" or (
            entry.kind == "script_guard" and entry.citation.path in searched
        )
        if not found_by_search:
            q.use(facts.explorer.read(*_span(entry.citation)))
        q.claim(f"{entry.kind.replace('_', ' ')} `{entry.name}`", entry.citation)
    answer = (
        f"{count(len(entry_points), 'entry point')}."
        if entry_points
        else "No entry points: it is called by other code."
    )
    return q.done(module, "entry-points", f"Where does execution start in {module.title}?", answer)


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _span(citation: Citation) -> tuple[str, int, int]:
    return citation.path, citation.start, citation.end


def _calls(
    facts: RepositoryFacts,
    module: Module,
    dossier: ComponentDossier,
    entry_points: list[EntryPoint],
    result: ModuleResearch,
) -> ResearchQuestionArtifact:
    q = _Question(facts)
    edges: list[Edge] = []
    for file in module.files:
        edges.extend(q.use(facts.explorer.graph_lookup(file, "out", "call")))
    result.calls = confident_calls(edges, facts.components.keys())
    members = {c.id for c in dossier.components}
    preferred = {c: float(n) for c, n in result.uses.items()}
    for entry in entry_points:
        if entry.component_id is not None:
            preferred[entry.component_id] = float("inf")
    result.call_paths = main_paths(result.calls, members, preferred)
    for path in result.call_paths:
        names = [short_name(facts.components[path[0].source])] + [
            short_name(facts.components[e.target]) for e in path
        ]
        q.claim(" -> ".join(names), *(facts.cite(e.path, e.line) for e in path))
    answer = (
        f"{count(len(result.calls), 'confidently resolved call')}; "
        f"{count(len(result.call_paths), 'main path')}."
        if result.calls
        else "No calls resolved with confidence."
    )
    return q.done(module, "calls", f"What are the main call paths through {module.title}?", answer)


def short_name(component: Component) -> str:
    """``Class.method`` or ``function``: the local name inside its file."""
    if is_file_module(component):
        return component.path
    local = component.id.split("#", 1)[1] if "#" in component.id else component.name
    return local if component.kind != ComponentKind.MODULE else component.name
