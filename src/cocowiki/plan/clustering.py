"""Modules grouped by a model: ``cw plan --model`` (or ``[plan] model``), as CodeWiki clusters.

The deterministic tree follows directories; a model can group files by what they do
instead (the handlers of one feature spread over ``api/``, ``db/`` and ``jobs/``). The
steps, after CodeWiki's clustering:

1. code whose files hold no more than ``cluster_above_tokens`` keeps the deterministic
   tree and no model is asked (a small repository is well served by its directories);
2. the model groups all code files into modules (:mod:`.prompt`); each module larger
   than ``cluster_leaf_tokens`` is divided again, with the tree so far in the prompt,
   down to ``cluster_depth`` levels;
3. every answer is checked (:mod:`.grouping`) and, while it is unusable, sent back with
   its exact problems, ``cluster_rounds`` asks in all; a grouping still unusable, or a
   failed call, keeps the deterministic tree, with a one-line message saying why.

Suites (modules of kind ``tests``, ``examples``, ``benchmarks`` in the deterministic tree)
keep their pages: the model groups the product's code only. Ids derive from paths, as
the planner's do: a module that is exactly a directory's code keeps that directory's id,
any other is named by its files' common directory and its largest file.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

import tiffany
from tiffany.models import Message, ModelClient, ModelError

from ..index.model import ComponentKind, IndexResult
from .config import PlanConfig, estimate_tokens
from .grouping import Bounds, Group, read_grouping
from .model import ROOT_ID, Module, ModuleTree
from .planner import slug
from .prompt import candidates, grouping_request, problems_message


@dataclass(frozen=True, slots=True)
class Clustering:
    """What asking for a grouping gave.

    ``tree``: the model's tree, or the deterministic one; ``calls``: model calls made
    (answers from the response cache not counted); ``asked``: whether the code was large
    enough to ask; ``fallback``: the one-line message when the deterministic tree was
    kept although the model was asked.
    """

    tree: ModuleTree
    model: str
    calls: int = 0
    asked: bool = False
    fallback: str | None = None


class Unusable(Exception):
    """No usable grouping: the message says which module and the last problems."""


@dataclass(slots=True)
class _Node:
    title: str
    files: tuple[str, ...]
    children: list[_Node] = field(default_factory=list)

    def all_files(self) -> list[str]:
        return [*self.files, *(path for child in self.children for path in child.all_files())]


def cluster_modules(
    index: IndexResult,
    deterministic: ModuleTree,
    config: PlanConfig,
    connect: Callable[[], ModelClient],
) -> Clustering:
    """The module tree grouped by the model ``connect`` returns (called only when the
    code is large enough to ask), or ``deterministic`` (see the module doc)."""
    suites = _suite_roots(deterministic)
    suite_files = {path for root in suites for path in _subtree_files(deterministic, root)}
    tokens = {source.path: estimate_tokens(source.size) for source in index.files}
    code = sorted(path for path in tokens if path not in suite_files)
    if not _divisible(code, tokens, config.cluster_above_tokens, config.min_tokens):
        return Clustering(tree=deterministic, model=config.model)
    root = deterministic[deterministic.root]
    taken = {root.title, *(module.title for module in _suite_modules(deterministic, suites))}
    asker = _Asker(config, index, tokens, taken)
    try:
        asker.llm = connect()
        top = tiffany.run(asker.divide, code)
    except (Unusable, ModelError) as exc:
        reason = " ".join(str(exc).split())
        message = f"grouping by {config.model} not used ({reason}); kept the deterministic tree"
        return Clustering(deterministic, config.model, asker.calls, True, message)
    tree = _freeze(top, deterministic, suites, code, tokens)
    return Clustering(tree=tree, model=config.model, calls=asker.calls, asked=True)


def _divisible(files: Sequence[str], tokens: Mapping[str, int], above: int, least: int) -> bool:
    """Whether ``files`` hold more than ``above`` tokens and can make two modules of at
    least ``least`` tokens each (not one large file with crumbs)."""
    sizes = [tokens[path] for path in files]
    total = sum(sizes)
    return len(files) > 1 and total > above and total - max(sizes) >= least


class _Asker:
    """The conversation with the model, one grouping at a time, top-down."""

    llm: ModelClient

    def __init__(
        self, config: PlanConfig, index: IndexResult, tokens: Mapping[str, int], taken: set[str]
    ) -> None:
        self.config = config
        self.repo = PurePosixPath(index.repo).name or index.repo
        self.tokens = tokens
        self.taken = taken
        self.names = _component_names(index)
        self.top: list[_Node] = []
        self.calls = 0

    async def divide(
        self, files: Sequence[str], depth: int = 1, node: _Node | None = None
    ) -> list[_Node]:
        """Group ``files`` (all the code, or ``node``'s) and divide large groups further."""
        final = depth >= self.config.cluster_depth
        bounds = Bounds(
            min_tokens=self.config.min_tokens,
            max_tokens=self.config.max_tokens if final else None,
            taken_titles=frozenset(self.taken),
        )
        groups = await self._ask(files, bounds, node)
        nodes = [_Node(group.name, tuple(sorted(set(group.files)))) for group in groups]
        self.taken.update(group.name for group in groups)
        if node is None:
            self.top = nodes
        else:
            node.children, node.files = nodes, ()
        for child in nodes:
            leaf = self.config.cluster_leaf_tokens
            if not final and _divisible(child.files, self.tokens, leaf, self.config.min_tokens):
                await self.divide(child.files, depth + 1, child)
        return nodes

    async def _ask(self, files: Sequence[str], bounds: Bounds, node: _Node | None) -> list[Group]:
        listing = candidates(files, self.tokens, self.names)
        messages: list[Message] = grouping_request(
            self.repo,
            listing,
            min_tokens=self.config.min_tokens,
            max_tokens=self.config.max_tokens,
            tree=_draw(self.top, node, self.tokens) if node is not None else "",
            module=node.title if node is not None else "",
        )
        problems: list[str] = []
        for _ in range(self.config.cluster_rounds):
            completion = await self.llm.complete(messages, temperature=0)
            self.calls += 0 if completion.cached else 1
            groups, problems = read_grouping(completion.text, files, self.tokens, bounds)
            if not problems:
                return groups
            messages += [completion.message(), problems_message(problems)]
        scope = f"module {node.title!r}" if node is not None else "the repository"
        raise Unusable(
            f"the grouping of {scope} still had {len(problems)} problem(s) after "
            f"{self.config.cluster_rounds} round(s), first: {problems[0]}"
        )


def _component_names(index: IndexResult) -> dict[str, list[str]]:
    """Each file's top-level components (those directly under the file's module, or
    under nothing), in source order, as the prompt lists them."""
    modules = {c.id for c in index.components if c.kind == ComponentKind.MODULE}
    names: dict[str, list[str]] = {}
    ordered = sorted(index.components, key=lambda c: (c.path, c.start_line, c.name))
    for component in ordered:
        top = component.parent_id is None or component.parent_id in modules
        if top and component.kind != ComponentKind.MODULE:
            names.setdefault(component.path, []).append(component.name)
    return names


def _draw(top: Sequence[_Node], marked: _Node, tokens: Mapping[str, int]) -> str:
    """The tree so far as an indented list, ``marked`` flagged for the model."""
    lines: list[str] = []

    def add(node: _Node, level: int) -> None:
        files = node.all_files()
        size = sum(tokens[path] for path in files)
        flag = "  <- HERE" if node is marked else ""
        lines.append(f"{'  ' * level}- {node.title} ({len(files)} files, {size} tokens){flag}")
        for child in node.children:
            add(child, level + 1)

    for node in top:
        add(node, 0)
    return "\n".join(lines)


def _suite_roots(tree: ModuleTree) -> list[Module]:
    """The highest modules that are suites (tests, examples, benchmarks), kept as planned."""
    return [
        module
        for module in tree
        if module.kind != "code"
        and module.parent is not None
        and tree[module.parent].kind == "code"
    ]


def _suite_modules(tree: ModuleTree, roots: Sequence[Module]) -> list[Module]:
    found: list[Module] = []

    def visit(module: Module) -> None:
        found.append(module)
        for child in module.children:
            visit(tree[child])

    for root in roots:
        visit(root)
    return found


def _subtree_files(tree: ModuleTree, root: Module) -> list[str]:
    return [path for module in _suite_modules(tree, [root]) for path in module.files]


def _freeze(
    top: Sequence[_Node],
    deterministic: ModuleTree,
    suites: Sequence[Module],
    code: Sequence[str],
    tokens: Mapping[str, int],
) -> ModuleTree:
    """The grouped nodes as a :class:`ModuleTree`, the suites hung under the root."""
    kept = _suite_modules(deterministic, suites)
    ids = _assign_ids(top, code, tokens, {ROOT_ID, *(module.id for module in kept)})
    modules: dict[str, Module] = {}
    root = deterministic[deterministic.root]

    def add(node: _Node, parent: str) -> str:
        module_id = ids[id(node)]
        children = tuple(add(child, module_id) for child in node.children)
        modules[module_id] = Module(
            id=module_id,
            title=node.title,
            path=_path_of(node.all_files()),
            files=node.files,
            parent=parent,
            children=children,
            tokens=sum(tokens[path] for path in node.files),
        )
        return module_id

    children = [add(node, ROOT_ID) for node in top] + [module.id for module in suites]
    modules[ROOT_ID] = Module(
        id=ROOT_ID, title=root.title, path="", files=(), parent=None, children=tuple(children)
    )
    for module in kept:
        parent = ROOT_ID if module in suites else module.parent
        modules[module.id] = replace(module, parent=parent)
    ordered = {ROOT_ID: modules.pop(ROOT_ID), **modules}
    return ModuleTree(modules=ordered, root=ROOT_ID)


def _assign_ids(
    top: Sequence[_Node], code: Sequence[str], tokens: Mapping[str, int], taken: set[str]
) -> dict[int, str]:
    """Ids from paths, unique, a clash numbered ``_2``, ``_3`` in a fixed order."""
    nodes: list[_Node] = []

    def walk(node: _Node) -> None:
        nodes.append(node)
        for child in node.children:
            walk(child)

    for node in top:
        walk(node)
    paths = {id(node): _id_path(node.all_files(), code, tokens) for node in nodes}
    nodes.sort(key=lambda node: (slug(paths[id(node)]), paths[id(node)], sorted(node.all_files())))
    ids: dict[int, str] = {}
    for node in nodes:
        base = slug(paths[id(node)])
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            candidate = f"{base}_{number}"
        taken.add(candidate)
        ids[id(node)] = candidate
    return ids


def _directory(files: Sequence[str]) -> str:
    return posixpath.commonpath([posixpath.dirname(path) for path in files])


def _is_whole_directory(files: Sequence[str], code: Sequence[str]) -> bool:
    """Whether ``files`` are all the code under their common directory."""
    directory = _directory(files)
    prefix = f"{directory}/" if directory else ""
    return len(files) == sum(1 for path in code if path.startswith(prefix))


def _path_of(files: Sequence[str]) -> str:
    """The module's path: its file, or its files' common directory."""
    return files[0] if len(files) == 1 else _directory(files)


def _id_path(files: Sequence[str], code: Sequence[str], tokens: Mapping[str, int]) -> str:
    """What a module's id derives from: its directory when it is that directory's code,
    else the directory and its largest file's stem (a split part's id in the planner)."""
    if len(files) > 1 and _is_whole_directory(files, code):
        return _directory(files)
    largest = min(files, key=lambda path: (-tokens[path], path))
    return posixpath.join(_directory(files), PurePosixPath(largest).stem)
