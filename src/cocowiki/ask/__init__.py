"""``cw ask``: answers from the index and the wiki, with the evidence to check them.

The deterministic answer is the ranked evidence itself (see :mod:`.retrieve` for how it
is found, :mod:`.evidence` for what it holds); with a model, :mod:`.grounded` adds a short
answer that may say only what that evidence shows. It needs only the index: a wiki, when
built, adds the page that documents each piece of evidence.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import tiffany
from tiffany.models import ModelClient

from ..errors import CocowikiError
from ..index import IndexConfig, index_repository
from ..index.store import catalog_path, open_catalog
from ..plan.model import ModuleTree
from ..results import Evidence
from .evidence import Answer, PageFinder, gather
from .grounded import answer as grounded_answer
from .pages import PageSection, search_pages
from .retrieve import Query, retrieve

__all__ = [
    "DEFAULT_LIMIT",
    "Answer",
    "AskError",
    "Evidence",
    "ModelCallFailed",
    "PageSection",
    "ask",
]

DEFAULT_LIMIT = 8
PAGE_SECTIONS = 3
#: Where the model writer keeps each page's record (``cocowiki.pages.modelstore``; named
#: here so that ``cw ask`` does not import the build).
MODEL_RECORDS = "model/pages"


class AskError(CocowikiError):
    """The question cannot be asked (empty, a bad limit or model, no repository)."""


class ModelCallFailed(AskError):
    """The model was reached but did not answer; the evidence alone still stands."""


def ask(
    repo: Path,
    output: Path,
    question: str,
    *,
    limit: int = DEFAULT_LIMIT,
    llm: ModelClient | None = None,
    index_config: IndexConfig | None = None,
) -> Answer:
    """Answer ``question`` about ``repo`` from the catalog in ``output`` (indexed if absent)."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    if not catalog_path(output).is_file():
        index_repository(repo, output, index_config or IndexConfig())
        timings["index"] = time.perf_counter() - started
    retrieval_started = time.perf_counter()
    query = Query.parse(question)
    with open_catalog(catalog_path(output)) as connection:
        hits = retrieve(connection, query, limit)
        paths = sorted({hit.component.path for hit in hits})
        marks = ",".join("?" * len(paths))
        digests = dict(
            connection.execute(f"SELECT path, digest FROM files WHERE path IN ({marks})", paths)
        )
    evidence = gather(hits, repo, digests, _pages(output))
    sections = search_pages(output, list(query.words), PAGE_SECTIONS)
    timings["retrieve"] = time.perf_counter() - retrieval_started
    result = Answer(question, evidence, sections, timings=timings)
    if llm is not None and evidence:
        model_started = time.perf_counter()
        text, dropped = tiffany.run(grounded_answer, llm, question, evidence)
        result.text, result.dropped_sentences, result.model = text, dropped, llm.model
        timings["model"] = time.perf_counter() - model_started
    timings["total"] = time.perf_counter() - started
    return result


def _pages(output: Path) -> PageFinder:
    """The page documenting each file, for files whose page has been written; and the
    sub-page documenting each component a model split off its page."""
    try:
        tree = ModuleTree.from_json(json.loads((output / "module_tree.json").read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return PageFinder({})
    pages = output / "pages"
    by_file = {
        path: module_id
        for path, module_id in tree.module_of_file().items()
        if (pages / f"{module_id}.md").is_file()
    }
    return PageFinder(by_file, _sub_pages(output, tree))


def _sub_pages(output: Path, tree: ModuleTree) -> dict[str, str]:
    """Component id -> the sub-page holding it, for the planned pages the manifest says a
    model split; read from those pages' model records (``model/pages/<id>.json``)."""
    try:
        entries = json.loads((output / "manifest.json").read_text())["pages"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    parents = {entry["id"]: entry.get("parent") for entry in entries}
    split: set[str] = set()
    for page_id in parents:
        if page_id in tree.modules:
            continue
        planned = parents[page_id]
        while planned is not None and planned not in tree.modules:
            planned = parents.get(planned)
        if planned is not None:
            split.add(planned)
    owner: dict[str, str] = {}
    for page_id in sorted(split):
        try:
            record = json.loads((output / MODEL_RECORDS / f"{page_id}.json").read_text())
            subpages = record["subpages"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        for sub in subpages:  # deeper ones first: a component is on one sub-page only
            if (output / "pages" / f"{sub['id']}.md").is_file():
                owner.update(dict.fromkeys(sub.get("components", []), sub["id"]))
    return owner
