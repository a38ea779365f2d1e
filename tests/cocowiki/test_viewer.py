"""The viewer's index.html as written: pages, links, sources, symbols, escaping, fallback.

What the browser does with it is in test_viewer_browser.py; this checks the file.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from viewer_helpers import BuiltWiki, make_wiki

from cocowiki.index import IndexConfig, index_repository
from cocowiki.mermaid import NODE_MODULES_VARIABLE, mermaid_available
from cocowiki.viewer import ViewerError, write_viewer
from cocowiki.viewer import pieces as pieces_module
from cocowiki.viewer import site as site_module
from cocowiki.viewer import sources as sources_module
from cocowiki.viewer.document import script_source
from cocowiki.viewer.markdown import (
    Citation,
    LinkContext,
    RenderedPage,
    citation_of,
    render_page,
)
from cocowiki.viewer.pieces import CACHE_NAME, script_json
from cocowiki.viewer.sources import KnownFiles, embed_sources


@pytest.fixture(scope="module")
def wiki(tmp_path_factory: pytest.TempPathFactory) -> BuiltWiki:
    built = make_wiki(tmp_path_factory.mktemp("viewer"))
    assert write_viewer(built.output, built.repo)
    return built


def embedded_data(index: Path) -> dict[str, Any]:
    html = index.read_text()
    match = re.search(r'<script type="application/json" id="wiki-data">(.*?)</script>', html, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_a_clean_rerun_writes_nothing(wiki: BuiltWiki) -> None:
    before = wiki.index.stat().st_mtime_ns
    assert write_viewer(wiki.output, wiki.repo) is False
    assert wiki.index.stat().st_mtime_ns == before


def test_pages_keep_their_tree_and_status(wiki: BuiltWiki) -> None:
    data = embedded_data(wiki.index)
    assert data["root"] == "overview"
    pages = {page["id"]: page for page in data["pages"]}
    assert pages["shapes"]["parent"] == "overview"
    assert pages["shapes"]["children"] == ["shapes_circle"]
    assert pages["shapes_circle"]["status"] == "unverified"
    assert pages["shapes_circle"]["problems"] == [
        "citation shapes/circle.py:40-41 is past the end of the file"
    ]
    assert "squares its radius with square" in pages["shapes_circle"]["text"]


def test_citations_and_page_links_become_viewer_routes(wiki: BuiltWiki) -> None:
    pages = {page["id"]: page for page in embedded_data(wiki.index)["pages"]}
    overview = pages["overview"]["html"]
    assert '<a href="#/source/app.py:7-9" class="citation">app.py:7-9</a>' in overview
    assert '<a href="#/page/shapes" class="page-link">the shapes module</a>' in overview
    assert '<pre class="mermaid-source"><code>flowchart TD' in overview
    assert "app[app.py] --&gt; shapes[shapes]" in overview  # diagram source escaped
    circle = pages["shapes_circle"]["html"]
    assert 'href="#/source/shapes/circle.py:9-20"' in circle
    assert '<code class="language-python">' in circle  # other fences stay code


def test_only_cited_files_are_embedded(wiki: BuiltWiki) -> None:
    sources = embedded_data(wiki.index)["sources"]
    assert sorted(sources) == ["app.py", "hostile.py", "shapes/base.py", "shapes/circle.py"]
    circle = sources["shapes/circle.py"]["text"].splitlines()
    assert circle[8] == "class Circle(Shape):"


def test_symbols_come_from_the_catalog(wiki: BuiltWiki) -> None:
    symbols = embedded_data(wiki.index)["symbols"]
    rows = [dict(zip(symbols["columns"], row, strict=True)) for row in symbols["rows"]]
    circle = next(row for row in rows if row["qualified_name"] == "shapes.circle.Circle")
    assert (circle["kind"], circle["path"], circle["start"], circle["end"]) == (
        "class",
        "shapes/circle.py",
        9,
        20,
    )


def test_markup_in_pages_and_sources_cannot_escape_its_script(wiki: BuiltWiki) -> None:
    html = wiki.index.read_text()
    # Three script elements (data, mermaid, viewer) and no other script tag.
    assert html.count("</script>") == 3
    assert len(re.findall(r"<script\b", html, re.I)) == 3
    assert "<!--" not in html.split("<body>", 1)[1].replace("<!--cocowiki", "")
    data = embedded_data(wiki.index)
    assert "window.pwned = 1" in data["sources"]["hostile.py"]["text"]
    overview = next(page for page in data["pages"] if page["id"] == "overview")["html"]
    assert "&lt;/script&gt;&lt;script&gt;window.pwned = 2" in overview
    assert "&lt;b&gt;tags&lt;/b&gt;" in overview


def test_script_escapes_keep_the_value() -> None:
    value = {"text": "</script><!-- & -->"}
    assert json.loads(script_json(value)) == value
    assert b"<" not in script_json(value)
    assert script_source('a = "</SCRIPT>" + /<!--/') == 'a = "\\x3C/SCRIPT>" + /\\x3C!--/'


def test_citation_links_are_resolved_from_the_pages_folder(tmp_path: Path) -> None:
    context = LinkContext(tmp_path / "repo" / ".cocowiki" / "pages", tmp_path / "repo", frozenset())
    assert citation_of("../../src/a%20b.py#L5", context) == Citation("src/a b.py", 5, 5)
    assert citation_of("../../src/a.py#L9-L3", context) == Citation("src/a.py", 9, 9)
    assert citation_of("../../../elsewhere.py#L1-L2", context) is None
    assert citation_of("https://example.org/a.py#L1-L2", context) is None
    assert citation_of("../../src/a.py#intro", context) is None
    assert Citation("dir/a:b.py", 1, 2).route == "#/source/dir/a%3Ab.py:1-2"


def render_in(tmp_path: Path, markdown: str) -> RenderedPage:
    """``markdown`` rendered as a page of ``tmp_path/out``, where page ``known`` exists."""
    return render_page(
        markdown, LinkContext(tmp_path / "out" / "pages", tmp_path, frozenset({"known"}))
    )


def test_render_page_counts_diagrams_and_rewrites_only_known_pages(tmp_path: Path) -> None:
    page = render_in(
        tmp_path,
        "[a](known.md) [b](unknown.md) [c](https://example.org)\n\n"
        "```mermaid\nflowchart TD\n  A --> B\n```\n",
    )
    assert 'href="#/page/known"' in page.html
    assert 'href="unknown.md"' in page.html
    assert 'rel="noopener noreferrer"' in page.html
    assert page.diagrams == 1
    assert page.citations == ()


def test_sources_stay_inside_the_repository_and_the_limits(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "secret.txt").write_text("outside\n")
    (repo / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (repo / "big.py").write_text("x = 1\n" * 100)
    (repo / "a.py").write_text("a = 1\n")
    (repo / "b.py").write_text("b = 2\n")
    (repo / "blob.bin").write_bytes(b"\0\1\2")
    sources = embed_sources(
        repo,
        ["leak.txt", "../secret.txt", "big.py", "a.py", "b.py", "blob.bin", "gone.py"],
        max_file_bytes=100,
        max_total_bytes=7,
    )
    assert sources["a.py"].text == "a = 1\n"
    assert "limit of" in (sources["b.py"].omitted or "")  # a.py used the whole budget
    assert "outside the repository" in (sources["leak.txt"].omitted or "")
    assert "outside the repository" in (sources["../secret.txt"].omitted or "")
    assert "over the limit" in (sources["big.py"].omitted or "")
    assert "binary" in (sources["blob.bin"].omitted or "")
    assert "no such file" in (sources["gone.py"].omitted or "")


def test_no_manifest_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ViewerError, match=r"no wiki has been built .* run `cw build`"):
        write_viewer(tmp_path, tmp_path)
    (tmp_path / "manifest.json").write_text('{"pages": [{"title": "no id"}]}')
    with pytest.raises(ViewerError, match=r"not a manifest this viewer understands"):
        write_viewer(tmp_path, tmp_path)


def test_a_page_file_outside_the_output_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "secret.md").write_text("# secret\n")
    output = tmp_path / "out"
    output.mkdir()
    manifest = {"root": "x", "pages": [{"id": "x", "title": "X", "path": "../secret.md"}]}
    (output / "manifest.json").write_text(json.dumps(manifest))
    write_viewer(output, tmp_path)
    (page,) = embedded_data(output / "index.html")["pages"]
    assert "secret" not in page["text"]
    assert "leads outside the output directory" in page["html"]


@pytest.mark.skipif(
    not mermaid_available() and not os.environ.get("CI"), reason="run `npm ci` first"
)
def test_mermaid_is_inlined_when_installed(wiki: BuiltWiki) -> None:
    html = wiki.index.read_text()
    assert embedded_data(wiki.index)["mermaid"] == {"available": True, "message": None}
    assert "mermaid" in html and len(html) > 1_000_000


def test_without_mermaid_the_viewer_says_why_and_keeps_the_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = make_wiki(tmp_path)
    monkeypatch.setenv(NODE_MODULES_VARIABLE, str(tmp_path / "nowhere"))
    write_viewer(built.output, built.repo)
    data = embedded_data(built.index)
    assert data["mermaid"]["available"] is False
    assert "npm ci" in data["mermaid"]["message"]
    assert built.index.stat().st_size < 200_000


def count_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first line of each page the viewer renders from now on, in order."""
    rendered: list[str] = []
    original = site_module.render_page

    def counting(markdown: str, context: LinkContext) -> RenderedPage:
        rendered.append(markdown.splitlines()[0])
        return original(markdown, context)

    monkeypatch.setattr(site_module, "render_page", counting)
    return rendered


