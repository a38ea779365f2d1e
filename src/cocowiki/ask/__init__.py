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
from .evidence import Answer, Evidence, gather
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


def _pages(output: Path) -> dict[str, str]:
    """The page id documenting each file, for files whose page has been written."""
    try:
        tree = ModuleTree.from_json(json.loads((output / "module_tree.json").read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    pages = output / "pages"
    return {
        path: module_id
        for path, module_id in tree.module_of_file().items()
        if (pages / f"{module_id}.md").is_file()
    }
