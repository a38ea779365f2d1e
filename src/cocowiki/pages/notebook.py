"""``ModuleNotebook``: what a page will say, decided before any Markdown is written.

The notebook gathers the dossier, the research and the notebooks of the module's
children (already built: children come first) into the page's content: a one-line
summary (which the parent's page shows next to the link), the purpose claims, the
neighbours, the main call paths and the diagrams. Sections render from it, and so will
a model-backed writer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from ..plan.model import Module
from .artifacts import (
    CallPath,
    CallStep,
    ComponentDossier,
    ModuleNotebook,
    NotebookAnswer,
    PageLink,
    ResearchQuestionArtifact,
)
from .facts import RepositoryFacts, one_line
from .figures import architecture_diagram, call_diagram, class_diagram, dependency_diagram
from .keycomponents import describe
from .markdown import count
from .research import ModuleResearch, short_name
from .suitepage import suite_summary


def build_notebook(
    facts: RepositoryFacts,
    module: Module,
    dossier: ComponentDossier,
    research: ModuleResearch,
    children: Mapping[str, ModuleNotebook],
) -> ModuleNotebook:
    diagrams = [
        dependency_diagram(facts, module, dossier),
        architecture_diagram(facts, module),
        class_diagram(facts, module),
        call_diagram(facts, module, research),
    ]
    parent = (
        PageLink(id=module.parent, title=facts.tree[module.parent].title, summary="")
        if module.parent is not None
        else None
    )
    return ModuleNotebook(
        module=module.id,
        title=module.title,
        summary=(
            suite_summary(research.suite, facts, module)
            if research.suite is not None
            else summarize(module, dossier, research, children)
        ),
        purpose=research.purpose,
        parent=parent,
        children=[
            PageLink(id=child, title=children[child].title, summary=children[child].summary)
            for child in module.children
        ],
        call_paths=[
            CallPath(
                steps=[
                    CallStep(
                        caller=short_name(facts.components[edge.source]),
                        callee=short_name(facts.components[edge.target]),
                        site=facts.cite(edge.path, edge.line),
                    )
                    for edge in path
                ]
            )
            for path in research.call_paths
        ],
        diagrams=[diagram for diagram in diagrams if diagram is not None],
        research=[artifact.id for artifact in research.artifacts],
    )


def summarize(
    module: Module,
    dossier: ComponentDossier,
    research: ModuleResearch,
    children: Mapping[str, ModuleNotebook],
) -> str:
    """One line on what the module is: its documented purpose, else its most important
    components (never its first ones)."""
    if research.purpose:
        return one_line(research.purpose[0].text)
    if not dossier.files:
        if module.children:
            names = ", ".join(children[c].title for c in module.children[:4])
            more = f" and {len(module.children) - 4} more" if len(module.children) > 4 else ""
            return f"Groups {names}{more}."
        return "No source files."
    languages = Counter(f.language for f in dossier.files)
    language = ", ".join(name for name, _ in languages.most_common())
    files = count(len(dossier.files), language + " file")
    if not research.key:
        return f"{files} with no public components."
    return f"{files}; its main components are {describe(research.key)}."


def notebook_answers(answers: Iterable[ResearchQuestionArtifact]) -> list[NotebookAnswer]:
    """The scout's answers as the notebook keeps them for the writer."""
    return [
        NotebookAnswer(
            id=a.id,
            question=a.question,
            answer=a.answer,
            citations=[c for claim in a.findings for c in claim.citations],
        )
        for a in answers
    ]
