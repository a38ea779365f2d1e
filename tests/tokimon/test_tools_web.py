"""web_fetch: off by default, an allowlist when on, against a real server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tools_fixtures import call

from tokimon.tools import ToolConfig, ToolError, Toolset, WebConfig, check_url
from tokimon.tools.web import WEB_FETCH

PAGES: dict[str, tuple[int, str, bytes]] = {
    "/hello": (200, "text/plain; charset=utf-8", "hello from 127.0.0.1 ✓".encode()),
    "/data": (200, "application/json", b'{"ok": true}'),
    "/image": (200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
    "/big": (200, "text/plain", b"0123456789" * 500),
}


class Site:
    """A small HTTP server; ``paths`` records every path it was asked for."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.paths.append(self.path)
                if self.path.startswith("/redirect-to/"):
                    self.send_response(302)
                    self.send_header("Location", self.path.removeprefix("/redirect-to/"))
                    self.end_headers()
                    return
                status, kind, body = PAGES.get(self.path, (404, "text/plain", b"no such page"))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"


@pytest.fixture
def site() -> Iterator[Site]:
    site = Site()
    thread = threading.Thread(target=site.server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


def enabled(*hosts: str) -> ToolConfig:
    return ToolConfig(web=WebConfig(enabled=True, allowed_hosts=hosts, max_download_bytes=1024))


def test_web_fetch_is_off_by_default(tmp_path: Path, site: Site) -> None:
    toolset = Toolset(tmp_path)
    assert "web_fetch" not in toolset.names
    assert "web_fetch" not in toolset.for_role("Implementer").names
    offered = call(toolset, "web_fetch", url=f"{site.url}/hello").result
    assert offered.is_error and "there is no tool named 'web_fetch'" in offered.content
    # even handed the tool, a configuration that did not enable it refuses
    forced = call(Toolset(tmp_path, tools=[WEB_FETCH]), "web_fetch", url=f"{site.url}/hello")
    assert forced.result.is_error
    assert "web_fetch is turned off for this repository" in forced.result.content
    assert site.paths == []


def test_only_allowed_hosts_are_fetched(tmp_path: Path, site: Site) -> None:
    toolset = Toolset(tmp_path, enabled("127.0.0.1"))
    assert "web_fetch" in toolset.for_role("Planner").names
    page = call(toolset, "web_fetch", url=f"{site.url}/hello").result
    assert not page.is_error
    assert page.content == (
        f"HTTP 200 text/plain, 24 bytes from {site.url}/hello\n\nhello from 127.0.0.1 ✓\n"
    )
    other = call(toolset, "web_fetch", url=f"http://localhost:{site.port}/hello").result
    assert other.is_error
    assert "may not fetch from 'localhost': it is not an allowed host (allowed: 127.0.0.1)" in (
        other.content
    )
    assert site.paths == ["/hello"]


def test_redirects_are_checked_against_the_allowlist(tmp_path: Path, site: Site) -> None:
    toolset = Toolset(tmp_path, enabled(f"127.0.0.1:{site.port}"))
    inside = call(toolset, "web_fetch", url=f"{site.url}/redirect-to/{site.url}/data").result
    assert inside.content.startswith(f"HTTP 200 application/json, 12 bytes from {site.url}/data")
    away = f"http://localhost:{site.port}/hello"
    out = call(toolset, "web_fetch", url=f"{site.url}/redirect-to/{away}").result
    assert out.is_error
    assert f"redirects to {away}, which is refused" in out.content
    assert site.paths == [f"/redirect-to/{site.url}/data", "/data", f"/redirect-to/{away}"]


def test_errors_binary_and_large_bodies(tmp_path: Path, site: Site) -> None:
    toolset = Toolset(tmp_path, enabled("127.0.0.1"))
    missing = call(toolset, "web_fetch", url=f"{site.url}/missing").result
    assert missing.is_error and missing.content.startswith("HTTP 404 text/plain")
    assert "no such page" in missing.content
    image = call(toolset, "web_fetch", url=f"{site.url}/image").result.content
    assert "(not text; web_fetch returns text only)" in image
    big = call(toolset, "web_fetch", url=f"{site.url}/big").result.content
    assert big.endswith("[truncated: the download stopped at 1,024 bytes]\n")


@pytest.mark.parametrize(
    ("url", "hosts", "allowed"),
    [
        ("https://docs.python.org/3/", ("docs.python.org",), True),
        ("https://DOCS.python.org/3/", ("docs.python.org",), True),
        ("https://api.example.org/x", ("*.example.org",), True),
        ("https://example.org.evil.com/", ("*.example.org",), False),
        ("https://example.org/", ("*.example.org",), False),
        ("http://127.0.0.1:8080/", ("127.0.0.1:8080",), True),
        ("http://127.0.0.1:9090/", ("127.0.0.1:8080",), False),
        ("https://docs.python.org:443/", ("docs.python.org:443",), True),
        ("file:///etc/passwd", ("docs.python.org",), False),
        ("ftp://docs.python.org/", ("docs.python.org",), False),
    ],
)
def test_check_url(url: str, hosts: tuple[str, ...], allowed: bool) -> None:
    web = WebConfig(enabled=True, allowed_hosts=hosts)
    if allowed:
        assert check_url(url, web) == url
    else:
        with pytest.raises(ToolError):
            check_url(url, web)
