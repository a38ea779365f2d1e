"""``build_wiki``: index, plan, then every page (leaf modules first), verify, manifest, viewer.

The build is incremental (:mod:`.graph`): a page whose recorded inputs have the same
digests as last time is not computed again, and the viewer is not rendered again unless
what it shows changed. One build writes an output directory at a time
(:func:`cocowiki.lock.output_lock`).

Pages are built as tiffany tasks in one task group, one task per module, each waiting on
the :class:`tiffany.Event` of each of its children before it starts: a parent's page
says what its children are about, and the repository overview comes last. The
deterministic writer does its CPU work inline in its task; a model-backed writer will
await model calls at the same places, and the shape of the build stays the same.

Per module: :func:`~.dossier.build_dossier` -> :func:`~.research.research_module` ->
:func:`~.notebook.build_notebook` -> :func:`~.page.page_sections` -> the page, each
artifact written (only if changed) as it is made. Then every page is verified
(:mod:`.verification`), ``manifest.json`` is written, files of pages that no longer
exist are removed, and the viewer is rendered.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tiffany

from ..config import ResearchConfig, WriterConfig
from ..errors import CocowikiError
from ..index import (
    IndexConfig,
    IndexingError,
    IndexResult,
    check_repository,
    index_repository,
)
from ..index.store import IndexChanges, catalog_path, index_changes, read_meta
from ..lock import OutputBusy, output_lock
from ..mermaid import MermaidUnavailable, find_mermaid
from ..mermaid_cache import DiagramCache
from ..paths import output_dir
from ..plan import PlanConfig
from ..plan.cache import plan_or_reuse
from ..plan.model import Module, ModuleTree
from .artifacts import (
    ComponentDossier,
    EntryPoint,
    KnownGap,
    ModuleNotebook,
    PageSectionArtifact,
    ResearchArtifact,
    ResearchQuestionArtifact,
    SectionsArtifact,
)
from .dossier import build_dossier
from .entrypoints import find_entry_points, is_manifest
from .facts import RepositoryFacts
from .gaps import close_gaps, completeness_gate
from .graph import (
    INDEX_KINDS,
    STATE_NODE,
    TREE_KINDS,
    GraphStore,
    Inputs,
    Node,
    NodeOutputs,
    TrackedDict,
    code_digest,
    digest_of,
    load_graph,
    page_node,
    staleness,
    summary_digest,
    tool_digest,
    track,
    tree_digest,
)
from .manifest import build_manifest, manifest_path, read_manifest, without_timings, write_manifest
from .modelreview import Reviewer
from .modelwriter import ModelWriter, model_reads, writer_run
from .notebook import build_notebook, notebook_answers
from .page import page_sections
from .research import research_module
from .scoutbuild import (
    BuildScout,
    ScoutAnswers,
    ScoutUnavailable,
    make_build_scout,
    scout_context,
)
from .sources import SourceError, SourceReader
from .store import (
    ARTIFACTS_DIR,
    PAGES_DIR,
    OutputStore,
    UnsafeName,
    artifact_path,
    check_name,
    node_files,
    page_path,
    remove_leftovers,
)
from .verification import DiagramChecker, PageDiagramChecks, evidence_problems, page_diagrams
from .writer import PageWriter, WrittenPage
from .writerfactory import WriterError, make_writer
from .writerrun import RunLimits

logger = logging.getLogger(__name__)

#: ``progress(phase, done, total)``, as for indexing (phases ``plan``, ``pages``, ...).
ProgressCallback = Callable[[str, int, int], None]


ENTRY_POINTS_NODE = "entry-points"
VIEWER_NODE = "viewer"
#: The viewer's file (``cocowiki.viewer.INDEX_NAME``; not imported, to keep a clean
#: rerun from loading the viewer at all).
VIEWER_FILE = "index.html"
_BUILD_CODE = Path(__file__).parent
_VIEWER_CODE = _BUILD_CODE.parent / "viewer"


class BuildError(CocowikiError):
    """The wiki cannot be built at all; the message says why and what to do."""


class BuildBusy(BuildError):
    """Another build is writing the same output directory."""


@dataclass(frozen=True, slots=True)
class BuildConfig:
    """Settings of a build: how to index, how to cut the module tree into pages, who
    writes them (``writer``), and the limits of this run of the model writer."""

    index: IndexConfig = field(default_factory=IndexConfig)
    plan: PlanConfig = field(default_factory=PlanConfig)
    writer: WriterConfig = field(default_factory=WriterConfig)
    limits: RunLimits = field(default_factory=RunLimits)
    research: ResearchConfig = field(default_factory=ResearchConfig)


@dataclass(slots=True)
class PageReport:
    """One page of a build: where it sits, what it holds, whether it is verified.

    ``recomputed`` is false for a page whose inputs had not changed: it was not built
    again, and ``sections`` is empty (they are in its artifact, unchanged).
    """

    id: str
    title: str
    parent: str | None
    children: list[str]
    files: list[dict[str, Any]]
    counts: dict[str, int]
    cited: list[str]
    written: bool
    recomputed: bool = True
    sections: list[PageSectionArtifact] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: A model page's accounting (model, calls, rounds, tokens, cost, verification).
    writer: dict[str, Any] | None = None
    #: Why the model did not write this page in this build (it is asked next build).
    pending: str | None = None
    #: Pages the model split off this one (``generate_sub_module_documentation``),
    #: parents before their children; they are reported, and reused, with this page.
    subpages: list[PageReport] = field(default_factory=list)
    #: The completeness gate's known gaps of the module (:mod:`.gaps`), as JSON.
    gaps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def open_gaps(self) -> list[dict[str, Any]]:
        return [gap for gap in self.gaps if not gap.get("closed_by")]

    @property
    def status(self) -> str:
        return "unverified" if self.problems else "verified"

    @property
    def citations(self) -> int:
        return self.counts["citations"]

    @property
    def diagrams(self) -> int:
        return self.counts["diagrams"]

    def manifest_entry(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "parent": self.parent,
            "children": self.children,
            "path": page_path(self.id),
            "files": self.files,
            "counts": self.counts,
            "status": self.status,
            "problems": self.problems,
            "gaps": self.gaps,
            **({"writer": self.writer} if self.writer is not None else {}),
            **({"pending": self.pending} if self.pending is not None else {}),
        }

    def record(self) -> dict[str, Any]:
        """What the build graph keeps of the page, to report it without building it."""
        record: dict[str, Any] = {"files": self.files, "counts": self.counts, "cited": self.cited}
        if self.gaps:
            record["gaps"] = self.gaps
        if self.subpages:
            record["subpages"] = [
                {"id": s.id, "title": s.title, "parent": s.parent, "children": s.children}
                | s.record()
                for s in self.subpages
            ]
        return record | ({"writer": self.writer} if self.writer is not None else {})

    @classmethod
    def reused(cls, module: Module, record: Mapping[str, Any]) -> PageReport:
        subpages = [
            cls(
                id=sub["id"],
                title=sub["title"],
                parent=sub["parent"],
                children=sub["children"],
                files=sub["files"],
                counts=sub["counts"],
                cited=sub["cited"],
                written=False,
                recomputed=False,
                writer=sub.get("writer"),
            )
            for sub in record.get("subpages", [])
        ]
        return cls(
            id=module.id,
            title=module.title,
            parent=module.parent,
            children=[*module.children, *(s.id for s in subpages if s.parent == module.id)],
            files=record["files"],
            counts=record["counts"],
            cited=record["cited"],
            written=False,
            recomputed=False,
            writer=record.get("writer"),
            subpages=subpages,
            gaps=list(record.get("gaps", [])),
        )


@dataclass(slots=True)
class BuildResult:
    """What a build did, as ``cw build`` reports it."""

    output: Path
    index: IndexResult
    pages: list[PageReport]
    module_tree_written: bool
    files_written: list[str]
    files_unchanged: list[str]
    files_removed: list[str]
    manifest_written: bool
    viewer_written: bool | None
    viewer_problem: str | None
    timings: dict[str, float]
    entry_points_recomputed: bool = True
    viewer_recomputed: bool = True
    #: Why no diagram could be checked (node or mermaid missing), said once per build.
    diagrams_not_checked: str | None = None
    #: The model writer's run: pages asked, calls made and their cost in this build,
    #: and why it stopped early (``--max-calls``/``--max-cost``); None without a model.
    model_run: dict[str, Any] | None = None
    #: The research scout's run: questions asked (``module/question``), answers reused,
    #: calls and tokens; None without ``[research] model``.
    research_run: dict[str, Any] | None = None
    #: The repository the wiki was built from (the manifest's ``built_from``).
    built_from: str = ""

    @property
    def verified(self) -> int:
        return sum(1 for page in self.pages if page.status == "verified")

    @property
    def unverified(self) -> list[PageReport]:
        return [page for page in self.pages if page.status != "verified"]

    @property
    def recomputed(self) -> list[str]:
        """Ids of the pages computed again (their inputs changed, or they were new)."""
        return [page.id for page in self.pages if page.recomputed]

    def summary(self) -> dict[str, Any]:
        """The ``--json`` output of ``cw build``."""
        artifacts = [p for p in self.files_written if p.startswith(ARTIFACTS_DIR + "/")]
        written = sum(1 for page in self.pages if page.written)
        return {
            "output": str(self.output),
            "files": len(self.index.files),
            "lines": self.index.lines,
            "catalog_written": self.index.catalog_written,
            "module_tree_written": self.module_tree_written,
            "pages": len(self.pages),
            "pages_recomputed": len(self.recomputed),
            "pages_rewritten": written,
            "pages_written": written,
            "pages_unchanged": len(self.pages) - written,
            "pages_removed": sum(1 for p in self.files_removed if p.startswith(PAGES_DIR + "/")),
            "artifacts_written": len(artifacts),
            "artifacts_unchanged": sum(
                1 for p in self.files_unchanged if p.startswith(ARTIFACTS_DIR + "/")
            ),
            "recomputed": {
                "files_parsed": self.index.files_parsed,
                "entry_points": self.entry_points_recomputed,
                "pages": self.recomputed,
                "viewer": self.viewer_recomputed,
            },
            "verified": self.verified,
            "unverified": len(self.unverified),
            "unverified_pages": {page.id: page.problems for page in self.unverified},
            "diagrams_not_checked": self.diagrams_not_checked,
            "components": sum(page.counts["components"] for page in self.pages),
            "citations": sum(page.citations for page in self.pages),
            "diagrams": sum(page.diagrams for page in self.pages),
            "known_gaps": sum(len(page.open_gaps) for page in self.pages),
            "gaps_closed": sum(len(page.gaps) - len(page.open_gaps) for page in self.pages),
            "gaps": {page.id: page.gaps for page in self.pages if page.gaps},
            "manifest_written": self.manifest_written,
            "viewer_written": self.viewer_written,
            "viewer_problem": self.viewer_problem,
            "timings": {stage: round(s, 4) for stage, s in sorted(self.timings.items())},
            "built_from": self.built_from,
            "model": self.model_summary() if self.model_run is not None else None,
            "research": self.research_run,
        }

    def model_summary(self) -> dict[str, Any]:
        """The model writer's totals: this build's calls, and the recorded cost of every
        page as it stands (``--json`` key ``model``)."""
        entries = [page.writer for page in self.pages if page.writer is not None]
        costs = [entry["cost"] for entry in entries]
        return {
            **(self.model_run or {}),
            "pages_pending": sorted(page.id for page in self.pages if page.pending),
            "pages": {
                "written": len(entries),
                "calls": sum(entry["calls"] for entry in entries),
                "rounds": sum(entry["rounds"] for entry in entries),
                "input_tokens": sum(entry["input_tokens"] for entry in entries),
                "output_tokens": sum(entry["output_tokens"] for entry in entries),
                "cost": None if None in costs else round(sum(costs), 6),
                "unverified": sum(1 for e in entries if e["verification"] != "verified"),
            },
        }


def build_wiki(
    repo: Path,
    output: Path | None = None,
    config: BuildConfig | None = None,
    *,
    tree: ModuleTree | None = None,
    progress: ProgressCallback | None = None,
    diagram_checker: DiagramChecker | None = None,
    wait: float = 0.0,
) -> BuildResult:
    """Build the wiki of ``repo`` into ``output`` (default ``<repo>/.cocowiki``).

    ``tree`` replaces planning (tests, or a tree edited by hand); ``diagram_checker``
    replaces the build's own mermaid process (to share one across builds); ``wait`` is
    how long to wait for another build of the same output to finish.
    Raises :class:`BuildError` when the repository or output cannot be used, and
    :class:`BuildBusy` when another build holds the output longer than ``wait``.
    """
    try:
        repo = check_repository(repo)
    except IndexingError as exc:
        raise BuildError(str(exc)) from exc
    output = output_dir(repo, output).resolve()
    if output == repo:
        raise BuildError(
            f"the output directory is the repository itself ({output}); "
            "use a subdirectory such as .cocowiki"
        )
    try:
        with output_lock(output, wait):
            return _build(repo, output, config or BuildConfig(), tree, progress, diagram_checker)
    except OutputBusy as exc:
        raise BuildBusy(str(exc)) from exc


def _build(
    repo: Path,
    output: Path,
    config: BuildConfig,
    tree: ModuleTree | None,
    progress: ProgressCallback | None,
    diagram_checker: DiagramChecker | None,
) -> BuildResult:
    started = time.perf_counter()
    report = progress or _no_progress
    timings: dict[str, float] = {}
    catalog = catalog_path(output)
    previous_graph = load_graph(catalog)
    remove_leftovers([manifest_path(output), output / VIEWER_FILE])
    try:
        index = index_repository(repo, output, config.index, progress, lazy=True)
    except IndexingError as exc:
        raise BuildError(str(exc)) from exc
    timings["index"] = time.perf_counter() - started

    mark = time.perf_counter()
    report("plan", 0, 1)
    tree_written = False
    if tree is None:
        tree, tree_written = plan_or_reuse(output, index, config.plan)
    report("plan", 1, 1)
    try:
        for module in tree:
            check_name(module.id)
    except UnsafeName as exc:
        raise BuildError(f"module tree: {exc}; run `cw plan` again") from exc
    _check_selected(config, tree)
    timings["plan"] = time.perf_counter() - mark

    previous = read_manifest(output)
    may_prune = previous is not None or not (
        (output / PAGES_DIR).exists() or (output / ARTIFACTS_DIR).exists()
    )
    mark = time.perf_counter()
    store = OutputStore(output)
    graph = GraphStore.open(catalog, previous_graph)
    try:
        state = {
            "index": read_meta(catalog).get("fingerprint", ""),
            "tree": tree_digest(tree),
            "tool": tool_digest(repo, output, code_digest(_BUILD_CODE)),
        }
        facts = RepositoryFacts.build(repo, output, index, tree)
        inputs = Inputs(facts, state["tool"], state["index"], *_stability(graph, state, catalog))
        checks = PageDiagramChecks(DiagramCache.load(output), diagram_checker)
        # the reviewer reads files from worker threads: untracked, so never a page's input
        review = Reviewer(SourceReader(repo), {m.id for m in tree}, checks.check, output)
        try:
            writer = make_writer(config.writer, config.limits, output, review)
        except WriterError as exc:
            raise BuildError(str(exc)) from exc
        inputs.writer = writer.identity
        try:
            scout = make_build_scout(config.research, output)
        except ScoutUnavailable as exc:
            raise BuildError(str(exc)) from exc
        if scout is not None:
            inputs.scout = scout.identity
        track(facts, inputs)
        entry_points, entry_points_recomputed = _entry_points(facts, inputs, graph)
        with checks:
            try:
                pages = tiffany.run(
                    _build_pages,
                    tree,
                    facts,
                    inputs,
                    graph,
                    store,
                    report,
                    checks,
                    entry_points,
                    writer,
                    scout,
                )
            except SourceError as exc:
                raise BuildError(
                    f"{exc}: the repository changed during the build; run `cw build` again"
                ) from exc
            parse_problems = checks.problems()  # the answers still to come
            unavailable = checks.unavailable
        checks.cache.keep(module.id for module in tree)
        checks.cache.save()
        timings["pages"] = time.perf_counter() - mark

        mark = time.perf_counter()
        report("verify", 0, 1)
        recomputed = [page for page in pages if page.recomputed]
        reader = SourceReader(repo)
        ids = {page.id for page in pages}
        for page in recomputed:
            evidence = evidence_problems(reader, page.sections, ids)
            written = (page.writer or {}).get("problems", [])
            page.problems = written + parse_problems.get(page.id, []) + evidence
        done = [p for p in recomputed if p.pending is None and p.id in tree.modules]
        graph.put_all({page_node(p.id): _page_node(p, inputs, store) for p in done})
        for page in recomputed:
            if page.pending is not None:  # asked again next build
                graph.drop(page_node(page.id))
        report("verify", 1, 1)
        timings["verify"] = time.perf_counter() - mark

        removed = store.prune() if may_prune else []
        timings["total"] = time.perf_counter() - started
        manifest = build_manifest(
            repo, output, index, tree.root, [p.manifest_entry() for p in pages], timings
        )
        manifest_written = write_manifest(output, manifest)

        mark = time.perf_counter()
        viewer_written, viewer_problem, viewer_recomputed = _viewer(
            output, repo, graph, inputs, pages, manifest
        )
        timings["viewer"] = time.perf_counter() - mark
        graph.keep_only(
            [page_node(m.id) for m in tree] + [ENTRY_POINTS_NODE, VIEWER_NODE, STATE_NODE]
        )
        graph.put(STATE_NODE, Node(state, {}))
    finally:
        graph.close()
    timings["total"] = time.perf_counter() - started
    return BuildResult(
        output=output,
        index=index,
        pages=pages,
        module_tree_written=tree_written,
        files_written=store.written,
        files_unchanged=store.unchanged,
        files_removed=removed,
        manifest_written=manifest_written,
        viewer_written=viewer_written,
        viewer_problem=viewer_problem,
        timings=timings,
        entry_points_recomputed=entry_points_recomputed,
        viewer_recomputed=viewer_recomputed,
        diagrams_not_checked=None if unavailable is None else str(unavailable),
        model_run=writer_run(writer, tree),
        research_run=None if scout is None else scout.run_summary(),
        built_from=repo.as_posix(),
    )


def _check_selected(config: BuildConfig, tree: ModuleTree) -> None:
    """``--pages`` names pages of the tree (a sub-page is written with its parent)."""
    if not config.writer.uses_model or not config.limits.pages:
        return
    unknown = [page for page in config.limits.pages if page not in tree.modules]
    if unknown:
        near = {p: difflib.get_close_matches(p, list(tree.modules), n=1) for p in unknown}
        names = ", ".join(f"{p} (did you mean {near[p][0]}?)" if near[p] else p for p in unknown)
        raise BuildError(
            f"--pages: no such page: {names}; the pages are in module_tree.json "
            "(a sub-page is written with the page it is part of)"
        )


def _stability(
    graph: GraphStore, state: dict[str, str], catalog: Path
) -> tuple[frozenset[str], IndexChanges | None]:
    """Kinds of inputs known unchanged since the last complete build, which ran with the
    same tool: those of the index when it ran on the same index, those of the module
    tree when on the same tree. When the index changed only by updates in place, what
    they changed (the index's keys they cannot touch are unchanged too).

    Any other state is forgotten first, so nodes this build records are never taken for
    nodes of the state it replaces, even if the build is killed.
    """
    before = graph.previous.get(STATE_NODE)
    if before is None or before.inputs != state:
        graph.drop(STATE_NODE)
    if before is None or before.inputs.get("tool") != state["tool"]:
        return frozenset(), None
    stable = TREE_KINDS if before.inputs.get("tree") == state["tree"] else frozenset()
    if before.inputs.get("index") == state["index"]:
        return stable | INDEX_KINDS, None
    return stable, index_changes(catalog, before.inputs.get("index", ""), state["index"])


def _entry_points(
    facts: RepositoryFacts, inputs: Inputs, graph: GraphStore
) -> tuple[list[EntryPoint], bool]:
    """The repository's entry points, and whether they were searched again (a node over
    the index and the files the search reads). When only some files' code changed, only
    those files are searched again (:func:`~.entrypoints.find_entry_points`)."""
    node = graph.previous.get(ENTRY_POINTS_NODE)
    previous: list[EntryPoint] = []
    files: set[str] | None = None
    stale: list[str] = []
    if node is not None:
        previous = [EntryPoint.model_validate(e) for e in node.record["entry_points"]]
        stale = [key for key, _old, _new in inputs.changed(node.inputs)]
        if not stale:
            inputs.entry_points = previous
            return previous, False
        files = _code_changed(stale)
    with inputs.recording() as keys:
        found = find_entry_points(facts, previous, files)
    keys.update(dict.fromkeys(["listed:", "tool:"]))
    if node is None or files is None:
        recorded = inputs.digests(keys)
    else:  # the inputs that did not change keep their digests
        fresh = [key for key in [*keys, *stale] if key in stale or key not in node.inputs]
        recorded = {**node.inputs, **inputs.digests(fresh)}
    record = {"entry_points": [e.model_dump(mode="json") for e in found]}
    graph.put(ENTRY_POINTS_NODE, Node(recorded, record))
    inputs.entry_points = found
    return found, True


#: Kinds of inputs about one file whose change leaves the entry points of other files'
#: code as they were.
_FILE_INPUTS = frozenset({"file", "lines", "by_file", "files", "components"})


def _code_changed(stale: list[str]) -> set[str] | None:
    """The files whose code the changed inputs of the entry points are about, when they
    are only that (not a manifest, the list of files or the tool); else None."""
    files: set[str] = set()
    for key in stale:
        kind, _, argument = key.partition(":")
        if kind == "lines":  # lines:PATH:SPEC (graph.lines_key), a path may hold a ':'
            argument = argument.rpartition(":")[0]
        if kind.partition(".")[0] not in _FILE_INPUTS or is_manifest(argument):
            return None
        files.update({argument, argument.split("#", 1)[0]})  # a component's file, or more
    return files


def _own_inputs(module: Module) -> list[str]:
    """Inputs of a page it does not look up through the facts: its module, its entry
    points, the tool, and (for the overview) the repository's languages and sizes."""
    own = [f"module:{module.id}", f"entry_points:{module.id}", "tool:", "writer:", "scout:"]
    return own + (["languages:"] if module.parent is None else [])


