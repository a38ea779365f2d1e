"""Research footprints: recorded with each answer, re-executable, and sensitive to change."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from build_helpers import SMALL_PAGES, copy_fixture

from cocowiki.index import IndexConfig, index_repository
from cocowiki.index.store import catalog_path, read_index
from cocowiki.pages import (
    ResearchArtifact,
    ResearchQuestionArtifact,
    build_wiki,
    execute,
    load_artifact,
)
from cocowiki.pages.footprints import Explorer, GlobFootprint, ReadFootprint, stale_footprints
from cocowiki.pages.rows import CatalogRows
from cocowiki.pages.sources import SourceReader


def _never_parse(texts: object) -> list[str | None]:
    assert isinstance(texts, list)
    return [None for _ in texts]


def _research(output: Path) -> list[ResearchQuestionArtifact]:
    found = []
    for path in sorted((output / "artifacts" / "research").glob("*.json")):
        artifact = load_artifact(json.loads(path.read_text()))
        assert isinstance(artifact, ResearchArtifact)
        found.extend(artifact.questions)
    return found


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    repo = copy_fixture("python", tmp_path)
    build_wiki(repo, tmp_path / "out", SMALL_PAGES, diagram_checker=_never_parse)
    return repo, tmp_path / "out"


def test_every_footprint_replays_to_its_fingerprint(built: tuple[Path, Path]) -> None:
    repo, output = built
    research = _research(output)
    assert {(a.module, a.id) for a in research} >= {
        ("shapes", "purpose"),
        ("shapes", "files"),
        ("shapes", "api"),
        ("shapes", "dependencies"),
        ("shapes", "entry-points"),
        ("shapes", "calls"),
        ("shapes", "tests"),
        ("overview", "purpose"),
    }
    footprints = [fp for artifact in research for fp in artifact.footprints]
    assert {fp.tool for fp in footprints} == {
        "read",
        "glob",
        "grep",
        "symbol_lookup",
        "graph_lookup",
    }
    index = index_repository(repo, output, SMALL_PAGES.index)
    for footprint in footprints:
        assert execute(footprint, repo, index) == footprint.fingerprint, footprint


def test_an_edit_makes_exactly_the_moved_evidence_stale(built: tuple[Path, Path]) -> None:
    repo, output = built
    base = repo / "shapes" / "base.py"
    base.write_text("# a new first line\n" + base.read_text())
    index = index_repository(repo, output, IndexConfig(use_git=False))
    stale = {
        (artifact.module, artifact.id, footprint.tool)
        for artifact in _research(output)
        for footprint in stale_footprints(artifact.footprints, repo, index)
    }
    assert ("shapes", "purpose", "read") in stale  # the docstring moved down a line
    assert ("shapes", "api", "symbol_lookup") in stale  # Shape's span moved
    assert ("shapes", "dependencies", "graph_lookup") not in stale  # same imports, counts
    assert not any(module == "overview" for module, _, _ in stale)  # app.py is untouched
    assert ("shapes", "files", "glob") not in stale

    (repo / "shapes" / "square.py").write_text('"""Squares."""\n')
    index = index_repository(repo, output, IndexConfig(use_git=False))
    files = next(a for a in _research(output) if (a.module, a.id) == ("shapes", "files"))
    assert [fp.tool for fp in stale_footprints(files.footprints, repo, index)] == ["glob"]


def test_lookups_never_leave_the_repository(tmp_path: Path) -> None:
    repo = copy_fixture("python", tmp_path)
    (tmp_path / "secret.py").write_text("TOKEN = 1\n")
    (repo / "link.py").symlink_to(tmp_path / "secret.py")
    index = index_repository(repo, tmp_path / "out", IndexConfig(use_git=False))
    explorer = Explorer(repo, index)
    assert explorer.read("../secret.py", 1, 1)[0] == []
    assert explorer.read("link.py", 1, 1)[0] == []
    assert explorer.glob("../*.py")[0] == []
    assert "link.py" not in explorer.glob("*.py")[0]
    assert explorer.grep("TOKEN", "*.py")[0] == []
    outside = ReadFootprint(path="../secret.py", start=1, end=1, fingerprint="x")
    assert execute(outside, repo, index).startswith("unreadable: ../secret.py")
    assert not SourceReader(repo).exists("link.py")


def test_read_and_glob_fingerprints_are_what_the_docs_say(tmp_path: Path) -> None:
    repo = copy_fixture("python", tmp_path)
    index = index_repository(repo, tmp_path / "out", IndexConfig(use_git=False))
    explorer = Explorer(repo, index)
    lines, footprint = explorer.read("shapes/base.py", 27, 28)
    assert lines == ["class Shape:", '    """A shape with a colour."""']
    assert footprint.fingerprint == hashlib.sha256("\n".join(lines).encode()).hexdigest()
    matches, glob = explorer.glob("shapes/*")
    assert matches == ["shapes/__init__.py", "shapes/base.py", "shapes/circle.py"]
    assert isinstance(glob, GlobFootprint) and glob.matches == 3
    edges, graph = explorer.graph_lookup("shapes/base.py#Shape", "in", "inherit")
    assert [(e.source, e.target) for e in edges] == [
        ("shapes/circle.py#Circle", "shapes/base.py#Shape")
    ]
    assert graph.matches == 1


def test_artifacts_of_another_schema_version_are_refused() -> None:
    with pytest.raises(ValueError, match="schema version 99"):
        load_artifact({"kind": "dossier", "schema_version": 99, "module": "x"})
    with pytest.raises(ValueError, match="not a cocowiki artifact"):
        load_artifact({"kind": "page"})


@pytest.mark.parametrize(
    "pattern",
    [
        *("*", "pkg/*", "pkg/*.py", "pkg/[Rr][Ee][Aa][Dd]*", "pkg/sub/*", "pkg/.*", "missing/*"),
        *("pkg/a.py/*", "pkg/link/*", "**/*.py", "pkg/*/*.py", "pkg/a.py", "pkg//*", "*/"),
    ],
)
def test_a_glob_of_one_directory_finds_what_pathlib_finds(tmp_path: Path, pattern: str) -> None:
    """Globs of one directory (research's) read its entries' types, not two stats each:
    the same files as ``Path.glob``, regular files only, hidden ones included."""
    repo = tmp_path / "repo"
    (repo / "pkg" / "sub").mkdir(parents=True)
    for name in ("a.py", "README.md", "readme.txt", ".hidden", "sub/b.py", "[x].py"):
        (repo / "pkg" / name).write_text("x\n")
    (repo / "top.py").write_text("x\n")
    (repo / "pkg" / "alias.py").symlink_to(repo / "pkg" / "a.py")
    (repo / "pkg" / "link").symlink_to(repo / "pkg" / "sub")
    explorer = Explorer(repo, index_repository(repo, tmp_path / "out", IndexConfig(use_git=False)))
    expected = sorted(
        found.relative_to(repo).as_posix()
        for found in repo.glob(pattern)
        if not found.is_symlink() and found.is_file()
    )
    assert explorer.glob(pattern)[0] == expected


def test_lookups_of_an_index_not_loaded_are_those_of_the_loaded_rows(
    built: tuple[Path, Path],
) -> None:
    """Given the catalog of an index not loaded, SymbolLookup and GraphLookup ask it one
    name or node at a time and find what the maps of every row find, in the same order."""
    repo, output = built
    loaded = read_index(output)
    lazy = read_index(output, lazy=True)
    plain = Explorer(repo, loaded)
    by_catalog = Explorer(repo, lazy, rows=CatalogRows(catalog_path(output)))
    nodes = {c.id for c in loaded.components} | {f.path for f in loaded.files} | {"nowhere"}
    looked_up = 0
    for node in sorted(nodes):
        for direction in ("in", "out"):
            edges = by_catalog.graph_lookup(node, direction)
            assert edges == plain.graph_lookup(node, direction), (node, direction)
            looked_up += len(edges[0])
    for name in sorted({c.name for c in loaded.components} | {"nowhere"}):
        assert by_catalog.symbol_lookup(name) == plain.symbol_lookup(name), name
    assert looked_up > 10
    assert lazy.lazy  # nothing was loaded
