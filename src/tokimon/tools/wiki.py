"""``wiki_ask``, ``wiki_lookup``, ``wiki_page``: the repository's cocowiki, asked in-process.

The answers are :mod:`cocowiki.query`'s, the same ``cw mcp`` serves, without a subprocess:
ranked evidence cited as ``path:start-end``, a symbol's definition with its callers and
callees, a page's Markdown; each says how fresh it is, so a worker knows when to re-read
a cited file instead of trusting its line numbers.

The index is made or brought up to date lazily, once per run: by the first wiki call
after :func:`start_wiki_run` (the manager calls it as a run or resume starts), in a worker
thread, traced as a ``tool.call.wiki_index`` event of the call that made it. Later calls
in the run answer from that index; files the agent edits since then show up as stale in
the answers' freshness. The state is kept per :class:`~.worktree.WorkTree`, which a
run's toolsets share.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

import tiffany

from .base import ToolContext, define_tool
from .config import ToolConfig
from .errors import ToolError
from .output import ToolOutput
from .worktree import WorkTree

if TYPE_CHECKING:  # cocowiki's query layer is imported on the first wiki call
    from cocowiki.query import Refresh, Wiki

SNIPPET_LINES = 6
WIKI_TOOL_NAMES = ("wiki_ask", "wiki_lookup", "wiki_page")


def wiki_output(tree: WorkTree, config: ToolConfig) -> Path:
    """Where the wiki tools read (and index) the wiki of ``tree``."""
    return (tree.root / config.wiki.output).absolute()


class _Access:
    """One work tree's wiki and whether this run has refreshed its index yet."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wiki: Wiki | None = None
        self.refreshed = False

    def ready(self, tree: WorkTree, config: ToolConfig) -> tuple[Wiki, Refresh | None]:
        """The wiki with its index current as of this run's first call (runs in a thread)."""
        from cocowiki.query import Wiki

        with self.lock:
            output = wiki_output(tree, config)
            if self.wiki is None or self.wiki.output != output:
                self.wiki = Wiki.open(tree.root, output)
                self.refreshed = False
            if self.refreshed:
                return self.wiki, None
            done = self.wiki.refresh()
            self.refreshed = done.status != "skipped"
            return self.wiki, done


_ACCESS: weakref.WeakKeyDictionary[WorkTree, _Access] = weakref.WeakKeyDictionary()
_ACCESS_LOCK = threading.Lock()


def _access(tree: WorkTree) -> _Access:
    with _ACCESS_LOCK:
        return _ACCESS.setdefault(tree, _Access())


def start_wiki_run(tree: WorkTree) -> None:
    """A run starts: the next wiki call refreshes the index (once) again."""
    _access(tree).refreshed = False


def wiki_overview(tree: WorkTree, config: ToolConfig) -> str | None:
    """The overview page's summary and its top-level pages, when a wiki has been built
    (``None`` otherwise, or when the wiki tools are off): for the planning prompt."""
    if not config.wiki.enabled or not (wiki_output(tree, config) / "manifest.json").is_file():
        return None
    from cocowiki.query import Wiki, WikiError, overview_summary

    try:
        wiki = Wiki.open(tree.root, wiki_output(tree, config))
    except WikiError:
        return None
    return overview_summary(wiki)


async def _answer(
    context: ToolContext, work: Callable[[Wiki], dict[str, Any]]
) -> tuple[dict[str, Any], Refresh | None]:
    from cocowiki.query import WikiError

    def run() -> tuple[dict[str, Any], Refresh | None]:
        wiki, done = _access(context.tree).ready(context.tree, context.config)
        return work(wiki), done

    try:
        result, done = await tiffany.to_thread(run)
    except WikiError as exc:
        raise ToolError(str(exc)) from None
    if done is not None:
        tiffany.emit("tool.call.wiki_index", **done.to_json())
    return result, done


def _freshness_line(data: dict[str, Any], done: Refresh | None) -> str:
    summary = str(data.get("freshness", {}).get("summary", ""))
    if done is not None:
        summary += f"; index {done.status} for this run ({done.seconds:.2f} s)"
    return f"(freshness: {summary})"


def _data(data: dict[str, Any], citations: list[str]) -> dict[str, Any]:
    """What the trace keeps of an answer: its citations and whether it was stale."""
    fresh = data.get("freshness", {})
    return {
        "citations": citations,
        "stale": fresh.get("stale"),
        "changed_files": fresh.get("changed_files", []),
    }


