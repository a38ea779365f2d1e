"""``ask`` and ``explain_dirty`` as answers: what ``cw ask`` and ``cw explain-dirty`` print,
as JSON values with their freshness, and the caller's mistakes as :class:`WikiError`.

``ask`` is :func:`cocowiki.ask.ask` (ranked evidence, the pages' sections, and a grounded
model answer when a model is given); when the model call fails the evidence is still
returned, with the failure in ``model_error``. ``explain_dirty`` is
:func:`cocowiki.pages.explain.explain_dirty`, its scratch copy of the catalog made inside
the output folder.
"""

from __future__ import annotations

from typing import Any

from tiffany.models import ModelClient, ModelError

from ..ask import Answer
from ..ask import ask as ask_index
from ..index import IndexingError
from ..pages.builder import BuildConfig
from ..pages.explain import ExplainError
from ..pages.explain import explain_dirty as explain_page
from .freshness import freshness
from .wiki import Wiki, WikiError

DEFAULT_LIMIT = 8
MAX_LIMIT = 50
MAX_QUESTION_CHARS = 2000


def ask(
    wiki: Wiki, question: str, *, limit: int = DEFAULT_LIMIT, llm: ModelClient | None = None
) -> dict[str, Any]:
    """The evidence for ``question`` (and a model's cited answer with ``llm``)."""
    text = question.strip()
    if not text:
        raise WikiError('the question is empty: ask something like "how are requests retried?"')
    if len(text) > MAX_QUESTION_CHARS:
        raise WikiError(
            f"the question is {len(text)} characters; keep it under {MAX_QUESTION_CHARS}"
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise WikiError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    wiki.require_index()
    model_error: str | None = None
    try:
        answer = _ask(wiki, text, limit, llm)
    except ModelError as exc:
        model_error = f"model {llm.model if llm else '?'}: {exc}"
        answer = _ask(wiki, text, limit, None)
    data = answer.to_json()
    data.pop("timings", None)
    if model_error is not None:
        data["model_error"] = model_error
    with wiki.connect() as connection:
        data["freshness"] = freshness(wiki, connection, [e.path for e in answer.evidence])
    return data


def _ask(wiki: Wiki, question: str, limit: int, llm: ModelClient | None) -> Answer:
    try:
        return ask_index(
            wiki.repo, wiki.output, question, limit=limit, llm=llm, index_config=wiki.index_config
        )
    except IndexingError as exc:
        raise WikiError(str(exc)) from None


def explain_dirty(wiki: Wiki, page: str) -> dict[str, Any]:
    """Whether ``page`` is stale, and the chain from each changed file to it."""
    if not isinstance(page, str) or not page.strip():
        raise WikiError("the page id is empty: list_pages gives the ids (the root is 'overview')")
    entry = wiki.page_entry(page.strip())
    config = BuildConfig(index=wiki.config.index, plan=wiki.config.plan)
    try:
        explanation = explain_page(wiki.repo, wiki.output, entry["id"], config, scratch=wiki.output)
    except (ExplainError, IndexingError) as exc:
        raise WikiError(str(exc)) from None
    data = explanation.as_json()
    data["stale"] = explanation.status != "clean"
    data["text"] = explanation.text().strip()
    files = entry.get("files", [])
    recorded = {str(f["path"]): str(f["digest"]) for f in files if "digest" in f}
    data["freshness"] = freshness(wiki, None, recorded, recorded=recorded)
    return data
