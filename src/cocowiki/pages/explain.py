"""``cw explain-dirty PAGE``: why a page would be built again, from the changed files on.

The build graph (:mod:`.graph`) keeps, for each page, the digest of every input it read.
This module works out the current digests the way the next build would, without
writing to the wiki: the index is brought up to date in a temporary copy of the catalog
(only the changed files are parsed), the module tree is planned again, and each input
of the page (and of its sub-pages, since a parent reads its children's summaries) is
compared. Each changed input is reported as a chain: the source files that changed, the
node of the graph they changed, the page. A page none of whose inputs changed is
"clean"; one whose only changed inputs are sub-pages that will be rebuilt "depends": it
is rebuilt only if one of their summaries changes (which only building them tells).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import CocowikiError
from ..index import IndexResult, index_repository
from ..index.store import catalog_path, load_file_keys
from ..plan import plan_modules
from ..plan.model import Module, ModuleTree
from .builder import _BUILD_CODE, BuildConfig
from .dossier import build_dossier
from .entrypoints import find_entry_points
from .facts import RepositoryFacts
from .graph import (
    NEVER_BUILT,
    OUTPUTS_CHANGED,
    UNVERIFIED,
    Inputs,
    Node,
    code_digest,
    load_graph,
    page_node,
    staleness,
    tool_digest,
)
from .modelprompt import CONTRACT_VERSION, contract_system
from .modelstore import ModelRecords
from .modelwriter import page_key, writer_identity
from .sourcepack import build_source_pack

#: Page ids named in the message for an unknown page.
LISTED_PAGES = 12


class ExplainError(CocowikiError):
    """The question cannot be answered (no wiki, unknown page); the message says why."""


@dataclass(slots=True)
class Reason:
    """One changed input of a page: the chain from changed files to the page."""

    input: str
    node: str
    files: list[str]
    chain: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"input": self.input, "node": self.node, "files": self.files, "chain": self.chain}


@dataclass(slots=True)
class Explanation:
    """Whether a page is clean, and if not, every reason it would be built again."""

    page: str
    status: str  # "clean", "dirty" or "depends" (on the summaries of rebuilt sub-pages)
    changed_files: list[str]
    reasons: list[Reason] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "status": self.status,
            "changed_files": self.changed_files,
            "reasons": [reason.as_json() for reason in self.reasons],
        }

    def text(self) -> str:
        if self.status == "clean":
            return f"{self.page}: clean\n"
        lines = [f"{self.page}: {STATUS_TEXT[self.status]}"]
        for reason in self.reasons:
            lines.append("  " + " -> ".join(reason.chain))
        return "\n".join(lines) + "\n"


def explain_dirty(
    repo: Path, output: Path, page: str, config: BuildConfig, *, scratch: Path | None = None
) -> Explanation:
    """Why ``page`` of the wiki in ``output`` would be built again from ``repo`` now.

    The index is brought up to date in a temporary folder made in ``scratch`` (default:
    the system's temporary folder) and removed after; ``cw mcp`` passes the output
    folder, the one place it writes."""
    repo = repo.resolve()
    output = output.resolve()
    catalog = catalog_path(output)
    nodes = load_graph(catalog)
    pages = sorted(name.removeprefix("page:") for name in nodes if name.startswith("page:"))
    if not pages:
        raise ExplainError(f"no wiki has been built in {output}: run `cw build` first")
    planned = _planned_page_of(output, page, set(pages))
    if planned is not None and planned != page:
        # a sub-page is written again exactly when the page that asked for it is
        explained = explain_dirty(repo, output, planned, config)
        part = Reason(
            f"subpage:{planned}", f"page {planned}", [], [f"page {planned}", f"sub-page {page}"]
        )
        reasons = [*explained.reasons, part] if explained.reasons else []
        return Explanation(page, explained.status, explained.changed_files, reasons)
    if page not in pages:
        shown = ", ".join(pages[:LISTED_PAGES])
        more = f" and {len(pages) - LISTED_PAGES} more" if len(pages) > LISTED_PAGES else ""
        raise ExplainError(
            f"no page {page!r} in {output}; its pages are {shown}{more} (see manifest.json)"
        )
    before = {path: digest for path, (digest, _name) in load_file_keys(catalog).items()}
    index = _current_index(repo, output, config, scratch)
    tree = plan_modules(index, config.plan)
    facts = RepositoryFacts.build(repo, output, index, tree)
    inputs = Inputs(facts, tool_digest(repo, output, code_digest(_BUILD_CODE)), "")
    inputs.entry_points = find_entry_points(facts)
    writer = config.writer.model if config.writer.uses_model else "deterministic"
    if config.writer.uses_model:
        inputs.writer = writer_identity(config.writer.model, config.writer, contract_system())
    changed = _changed_files(before, index)
    explainer = _Explainer(nodes, inputs, output, changed, index, writer)
    for module in _subtree_order(tree, page):
        reasons = explainer.reasons(module)
        if module.id == page:
            if config.writer.uses_model:
                reasons += _model_reasons(facts, module, inputs, output, config)
            return Explanation(page, _status(reasons), changed, reasons)
    # the page is gone from the module tree: the next build removes it
    gone = Reason("module:" + page, "module tree", changed, [*changed[:5], "module tree", page])
    return Explanation(page, "dirty", changed, [gone])


def _planned_page_of(output: Path, page: str, planned: set[str]) -> str | None:
    """The page of the module tree that ``page`` is part of: itself when it is one; for a
    sub-page a model split off, the planned page that asked for it (from the manifest);
    None when the manifest does not know it."""
    if page in planned:
        return page
    try:
        entries = json.loads((output / "manifest.json").read_text(encoding="utf-8"))["pages"]
        parents = {entry["id"]: entry.get("parent") for entry in entries}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    seen: str | None = page
    while seen is not None and seen not in planned:
        seen = parents.get(seen) if seen in parents else None
    return seen


def _model_reasons(
    facts: RepositoryFacts, module: Module, inputs: Inputs, output: Path, config: BuildConfig
) -> list[Reason]:
    """Why the model would be asked for the page again: its record's key against the key
    the next build makes (the source pack's digest, the page contract's version, the
    model spec, the writer's settings; a parent's pack holds its children's summaries,
    so a changed summary changes the pack)."""
    settings = config.writer
    dossier = build_dossier(facts, module, inputs.entry_points)
    records = ModelRecords(output)
    children = {child: records.summary(child) for child in module.children}
    pack = build_source_pack(facts, module, dossier, children, settings.pack_tokens)
    identity = writer_identity(settings.model, settings, contract_system())
    record = records.get(module.id)
    page = f"page {module.id}"
    if record is None:
        node = f"no model record (the model has not written it with {settings.model})"
        return [Reason("model:record", node, [], [node, page])]
    if record.key == page_key(identity, pack):
        return []
    reasons: list[Reason] = []
    if record.accounting.get("model") != settings.model:
        node = f"model spec {record.accounting.get('model')} -> {settings.model}"
        reasons.append(Reason("model:spec", node, [], [node, page]))
    if record.contract and record.contract != CONTRACT_VERSION:
        node = f"page contract v{record.contract} -> v{CONTRACT_VERSION}"
        reasons.append(Reason("model:contract", node, [], [node, page]))
    if not reasons and record.identity and record.identity != identity:
        node = "writer settings or the page contract's text (pack_tokens, repair_rounds, ...)"
        reasons.append(Reason("model:settings", node, [], [node, page]))
    if record.pack != pack.digest:
        held = "files, facts" + (" and children's summaries" if module.children else "")
        node = f"source pack (the module's {held})"
        if record.pack:
            node += f" {record.pack[:12]} -> {pack.digest[:12]}"
        reasons.append(Reason("model:pack", node, [], [node, page]))
    return reasons


def _current_index(
    repo: Path, output: Path, config: BuildConfig, scratch: Path | None = None
) -> IndexResult:
    """The index as the next build will see it, made in a copy of the catalog (so only
    changed files are parsed, and the wiki is not touched). The output folder, when it is
    in the repository, is left out as the build leaves it out."""
    settings = config.index
    inside = output.relative_to(repo).as_posix() if output.is_relative_to(repo) else None
    if inside:
        settings = replace(settings, exclude=(*settings.exclude, f"{inside}/*"))
    with tempfile.TemporaryDirectory(prefix=".cw-explain-", dir=scratch) as folder:
        shutil.copyfile(catalog_path(output), catalog_path(Path(folder)))
        index = index_repository(repo, Path(folder), settings)
    if inside:
        index.exclusions = [e for e in index.exclusions if not e.path.startswith(inside + "/")]
    return index


STATUS_TEXT = {
    "dirty": "dirty",
    "depends": "clean unless the summary of a rebuilt sub-page changes",
}


def _status(reasons: list[Reason]) -> str:
    if not reasons:
        return "clean"
    if all(reason.input.startswith("notebook:") for reason in reasons):
        return "depends"
    return "dirty"


def _changed_files(before: dict[str, str], index: IndexResult) -> list[str]:
    now = {source.path: source.digest for source in index.files}
    return sorted(path for path in before.keys() | now.keys() if before.get(path) != now.get(path))


def _subtree_order(tree: ModuleTree, page: str) -> list[Module]:
    """The page and its descendants, children first (empty when the page is gone)."""
    if page not in tree.modules:
        return []
    order: list[Module] = []

    def visit(module_id: str) -> None:
        for child in tree[module_id].children:
            visit(child)
        order.append(tree[module_id])

    visit(page)
    return order


@dataclass(slots=True)
class _Explainer:
    """Turns the stale inputs of pages into chains from the changed files."""

    nodes: dict[str, Node]
    inputs: Inputs
    output: Path
    changed: list[str]
    index: IndexResult
    writer: str

    def reasons(self, module: Module) -> list[Reason]:
        """Every reason the module's page is stale; a clean page's summary is known."""
        node = self.nodes.get(page_node(module.id))
        keys = list(staleness(node, self.inputs, self.output))
        if not keys and node is not None:
            self.inputs.summaries[module.id] = node.record["summary"]
        return [self._reason(module.id, key, node) for key in keys]

    def _reason(self, page: str, key: str, node_before: Node | None = None) -> Reason:
        if key in (NEVER_BUILT, UNVERIFIED, OUTPUTS_CHANGED):
            return Reason(key, "page", [], [f"page {page}: {key}"])
        kind, _, argument = key.partition(":")
        if kind == "notebook":
            node = f"summary of page {argument} (rebuilt, its summary may change)"
            return Reason(key, node, [], [f"page {argument}", node, f"page {page}"])
        if kind == "writer":
            node = f"the page writer (now {self.writer}: its model, contract or settings)"
            return Reason(key, node, [], [node, f"page {page}"])
        if kind == "tool":
            node = "cocowiki itself (its version, code or output place changed)"
            return Reason(key, node, [], [node, f"page {page}"])
        files = self._files_behind(kind, argument)
        if kind == "lines" and node_before is not None:
            node = self._changed_lines(argument, node_before.inputs.get(key, ""))
        else:
            node = _describe(kind, argument)
        parses = [f"parse of {path}" for path in files if path in self.changed][:3]
        return Reason(key, node, files, [*files[:5], *parses, node, f"page {page}"])

    def _changed_lines(self, argument: str, before: str) -> str:
        """The lines a page read of a file whose text changed, down to the span: the parts
        of the key whose digests differ from those recorded (all of them when the file
        cannot be read now or could not then), and the file's line count when it now ends
        before a changed span does (a cited span cut short: the citation is clamped)."""
        path, _, spec = argument.rpartition(":")
        parts = [part for part in spec.split(",") if part]
        now = self.inputs.digest(f"lines:{argument}").split(",")
        then = before.split(",")
        if len(now) != len(then) or len(now) != len(parts):
            return _describe_lines(path, parts)
        changed = [
            (part, new) for part, old, new in zip(parts, then, now, strict=True) if old != new
        ]
        described = _describe_lines(path, [part for part, _new in changed])
        ends = [new.partition("<")[2] for part, new in changed if part != "n" and "<" in new]
        return f"{described}, past its end (it has {ends[0]} lines now)" if ends else described

    def _files_behind(self, kind: str, argument: str) -> list[str]:
        """The changed files an input depends on (all of them when that is not known)."""
        if kind == "file":
            return [argument]
        if kind == "lines":
            return [argument.rpartition(":")[0]]
        path = _path_of(kind, argument)
        if path is not None and path in self.changed:
            return [path]
        if kind == "refs_into_file":
            referring = {ref.path for ref in self.index.references if ref.target_path == argument}
            found = sorted(referring & set(self.changed))
            if found:
                return found
        return list(self.changed)


def _describe_lines(path: str, parts: list[str]) -> str:
    """``line 9 of PATH``, ``lines 7-10, 16 and the line count of PATH``: parts of a
    ``lines:`` key (none: the file was only opened)."""
    spans = [part for part in parts if part != "n"]
    named = [] if len(spans) == len(parts) else ["the line count"]
    if spans:
        label = "line" if len(spans) == 1 and "-" not in spans[0] else "lines"
        named.insert(0, f"{label} {', '.join(spans)}")
    return f"{' and '.join(named)} of {path}" if named else f"whether {path} can be read"


def _path_of(kind: str, argument: str) -> str | None:
    """The file an input is about, when it is about one."""
    if kind in ("components", "children_of"):
        return argument.split("#", 1)[0]
    if kind == "explore":
        tool, *arguments = json.loads(argument)
        if tool in ("read", "graph_lookup"):
            return str(arguments[0]).split("#", 1)[0]
        return None
    if kind.startswith("files") or kind.endswith("_file"):
        return argument
    return None


_NODES = {
    "files": "index entry of {}",
    "components": "component {}",
    "by_file": "components of {}",
    "children_of": "members of {}",
    "refs_from_file": "references from {}",
    "refs_into_file": "references into {}",
    "module_of_file": "module of {}",
    "errors_by_file": "parse errors of {}",
    "module": "module tree entry {}",
    "modules": "module {} in the tree",
    "entry_points": "entry points shown on {}",
    "languages": "languages and sizes of the repository{}",
}


def _describe(kind: str, argument: str) -> str:
    if kind == "lines":
        path, _, spec = argument.rpartition(":")
        return _describe_lines(path, [part for part in spec.split(",") if part])
    if kind == "explore":
        tool, *arguments = json.loads(argument)
        return f"research lookup {tool}({', '.join(map(str, arguments))})"
    table, _, name = kind.partition(".")
    if name:
        return f"{name} of {argument} in the {'index' if table == 'files' else 'module tree'}"
    return _NODES.get(kind, kind + " {}").format(argument)
