"""``build_wiki``: index, plan, then every page (leaf modules first), verify, manifest, viewer.

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

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tiffany

from ..index import IndexConfig, IndexingError, IndexResult, index_repository
from ..mermaid import MermaidChecker, MermaidCheckerFailed, MermaidUnavailable
from ..paths import output_dir
from ..plan import PlanConfig, plan_modules, write_module_tree
from ..plan.model import Module, ModuleTree
from .artifacts import (
    ComponentDossier,
    EntryPoint,
    ModuleNotebook,
    PageSectionArtifact,
    ResearchArtifact,
    SectionsArtifact,
)
from .dossier import build_dossier
from .entrypoints import find_entry_points
from .facts import RepositoryFacts
from .manifest import build_manifest, read_manifest, write_manifest
from .notebook import build_notebook
from .page import page_sections, render_page
from .research import research_module
from .sources import SourceError, SourceReader
from .store import ARTIFACTS_DIR, PAGES_DIR, OutputStore, UnsafeName, check_name, page_path
from .verification import (
    DiagramChecker,
    diagram_problems,
    evidence_problems,
    page_diagrams,
    unavailable,
)

logger = logging.getLogger(__name__)

#: ``progress(phase, done, total)``, as for indexing (phases ``plan``, ``pages``, ...).
ProgressCallback = Callable[[str, int, int], None]


class BuildError(Exception):
    """The wiki cannot be built at all; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BuildConfig:
    """Settings of a build: how to index and how to cut the module tree into pages."""

    index: IndexConfig = field(default_factory=IndexConfig)
    plan: PlanConfig = field(default_factory=PlanConfig)


@dataclass(slots=True)
class PageReport:
    """One page of a build: where it sits, what it holds, whether it is verified."""

    id: str
    title: str
    parent: str | None
    children: list[str]
    files: list[dict[str, Any]]
    sections: list[PageSectionArtifact]
    written: bool
    problems: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "unverified" if self.problems else "verified"

    @property
    def components(self) -> list[str]:
        return [c for section in self.sections for c in section.components]

    @property
    def citations(self) -> int:
        return len({c for section in self.sections for c in section.citations})

    @property
    def diagrams(self) -> int:
        return sum(len(section.diagrams) for section in self.sections)

    def manifest_entry(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "parent": self.parent,
            "children": self.children,
            "path": page_path(self.id),
            "files": self.files,
            "counts": {
                "components": len(self.components),
                "citations": self.citations,
                "diagrams": self.diagrams,
            },
            "status": self.status,
            "problems": self.problems,
        }


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

    @property
    def verified(self) -> int:
        return sum(1 for page in self.pages if page.status == "verified")

    @property
    def unverified(self) -> list[PageReport]:
        return [page for page in self.pages if page.status != "verified"]

    def summary(self) -> dict[str, Any]:
        """The ``--json`` output of ``cw build``."""
        artifacts = [p for p in self.files_written if p.startswith(ARTIFACTS_DIR + "/")]
        return {
            "output": str(self.output),
            "files": len(self.index.files),
            "lines": self.index.lines,
            "catalog_written": self.index.catalog_written,
            "module_tree_written": self.module_tree_written,
            "pages": len(self.pages),
            "pages_written": sum(1 for page in self.pages if page.written),
            "pages_unchanged": sum(1 for page in self.pages if not page.written),
            "pages_removed": sum(1 for p in self.files_removed if p.startswith(PAGES_DIR + "/")),
            "artifacts_written": len(artifacts),
            "artifacts_unchanged": sum(
                1 for p in self.files_unchanged if p.startswith(ARTIFACTS_DIR + "/")
            ),
            "verified": self.verified,
            "unverified": len(self.unverified),
            "unverified_pages": {page.id: page.problems for page in self.unverified},
            "components": sum(len(page.components) for page in self.pages),
            "citations": sum(page.citations for page in self.pages),
            "diagrams": sum(page.diagrams for page in self.pages),
            "manifest_written": self.manifest_written,
            "viewer_written": self.viewer_written,
            "viewer_problem": self.viewer_problem,
            "timings": {stage: round(s, 4) for stage, s in sorted(self.timings.items())},
        }


