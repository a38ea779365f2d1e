"""The source pack: everything a model is shown about one module, in the order that matters.

CodeWiki's pages are good because the model sees the module tree and the module's whole
source, grouped by file, before anything else. The pack is, in order: the module tree
with this module marked; each file as ``# File: <path>``, its core components with their
line spans, and its content with every line numbered (so the model can cite
``path:start-end``); the module's facts from the index (public API, references in and
out with counts, entry points, tests); for a parent, each sub-page's summary.

Over the token budget, the most central files (most referenced from elsewhere) go in
full and the rest as their components' signatures and docs; the model reads more with
its tools (:mod:`.modeltools`). The pack's digest is an input of the model page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from tiffany.models import estimate_tokens

from ..plan.model import Module, ModuleTree
from .artifacts import ComponentDossier, ComponentFacts, ModuleNotebook
from .facts import RepositoryFacts

#: Leaves room in a 128k-token context for the contract, tool results and the answer.
DEFAULT_PACK_TOKENS = 96_000


@dataclass(frozen=True, slots=True)
class SourcePack:
    """The user message of a module's first model call, and what went into it."""

    module: str
    text: str
    full_files: tuple[str, ...]
    outlined_files: tuple[str, ...]

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.text)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def build_source_pack(
    facts: RepositoryFacts,
    module: Module,
    dossier: ComponentDossier,
    children: Mapping[str, str],
    budget: int = DEFAULT_PACK_TOKENS,
    tree: ModuleTree | None = None,
    *,
    notebook: ModuleNotebook | None = None,
) -> SourcePack:
    """The pack of ``module``; ``children`` maps each child's id to its page's summary.
    ``tree`` is the module tree to show (default: the planned one; a sub-page is shown
    the tree with the sub-pages planned so far)."""
    shown = tree if tree is not None else facts.tree
    tree_text = module_tree_text(shown, module.id)
    tail = facts_text(dossier) + children_text(shown, module, children)
    tail += notebook_text(notebook) if notebook is not None else ""
    left = budget - estimate_tokens(tree_text + tail)
    components: dict[str, list[ComponentFacts]] = {}
    for component in dossier.components:
        components.setdefault(component.citation.path, []).append(component)
    full: list[str] = []
    outlined: list[str] = []
    blocks: dict[str, str] = {}
    for path in _by_centrality(facts, [f.path for f in dossier.files]):
        whole = file_block(path, components.get(path, []), facts.reader.lines(path))
        if estimate_tokens(whole) <= left:
            blocks[path], left = whole, left - estimate_tokens(whole)
            full.append(path)
        else:
            blocks[path] = outline_block(path, components.get(path, []))
            left -= estimate_tokens(blocks[path])
            outlined.append(path)
    files = "".join(blocks[f.path] for f in dossier.files)
    return SourcePack(module.id, tree_text + files + tail, tuple(full), tuple(outlined))


def module_tree_text(tree: ModuleTree, marked: str) -> str:
    lines = ["# Module tree", ""]
    stack = [(tree.root, 0)]
    while stack:
        module_id, depth = stack.pop()
        module = tree[module_id]
        mark = "  <- this page" if module_id == marked else ""
        where = f" ({module.path})" if module.path else ""
        lines.append(f"{'  ' * depth}- {module.title} [id {module_id}]{where}{mark}")
        stack.extend((child, depth + 1) for child in reversed(module.children))
    return "\n".join(lines) + "\n\n"


def file_block(path: str, components: list[ComponentFacts], lines: list[str]) -> str:
    width = len(str(len(lines)))
    numbered = "\n".join(f"{n:>{width}} | {line}" for n, line in enumerate(lines, start=1))
    return (
        f"# File: {path}\n\n## Core components in this file\n{_component_list(components)}\n"
        f"## File content\n{numbered}\n\n"
    )


def outline_block(path: str, components: list[ComponentFacts]) -> str:
    """A file left out for the budget: each component's signature and doc, with its lines."""
    outline = [
        f"- `{c.signature or c.name}` (lines {c.citation.start}-{c.citation.end})"
        + (f": {c.summary}" if c.summary else "")
        for c in components
    ]
    return (
        f"# File: {path}\n\n## Core components in this file\n{_component_list(components)}\n"
        "## File outline (not shown in full: read it with read_file or read_code_components)\n"
        + "\n".join(outline)
        + "\n\n"
    )


def _component_list(components: list[ComponentFacts]) -> str:
    if not components:
        return "(none)\n"
    return "".join(
        f"- {c.id} ({c.kind}, lines {c.citation.start}-{c.citation.end})\n" for c in components
    )


def facts_text(dossier: ComponentDossier) -> str:
    lines = ["# Facts from the index", "", "## Public API"]
    lines += [f"- {name}" for name in dossier.public_api] or ["(none)"]
    lines += ["", "## References out (this module uses)"]
    lines += [f"- {d.target}: {d.count}" for d in dossier.outgoing] or ["(none)"]
    lines += ["", "## References in (used by)"]
    lines += [f"- {d.target}: {d.count}" for d in dossier.incoming] or ["(none)"]
    lines += ["", "## Entry points"]
    lines += [f"- {e.name} ({e.kind}) at {e.citation.label}" for e in dossier.entry_points] or [
        "(none)"
    ]
    lines += ["", "## Tests that exercise it"]
    lines += [f"- {t.path}: {t.count} references" for t in dossier.tests] or ["(none)"]
    return "\n".join(lines) + "\n\n"


def notebook_text(notebook: ModuleNotebook) -> str:
    """The notebook's research answers (a scout's, frozen with their footprints), each
    with the lines it cites; nothing when there are none."""
    if not notebook.answers:
        return ""
    parts = ["\n## Research notebook (answers found by exploring the code)\n"]
    for answer in notebook.answers:
        cites = ", ".join(f"`{c.label}`" for c in answer.citations) or "no citation"
        parts.append(f"\n### {answer.question}\n\n{answer.answer}\n\nCited: {cites}\n")
    return "".join(parts)


def children_text(tree: ModuleTree, module: Module, summaries: Mapping[str, str]) -> str:
    if not module.children:
        return ""
    lines = ["# Sub-pages (already written)", ""]
    lines += [
        f"- [{tree[child].title}]({child}.md): {summaries.get(child, '')}"
        for child in module.children
    ]
    return "\n".join(lines) + "\n"


def _by_centrality(facts: RepositoryFacts, paths: list[str]) -> list[str]:
    """Files most referenced from other files first (ties: smaller first, then by path)."""

    def weight(path: str) -> tuple[int, int, str]:
        into = facts.refs_into_file.get(path) or []
        outside = sum(ref.count for ref in into if ref.path != path)
        return (-outside, facts.reader.line_count(path), path)

    return sorted(paths, key=weight)
