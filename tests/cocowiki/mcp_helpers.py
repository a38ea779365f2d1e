"""Helpers of the ``cw mcp`` tests: a fixture repository in git with its wiki built, the
SDK's own client in front of a server (in-process, a ``cw mcp`` subprocess over stdio, or
over HTTP), and the checks every cited span must pass."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from cocowiki.config import load_config
from cocowiki.pages import build_wiki
from cocowiki.pages.settings import build_config

FIXTURES = Path(__file__).parent / "fixtures"
TOOLS = ["ask", "search", "lookup_symbol", "read_page", "list_pages", "explain_dirty"]
CW_MCP = (sys.executable, "-m", "cocowiki.cli", "mcp")
_CITATION = re.compile(r"^(?P<path>[^:]+):(?P<start>\d+)-(?P<end>\d+)$")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def built_wiki(root: Path) -> Path:
    """``fixtures/python`` as a git repository with its wiki built in ``.cocowiki``
    (every directory its own page); returns the repository."""
    repo = root / "repo"
    shutil.copytree(FIXTURES / "python", repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "start")
    output = repo / ".cocowiki"
    output.mkdir()
    (output / "config.toml").write_text("[plan]\nmin_tokens = 0\n")
    build_wiki(repo, output, build_config(load_config(output)))
    return repo


def copy_wiki(repo: Path, root: Path) -> Path:
    """A copy of a built repository (its wiki and git folder included) to change."""
    target = root / "copy"
    shutil.copytree(repo, target, symlinks=True)
    return target


def payload(result: CallToolResult) -> dict[str, Any]:
    """The JSON a tool answered (its structured content, which the text repeats)."""
    assert not result.is_error, result.content
    data = result.structured_content
    assert isinstance(data, dict)
    assert json.loads(result.content[0].text) == data  # type: ignore[union-attr]
    return data


def error_text(result: CallToolResult) -> str:
    assert result.is_error
    return str(result.content[0].text)  # type: ignore[union-attr]


def check_citation(repo: Path, citation: str, expect: str | None = None) -> list[str]:
    """The lines ``path:start-end`` cites, checked to exist (and to hold ``expect``)."""
    match = _CITATION.match(citation)
    assert match, citation
    lines = (repo / match["path"]).read_text().splitlines()
    start, end = int(match["start"]), int(match["end"])
    assert 1 <= start <= end <= len(lines), (citation, len(lines))
    span = lines[start - 1 : end]
    if expect is not None:
        assert expect in "\n".join(span), (citation, expect, span)
    return span


def stdio_params(repo: Path, *extra: str) -> StdioServerParameters:
    return StdioServerParameters(command=CW_MCP[0], args=[*CW_MCP[1:], "--repo", str(repo), *extra])


@dataclass
class HttpServer:
    url: str
    token: str
    process: subprocess.Popen[str]

    @asynccontextmanager
    async def client(self, token: str | None = None) -> AsyncIterator[Client]:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
            transport = streamable_http_client(self.url, http_client=http)
            async with Client(transport) as client:
                yield client


@contextmanager
def http_server(repo: Path, token: str, *extra: str) -> Iterator[HttpServer]:
    """``cw mcp --http --port 0`` with ``token``; ready when it prints its URL."""
    process = subprocess.Popen(
        [*CW_MCP, "--http", "--port", "0", "--repo", str(repo), *extra],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**_env(), "COCOWIKI_MCP_TOKEN": token},
    )
    try:
        url = _wait_for_url(process.stderr)
        drain = threading.Thread(target=process.stderr.read, daemon=True)  # type: ignore[union-attr]
        drain.start()
        yield HttpServer(url, token, process)
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()


def _wait_for_url(stream: IO[str] | None) -> str:
    assert stream is not None
    seen = []
    for line in stream:  # blocks until the server prints, or exits (end of stream)
        seen.append(line)
        found = re.search(r"at (http://127\.0\.0\.1:\d+/mcp)$", line.strip())
        if found:
            return found.group(1)
    raise AssertionError("cw mcp --http ended before serving:\n" + "".join(seen))


def _env() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if key != "COCOWIKI_MCP_TOKEN"}
