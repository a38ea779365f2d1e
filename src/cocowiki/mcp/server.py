"""The wiki as an MCP server: six tools and the pages as resources, on the official SDK.

The protocol, its transports and argument validation are the SDK's (:class:`MCPServer`);
what is ours is the list of tools (their names are a contract with the clients'
configurations and prompts), their argument schemas, and the mapping of a question the
wiki cannot answer (:class:`~cocowiki.wq.WikiError`) to a tool error that says why.
Each tool is a plain function over :mod:`cocowiki.query`; the SDK runs plain functions
in worker threads, so concurrent calls are served at once.

Tools: ``ask``, ``search``, ``lookup_symbol``, ``read_page``, ``list_pages``,
``explain_dirty``. Resources: every page as ``cocowiki://page/<id>`` (listed from the
manifest of the moment, so a rebuild shows up without a restart).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.types import Resource as MCPResource
from mcp.types import ToolAnnotations
from pydantic import Field

from tiffany.models import ModelClient

from .. import __version__
from .. import query as wq
from ..query import Wiki, WikiError
from .refresh import Refresher

TOOL_NAMES = ("ask", "search", "lookup_symbol", "read_page", "list_pages", "explain_dirty")
MARKDOWN = "text/markdown"

INSTRUCTIONS = """\
A verified wiki of one code repository. Every answer cites code as path:start-end and
says how fresh it is (freshness.stale, freshness.summary): when stale, re-read the cited
files before editing them. Start with list_pages or ask; lookup_symbol finds a name's
definition, callers and callees; read_page returns a page's Markdown."""

_READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)


class WikiServer(MCPServer[Any]):
    """:class:`MCPServer` whose resource list is the wiki's pages as they are now."""

    def __init__(self, wiki: Wiki, **settings: Any) -> None:
        super().__init__(**settings)
        self.wiki = wiki

    async def list_resources(self) -> list[MCPResource]:
        listed = await super().list_resources()
        manifest = self.wiki.manifest() or {}
        for entry in manifest.get("pages", []):
            page = str(entry["id"])
            listed.append(
                MCPResource(
                    uri=wq.page_uri(page),
                    name=page,
                    title=str(entry.get("title", page)),
                    description=f"wiki page {page} ({entry.get('status', 'unknown')})",
                    mime_type=MARKDOWN,
                )
            )
        return listed


def make_server(wiki: Wiki, *, refresh: bool = False, llm: ModelClient | None = None) -> WikiServer:
    """The server of ``wiki``; with ``refresh`` the index is brought up to date before each
    answer; with ``llm`` ``ask`` adds a grounded answer to its evidence."""
    refresher = Refresher(wiki) if refresh else None
    server = WikiServer(
        wiki,
        name="cocowiki",
        title="cocowiki",
        description=f"The verified wiki of {wiki.repo.name}",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
    )

    def answer(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        done = refresher() if refresher is not None else None
        try:
            result = work()
        except WikiError as exc:
            raise ToolError(str(exc)) from None
        if done is not None:
            result["freshness"]["refresh"] = done.to_json()
            result["freshness"]["summary"] += f"; index refresh: {done.status}"
        return result

    @server.tool(annotations=_READ_ONLY)
    def ask(
        question: Annotated[
            str, Field(description="A question about the code, in words or names.")
        ],
        limit: Annotated[int, Field(ge=1, le=50, description="Pieces of evidence to return.")] = 8,
    ) -> dict[str, Any]:
        """Answer a question about the repository with ranked evidence, each piece cited as
        path:start-end with a snippet, plus the wiki sections that match (and a short
        answer citing the evidence when the server runs with a model)."""
        return answer(lambda: wq.ask(wiki, question, limit=limit, llm=llm))

    @server.tool(annotations=_READ_ONLY)
    def search(
        query: Annotated[str, Field(description="Words or names to look for.")],
        kind: Annotated[
            Literal["page", "section", "symbol"] | None,
            Field(description="Only 'page', 'section' or 'symbol' results (default: all three)."),
        ] = None,
    ) -> dict[str, Any]:
        """Search the wiki's pages, page sections and the code's symbols."""
        return answer(lambda: wq.search(wiki, query, kind=kind))

    @server.tool(annotations=_READ_ONLY)
    def lookup_symbol(
        name: Annotated[
            str, Field(description="A symbol: 'parse_file', 'Kernel.spawn' or 'mod::Type'.")
        ],
    ) -> dict[str, Any]:
        """Where a symbol is defined (path:start-end), its signature and doc, the wiki page
        about it, and its callers and callees."""
        return answer(lambda: wq.lookup_symbol(wiki, name))

    @server.tool(annotations=_READ_ONLY)
    def read_page(
        id: Annotated[str, Field(description="Page id, as list_pages gives it ('overview').")],
    ) -> dict[str, Any]:
        """One wiki page: its Markdown, status, the files it documents, its freshness."""
        return answer(lambda: wq.read_page(wiki, id))

    @server.tool(annotations=_READ_ONLY)
    def list_pages() -> dict[str, Any]:
        """Every page of the wiki as the module tree: ids, titles, parents, children."""
        return answer(lambda: wq.list_pages(wiki))

    @server.tool(annotations=_READ_ONLY)
    def explain_dirty(
        id: Annotated[str, Field(description="Page id, as list_pages gives it.")],
    ) -> dict[str, Any]:
        """Whether a page is stale, and the chain from each changed file to it."""
        return answer(lambda: wq.explain_dirty(wiki, id))

    @server.resource(wq.PAGE_URI, name="page", mime_type=MARKDOWN)
    def page(id: str) -> str:
        """A wiki page's Markdown."""
        try:
            return wq.markdown_of(wiki, id)
        except WikiError as exc:
            raise ResourceNotFoundError(str(exc)) from None

    return server
