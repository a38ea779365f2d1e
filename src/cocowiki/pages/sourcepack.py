"""The source pack: everything a model is shown about one module, in the order that matters.

CodeWiki's pages are good because the model sees the module tree and the module's whole
source, grouped by file, before anything else. The pack is, in order: the module tree
with this module marked; each file as ``# File: <path>``, its core components with their
line spans, and its content with every line numbered (so the model can cite
``path:start-end``); the module's facts from the index (public API, references in and
out with counts, entry points, tests); for a parent, each sub-page's summary.

Over the token budget, the most central files (most referenced from elsewhere) go in
full and the rest as their components' signatures and docs; when even those outlines do
not fit (a suite of two thousand test files), the least central files are only listed
by path. The model reads more with its tools (:mod:`.modeltools`). The pack's digest
is an input of the model page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from tiffany.models import estimate_tokens

from ..plan.model import Module, ModuleTree
from .artifacts import ComponentDossier, ComponentFacts, ModuleNotebook
from .facts import RepositoryFacts

#: Leaves room in a 128k-token context for the contract, tool results and the answer.
DEFAULT_PACK_TOKENS = 96_000
#: Entries of each list of facts shown (a test suite's public API can be 25,000 names).
MAX_FACT_LINES = 200


@dataclass(frozen=True, slots=True)
class SourcePack:
    """The user message of a module's first model call, and what went into it."""

    module: str
    text: str
    full_files: tuple[str, ...]
    outlined_files: tuple[str, ...]
    #: Files past the budget even as outlines: only their paths are listed.
    listed_files: tuple[str, ...] = ()

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
    order = _by_centrality(facts, [f.path for f in dossier.files])
    blocks = _Blocks(facts, components)
    chosen = _choose(order, blocks, left)
    if chosen.listed:  # keep room to name the files not shown
        room = min(listing_tokens(chosen.listed), budget // 10)
        chosen = _choose(order, blocks, left - room)
        chosen.left += room
    files = "".join(chosen.blocks[f.path] for f in dossier.files if f.path in chosen.blocks)
    files += listed_block(chosen.listed, chosen.left)
    return SourcePack(
        module.id,
        tree_text + files + tail,
        tuple(chosen.full),
        tuple(chosen.outlined),
        tuple(chosen.listed),
    )


@dataclass(slots=True)
class _Chosen:
    """How each file of a pack is shown: in full, outlined, or only listed by path."""

    left: int
    blocks: dict[str, str] = field(default_factory=dict)
    full: list[str] = field(default_factory=list)
    outlined: list[str] = field(default_factory=list)
    listed: list[str] = field(default_factory=list)


class _Blocks:
    """A pack's file blocks, each made once, with their sizes."""

    def __init__(self, facts: RepositoryFacts, components: dict[str, list[ComponentFacts]]):
        self.facts = facts
        self.components = components
        self.made: dict[tuple[str, bool], tuple[str, int]] = {}

    def get(self, path: str, whole: bool) -> tuple[str, int]:
        key = (path, whole)
        if key not in self.made:
            found = self.components.get(path, [])
            text = (
                file_block(path, found, self.facts.reader.lines(path))
                if whole
                else outline_block(path, found)
            )
            self.made[key] = (text, estimate_tokens(text))
        return self.made[key]


def _choose(order: list[str], blocks: _Blocks, left: int) -> _Chosen:
    """Files in full by centrality while they fit, else outlined while that fits, else
    listed."""
    chosen = _Chosen(left)
    for path in order:
        for whole, kind in ((True, chosen.full), (False, chosen.outlined)):
            text, tokens = blocks.get(path, whole)
            if tokens <= chosen.left:
                chosen.blocks[path], chosen.left = text, chosen.left - tokens
                kind.append(path)
                break
        else:
            chosen.listed.append(path)
    return chosen


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


LISTING_HEAD = "# Files not shown (read them with read_file or read_code_components)\n\n"


def listed_block(paths: list[str], budget: int) -> str:
    """Files not even outlined (the outlines would not fit): their paths, as many as
    ``budget`` tokens hold, most central first, then how many more there are."""
    if not paths:
        return ""
    lines = [f"- {path}\n" for path in paths]
    if listing_tokens(paths) <= budget:
        return LISTING_HEAD + "".join(lines) + "\n"
    left = budget - estimate_tokens(LISTING_HEAD) - 12  # the count of the rest
    shown = 0
    for line in lines:
        left -= estimate_tokens(line)
        if left < 0:
            break
        shown += 1
    more = f"- and {len(paths) - shown} more files of this module\n\n"
    return LISTING_HEAD + "".join(lines[:shown]) + more


def listing_tokens(paths: list[str]) -> int:
    """What listing every one of ``paths`` takes."""
    return estimate_tokens(LISTING_HEAD + "".join(f"- {path}\n" for path in paths) + "\n")


def _component_list(components: list[ComponentFacts]) -> str:
    if not components:
        return "(none)\n"
    return "".join(
        f"- {c.id} ({c.kind}, lines {c.citation.start}-{c.citation.end})\n" for c in components
    )


def facts_text(dossier: ComponentDossier) -> str:
    """The module's facts from the index, each list cut at :data:`MAX_FACT_LINES`."""
    lines = ["# Facts from the index", "", "## Public API"]
    lines += _capped([f"- {name}" for name in dossier.public_api])
    lines += ["", "## References out (this module uses)"]
    lines += _capped([f"- {d.target}: {d.count}" for d in dossier.outgoing])
    lines += ["", "## References in (used by)"]
    lines += _capped([f"- {d.target}: {d.count}" for d in dossier.incoming])
    lines += ["", "## Entry points"]
    lines += _capped([f"- {e.name} ({e.kind}) at {e.citation.label}" for e in dossier.entry_points])
    lines += ["", "## Tests that exercise it"]
    lines += _capped([f"- {t.path}: {t.count} references" for t in dossier.tests])
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


def _capped(lines: list[str]) -> list[str]:
    if not lines:
        return ["(none)"]
    if len(lines) <= MAX_FACT_LINES:
        return lines
    return [*lines[:MAX_FACT_LINES], f"- and {len(lines) - MAX_FACT_LINES} more"]


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
