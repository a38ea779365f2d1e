"""The viewer in headless Chromium, opened from file:// with no server and no network.

One browser for the module; the built wiki is loaded once and each test moves through it
the way a reader does (tree, links, search, the URL hash).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from viewer_helpers import BuiltWiki, make_wiki

from cocowiki.mermaid import NODE_MODULES_VARIABLE, mermaid_available
from cocowiki.viewer import write_viewer

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and mermaid_available()) and not os.environ.get("CI"),
    reason="needs Debian's chromium (apt-get install chromium) and `npm ci`",
)


class Viewer:
    """A browser tab on one index.html, and every console error or page error it saw."""

    def __init__(self, page: playwright_api.Page, index: Path) -> None:
        self.page = page
        self.url = index.as_uri()
        self.errors: list[str] = []
        page.on("console", lambda message: self._console(message))
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, message: playwright_api.ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console error: {message.text}")

    def open(self, route: str = "") -> None:
        self.page.goto(self.url + route)
        self.wait_ready()

    def go(self, route: str) -> None:
        self.page.evaluate("route => { location.hash = route; }", route)
        self.wait_ready()

    def wait_ready(self) -> None:
        self.page.wait_for_selector("main[data-state=ready]")

    def highlighted(self) -> list[tuple[int, str]]:
        rows: list[list[str]] = self.page.locator(".line.hl").evaluate_all(
            "rows => rows.map(r => [r.dataset.line, r.querySelector('.lc').textContent])"
        )
        return [(int(number), text) for number, text in rows]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[playwright_api.Browser]:
    home = tmp_path_factory.mktemp("chromium-home")
    env = dict(os.environ, XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"))
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, env=env)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def wiki(tmp_path_factory: pytest.TempPathFactory) -> BuiltWiki:
    built = make_wiki(tmp_path_factory.mktemp("wiki"))
    write_viewer(built.output, built.repo)
    return built


@pytest.fixture(scope="module")
def viewer(browser: playwright_api.Browser, wiki: BuiltWiki) -> Iterator[Viewer]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = Viewer(context.new_page(), wiki.index)
    opened.open()
    yield opened
    context.close()


def test_the_tree_leads_to_every_page_and_every_diagram_becomes_an_svg(viewer: Viewer) -> None:
    page = viewer.page
    assert page.url.endswith("#/page/overview")  # no hash: the root page
    for page_id, title, status in [
        ("shapes", "shapes", "verified"),
        ("shapes_circle", "shapes.circle", "unverified"),
        ("overview", "Overview", "verified"),
    ]:
        page.click(f"nav a[href='#/page/{page_id}']")
        viewer.wait_ready()
        assert page.url.endswith(f"#/page/{page_id}")
        assert page.locator(".page-head h1").inner_text() == title
        assert page.locator(".page-head .badge").inner_text() == status
        assert page.locator("nav a.current").inner_text().strip() == title
        assert page.locator("main figure.diagram svg").count() == 1
        assert page.locator("main pre.mermaid-source").count() == 0
    viewer.go("#/page/shapes_circle")
    assert "past the end of the file" in page.locator(".problems").inner_text()
    assert page.locator(".breadcrumbs").inner_text() == "Overview / shapes"
    assert viewer.errors == []


def test_a_citation_opens_the_source_at_the_cited_lines(viewer: Viewer) -> None:
    page = viewer.page
    viewer.go("#/page/shapes_circle")
    page.click("a.citation:text-is('shapes/circle.py:9-20')")
    viewer.wait_ready()
    assert page.url.endswith("#/source/shapes/circle.py:9-20")
    lines = viewer.highlighted()
    assert [number for number, _ in lines] == list(range(9, 21))
    assert lines[0][1] == "class Circle(Shape):"
    assert lines[-1][1] == "        return self._describe()"
    assert page.locator(".line.hl").first.is_visible()
    page.go_back()
    viewer.wait_ready()
    assert page.locator(".page-head h1").inner_text() == "shapes.circle"
    assert viewer.errors == []


def test_search_finds_a_symbol_and_opens_its_lines(viewer: Viewer) -> None:
    page = viewer.page
    page.fill("#search", "square")
    first = page.locator("#search-results .symbol-result").first
    assert "square" in first.inner_text()
    assert "shapes/circle.py:24-26" in first.inner_text()
    page.press("#search", "Enter")
    viewer.wait_ready()
    assert [number for number, _ in viewer.highlighted()] == [24, 25, 26]
    assert page.locator("#search-results").is_hidden()
    page.fill("#search", "radius")
    assert "shapes.circle" in page.locator("#search-results .page-result").first.inner_text()
    page.press("#search", "Escape")
    assert viewer.errors == []


def test_markup_in_pages_and_sources_stays_text(viewer: Viewer) -> None:
    page = viewer.page
    viewer.go("#/source/hostile.py:3-4")
    assert viewer.highlighted()[0] == (
        3,
        'SNIPPET = "</script><script>window.pwned = 1</script>"',
    )
    viewer.go("#/page/overview")
    assert "</script><script>window.pwned = 2</script>" in page.locator("article").inner_text()
    assert page.evaluate("window.pwned") is None
    assert viewer.errors == []


def test_deep_links_open_directly(viewer: Viewer) -> None:
    viewer.open("#/source/shapes/base.py:33-35")
    assert [number for number, _ in viewer.highlighted()] == [33, 34, 35]
    viewer.go("#/page/no_such_page")
    assert viewer.page.locator("main h1").inner_text() == "No such page"
    assert viewer.errors == []


def test_without_mermaid_a_banner_explains_and_diagrams_stay_readable(
    browser: playwright_api.Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = make_wiki(tmp_path)
    monkeypatch.setenv(NODE_MODULES_VARIABLE, str(tmp_path / "nowhere"))
    write_viewer(built.output, built.repo)
    context = browser.new_context()
    try:
        viewer = Viewer(context.new_page(), built.index)
        viewer.open("#/page/shapes")
        banner = viewer.page.locator("#banner")
        assert banner.is_visible()
        assert "npm ci" in banner.inner_text()
        source = viewer.page.locator("main pre.mermaid-source")
        assert source.count() == 1
        assert source.inner_text().startswith("classDiagram")
        assert viewer.page.locator("main svg").count() == 0
        assert viewer.errors == []
    finally:
        context.close()
