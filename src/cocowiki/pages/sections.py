"""The sections of a module page, each rendered with the evidence it cites.

A :class:`SectionWriter` writes one section's Markdown and records, as it goes, every
citation (``[path:start-end](../path#Lstart-Lend)``, with the digest of the cited
lines), every diagram, every link to another page and every component the section
documents, so the :class:`PageSectionArtifact` it produces is what ``cw verify`` checks.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable

from ..index.model import Component, Reference
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
    TestUse,
)
from .doctext import doc_text
from .dossier import is_file_module
from .facts import RepositoryFacts, is_confident, one_line
from .keycomponents import MAX_SUMMARY_NAMES, KeyComponent, display_name, used_from
from .markdown import and_more, code, count, escape, fence, link
from .typemodel import module_types

#: Citations shown per row of the evidence map; the rest are counted.
EVIDENCE_PER_ROW = 12
MAX_EXTERNAL_LISTED = 12
MAX_ERRORS_LISTED = 5
#: Component names listed per neighbouring module or test file.
MAX_NAMES_LISTED = 6


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
        self.collapsed: str | None = None

    def collapse(self, summary: str) -> None:
        """Render the section's body folded in a ``<details>`` block under ``summary``."""
        self.collapsed = summary

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
        if self.collapsed is not None:
            summary = html.escape(self.collapsed, quote=False)
            opening = ["<details>", f"<summary>{summary}</summary>", ""]
            self.lines[2:2] = opening
            self.lines += ["", "</details>"]
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
    facts: RepositoryFacts,
    notebook: ModuleNotebook,
    dossier: ComponentDossier,
    key: list[KeyComponent],
) -> SectionWriter:
    """The module's own documentation; where it has none, what its main components are."""
    writer = SectionWriter(facts, notebook.module, "purpose", "Purpose")
    for claim in notebook.purpose:
        writer.add(f"{escape(claim.text)} ({writer.cites(claim.citations)})", "")
    if not notebook.purpose:
        cited = writer.cites(facts.cite_component(k.component) for k in key[:MAX_SUMMARY_NAMES])
        writer.add(f"{escape(notebook.summary)}{_cited(cited)}", "")
    return writer


def key_components_section(
    facts: RepositoryFacts, module: str, key: list[KeyComponent]
) -> SectionWriter | None:
    """The most important components, ranked, each with its doc summary and its use."""
    if not key:
        return None
    writer = SectionWriter(facts, module, "key-components", "Key components")
    for item in key:
        component = item.component
        writer.document(component.id)
        summary = doc_text(one_line(component.doc)) if component.doc.strip() else ""
        about = f": {escape(summary)}" if summary else ""
        used = used_from(item.usage)
        used = f" ({used})" if used else ""
        site = writer.cite(facts.cite_component(component))
        name = code(display_name(component))
        writer.add(f"- {name} ({component.kind}){about}{used} {site}")
    return writer


def _cited(links: str) -> str:
    return f" ({links})" if links else ""


def fit_section(
    facts: RepositoryFacts, notebook: ModuleNotebook, dossier: ComponentDossier, title: str
) -> SectionWriter:
    """Where the module sits: its parent and parts, the pages it uses and that use it
    (with the names each side relies on), what it takes from outside, and diagrams."""
    writer = SectionWriter(facts, notebook.module, "fit", title)
    if notebook.parent is not None:
        writer.add(f"Part of {writer.page(notebook.parent.id)}.", "")
    if notebook.children:
        writer.add("Parts:", "")
        for child in notebook.children:
            about = f": {escape(child.summary)}" if child.summary else ""
            writer.add(f"- {writer.page(child.id)}{about}")
        writer.add("")
    files = [f.path for f in dossier.files]
    internal = [d for d in dossier.outgoing if d.module is not None]
    external = [d for d in dossier.outgoing if d.module is None]
    outgoing = _names_by_module(facts, _refs_from(facts, files), target=True)
    incoming = _names_by_module(facts, _refs_into(facts, files), target=False)
    _dependency_list(writer, "Uses", internal, outgoing, "for")
    _dependency_list(writer, "Used by", dossier.incoming, incoming, "which uses")
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


def _refs_from(facts: RepositoryFacts, files: list[str]) -> list[Reference]:
    return [ref for path in files for ref in facts.refs_from_file.get(path, [])]


