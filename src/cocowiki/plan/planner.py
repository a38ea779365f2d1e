"""``plan_modules``: the index in, the module tree (the wiki's pages) out.

The steps, each deterministic:

1. suite files (tests, examples, benchmarks: :mod:`cocowiki.index.suites`) set aside;
2. one module per directory of the code (:func:`.structure.directory_tree`), holder
   folders (``src/``, a lone package in them) dissolved into their parents;
3. directories too small for a page folded into their parent, bottom-up;
4. chains of single-child directories collapsed into one module;
5. modules whose own files exceed ``max_tokens`` split into parts by communities of
   their files' reference graph (:mod:`.communities`); the parts become the module's
   children and the module a page that introduces them;
6. titles (:mod:`.titles`), then one page per suite and top module (:mod:`.suite_pages`);
7. ids from paths, made unique in a fixed order.

The result depends only on the index's files (paths and sizes), resolved references and
components, and the project's name, never on the order they arrive in or on hash seeds,
so a re-plan of an unchanged index gives the same bytes, and a page keeps its id as long
as its directory does.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..index.model import IndexResult
from .communities import FileGraph, edge_graph, file_graph, split_by_communities
from .config import PlanConfig, estimate_tokens
from .importance import Importance, IndexImportance
from .model import MODULE_KINDS, ROOT_ID, Module, ModuleTree
from .structure import Draft, collapse_chains, directory_tree, fold_small, lift_holders
from .suite_pages import place_suites, split_suites
from .titles import Naming, make_unique, part_title, project_name


@dataclass(frozen=True, slots=True)
class PlanReport:
    """What planning did to the directory tree: for the ``cw plan`` summary.

    ``merged``: directories folded into their parent's page; ``split``: modules whose
    files were divided into parts; ``parts``: the part modules those splits made.
    """

    merged: int = 0
    split: int = 0
    parts: int = 0


def plan_modules(index: IndexResult, config: PlanConfig | None = None) -> ModuleTree:
    """The module tree of an index; pure and deterministic."""
    return plan_with_report(index, config)[0]


def plan_with_report(
    index: IndexResult,
    config: PlanConfig | None = None,
    weights: Mapping[tuple[str, str], int] | None = None,
    importance: Importance | None = None,
    name: str | None = None,
) -> tuple[ModuleTree, PlanReport]:
    """:func:`plan_modules`, plus counts of what was merged and split.

    ``weights``: the index's :func:`~cocowiki.index.store.edge_weights`, if known (then
    its references are not read); ``importance``: where parts find their most important
    components (by default the index's own components and references); ``name``: the
    project's name (by default :func:`.titles.project_name` of the repository).
    """
    config = config or PlanConfig()
    tokens = {source.path: estimate_tokens(source.size) for source in index.files}
    code, suites = split_suites(tokens)
    title = name if name is not None else project_name(Path(index.repo))
    root = directory_tree(code, title or PurePosixPath(index.repo).name or ROOT_ID)
    lift_holders(root, tokens, config.min_tokens)
    _, merged = fold_small(root, tokens, config.min_tokens)
    collapse_chains(root)
    graph = file_graph(index.references, tokens) if weights is None else edge_graph(weights, tokens)
    made = _split_large(root, graph, tokens, config)
    naming = Naming(
        {source.path: source.language for source in index.files},
        {source.path: source.module_name for source in index.files},
    )
    for draft in root.walk():
        if draft is not root and not draft.part:
            draft.title = naming.directory_title(draft)
    ranking = importance or IndexImportance(index)
    for part in made:
        part.title = part_title(ranking.ranked(part.files), part.files, tokens)
    place_suites(root, suites)
    tree = _freeze(root, tokens)
    split = sum(1 for draft in root.walk() if any(child.part for child in draft.children))
    return tree, PlanReport(merged=merged, split=split, parts=len(made))


def _split_large(
    draft: Draft, graph: FileGraph, tokens: dict[str, int], config: PlanConfig
) -> list[Draft]:
    """Split every module whose own files exceed ``max_tokens``; the parts made."""
    made = [part for child in draft.children for part in _split_large(child, graph, tokens, config)]
    if len(draft.files) < 2 or sum(tokens[path] for path in draft.files) <= config.max_tokens:
        return made
    groups = split_by_communities(draft.files, graph, tokens, config.min_tokens, config.max_tokens)
    if len(groups) < 2:
        return made
    parts = [_part(draft.path, group, tokens) for group in groups]
    draft.files = []
    draft.children = parts + draft.children
    return made + parts


def _part(directory: str, files: tuple[str, ...], tokens: dict[str, int]) -> Draft:
    """A part of a split module (titled later, by its components), its id from its
    largest file."""
    largest = min(files, key=lambda path: (-tokens[path], path))
    folders = posixpath.commonpath([posixpath.dirname(path) for path in files])
    return Draft(
        path=files[0] if len(files) == 1 else folders,
        title="",
        files=list(files),
        id_path=posixpath.join(folders, PurePosixPath(largest).stem),
        part=True,
    )


def slug(text: str) -> str:
    """An id from a path: lowercase, every run of other characters than a-z and 0-9 one ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "module"


def _assign_ids(root: Draft) -> None:
    """Unique ids from paths; a clash gets ``_2``, ``_3`` in a fixed order."""
    drafts = [draft for draft in root.walk() if draft is not root]
    drafts.sort(key=lambda d: (slug(d.id_path), d.id_path, d.path, d.files[:1]))
    taken = {ROOT_ID}
    root.module_id = ROOT_ID
    for draft in drafts:
        base = slug(draft.id_path)
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            candidate = f"{base}_{number}"
        taken.add(candidate)
        draft.module_id = candidate


def _freeze(root: Draft, tokens: dict[str, int]) -> ModuleTree:
    _assign_ids(root)
    make_unique(root)
    modules: dict[str, Module] = {}

    def add(draft: Draft, parent: str | None) -> None:
        module_id = draft.module_id
        children = sorted(
            draft.children,
            key=lambda child: (MODULE_KINDS.index(child.kind), child.path, child.module_id),
        )
        files = tuple(sorted(draft.files))
        modules[module_id] = Module(
            id=module_id,
            title=draft.title,
            path=draft.path,
            files=files,
            parent=parent,
            children=tuple(child.module_id for child in children),
            tokens=sum(tokens[path] for path in files),
            kind=draft.kind,
        )
        for child in children:
            add(child, module_id)

    add(root, None)
    return ModuleTree(modules=modules, root=ROOT_ID)