def _page_node(page: PageReport, inputs: Inputs, store: OutputStore) -> Node:
    """A page built in this run, as the graph keeps it: what it read, what it made (its
    sub-pages' files and problems too: they are written again exactly when it is)."""
    files = [*node_files(page.id), *(f for sub in page.subpages for f in sub_page_files(sub.id))]
    written = {relative: store.digests[relative] for relative in files}
    record = {
        **page.record(),
        "summary": inputs.summaries[page.id],
        "problems": [*page.problems, *(p for sub in page.subpages for p in sub.problems)],
        "outputs": NodeOutputs.of(store.root, written).files,
    }
    return Node(inputs.recorded[page.id], record)


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


class _Notebooks(TrackedDict[ModuleNotebook]):
    """The notebooks of the pages built so far; a page that was not built again (its
    inputs did not change) has its notebook read from its artifact when a parent needs it."""

    def __init__(self, inputs: Inputs, output: Path) -> None:
        super().__init__({}, inputs, "notebook")
        self.output = output

    def __missing__(self, module_id: str) -> ModuleNotebook:
        path = self.output / artifact_path("notebooks", module_id)
        notebook = ModuleNotebook.model_validate_json(path.read_bytes())
        self[module_id] = notebook
        return notebook


def _reuse(
    module: Module, node: Node | None, inputs: Inputs, store: OutputStore
) -> PageReport | None:
    """The page as the last build left it, when none of its inputs changed, it was
    verified, and its files are still as written; else None (it must be built)."""
    if node is None or next(staleness(node, inputs, store.root), None) is not None:
        return None
    store.keep(list(node.record["outputs"]))
    inputs.summaries[module.id] = node.record["summary"]
    return PageReport.reused(module, node.record)


