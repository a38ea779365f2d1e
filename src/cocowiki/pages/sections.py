"""The sections of a module page, each rendered with the evidence it cites.

A :class:`SectionWriter` writes one section's Markdown and records, as it goes, every
citation (``[path:start-end](../path#Lstart-Lend)``, with the digest of the cited
lines), every diagram, every link to another page and every component the section
documents, so the :class:`PageSectionArtifact` it produces is what ``cw verify`` checks.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..index.model import Component
from ..plan.model import Module
from .artifacts import (
    Citation,
    ComponentDossier,
    Dependency,
    Diagram,
    EntryPoint,
    ModuleNotebook,
    PageSectionArtifact,
    ResearchQuestionArtifact,
)
from .dossier import is_file_module
from .facts import RepositoryFacts, one_line
from .markdown import and_more, code, count, escape, fence, link
from .typemodel import module_types

#: Citations shown per row of the evidence map; the rest are counted.
EVIDENCE_PER_ROW = 12
MAX_EXTERNAL_LISTED = 12
MAX_ERRORS_LISTED = 5


class SectionWriter:
    """Builds one section of a page and the record of what it cites."""

    def __init__(self, facts: RepositoryFacts, module: str, ident: str, title: str) -> None:
        self.facts = facts
        self.module = module
        self.ident = ident
        self.title = title
        self.lines: list[str] = [f"## {title}", ""]
        self.cited: dict[Citation, None] = {}
        self.diagrams: list[str] = []
        self.links: list[str] = []
        self.components: list[str] = []

    def cite(self, citation: Citation) -> str:
        self.cited[citation] = None
        target = f"{self.facts.link_to_source(citation.path)}#L{citation.start}-L{citation.end}"
        return link(citation.label, target)

    def cites(self, citations: Iterable[Citation]) -> str:
        return ", ".join(self.cite(c) for c in citations)

    def page(self, module_id: str, title: str | None = None) -> str:
        if module_id not in self.links:
            self.links.append(module_id)
        return link(title or self.facts.tree[module_id].title, f"{module_id}.md")

    def diagram(self, diagram: Diagram) -> None:
        self.diagrams.append(diagram.source)
        note = (
            f" (showing {diagram.nodes} nodes; {diagram.omitted} more left out)"
            if diagram.omitted
            else ""
        )
        self.add(f"*{escape(diagram.title)}{note}:*", "", fence("mermaid", diagram.source), "")

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def document(self, component_id: str) -> None:
        self.components.append(component_id)

    def finish(self, order: int) -> PageSectionArtifact:
        while self.lines and not self.lines[-1]:
            self.lines.pop()
        return PageSectionArtifact(
            module=self.module,
            id=self.ident,
            title=self.title,
            order=order,
            markdown="\n".join(self.lines) + "\n",
            citations=list(self.cited),
            diagrams=self.diagrams,
            links=self.links,
            components=self.components,
        )


def purpose_section(
    facts: RepositoryFacts, notebook: ModuleNotebook, dossier: ComponentDossier
) -> SectionWriter:
    writer = SectionWriter(facts, notebook.module, "purpose", "Purpose")
    for claim in notebook.purpose:
        writer.add(f"{escape(claim.text)} ({writer.cites(claim.citations)})", "")
    if not notebook.purpose:
        if dossier.files:
            files = dossier.files[:EVIDENCE_PER_ROW]
            cited = writer.cites(c for f in files for c in facts.cite_file(f.path))
            writer.add(f"{escape(notebook.summary)} No documentation says more{_cited(cited)}.", "")
        else:
            writer.add(escape(notebook.summary), "")
    return writer


def _cited(links: str) -> str:
    return f" ({links})" if links else ""


def fit_section(
    facts: RepositoryFacts, notebook: ModuleNotebook, dossier: ComponentDossier, title: str
) -> SectionWriter:
    writer = SectionWriter(facts, notebook.module, "fit", title)
    if notebook.parent is not None:
        writer.add(f"Part of {writer.page(notebook.parent.id)}.", "")
    if notebook.children:
        writer.add("Parts:", "")
        for child in notebook.children:
            about = f": {escape(child.summary)}" if child.summary else ""
            writer.add(f"- {writer.page(child.id)}{about}")
        writer.add("")
    internal = [d for d in dossier.outgoing if d.module is not None]
    external = [d for d in dossier.outgoing if d.module is None]
    _dependency_list(writer, "Uses", internal)
    _dependency_list(writer, "Used by", dossier.incoming)
    if external:
        shown = ", ".join(
            f"{code(d.target)} ({d.count}, {writer.cite(d.sites[0])})"
            for d in external[:MAX_EXTERNAL_LISTED]
        )
        more = and_more(len(external), MAX_EXTERNAL_LISTED)
        writer.add(f"From outside the repository: {shown}{more}.", "")
    if dossier.files and not (internal or external or dossier.incoming):
        writer.add("No references connect it to other modules.", "")
    for diagram in notebook.diagrams:
        if diagram.kind in ("dependencies", "architecture"):
            writer.diagram(diagram)
    return writer


def _dependency_list(writer: SectionWriter, heading: str, dependencies: list[Dependency]) -> None:
    if not dependencies:
        return
    writer.add(f"{heading}:", "")
    for dependency in dependencies:
        assert dependency.module is not None
        kinds = ", ".join(dependency.kinds)
        references = count(dependency.count, "reference")
        sites = writer.cites(dependency.sites)
        writer.add(f"- {writer.page(dependency.module)}: {references} ({kinds}); {sites}")
    writer.add("")


def components_section(
    facts: RepositoryFacts, notebook: ModuleNotebook, dossier: ComponentDossier
) -> SectionWriter | None:
    if not dossier.files:
        return None
    writer = SectionWriter(facts, notebook.module, "components", "Components")
    for file in dossier.files:
        writer.add(f"### {code(file.path)}", "")
        module = facts.components.get(file.path)
        if module is not None:
            writer.document(module.id)
            if module.doc.strip():
                writer.add(
                    f"{escape(one_line(module.doc))} ({writer.cite(facts.cite_doc(module))})", ""
                )
        whole = writer.cites(facts.cite_file(file.path))
        writer.add(f"{count(file.lines, 'line')} of {file.language}{_cited(whole)}.", "")
        errors = facts.errors_by_file.get(file.path, [])
        if errors:
            sites = writer.cites(facts.cite(file.path, e.line) for e in errors[:MAX_ERRORS_LISTED])
            more = and_more(len(errors), MAX_ERRORS_LISTED)
            writer.add(
                f"The parser could not read all of it: {count(len(errors), 'parse error')} "
                f"({sites}{more}); what it could read is listed.",
                "",
            )
        top = sorted(facts.top_level(file.path), key=lambda c: (c.start_line, c.id))
        for component in top:
            _component_item(writer, component, 0)
        if top:
            writer.add("")
    return writer


def _component_item(writer: SectionWriter, component: Component, depth: int) -> None:
    facts = writer.facts
    writer.document(component.id)
    signature = component.signature or component.name
    shown = code(signature)
    if component.name not in signature:
        shown = f"{code(component.name)}: {shown}"
    qualifiers = str(component.kind)
    if str(component.visibility) != "public":
        qualifiers += f", {component.visibility}"
    summary = f": {escape(one_line(component.doc))}" if component.doc.strip() else ""
    indent = "  " * depth
    writer.add(
        f"{indent}- {shown} ({qualifiers}){summary} {writer.cite(facts.cite_component(component))}"
    )
    children = sorted(
        (c for c in facts.children_of.get(component.id, []) if not is_file_module(c)),
        key=lambda c: (c.start_line, c.id),
    )
    for child in children:
        _component_item(writer, child, depth + 1)


def types_section(
    facts: RepositoryFacts, notebook: ModuleNotebook, module: Module
) -> SectionWriter | None:
    diagrams = [d for d in notebook.diagrams if d.kind == "classes"]
    found = module_types(facts, module)
    if not diagrams or found is None:
        return None
    writer = SectionWriter(facts, notebook.module, "types", "Types")
    for relation in found.relations:
        verb = "implements" if relation.realizes else "extends"
        site = writer.cite(facts.cite(relation.path, relation.line))
        writer.add(f"- {code(relation.child.name)} {verb} {code(relation.name)} ({site})")
    if found.relations:
        writer.add("")
    for diagram in diagrams:
        writer.diagram(diagram)
    return writer


def calls_section(facts: RepositoryFacts, notebook: ModuleNotebook) -> SectionWriter | None:
    diagrams = [d for d in notebook.diagrams if d.kind == "calls"]
    if not notebook.call_paths and not diagrams:
        return None
    writer = SectionWriter(facts, notebook.module, "calls", "Call paths")
    for number, path in enumerate(notebook.call_paths, start=1):
        names = [path.steps[0].caller] + [step.callee for step in path.steps]
        sites = writer.cites(step.site for step in path.steps)
        writer.add(f"{number}. {' → '.join(code(n) for n in names)} ({sites})")
    if notebook.call_paths:
        writer.add("")
    for diagram in diagrams:
        writer.diagram(diagram)
    return writer


def entry_points_section(
    facts: RepositoryFacts, module: str, entry_points: list[EntryPoint]
) -> SectionWriter | None:
    if not entry_points:
        return None
    writer = SectionWriter(facts, module, "entry-points", "Entry points")
    for entry in entry_points:
        writer.add(
            f"- {entry.kind.replace('_', ' ')}: {code(entry.name)} ({writer.cite(entry.citation)})"
        )
    return writer


def tests_section(
    facts: RepositoryFacts, notebook: ModuleNotebook, dossier: ComponentDossier
) -> SectionWriter | None:
    if not dossier.files:
        return None
    writer = SectionWriter(facts, notebook.module, "tests", "Tests")
    if not dossier.tests:
        writer.add("No test file references this module's code.")
    for use in dossier.tests:
        uses = count(use.count, "reference")
        writer.add(f"- {code(use.path)}: {uses} ({writer.cites(use.sites)})")
    return writer


def evidence_section(
    facts: RepositoryFacts,
    module: str,
    sections: list[SectionWriter],
    research: list[ResearchQuestionArtifact],
) -> SectionWriter:
    writer = SectionWriter(facts, module, "evidence", "Evidence map")
    if any(section.cited for section in sections):
        writer.add("| Section | Cited lines |", "|---|---|")
    for section in sections:
        if not section.cited:
            continue
        shown = sorted(section.cited, key=lambda c: (c.path, c.start, c.end))
        cells = writer.cites(shown[:EVIDENCE_PER_ROW])
        more = and_more(len(shown), EVIDENCE_PER_ROW)
        writer.add(f"| {escape(section.title)} | {cells}{more} |")
    writer.add("", "Research behind this page (lookups re-checked by `cw verify`):", "")
    for artifact in research:
        tools = ", ".join(
            f"{count} {tool}" for tool, count in sorted(_tool_counts(artifact).items())
        )
        writer.add(
            f"- {escape(artifact.question)} {escape(artifact.answer)} ({tools or 'no lookups'})"
        )
    return writer


def _tool_counts(artifact: ResearchQuestionArtifact) -> dict[str, int]:
    counts: dict[str, int] = {}
    for footprint in artifact.footprints:
        counts[footprint.tool] = counts.get(footprint.tool, 0) + 1
    return counts
