"""``plan_modules``: the index in, the module tree (the wiki's pages) out.

The steps, each deterministic:

1. one module per directory (:func:`.structure.directory_tree`);
2. directories too small for a page folded into their parent, bottom-up;
3. chains of single-child directories collapsed into one module;
4. modules whose own files exceed ``max_tokens`` split into parts by communities of
   their files' reference graph (:mod:`.communities`); the parts become the module's
   children and the module a page that introduces them;
5. ids from paths, made unique in a fixed order.

The result depends only on the index's files (paths and sizes) and resolved references,
never on the order they arrive in or on hash seeds, so a re-plan of an unchanged index
gives the same bytes, and a page keeps its id as long as its directory does.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..index.model import IndexResult
from .communities import FileGraph, edge_graph, file_graph, split_by_communities
from .config import PlanConfig, estimate_tokens
from .model import ROOT_ID, Module, ModuleTree
from .structure import Draft, collapse_chains, directory_tree, fold_small

#: Stems named in a part's title before the rest are counted.
TITLE_STEMS = 2


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
) -> tuple[ModuleTree, PlanReport]:
    """:func:`plan_modules`, plus counts of what was merged and split. ``weights``: the
    index's :func:`~cocowiki.index.store.edge_weights`, if known (then its references
    are not read)."""
    config = config or PlanConfig()
    tokens = {source.path: estimate_tokens(source.size) for source in index.files}
    root = directory_tree(tokens, PurePosixPath(index.repo).name or ROOT_ID)
    _, merged = fold_small(root, tokens, config.min_tokens)
    collapse_chains(root)
    graph = file_graph(index.references, tokens) if weights is None else edge_graph(weights, tokens)
    split, parts = _split_large(root, graph, tokens, config)
    tree = _freeze(root, tokens)
    return tree, PlanReport(merged=merged, split=split, parts=parts)


def _split_large(
    draft: Draft, graph: FileGraph, tokens: dict[str, int], config: PlanConfig
) -> tuple[int, int]:
    """Split every module whose own files exceed ``max_tokens``; ``(splits, parts)``."""
    split = parts = 0
    for child in draft.children:
        child_split, child_parts = _split_large(child, graph, tokens, config)
        split += child_split
        parts += child_parts
    if len(draft.files) < 2 or sum(tokens[path] for path in draft.files) <= config.max_tokens:
        return split, parts
    groups = split_by_communities(draft.files, graph, tokens, config.min_tokens, config.max_tokens)
    if len(groups) < 2:
        return split, parts
    title = draft.title if draft.path else "top level"
    made = [_part(draft.path, title, group, tokens) for group in groups]
    draft.files = []
    draft.children = made + draft.children
    return split + 1, parts + len(made)


def _part(directory: str, title: str, files: tuple[str, ...], tokens: dict[str, int]) -> Draft:
    """A part of a split module, named after its largest files."""
    by_size = sorted(files, key=lambda path: (-tokens[path], path))
    stems = [PurePosixPath(path).stem for path in by_size]
    named = ", ".join(stems[:TITLE_STEMS])
    rest = len(stems) - TITLE_STEMS
    label = f"{named}, +{rest} more" if rest > 0 else named
    path = files[0] if len(files) == 1 else directory
    return Draft(
        path=path,
        title=f"{title} ({label})",
        files=list(files),
        id_path=posixpath.join(directory, stems[0]),
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


def _disambiguate_titles(root: Draft) -> None:
    """Two modules titled alike (``src/x/models`` and ``tests/x/models``) are told apart in
    the navigation by their paths: a title is a name only while it names one module."""
    drafts = [draft for draft in root.walk() if draft is not root]
    count = Counter(draft.title for draft in drafts)
    for draft in drafts:
        if count[draft.title] > 1 and draft.path:
            _name, parts, label = draft.title.partition(" (")
            draft.title = draft.path + parts + label


def _freeze(root: Draft, tokens: dict[str, int]) -> ModuleTree:
    _assign_ids(root)
    _disambiguate_titles(root)
    modules: dict[str, Module] = {}

    def add(draft: Draft, parent: str | None) -> None:
        module_id = draft.module_id
        children = sorted(draft.children, key=lambda child: (child.path, child.module_id))
        files = tuple(sorted(draft.files))
        modules[module_id] = Module(
            id=module_id,
            title=draft.title,
            path=draft.path,
            files=files,
            parent=parent,
            children=tuple(child.module_id for child in children),
            tokens=sum(tokens[path] for path in files),
        )
        for child in children:
            add(child, module_id)

    add(root, None)
    return ModuleTree(modules=modules, root=ROOT_ID)