async def _build_pages(
    tree: ModuleTree,
    facts: RepositoryFacts,
    inputs: Inputs,
    graph: GraphStore,
    store: OutputStore,
    report: ProgressCallback,
    checks: PageDiagramChecks,
    entry_points: list[EntryPoint],
    writer: PageWriter,
    scout: BuildScout | None = None,
) -> list[PageReport]:
    """One task per module, each started when all its children are done; each page
    computed again hands its diagrams to ``checks`` as soon as it is written, so mermaid
    parses them on the other cores while the next pages are made.

    A page whose inputs did not change is taken as it is (:func:`_reuse`).
    """
    done = {module.id: tiffany.Event() for module in tree}
    notebooks = _Notebooks(inputs, store.root)
    reports: dict[str, PageReport] = {}
    report("pages", 0, len(tree))

    async def build(module: Module) -> None:
        for child in module.children:
            await done[child].wait()
        page = _reuse(module, graph.previous.get(page_node(module.id)), inputs, store)
        if page is None:
            scouted = ScoutAnswers()
            with inputs.recording() as keys:
                known = module_facts(facts, module, entry_points, store)
            if scout is not None:
                context = scout_context(facts, module)
                scouted = await scout.answer(facts, module, known[1], context)
            with inputs.recording() as more:
                parts = build_page(
                    facts, module, entry_points, notebooks, store, known, scouted.answers
                )
                BuildScout.track(facts, scouted.answers)
                draft = writer.prepare(
                    facts, module, parts.dossier, parts.sections, notebook=parts.notebook
                )
            keys.update(more)
            keys.update(dict.fromkeys(_own_inputs(module)))
            notebook = notebooks[module.id] = parts.notebook
            inputs.recorded[module.id] = inputs.digests(keys)
            written = await writer.write(draft)
            page = publish_page(module, parts, written, store)
            if scouted.failed and page.pending is None:
                page.pending = "the scout failed on " + "; ".join(scouted.failed)
            page.subpages = publish_sub_pages(page, written, store)
            inputs.summaries[module.id] = summary_digest(
                notebook.title, notebook.summary, written.summary
            )
        reports[module.id] = page
        done[module.id].set()
        for built in [page, *page.subpages]:
            if built.recomputed:
                checks.submit(built.id, page_diagrams(built.sections))
        report("pages", len(reports), len(tree))

    selected = writer.limits.pages if isinstance(writer, ModelWriter) else None
    try:
        async with tiffany.TaskGroup() as group:
            for module in _spawn_order(tree, selected):
                await group.spawn(build, module, name=f"page:{module.id}")
    except BaseExceptionGroup as group_error:
        raise _first(group_error) from None
    return [
        each
        for module_id in _tree_order(tree)
        for each in [reports[module_id], *reports[module_id].subpages]
    ]