# -- wiki_ask --------------------------------------------------------------------------------
class WikiAskArgs(BaseModel):
    """Ask the repository's wiki a question about the code (in words or names). Returns
    ranked evidence, each cited as path:start-end with a snippet, and matching wiki
    sections; cheaper than grepping and reading files to find where something happens."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, description="such as 'how are retries scheduled?'")
    limit: int = Field(default=6, ge=1, le=20, description="pieces of evidence")


async def _wiki_ask(args: WikiAskArgs, context: ToolContext) -> ToolOutput:
    from cocowiki import query

    data, done = await _answer(
        context, lambda wiki: query.ask(wiki, args.question, limit=args.limit)
    )
    lines = []
    for number, item in enumerate(data["evidence"], start=1):
        page = f"  [page {item['page']}]" if item.get("page") else ""
        lines.append(f"{number}. {item['kind']} {item['qualified_name']}  {item['citation']}{page}")
        if item.get("doc"):
            lines.append(f"   {item['doc'].splitlines()[0]}")
        lines += [f"   | {line}" for line in item["snippet"].splitlines()[:SNIPPET_LINES]]
    if not lines:
        lines.append("No evidence found: try the names of functions or types, or other words.")
    for section in data.get("pages", []):
        lines.append(f"wiki: {section['citation']} {section['heading']}: {section['snippet']}")
    lines.append(_freshness_line(data, done))
    citations = [item["citation"] for item in data["evidence"]]
    return ToolOutput("\n".join(lines), data=_data(data, citations))


WIKI_ASK = define_tool(WikiAskArgs, _wiki_ask, name="wiki_ask", timeout=120.0)


# -- wiki_lookup -----------------------------------------------------------------------------
class WikiLookupArgs(BaseModel):
    """Look a symbol up in the repository's wiki: its definition (path:start-end),
    signature, doc, the wiki page about it, and its callers and callees."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="such as 'parse_file' or 'Kernel.spawn'")


async def _wiki_lookup(args: WikiLookupArgs, context: ToolContext) -> ToolOutput:
    from cocowiki import query

    data, done = await _answer(context, lambda wiki: query.lookup_symbol(wiki, args.name))
    definitions = data["definitions"]
    lines = [f"{args.name}: {data['total_definitions']} definition(s)"]
    for item in definitions:
        page = f"  [page {item['page']}]" if item.get("page") else ""
        lines.append(f"- {item['kind']} {item['qualified_name']}  {item['citation']}{page}")
        lines.append(f"  {item['signature']}")
        if item.get("doc"):
            lines.append(f"  doc: {item['doc'].splitlines()[0]}")
        callers = ", ".join(f"{c['qualified_name']} ({c['citation']})" for c in item["callers"])
        callees = ", ".join(
            f"{c.get('qualified_name', c['name'])} ({c.get('citation', c['call_site'])})"
            for c in item["callees"]
        )
        lines.append(f"  callers: {callers or 'none found'}")
        lines.append(f"  callees: {callees or 'none found'}")
    lines.append(_freshness_line(data, done))
    citations = [item["citation"] for item in definitions]
    return ToolOutput("\n".join(lines), data=_data(data, citations))


WIKI_LOOKUP = define_tool(WikiLookupArgs, _wiki_lookup, name="wiki_lookup", timeout=120.0)


# -- wiki_page -------------------------------------------------------------------------------
class WikiPageArgs(BaseModel):
    """Read a page of the repository's wiki (Markdown, with citations to the code); with
    no id, the list of pages as the module tree."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, description="page id, such as 'overview'")


async def _wiki_page(args: WikiPageArgs, context: ToolContext) -> ToolOutput:
    from cocowiki import query

    page_id = args.id
    if page_id is None:
        data, done = await _answer(context, lambda wiki: query.list_pages(wiki))
        lines = [
            f"- {page['id']}: {page['title']} (parent {page['parent'] or '-'}, {page['status']})"
            for page in data["pages"]
        ]
        lines.append(_freshness_line(data, done))
        return ToolOutput("\n".join(lines), data=_data(data, []))
    data, done = await _answer(context, lambda wiki: query.read_page(wiki, page_id))
    text = f"{data['markdown'].rstrip()}\n\n{_freshness_line(data, done)}"
    return ToolOutput(text, data=_data(data, [f"pages/{data['id']}.md"]))


WIKI_PAGE = define_tool(WikiPageArgs, _wiki_page, name="wiki_page", timeout=120.0)

WIKI_TOOLS = (WIKI_ASK, WIKI_LOOKUP, WIKI_PAGE)