def build_wiki(
    repo: Path,
    output: Path | None = None,
    config: BuildConfig | None = None,
    *,
    tree: ModuleTree | None = None,
    progress: ProgressCallback | None = None,
    diagram_checker: DiagramChecker | None = None,
) -> BuildResult:
    """Build the wiki of ``repo`` into ``output`` (default ``<repo>/.cocowiki``).

    ``tree`` replaces planning (tests, or a tree edited by hand); ``diagram_checker``
    replaces the build's own mermaid process (to share one across builds).
    Raises :class:`BuildError` when the repository or output cannot be used.
    """
    started = time.perf_counter()
    config = config or BuildConfig()
    report = progress or _no_progress
    timings: dict[str, float] = {}
    output = output_dir(repo, output).resolve()
    if output == repo.resolve():
        raise BuildError(
            f"the output directory is the repository itself ({output}); "
            "use a subdirectory such as .cocowiki"
        )
    try:
        index = index_repository(repo, output, config.index, progress)
    except IndexingError as exc:
        raise BuildError(str(exc)) from exc
    repo = repo.resolve()
    timings["index"] = time.perf_counter() - started

    mark = time.perf_counter()
    report("plan", 0, 1)
    tree_written = False
    if tree is None:
        tree = plan_modules(index, config.plan)
        tree_written = write_module_tree(output, tree)
    report("plan", 1, 1)
    try:
        for module in tree:
            check_name(module.id)
    except UnsafeName as exc:
        raise BuildError(f"module tree: {exc}; run `cw plan` again") from exc
    timings["plan"] = time.perf_counter() - mark

    previous = read_manifest(output)
    may_prune = previous is not None or not (
        (output / PAGES_DIR).exists() or (output / ARTIFACTS_DIR).exists()
    )
    mark = time.perf_counter()
    store = OutputStore(output)
    facts = RepositoryFacts.build(repo, output, index, tree)
    try:
        pages, parse_problems = tiffany.run(
            _build_pages, facts, store, report, diagram_checker, _diagrams_parsed(previous)
        )
    except SourceError as exc:
        raise BuildError(
            f"{exc}: the repository changed during the build; run `cw build` again"
        ) from exc
    timings["pages"] = time.perf_counter() - mark

    mark = time.perf_counter()
    report("verify", 0, 1)
    reader = SourceReader(repo)
    for page in pages:
        evidence = evidence_problems(reader, page.sections, tree.modules)
        page.problems = parse_problems.get(page.id, []) + evidence
    report("verify", 1, 1)
    timings["verify"] = time.perf_counter() - mark

    removed = store.prune() if may_prune else []
    timings["total"] = time.perf_counter() - started
    manifest = build_manifest(
        repo, output, index, tree.root, [p.manifest_entry() for p in pages], timings
    )
    manifest_written = write_manifest(output, manifest)

    mark = time.perf_counter()
    viewer_written, viewer_problem = _write_viewer(output, repo)
    timings["viewer"] = time.perf_counter() - mark
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
    )


def _diagrams_parsed(manifest: dict[str, Any] | None) -> set[str]:
    """Pages of a previous build whose diagrams were all checked and parsed."""
    pages = manifest.get("pages", []) if manifest is not None else []
    return {
        str(page.get("id"))
        for page in pages
        if isinstance(page, dict)
        and not any(str(p).startswith("diagram ") for p in page.get("problems", []))
    }


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


