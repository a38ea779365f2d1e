"""``cw mcp`` as a client meets it: a real subprocess, over stdio and over streamable HTTP
on loopback, driven by the SDK's own client; the token is required; two clients are
served at once. Readiness is the server's own signal (the initialize handshake, or the
URL line it prints once its port is bound), never a sleep."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp_helpers import (
    TOOLS,
    HttpServer,
    built_wiki,
    check_citation,
    error_text,
    http_server,
    payload,
    stdio_params,
)

TOKEN = "test-token-0b8e51c2a6"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_wiki(tmp_path_factory.mktemp("mcp-transports"))


async def call_every_tool(client: Client, repo: Path) -> None:
    """List the tools, call each one, and resolve what it cites."""
    assert [tool.name for tool in (await client.list_tools()).tools] == TOOLS
    looked = payload(await client.call_tool("lookup_symbol", {"name": "square"}))
    check_citation(repo, looked["definitions"][0]["citation"], "def square")
    asked = payload(await client.call_tool("ask", {"question": "square", "limit": 3}))
    for item in asked["evidence"]:
        check_citation(repo, item["citation"])
    found = payload(await client.call_tool("search", {"query": "circle", "kind": "symbol"}))
    for symbol in found["symbols"]:
        check_citation(repo, symbol["citation"])
    pages = payload(await client.call_tool("list_pages", {}))
    for page in pages["pages"]:
        read = payload(await client.call_tool("read_page", {"id": page["id"]}))
        assert read["markdown"].startswith("# ")
        assert (
            payload(await client.call_tool("explain_dirty", {"id": page["id"]}))["stale"] is False
        )
    assert "no page 'nope'" in error_text(await client.call_tool("read_page", {"id": "nope"}))


def test_stdio_serves_every_tool_to_the_sdk_client(repo: Path) -> None:
    async def main() -> None:
        async with Client(stdio_params(repo)) as client:
            await call_every_tool(client, repo)

    anyio.run(main)


def test_stdio_without_a_wiki_starts_and_says_how_to_build_it(tmp_path: Path) -> None:
    async def main() -> None:
        async with Client(stdio_params(tmp_path)) as client:
            text = error_text(await client.call_tool("lookup_symbol", {"name": "x"}))
            assert f"cw build --repo {tmp_path.resolve()}" in text

    anyio.run(main)


def test_http_needs_the_token_and_serves_two_clients_at_once(repo: Path) -> None:
    with http_server(repo, TOKEN) as server:
        assert server.url.startswith("http://127.0.0.1:")
        refused = httpx2.post(server.url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        wrong = httpx2.post(server.url, json={}, headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401
        anyio.run(_two_clients, server, repo)


async def _two_clients(server: HttpServer, repo: Path) -> None:
    """Two sessions, each with calls in flight at the same time."""
    answers: dict[str, list[str]] = {}

    async def one(name: str) -> None:
        async with server.client() as client:
            await call_every_tool(client, repo)
            async with anyio.create_task_group() as group:
                for symbol in ("Circle", "Shape", "square", "main"):
                    group.start_soon(lookup, client, name, symbol)

    async def lookup(client: Client, name: str, symbol: str) -> None:
        looked = payload(await client.call_tool("lookup_symbol", {"name": symbol}))
        answers.setdefault(name, []).append(looked["definitions"][0]["qualified_name"])

    async with anyio.create_task_group() as group:
        group.start_soon(one, "first")
        group.start_soon(one, "second")
    assert sorted(answers["first"]) == sorted(answers["second"])
    assert len(answers["first"]) == 4
