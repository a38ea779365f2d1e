"""Sub-pages a model asks for while it writes a page: ``generate_sub_module_documentation``.

A module too large or too varied for one guide is split by the model writing it, as
CodeWiki's agents do: it calls ``generate_sub_module_documentation(name, component_ids)``
for a coherent part, and a sub-writer writes that part's page at once (a conversation of
its own, with the same contract, tools and checks), before the parent's page is done.
The tool answers with the sub-page's link and summary, which the parent's page then
summarises in its Sub-modules section.

Rules that keep the wiki whole:

* every component is on exactly one page: the components given (and their members:
  a class takes its methods) leave the parent for the sub-page; a component that is not
  the parent's, or already on another sub-page, is refused with the reason;
* depth is bounded (:data:`MAX_SUB_DEPTH` levels below a planned page), so a sub-writer
  may split again, and the last level is offered no such tool;
* a sub-page's id is its parent's id, ``__`` and its name in word characters, unique
  in the wiki; it joins the module tree the next conversations are shown, the manifest
  and the viewer, as a child of its parent.

Sub-pages are written inside their parent's conversation: they are kept in the parent's
record and are written again exactly when the parent is.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..plan.model import Module, ModuleTree
from .artifacts import ComponentDossier

#: Levels of sub-pages below a page of the planned tree (CodeWiki recurses at most two).
MAX_SUB_DEPTH = 2
SEPARATOR = "__"


@dataclass(frozen=True, slots=True)
class SubPage:
    """A sub-page as its parent's record keeps it: where it sits in the tree, the
    components it documents, and what its writer made."""

    id: str
    title: str
    parent: str
    components: list[str]
    files: list[str]
    markdown: str
    summary: str
    accounting: dict[str, Any]
    footprints: list[dict[str, Any]] = field(default_factory=list)

    def module(self, path: str, kind: str = "code") -> Module:
        return Module(self.id, self.title, path, tuple(self.files), self.parent, kind=kind)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: ``write(module, dossier, tree, depth)``: writes a planned sub-page, returns it with
#: the sub-pages it made in turn (its own first).
SubWriter = Callable[[Module, ComponentDossier, ModuleTree, int], Awaitable[list[SubPage]]]


class SubModules:
    """The sub-module tool of one page's conversation, and the sub-pages it made."""

    def __init__(
        self,
        parent: Module,
        dossier: ComponentDossier,
        tree: ModuleTree,
        depth: int,
        taken_ids: Collection[str],
        write: SubWriter,
    ) -> None:
        self.parent = parent
        self.dossier = dossier
        self.tree = tree
        self.depth = depth
        self.taken_ids = taken_ids
        self.write = write
        #: Every sub-page made below this page (deeper ones before their parents).
        self.made: list[SubPage] = []
        self._given: set[str] = set()

    @property
    def offered(self) -> bool:
        return self.depth < MAX_SUB_DEPTH

    def owned(self) -> list[str]:
        """The ids of the components still on this page."""
        return [c.id for c in self.dossier.components if c.id not in self._given]

    async def generate_sub_module_documentation(self, name: str, component_ids: list[str]) -> str:
        """Document a coherent part of this module on a sub-page of its own, written now.

        name: the sub-page's title. component_ids: ids of this module's components (as
        listed under "Core components in this file") that the sub-page documents; they
        (and their members) leave this page. Answers with the sub-page's link and its
        summary, for this page's Sub-modules section."""
        chosen, refused = self._choose(component_ids)
        title = " ".join(name.split())
        if not title:
            refused.append("name the sub-page")
        if refused:
            return "No sub-page was written: " + "; ".join(refused)
        sub_id = self._new_id(title)
        files = sorted({c.citation.path for c in self.dossier.components if c.id in chosen})
        module = Module(sub_id, title, self.parent.path, tuple(files), self.parent.id)
        module = replace(module, kind=self.parent.kind)
        self.tree = with_sub_page(self.tree, module)
        self._given |= chosen
        pages = await self.write(
            module, sub_dossier(self.dossier, module, chosen), self.tree, self.depth + 1
        )
        self.made += pages
        page = pages[-1]
        return (
            f"Sub-page [{page.title}]({page.id}.md) written; it documents "
            f"{len(chosen)} components. Its summary: {page.summary}"
        )

    def _choose(self, component_ids: list[str]) -> tuple[set[str], list[str]]:
        owned = set(self.owned())
        known = {c.id for c in self.dossier.components}
        refused: list[str] = []
        chosen: set[str] = set()
        for component_id in component_ids:
            if component_id in owned:
                chosen.add(component_id)
            elif component_id in known:
                refused.append(f"{component_id} is already on another sub-page")
            else:
                refused.append(f"{component_id} is not a component of this module")
        if not component_ids:
            refused.append("give the ids of the components the sub-page documents")
        members = True
        while members:  # a class takes its methods, and theirs
            more = {
                c.id
                for c in self.dossier.components
                if c.parent_id in chosen and c.id in owned and c.id not in chosen
            }
            chosen |= more
            members = bool(more)
        if chosen and chosen == owned:
            refused.append("a sub-page cannot take every component of this module")
        return chosen, refused

    def _new_id(self, title: str) -> str:
        slug = re.sub(r"[^A-Za-z0-9]+", "_", title).strip("_").lower() or "part"
        base = f"{self.parent.id}{SEPARATOR}{slug}"
        taken = set(self.taken_ids) | set(self.tree.modules)
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        return candidate


def with_sub_page(tree: ModuleTree, sub: Module) -> ModuleTree:
    """``tree`` with ``sub`` added as the last child of its parent (a new tree)."""
    assert sub.parent is not None
    modules = dict(tree.modules)
    parent = modules[sub.parent]
    modules[sub.parent] = replace(parent, children=(*parent.children, sub.id))
    modules[sub.id] = sub
    return ModuleTree(modules, tree.root)


def sub_dossier(dossier: ComponentDossier, module: Module, chosen: set[str]) -> ComponentDossier:
    """The parent's dossier cut to the sub-page's components and their files."""
    files = set(module.files)
    return dossier.model_copy(
        update={
            "module": module.id,
            "title": module.title,
            "parent": module.parent,
            "children": [],
            "files": [f for f in dossier.files if f.path in files],
            "components": [c for c in dossier.components if c.id in chosen],
            "public_api": [name for name in dossier.public_api if name in chosen],
            "entry_points": [e for e in dossier.entry_points if e.component_id in chosen],
        }
    )