def test_unchanged_pages_are_not_rendered_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = make_wiki(tmp_path)
    write_viewer(built.output, built.repo)
    rendered = count_renders(monkeypatch)
    assert write_viewer(built.output, built.repo) is False
    assert rendered == []
    page = built.output / "pages" / "shapes.md"
    page.write_text(page.read_text().replace("Every shape", "Each shape"))
    assert write_viewer(built.output, built.repo) is True
    assert rendered == ["# shapes"]
    shapes = next(p for p in embedded_data(built.index)["pages"] if p["id"] == "shapes")
    assert "Each shape derives" in shapes["html"]
    cached = json.loads((built.output / CACHE_NAME).read_text())
    pages = [key for key in cached["pieces"] if key.startswith("p")]
    assert len(pages) == 3  # the old rendering of shapes.md is gone


def test_only_a_fence_that_says_just_mermaid_is_a_diagram(tmp_path: Path) -> None:
    page = render_in(
        tmp_path,
        "``` Mermaid \nA --> B\n```\n\n```mermaid extra\nC --> D\n```\n\n"
        "```&#109;ermaid\nE --> F\n```\n\n    indented\n\n~~~mermaid\nG --> H\n~~~\n",
    )
    assert page.diagrams == 2
    assert page.html.count('<pre class="mermaid-source"><code>') == 2
    assert '<pre class="mermaid-source"><code>A --&gt; B' in page.html
    assert '<pre class="mermaid-source"><code>G --&gt; H' in page.html
    assert '<code class="language-mermaid">C --&gt; D' in page.html  # more words: code
    assert '<code class="language-mermaid">E --&gt; F' in page.html  # an entity: code
    assert page.text == "C --> D E --> F indented"  # diagrams are not searched