async def _build_pages(
    facts: RepositoryFacts,
    store: OutputStore,
    report: ProgressCallback,
    checker: DiagramChecker | None,
    parsed_before: set[str],
) -> tuple[list[PageReport], dict[str, list[str]]]:
    """One task per module, each started when all its children are done, and one task
    checking each finished page's diagrams meanwhile (node works while Python writes).

    A page in ``parsed_before`` whose Markdown is unchanged has the same diagrams that
    parsed last time, so they are not sent to the parser again.
    """
    tree = facts.tree
    entry_points = find_entry_points(facts)
    done = {module.id: tiffany.Event() for module in tree}
    notebooks: dict[str, ModuleNotebook] = {}
    reports: dict[str, PageReport] = {}
    diagrams: tiffany.Channel[tuple[str, list[str]]] = tiffany.Channel(len(tree))
    problems: dict[str, list[str]] = {}
    report("pages", 0, len(tree))

    async def build(module: Module) -> None:
        for child in module.children:
            await done[child].wait()
        notebook, page = build_page(facts, module, entry_points, notebooks, store)
        notebooks[module.id] = notebook
        reports[module.id] = page
        done[module.id].set()
        if page.written or module.id not in parsed_before:
            await diagrams.send((module.id, page_diagrams(page.sections)))
        report("pages", len(reports), len(tree))

    async def build_all() -> None:
        async with tiffany.TaskGroup() as pages:
            for module in tree.build_order():
                await pages.spawn(build, module, name=f"page:{module.id}")
        diagrams.close()

    try:
        async with tiffany.TaskGroup() as group:
            await group.spawn(build_all, name="pages")
            await group.spawn(
                _check_diagrams,
                diagrams,
                checker,
                problems,
                name="diagrams",
                priority=tiffany.Priority.HIGH,  # runs between pages, so node works alongside
            )
    except BaseExceptionGroup as group_error:
        raise _first(group_error) from None
    return [reports[module_id] for module_id in _tree_order(tree)], problems


async def _check_diagrams(
    pages: tiffany.Channel[tuple[str, list[str]]],
    checker: DiagramChecker | None,
    problems: dict[str, list[str]],
) -> None:
    """Check each page's diagrams in a worker thread, with one mermaid process for all."""
    owned: MermaidChecker | None = None
    if checker is None:
        try:
            owned = await tiffany.to_thread(MermaidChecker)
            checker = owned.check
        except (MermaidUnavailable, MermaidCheckerFailed) as exc:
            checker = unavailable(exc)
    try:
        async for page, texts in pages:
            problems[page] = await tiffany.to_thread(diagram_problems, texts, checker)
    finally:
        if owned is not None:
            owned.close()


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


def build_page(
    facts: RepositoryFacts,
    module: Module,
    entry_points: list[EntryPoint],
    notebooks: dict[str, ModuleNotebook],
    store: OutputStore,
) -> tuple[ModuleNotebook, PageReport]:
    """Every artifact of one module and its page, written; its notebook and report."""
    dossier: ComponentDossier = build_dossier(facts, module, entry_points)
    store.artifact("dossiers", dossier)
    presented = entry_points if module.parent is None else dossier.entry_points
    research = research_module(facts, module, dossier, presented)
    store.artifact("research", ResearchArtifact(module=module.id, questions=research.artifacts))
    notebook = build_notebook(facts, module, dossier, research, notebooks)
    store.artifact("notebooks", notebook)
    sections = page_sections(facts, module, dossier, research, notebook, entry_points)
    store.artifact(
        "sections", SectionsArtifact(module=module.id, title=module.title, sections=sections)
    )
    written = store.page(module.id, render_page(sections))
    return notebook, PageReport(
        id=module.id,
        title=module.title,
        parent=module.parent,
        children=list(module.children),
        files=[{"path": f.path, "digest": f.digest, "lines": f.lines} for f in dossier.files],
        sections=sections,
        written=written,
    )


def _write_viewer(output: Path, repo: Path) -> tuple[bool | None, str | None]:
    from ..viewer import ViewerError, write_viewer

    try:
        return write_viewer(output, repo), None
    except ViewerError as exc:
        logger.warning("viewer not written: %s", exc)
        return None, str(exc)
