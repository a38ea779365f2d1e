"""The module tree: the pages a wiki has, as plain values shared by plan, build and viewer.

``cw plan`` writes it to ``module_tree.json``; ``cw build`` walks it leaf modules first,
parents after their children, the root (the repository overview) last. Ids derive from
paths (``tokio_runtime_scheduler_multi_thread``), so a page keeps its id, and its URL in
the viewer, across runs for as long as its directory does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

#: Bumped when the JSON layout changes; readers reject other versions with a clear error.
MODULE_TREE_VERSION = 1

#: The id of the root module, whose page is the repository overview.
ROOT_ID = "overview"


@dataclass(frozen=True, slots=True)
class Module:
    """One page of the wiki: a set of source files under a common path.

    * ``id``: derived from ``path`` (separators and punctuation to ``_``), unique;
      ``ROOT_ID`` for the root.
    * ``title``: what a reader sees in the navigation (the directory or package name,
      with a suffix such as ``(part 2)`` for a module split by communities).
    * ``path``: the repository-relative directory (or file, for a single-file module)
      the module stands for; ``""`` for the root.
    * ``files``: repository-relative paths of the source files documented on this page,
      sorted; every indexed file is on exactly one page.
    * ``parent``: the parent module's id, ``None`` for the root; ``children``: ids, in
      display order.
    * ``tokens``: an estimate of the source tokens in ``files``, the measure pages are
      bounded by.
    * ``kind``: what the files are to a maintainer (:data:`MODULE_KINDS`): ``code`` for
      the product, or ``tests``, ``examples``, ``benchmarks`` for a suite, which gets one
      page that says what it covers and how to run it, never a tree as deep as the code's.
    """

    id: str
    title: str
    path: str
    files: tuple[str, ...]
    parent: str | None
    children: tuple[str, ...] = ()
    tokens: int = 0
    kind: str = "code"


#: The kinds of module: the product's code, and the suites that exercise or show it.
MODULE_KINDS = ("code", "tests", "examples", "benchmarks")


@dataclass(slots=True)
class ModuleTree:
    """All modules of a repository, keyed by id, with the root first."""

    modules: dict[str, Module] = field(default_factory=dict)
    root: str = ROOT_ID

    def __getitem__(self, module_id: str) -> Module:
        return self.modules[module_id]

    def __iter__(self) -> Iterator[Module]:
        return iter(self.modules.values())

    def __len__(self) -> int:
        return len(self.modules)

    def build_order(self) -> list[Module]:
        """Leaf modules first, each parent after all its children, the root last."""
        order: list[Module] = []

        def visit(module_id: str) -> None:
            module = self.modules[module_id]
            for child in module.children:
                visit(child)
            order.append(module)

        visit(self.root)
        return order

    def depth(self) -> int:
        """Levels below the root: 0 when the overview is the only page."""
        depth, level = 0, [self.root]
        while True:
            level = [child for module_id in level for child in self.modules[module_id].children]
            if not level:
                return depth
            depth += 1

    def module_of_file(self) -> dict[str, str]:
        """Map of each source file to the id of the module whose page documents it."""
        return {path: module.id for module in self for path in module.files}

    def to_json(self) -> dict[str, Any]:
        return {
            "version": MODULE_TREE_VERSION,
            "root": self.root,
            "modules": [asdict(module) for module in self.modules.values()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModuleTree:
        version = data.get("version")
        if version != MODULE_TREE_VERSION:
            raise ValueError(
                f"module_tree.json has version {version!r}, this cocowiki reads "
                f"{MODULE_TREE_VERSION}: run `cw plan` again"
            )
        modules = {}
        for raw in data["modules"]:
            module = Module(
                id=raw["id"],
                title=raw["title"],
                path=raw["path"],
                files=tuple(raw["files"]),
                parent=raw["parent"],
                children=tuple(raw["children"]),
                tokens=int(raw["tokens"]),
                kind=raw.get("kind", "code"),
            )
            modules[module.id] = module
        return cls(modules=modules, root=data["root"])

    def dumps(self) -> str:
        """Canonical JSON text: the same tree always gives the same bytes."""
        return json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"