def test_links_keep_their_title_and_text_is_what_a_reader_sees(tmp_path: Path) -> None:
    page = render_in(
        tmp_path,
        '# A *b* `c<d>`\n\n[x](../../src/a.py#L2-L3 "why & how") and [y](known.md)\n'
        "![alt text](pic.png) <https://example.org/?a=1&b=2>\n\n| h | i |\n|---|---|\n| 1 | 2 |\n",
    )
    assert (
        '<a href="#/source/src/a.py:2-3" title="why &amp; how" class="citation">x</a>' in page.html
    )
    assert '<a href="#/page/known" class="page-link">y</a>' in page.html
    assert (
        '<a href="https://example.org/?a=1&amp;b=2" rel="noopener noreferrer" target="_blank">'
        in page.html
    )
    assert page.citations == (Citation("src/a.py", 2, 3),)
    assert page.text == "A b c<d> x and y https://example.org/?a=1&b=2 h i 1 2"


def test_the_embedded_data_is_its_value_serialised_whole(wiki: BuiltWiki) -> None:
    """The pieces, serialised apart and joined, are the text of the whole value."""
    html = wiki.index.read_bytes()
    start = html.index(b'id="wiki-data">') + len(b'id="wiki-data">')
    embedded = html[start : html.index(b"</script>", start)]
    assert embedded == script_json(json.loads(embedded))


def rebuilt_from_nothing(built: BuiltWiki) -> bytes:
    """What a viewer written with no earlier ``index.html`` or sidecar holds (in the same
    output directory: links are resolved from there)."""
    aside = built.output.parent / "aside"
    aside.mkdir(exist_ok=True)
    for name in ("index.html", CACHE_NAME):  # moved, so they stay the files they were
        (built.output / name).rename(aside / name)
    assert write_viewer(built.output, built.repo) is True
    fresh = built.index.read_bytes()
    for name in ("index.html", CACHE_NAME):
        (aside / name).replace(built.output / name)
    return fresh


