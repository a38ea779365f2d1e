"""``PageWriter``: who turns a module's facts into its page's Markdown.

The build makes the same artifacts for every page (dossier, research, notebook, the
deterministic sections); a writer then makes the page from them. Two writers sit behind
this interface, chosen by ``--model`` / ``[writer] model``, as httpx picks a transport:

* :class:`DeterministicWriter` (the default): the sections, rendered; no model;
* :class:`~.modelwriter.ModelWriter`: a module guide written by a language model from
  the module's source pack, checked, with the deterministic evidence map appended.

A writer's work has two halves. :meth:`PageWriter.prepare` runs while the build graph
records what the page reads (so it must not await: pages are built concurrently);
:meth:`PageWriter.write` may await model calls. :attr:`PageWriter.identity` is an input
of every page, so switching writers (or models) rebuilds the pages it affects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..plan.model import Module
from .artifacts import ComponentDossier, ModuleNotebook, PageSectionArtifact
from .facts import RepositoryFacts
from .footprints import Footprint
from .page import render_page
from .sourcepack import SourcePack


@dataclass(slots=True)
class PageDraft:
    """What a writer prepared for a page while its inputs were recorded."""

    facts: RepositoryFacts
    module: Module
    sections: list[PageSectionArtifact]
    pack: SourcePack | None = None
    dossier: ComponentDossier | None = None


@dataclass(slots=True)
class WrittenPage:
    """A page as a writer made it.

    ``sections`` are what the page's Markdown is made of (``cw verify`` checks a page
    from them); ``summary`` is what a model page hands to its parent (empty for the
    deterministic writer, whose notebook holds it); ``accounting`` is the manifest's
    ``writer`` entry; ``pending`` says why a model did not write the page in this build
    (its deterministic page stands in, and the next build asks again); ``subpages``
    are the pages the model split off this one (deeper ones before their parents).
    """

    sections: list[PageSectionArtifact]
    summary: str = ""
    accounting: dict[str, Any] | None = None
    footprints: list[Footprint] = field(default_factory=list)
    pending: str | None = None
    subpages: list[WrittenSubPage] = field(default_factory=list)

    @property
    def markdown(self) -> str:
        return render_page(self.sections)


@dataclass(slots=True)
class WrittenSubPage:
    """A page a model split off the page it was writing: where it sits, what it is."""

    module: Module
    page: WrittenPage


class PageWriter:
    """Makes a page's Markdown from the artifacts the build made for it.

    The base is the deterministic writer's behaviour: the page is the sections, as they
    are. A writer that needs more of the module than its sections (a model's source
    pack) gives it in :meth:`pack`; :meth:`prepare` is the same for every writer.
    """

    @property
    def identity(self) -> str:
        """What distinguishes this writer's pages (kind, model, contract version)."""
        return "deterministic"

    def prepare(
        self,
        facts: RepositoryFacts,
        module: Module,
        dossier: ComponentDossier,
        sections: list[PageSectionArtifact],
        *,
        notebook: ModuleNotebook | None = None,
    ) -> PageDraft:
        pack = self.pack(facts, module, dossier, notebook)
        return PageDraft(facts, module, sections, pack, dossier)

    def pack(
        self,
        facts: RepositoryFacts,
        module: Module,
        dossier: ComponentDossier,
        notebook: ModuleNotebook | None = None,
    ) -> SourcePack | None:
        """What the writer is shown of the module beyond its sections, with the scout's
        notebook when there is one (read while the page's inputs are recorded)."""
        return None

    async def write(self, draft: PageDraft) -> WrittenPage:
        return WrittenPage(draft.sections)


class DeterministicWriter(PageWriter):
    """The page is the deterministic sections, as they are (no model)."""