def _spawn_order(tree: ModuleTree, selected: Collection[str] | None) -> list[Module]:
    """The order pages are started in: leaves first, each parent after its children;
    with ``--pages``, the selected pages first, in the order given (each after the pages
    below it), then the rest."""
    order = tree.build_order()
    if not selected:
        return order
    first: dict[str, Module] = {}
    for module_id in selected:
        if module_id in tree.modules:
            for module in _subtree_order(tree, module_id):
                first.setdefault(module.id, module)
    return [*first.values(), *(m for m in order if m.id not in first)]


def _subtree_order(tree: ModuleTree, module_id: str) -> list[Module]:
    """``module_id``'s subtree, leaves first, the module last."""
    module = tree[module_id]
    return [m for child in module.children for m in _subtree_order(tree, child)] + [module]


def _first(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error


def _tree_order(tree: ModuleTree) -> list[str]:
    """Root first, then each module followed by its subtree, in the tree's child order."""
    order: list[str] = []
    stack = [tree.root]
    while stack:
        module_id = stack.pop()
        order.append(module_id)
        stack.extend(reversed(tree[module_id].children))
    return order


@dataclass(frozen=True, slots=True)
class PageParts:
    """The artifacts the build made for one page, before a writer makes the page."""

    dossier: ComponentDossier
    research: ResearchArtifact
    notebook: ModuleNotebook
    sections: list[PageSectionArtifact]


def module_facts(
    facts: RepositoryFacts,
    module: Module,
    entry_points: list[EntryPoint],
    store: OutputStore,
) -> tuple[ComponentDossier, list[KnownGap]]:
    """A module's dossier (written) and the completeness gate's known gaps of it."""
    dossier: ComponentDossier = build_dossier(facts, module, entry_points)
    store.artifact("dossiers", dossier)
    return dossier, completeness_gate(facts, module, dossier)


def build_page(
    facts: RepositoryFacts,
    module: Module,
    entry_points: list[EntryPoint],
    notebooks: Mapping[str, ModuleNotebook],
    store: OutputStore,
    known: tuple[ComponentDossier, list[KnownGap]] | None = None,
    answers: Sequence[ResearchQuestionArtifact] = (),
) -> PageParts:
    """Every artifact of one module (dossier, research, notebook, sections), written;
    ``known`` is the dossier and gaps when made already, ``answers`` the scout's (they
    join the research, close the gaps they answer and go into the notebook)."""
    dossier, gaps = known or module_facts(facts, module, entry_points, store)
    presented = entry_points if module.parent is None else dossier.entry_points
    research = research_module(facts, module, dossier, presented)
    questions = ResearchArtifact(
        module=module.id,
        questions=[*research.artifacts, *answers],
        gaps=close_gaps(gaps, answers),
    )
    notebook = build_notebook(facts, module, dossier, research, notebooks)
    if answers:
        notebook = notebook.model_copy(update={"answers": notebook_answers(answers)})
    store.artifact("notebooks", notebook)
    sections = page_sections(facts, module, dossier, research, notebook, entry_points)
    return PageParts(dossier, questions, notebook, sections)


def publish_page(
    module: Module, parts: PageParts, written: WrittenPage, store: OutputStore
) -> PageReport:
    """Write the page the writer made, with its sections and research artifacts (the
    model's reads are footprints of the research, as the deterministic lookups are)."""
    research = parts.research
    if written.footprints:
        research = research.model_copy(
            update={"questions": [*research.questions, model_reads(module, written.footprints)]}
        )
    store.artifact("research", research)
    sections = written.sections
    store.artifact(
        "sections", SectionsArtifact(module=module.id, title=module.title, sections=sections)
    )
    counts, cited = _tally(sections)
    return PageReport(
        id=module.id,
        title=module.title,
        parent=module.parent,
        children=list(module.children),
        files=[{"path": f.path, "digest": f.digest, "lines": f.lines} for f in parts.dossier.files],
        counts=counts,
        cited=cited,
        written=store.page(module.id, written.markdown),
        sections=sections,
        writer=written.accounting,
        pending=written.pending,
        gaps=[gap.model_dump(mode="json") for gap in research.gaps],
    )


def _tally(sections: Sequence[PageSectionArtifact]) -> tuple[dict[str, int], list[str]]:
    """A page's counts (components, distinct citations, diagrams) and the files it cites,
    from its sections."""
    citations = {c for section in sections for c in section.citations}
    counts = {
        "components": sum(len(section.components) for section in sections),
        "citations": len(citations),
        "diagrams": sum(len(section.diagrams) for section in sections),
    }
    return counts, sorted({c.path for c in citations})


def publish_sub_pages(
    page: PageReport, written: WrittenPage, store: OutputStore
) -> list[PageReport]:
    """Write the pages the model split off ``page`` (its sections and Markdown) and add
    them to the tree under it; parents before their children."""
    reports: dict[str, PageReport] = {}
    for sub in written.subpages:
        module, made = sub.module, sub.page
        sections = made.sections
        store.artifact(
            "sections", SectionsArtifact(module=module.id, title=module.title, sections=sections)
        )
        reads = [model_reads(module, made.footprints)]
        store.artifact("research", ResearchArtifact(module=module.id, questions=reads))
        counts, cited = _tally(sections)
        reports[module.id] = PageReport(
            id=module.id,
            title=module.title,
            parent=module.parent,
            children=[],
            files=[],
            counts=counts,
            cited=cited,
            written=store.page(module.id, made.markdown),
            sections=sections,
            writer=made.accounting,
        )
    for report in reports.values():
        parent = reports.get(report.parent or "", page)
        parent.children.append(report.id)
    ordered: list[PageReport] = []

    def visit(report: PageReport) -> None:
        for child in report.children:
            if child in reports:
                ordered.append(reports[child])
                visit(reports[child])

    visit(page)
    return ordered


def sub_page_files(module_id: str) -> list[str]:
    """The files a sub-page has: its sections, its research (the model's reads) and
    its Markdown."""
    kinds = ("research", "sections")
    return [*(artifact_path(kind, module_id) for kind in kinds), page_path(module_id)]


def _viewer(
    output: Path,
    repo: Path,
    graph: GraphStore,
    inputs: Inputs,
    pages: list[PageReport],
    manifest: dict[str, Any],
) -> tuple[bool | None, str | None, bool]:
    """Render ``index.html`` unless nothing it shows changed: the manifest (but its
    timings), the pages, the catalog, the cited files and the viewer's own code.

    Returns (written, problem, recomputed).
    """
    cited = sorted({path for page in pages for path in page.cited})
    digest = digest_of(
        (
            json.dumps(without_timings(manifest), sort_keys=True),
            [(page.id, _page_digest(output, page.id)) for page in pages],
            inputs.index_fingerprint,
            [(path, inputs.file_digest(path)) for path in cited],
            code_digest(_VIEWER_CODE),
            _mermaid_state(),
        )
    )
    node = graph.previous.get(VIEWER_NODE)
    unchanged = node is not None and node.inputs.get("viewer") == digest
    if node is not None and unchanged and NodeOutputs(node.record["outputs"]).intact(output):
        return False, None, False
    written, problem = _write_viewer(output, repo)
    if written is None:
        graph.drop(VIEWER_NODE)
        return written, problem, True
    html = output / VIEWER_FILE
    outputs = NodeOutputs.of(output, {html.name: _viewer_digest(html)})
    graph.put(VIEWER_NODE, Node({"viewer": digest}, {"outputs": outputs.files}))
    return written, problem, True


def _viewer_digest(html: Path) -> str:
    """What ``index.html`` holds: the layout its sidecar records while the sidecar
    describes the file as it is (same inode, size and mtime), a digest of the pieces'
    keys that stands for its bytes (hashing its 70 MB again costs 0.15 s); else its
    SHA-256. A file changed since is found changed either way (``NodeOutputs.intact``)."""
    from ..viewer.pieces import PieceStore

    with PieceStore(html) as pieces:
        if pieces.layout is not None:
            return "layout:" + pieces.layout
    return hashlib.sha256(html.read_bytes()).hexdigest()


def _page_digest(output: Path, module_id: str) -> str:
    """The digest of a page's Markdown as it is on disk now."""
    try:
        return hashlib.sha256((output / page_path(module_id)).read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _mermaid_state() -> str:
    """Which mermaid the viewer would embed (its browser build's place, time and size)."""
    try:
        browser = find_mermaid().browser_bundle
        return f"{browser}:{browser.stat().st_mtime_ns}:{browser.stat().st_size}"
    except (MermaidUnavailable, OSError) as exc:
        return f"unavailable: {exc}"


def _write_viewer(output: Path, repo: Path) -> tuple[bool | None, str | None]:
    from ..viewer import ViewerError, write_viewer

    try:
        return write_viewer(output, repo), None
    except ViewerError as exc:
        logger.warning("viewer not written: %s", exc)
        return None, str(exc)