def change_wiki(built: BuiltWiki, edit: Any) -> None:
    """Apply ``edit(repo, manifest)`` and index the repository again, as a build would."""
    manifest_path = built.output / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    edit(built.repo, manifest)
    manifest_path.write_text(json.dumps(manifest))
    index_repository(built.repo, built.output, IndexConfig(use_git=False))


def test_an_incremental_viewer_is_the_one_written_from_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pieces_module, "RUN_LENGTH", 2)  # several runs of files
    built = make_wiki(tmp_path)
    write_viewer(built.output, built.repo)
    rendered = count_renders(monkeypatch)

    def edit(repo: Path, manifest: dict[str, Any]) -> None:
        circle = repo / "shapes" / "circle.py"
        circle.write_text(circle.read_text().replace("\n", "  # edited\n", 1))
        (repo / "shapes" / "extra.py").write_text("def added() -> int:\n    return 1\n")

    def rename(repo: Path, manifest: dict[str, Any]) -> None:
        (repo / "app.py").rename(repo / "main_app.py")
        page = built.output / "pages" / "overview.md"
        page.write_text(page.read_text().replace("app.py", "main_app.py"))
        manifest["pages"][0]["files"] = [{"path": "main_app.py", "lines": 9}]

    def delete(repo: Path, manifest: dict[str, Any]) -> None:
        (repo / "hostile.py").unlink()
        manifest["pages"][2]["status"] = "verified"
        manifest["pages"][2]["problems"] = []

    for change, pages_rendered in [(edit, []), (rename, ["# Overview"]), (delete, [])]:
        rendered.clear()
        change_wiki(built, change)
        assert write_viewer(built.output, built.repo) is True
        assert rendered == pages_rendered  # no page whose Markdown is the same
        assert built.index.read_bytes() == rebuilt_from_nothing(built), change.__name__
    data = embedded_data(built.index)
    assert "# edited" in data["sources"]["shapes/circle.py"]["text"]
    assert "no such file" in data["sources"]["hostile.py"]["omitted"]
    assert "main_app.py" in data["sources"] and "app.py" not in data["sources"]
    paths = {row[3] for row in data["symbols"]["rows"]}
    assert "shapes/extra.py" in paths and "main_app.py" in paths and "hostile.py" not in paths
    circle = next(page for page in data["pages"] if page["id"] == "shapes_circle")
    assert (circle["status"], circle["problems"]) == ("verified", [])


def test_a_viewer_changed_by_hand_is_written_again(tmp_path: Path) -> None:
    built = make_wiki(tmp_path)
    write_viewer(built.output, built.repo)
    original = built.index.read_bytes()
    built.index.write_bytes(original.replace(b"shapes", b"SHAPES"))
    assert write_viewer(built.output, built.repo) is True
    assert built.index.read_bytes() == original
    (built.output / CACHE_NAME).unlink()  # the same bytes are not written again
    before = built.index.stat().st_mtime_ns
    assert write_viewer(built.output, built.repo) is False
    assert built.index.stat().st_mtime_ns == before


def test_symbols_stop_at_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pieces_module, "RUN_LENGTH", 2)
    built = make_wiki(tmp_path)
    write_viewer(built.output, built.repo)
    rows = embedded_data(built.index)["symbols"]["rows"]
    monkeypatch.setattr(site_module, "MAX_SYMBOLS", 5)
    write_viewer(built.output, built.repo)
    assert embedded_data(built.index)["symbols"]["rows"] == rows[:5]


def test_files_are_remembered_by_their_stat_once_they_are_old_enough(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.py"
    path.write_text("a = 1\n")
    just_now = KnownFiles()
    just_now.content(str(path), path.stat())
    assert just_now.used == {}  # changed in the last moments: read again next time
    later = sources_module.time.time_ns() + 10 * sources_module.RACE_MARGIN_NS
    monkeypatch.setattr(sources_module.time, "time_ns", lambda: later)
    first = KnownFiles()
    read = first.content(str(path), path.stat())
    assert read.data == b"a = 1\n"
    remembered = KnownFiles(first.used).content(str(path), path.stat())
    assert (remembered.digest, remembered.size, remembered.data) == (read.digest, 6, None)
    path.write_text("a = 22\n")
    again = KnownFiles(first.used).content(str(path), path.stat())
    assert again.data == b"a = 22\n" and again.digest != read.digest