def _refs_into(facts: RepositoryFacts, files: list[str]) -> list[Reference]:
    return [ref for path in files for ref in facts.refs_into_file.get(path, [])]


def _names_by_module(
    facts: RepositoryFacts, refs: list[Reference], target: bool
) -> dict[str, list[str]]:
    """Per other module, the names of the components the references use, most used first:
    what this module takes from it (``target``), or what it takes from this module."""
    names: dict[str, Counter[str]] = {}
    for ref in refs:
        if ref.target_id is None or ref.target_path is None or not is_confident(ref.confidence):
            continue
        other = facts.module_of_file.get(ref.target_path if target else ref.path)
        component = facts.components.get(ref.target_id)
        if other is None or component is None or is_file_module(component):
            continue
        names.setdefault(other, Counter())[component.name] += ref.count
    return {module: [n for n, _ in used.most_common()] for module, used in names.items()}


def _dependency_list(
    writer: SectionWriter,
    heading: str,
    dependencies: list[Dependency],
    names: dict[str, list[str]],
    verb: str,
) -> None:
    if not dependencies:
        return
    writer.add(f"{heading}:", "")
    for dependency in dependencies:
        assert dependency.module is not None
        kinds = ", ".join(dependency.kinds)
        references = count(dependency.count, "reference")
        sites = writer.cites(dependency.sites)
        used = names.get(dependency.module, [])
        what = (
            f" {verb} {', '.join(code(n) for n in used[:MAX_NAMES_LISTED])}"
            f"{and_more(len(used), MAX_NAMES_LISTED)}"
            if used
            else ""
        )
        writer.add(f"- {writer.page(dependency.module)}{what}: {references} ({kinds}); {sites}")
    writer.add("")


def components_section(
    facts: RepositoryFacts, notebook: ModuleNotebook, dossier: ComponentDossier
) -> SectionWriter | None:
    if not dossier.files:
        return None
    writer = SectionWriter(facts, notebook.module, "components", "Components")
    listed = count(len(dossier.components), "component")
    writer.collapse(f"All {listed} in {count(len(dossier.files), 'file')}")
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
    writer.collapse(f"{count(len(notebook.call_paths), 'main call path')} and their diagram")
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
    """The test files that reference the module's components, and which components,
    under a link to the suite page that documents them (how to run them, their helpers)."""
    if not dossier.files:
        return None
    writer = SectionWriter(facts, notebook.module, "tests", "Tests")
    if not dossier.tests:
        writer.add("No test file references this module's code.")
    tested = _tested_names(facts, [f.path for f in dossier.files])
    suites: dict[str | None, list[TestUse]] = {}
    for use in dossier.tests:
        suites.setdefault(facts.module_of_file.get(use.path), []).append(use)
    for suite, uses in sorted(suites.items(), key=lambda item: (item[0] is None, item[0] or "")):
        if suite is not None and suite != notebook.module:
            writer.add(f"In {writer.page(suite)} ({count(len(uses), 'file')}):", "")
        for use in uses:
            references = count(use.count, "reference")
            names = tested.get(use.path, [])
            what = (
                f" exercises {', '.join(code(n) for n in names[:MAX_NAMES_LISTED])}"
                f"{and_more(len(names), MAX_NAMES_LISTED)}"
                if names
                else ""
            )
            writer.add(f"- {code(use.path)}{what}: {references} ({writer.cites(use.sites)})")
        writer.add("")
    return writer


def _tested_names(facts: RepositoryFacts, files: list[str]) -> dict[str, list[str]]:
    """Per test file, the module's components it references, most referenced first."""
    names: dict[str, Counter[str]] = {}
    for ref in _refs_into(facts, files):
        component = facts.components.get(ref.target_id) if ref.target_id else None
        if component is None or is_file_module(component) or not is_confident(ref.confidence):
            continue
        names.setdefault(ref.path, Counter())[component.name] += ref.count
    return {path: [n for n, _ in used.most_common()] for path, used in names.items()}


def evidence_section(
    facts: RepositoryFacts,
    module: str,
    sections: list[SectionWriter],
    research: list[ResearchQuestionArtifact],
) -> SectionWriter:
    writer = SectionWriter(facts, module, "evidence", "Evidence map")
    writer.collapse("Which lines each section cites, and the research behind the page")
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
