"""A page: its sections in order, for a module or for the repository overview (the root).

A module page reads as a maintainer asks: header, Purpose (the module's own docs),
Key components (ranked), How it fits (the pages it uses and that use it, for what, with
diagrams), Types, Entry points, Tests; then, folded in ``<details>`` blocks, the full
component listing, the call paths and the evidence map. The overview (the root of the
module tree) puts the repository's architecture, every entry point and the languages and
sizes after its key components, then documents its own top-level files like any module.
A suite's page (tests, examples, benchmarks: :mod:`.suitepage`) says instead how to run
it, what it exercises on which page, and its fixtures and helpers.
The Markdown of a page is its sections' Markdown joined by blank lines, so ``cw verify``
can check a page from its section artifacts alone.
"""

from __future__ import annotations

from collections import Counter

from ..plan.model import Module
from .artifacts import ComponentDossier, EntryPoint, ModuleNotebook, PageSectionArtifact
from .facts import RepositoryFacts
from .markdown import code, count, escape
from .moduledocs import is_package_file
from .research import ModuleResearch
from .sections import (
    SectionWriter,
    calls_section,
    components_section,
    entry_points_section,
    evidence_section,
    fit_section,
    key_components_section,
    purpose_section,
    tests_section,
    types_section,
)
from .suitepage import (
    SuiteStudy,
    coverage_section,
    files_section,
    helpers_section,
    run_section,
    suite_purpose_section,
)


def page_sections(
    facts: RepositoryFacts,
    module: Module,
    dossier: ComponentDossier,
    research: ModuleResearch,
    notebook: ModuleNotebook,
    entry_points: list[EntryPoint],
) -> list[PageSectionArtifact]:
    """Every section of the page, rendered, in reading order."""
    if research.suite is not None:
        return _suite_sections(facts, module, dossier, research, research.suite, notebook)
    overview = module.parent is None
    writers: list[SectionWriter | None] = [
        purpose_section(facts, notebook, dossier, research.key),
        key_components_section(facts, module.id, research.key),
        fit_section(facts, notebook, dossier, "Architecture" if overview else "How it fits"),
    ]
    if overview:
        writers.append(entry_points_section(facts, module.id, entry_points))
        writers.append(languages_section(facts, module.id))
    writers.append(types_section(facts, notebook, module))
    if not overview:
        writers.append(entry_points_section(facts, module.id, dossier.entry_points))
    writers += [
        tests_section(facts, notebook, dossier),
        components_section(facts, notebook, dossier),
        calls_section(facts, notebook),
    ]
    body = [writer for writer in writers if writer is not None]
    body.append(evidence_section(facts, module.id, body, research.artifacts))
    sections = [header_section(facts, module, dossier).finish(0)]
    sections += [writer.finish(order) for order, writer in enumerate(body, start=1)]
    return sections


def _suite_sections(
    facts: RepositoryFacts,
    module: Module,
    dossier: ComponentDossier,
    research: ModuleResearch,
    study: SuiteStudy,
    notebook: ModuleNotebook,
) -> list[PageSectionArtifact]:
    """A suite's page: what it covers and how to run it, what it exercises where, its
    fixtures and helpers; then, folded, its files one by one, its components and the
    evidence. Only its folder's own docs (a README, ``tests/__init__.py``) speak for it,
    not the docstring of whichever test file comes first."""
    documented = [
        claim
        for claim in notebook.purpose
        if any(is_package_file(c.path, module.path) for c in claim.citations)
    ]
    writers: list[SectionWriter | None] = [
        suite_purpose_section(facts, module, study, documented),
        run_section(facts, module, study),
        coverage_section(facts, module, study),
        helpers_section(facts, module, study),
        files_section(facts, module, study),
        components_section(facts, notebook, dossier),
    ]
    body = [writer for writer in writers if writer is not None]
    body.append(evidence_section(facts, module.id, body, research.artifacts))
    sections = [header_section(facts, module, dossier).finish(0)]
    sections += [writer.finish(order) for order, writer in enumerate(body, start=1)]
    return sections


def render_page(sections: list[PageSectionArtifact]) -> str:
    """The page's Markdown: its sections in order, separated by one blank line."""
    return "\n".join(section.markdown for section in sorted(sections, key=lambda s: s.order))


def header_section(
    facts: RepositoryFacts, module: Module, dossier: ComponentDossier
) -> SectionWriter:
    writer = SectionWriter(facts, module.id, "header", module.title)
    writer.lines = [f"# {escape(module.title)}", ""]
    facts_line = []
    if module.parent is not None:
        facts_line.append(f"Part of {writer.page(module.parent)}")
    if module.path:
        facts_line.append(code(module.path))
    lines = sum(f.lines for f in dossier.files)
    if dossier.files:
        facts_line.append(f"{count(len(dossier.files), 'file')}, {count(lines, 'line')}")
        facts_line.append(count(len(dossier.components), "component"))
    if module.children:
        facts_line.append(count(len(module.children), "sub-page"))
    if facts_line:
        writer.add(" · ".join(facts_line))
    return writer


def languages_section(facts: RepositoryFacts, module: str) -> SectionWriter:
    """Languages and sizes of the whole repository, and what the index left out."""
    writer = SectionWriter(facts, module, "languages", "Languages and sizes")
    files: Counter[str] = Counter()
    lines: Counter[str] = Counter()
    components: Counter[str] = Counter()
    for source in facts.index.files:
        files[source.language] += 1
        lines[source.language] += source.lines
    for component in facts.index.components:
        components[component.language] += 1
    if not files:
        writer.add("The index holds no source files.", "")
    else:
        writer.add("| Language | Files | Lines | Components |", "|---|---:|---:|---:|")
        for language in sorted(files, key=lambda name: (-lines[name], name)):
            writer.add(
                f"| {language} | {files[language]} | {lines[language]} | {components[language]} |"
            )
        totals = (sum(files.values()), sum(lines.values()), sum(components.values()))
        writer.add("| **total** | {} | {} | {} |".format(*totals), "")
    excluded = facts.index.exclusion_counts
    if excluded:
        reasons = ", ".join(
            f"{count} {reason.replace('_', ' ')}" for reason, count in excluded.items()
        )
        writer.add(f"Left out of the index: {reasons} (listed in `manifest.json`).")
    if facts.index.errors:
        broken = count(len({error.path for error in facts.index.errors}), "file")
        writer.add("", f"Parse errors in {broken}; the valid parts are documented.")
    return writer
