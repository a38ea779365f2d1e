"""``cw mcp``'s tools through the SDK's own client (in-process): every tool on a built
fixture wiki with its citations resolved on disk, bad arguments as tool errors with the
reason, a stale wiki reported as stale, ``--refresh``, a missing wiki, the pages as
resources, and nothing written outside the output folder."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, MCPError
from mcp_helpers import (
    TOOLS,
    built_wiki,
    check_citation,
    copy_wiki,
    error_text,
    git,
    payload,
)

from cocowiki.mcp.server import make_server
from cocowiki.query import Wiki

Session = Callable[[Client], Awaitable[None]]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_wiki(tmp_path_factory.mktemp("mcp-tools"))


def with_client(repo: Path, session: Session, **options: Any) -> None:
    server = make_server(Wiki.open(repo), **options)

    async def main() -> None:
        async with Client(server) as client:
            await session(client)

    anyio.run(main)


def tree_digests(root: Path, skip: str = ".cocowiki") -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file() and skip not in path.relative_to(root).parts
    }


def test_the_tools_are_listed_with_schemas_and_answer_with_citations_that_resolve(
    repo: Path,
) -> None:
    head = git(repo, "rev-parse", "HEAD")

    async def session(client: Client) -> None:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert list(tools) == TOOLS
        assert tools["ask"].input_schema["required"] == ["question"]
        assert tools["search"].input_schema["properties"]["kind"]["anyOf"][0]["enum"] == [
            "page",
            "section",
            "symbol",
        ]
        assert all(tool.annotations and tool.annotations.read_only_hint for tool in tools.values())

        looked = payload(await client.call_tool("lookup_symbol", {"name": "Circle.area"}))
        (area,) = looked["definitions"]
        assert area["qualified_name"] == "shapes.circle.Circle.area"
        assert area["page"] == "shapes" and area["signature"] == "def area(self) -> float"
        check_citation(repo, area["citation"], "def area")
        (callee,) = [c for c in area["callees"] if c["name"] == "square"]
        check_citation(repo, callee["citation"], "def square")
        check_citation(repo, callee["call_site"], "square(")
        fresh = looked["freshness"]
        assert fresh["built_revision"] == head == fresh["head"]
        assert fresh["stale"] is False and fresh["changed_files"] == []

        circle = payload(await client.call_tool("lookup_symbol", {"name": "Circle"}))
        (init,) = [c for c in circle["definitions"] if c["kind"] == "class"]
        callers = {c["qualified_name"] for c in init["callers"]}
        assert "app.main" in callers
        for caller in init["callers"]:
            check_citation(repo, caller["citation"], "Circle(")

        asked = payload(
            await client.call_tool(
                "ask", {"question": "how is a circle's area computed?", "limit": 4}
            )
        )
        assert 1 <= len(asked["evidence"]) <= 4
        for item in asked["evidence"]:
            assert check_citation(repo, item["citation"])[: len(item["snippet"].splitlines())] == (
                item["snippet"].splitlines()
            )
        assert asked["freshness"]["stale"] is False

        found = payload(await client.call_tool("search", {"query": "area"}))
        assert {"symbols", "pages", "sections", "freshness"} <= set(found)
        for symbol in found["symbols"]:
            check_citation(repo, symbol["citation"], "area")
        only = payload(await client.call_tool("search", {"query": "shapes", "kind": "page"}))
        assert set(only) == {"query", "pages", "freshness"}
        assert only["pages"][0]["id"] == "shapes"

        listed = payload(await client.call_tool("list_pages", {}))
        assert listed["root"] == "overview"
        assert listed["tree"] == {
            "id": "overview",
            "title": "repo",
            "children": [{"id": "shapes", "title": "shapes", "children": []}],
        }
        page = payload(await client.call_tool("read_page", {"id": "shapes"}))
        assert page["markdown"] == (repo / ".cocowiki/pages/shapes.md").read_text()
        assert page["files"] == ["shapes/__init__.py", "shapes/base.py", "shapes/circle.py"]
        assert page["status"] == "verified" and page["freshness"]["stale"] is False

        clean = payload(await client.call_tool("explain_dirty", {"id": "shapes"}))
        assert (clean["status"], clean["stale"], clean["reasons"]) == ("clean", False, [])

    with_client(repo, session)


@pytest.mark.parametrize(
    ("tool", "arguments", "reason"),
    [
        ("ask", {"question": "   "}, "the question is empty"),
        ("ask", {"question": "area", "limit": 0}, "greater than or equal to 1"),
        ("ask", {}, "question\n  Field required"),
        ("search", {"query": "area", "kind": "file"}, "Input should be 'page', 'section' or"),
        ("search", {"query": ""}, "the query is empty"),
        ("lookup_symbol", {"name": "Circl"}, "no symbol 'Circl'; close ones: Circle"),
        ("lookup_symbol", {"name": "two words"}, "is not a symbol name"),
        ("lookup_symbol", {"name": 3}, "Input should be a valid string"),
        ("read_page", {"id": "shape"}, "no page 'shape'; close ones: shapes"),
        ("read_page", {"id": "../manifest"}, "no page '../manifest'"),
        ("explain_dirty", {"id": "nope"}, "no page 'nope'"),
    ],
)
def test_bad_arguments_are_tool_errors_with_the_reason(
    repo: Path, tool: str, arguments: dict[str, Any], reason: str
) -> None:
    async def session(client: Client) -> None:
        assert reason in error_text(await client.call_tool(tool, arguments))

    with_client(repo, session)


def test_a_stale_wiki_is_reported_stale_and_refresh_updates_the_index(
    repo: Path, tmp_path: Path
) -> None:
    copy = copy_wiki(repo, tmp_path)
    circle = copy / "shapes" / "circle.py"
    circle.write_text('"""Circles, moved down."""\n\n\n' + circle.read_text())

    async def stale(client: Client) -> None:
        looked = payload(await client.call_tool("lookup_symbol", {"name": "Circle.area"}))
        fresh = looked["freshness"]
        assert fresh["stale"] is True
        assert fresh["changed_files"] == ["shapes/circle.py"]
        assert fresh["changed_since_build"] == ["shapes/circle.py"]
        assert "STALE" in fresh["summary"] and "shapes/circle.py" in fresh["summary"]
        page = payload(await client.call_tool("read_page", {"id": "shapes"}))
        assert page["freshness"]["changed_since_build"] == ["shapes/circle.py"]
        dirty = payload(await client.call_tool("explain_dirty", {"id": "shapes"}))
        assert dirty["status"] == "dirty" and dirty["changed_files"] == ["shapes/circle.py"]
        assert any(r["chain"][0] == "shapes/circle.py" for r in dirty["reasons"])
        overview = payload(await client.call_tool("read_page", {"id": "overview"}))
        assert overview["freshness"]["stale"] is False  # app.py did not change

    with_client(copy, stale)

    async def refreshed(client: Client) -> None:
        looked = payload(await client.call_tool("lookup_symbol", {"name": "Circle.area"}))
        (area,) = looked["definitions"]
        check_citation(copy, area["citation"], "def area")  # the new lines, 3 further down
        fresh = looked["freshness"]
        assert fresh["refresh"]["status"] == "updated"
        assert fresh["changed_files"] == []  # the index is current again
        assert fresh["changed_since_build"] == ["shapes/circle.py"]  # the page is not
        again = payload(await client.call_tool("lookup_symbol", {"name": "Circle.area"}))
        assert again["freshness"]["refresh"]["status"] == "unchanged"

    with_client(copy, refreshed, refresh=True)


def test_a_missing_wiki_says_how_to_build_it(tmp_path: Path) -> None:
    repo = tmp_path / "bare"
    repo.mkdir()
    (repo / "a.py").write_text("def f():\n    return 1\n")

    async def session(client: Client) -> None:
        for tool, arguments in [
            ("lookup_symbol", {"name": "f"}),
            ("ask", {"question": "what does f return?"}),
            ("list_pages", {}),
            ("read_page", {"id": "overview"}),
            ("explain_dirty", {"id": "overview"}),
        ]:
            text = error_text(await client.call_tool(tool, arguments))
            assert f"cw build --repo {repo}" in text, (tool, text)
        assert not (repo / ".cocowiki").exists()

    with_client(repo, session)

    async def refreshing(client: Client) -> None:  # --refresh makes the index itself
        looked = payload(await client.call_tool("lookup_symbol", {"name": "f"}))
        assert looked["definitions"][0]["citation"] == "a.py:1-2"
        assert looked["definitions"][0]["page"] is None
        assert "no pages built" in looked["freshness"]["summary"]
        assert "cw build" in error_text(await client.call_tool("list_pages", {}))

    with_client(repo, refreshing, refresh=True)


def test_pages_are_resources(repo: Path) -> None:
    async def session(client: Client) -> None:
        listed = (await client.list_resources()).resources
        assert [str(r.uri) for r in listed] == [
            "cocowiki://page/overview",
            "cocowiki://page/shapes",
        ]
        assert listed[1].mime_type == "text/markdown"
        templates = (await client.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["cocowiki://page/{id}"]
        read = await client.read_resource("cocowiki://page/shapes")
        assert read.contents[0].text == (repo / ".cocowiki/pages/shapes.md").read_text()  # type: ignore[union-attr]
        with pytest.raises(MCPError, match="no page 'nope'"):
            await client.read_resource("cocowiki://page/nope")

    with_client(repo, session)


def test_the_server_writes_nothing_outside_the_output_folder(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = copy_wiki(repo, tmp_path)
    (copy / "app.py").write_text((copy / "app.py").read_text() + "\n# edited\n")
    before = tree_digests(copy)
    scratch = tmp_path / "system-temp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    async def session(client: Client) -> None:
        for tool in TOOLS:
            arguments = {
                "ask": {"question": "main"},
                "search": {"query": "main"},
                "lookup_symbol": {"name": "main"},
                "read_page": {"id": "overview"},
                "list_pages": {},
                "explain_dirty": {"id": "overview"},
            }[tool]
            payload(await client.call_tool(tool, arguments))

    with_client(copy, session, refresh=True)
    assert tree_digests(copy) == before
    assert list(scratch.iterdir()) == []
    assert not [p for p in (copy / ".cocowiki").iterdir() if p.name.startswith(".cw-explain")]
