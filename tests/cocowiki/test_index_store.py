"""The SQLite catalog: round trip, full-text search, atomic writes and incremental re-index."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from cocowiki.index import IndexConfig, index_repository, read_index, search
from cocowiki.index import store as store_module
from cocowiki.index.store import catalog_path, identifier_words

FIXTURES = Path(__file__).parent / "fixtures"
WALK = IndexConfig(use_git=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(FIXTURES / "python", target)
    shutil.copytree(FIXTURES / "rust", target / "rust")
    return target


def test_catalog_round_trips(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = index_repository(repo, out, WALK)
    loaded = read_index(out)
    assert loaded.repo == result.repo
    assert loaded.files == result.files
    assert loaded.components == result.components
    assert loaded.references == result.references
    assert loaded.errors == result.errors
    assert loaded.warnings == result.warnings
    assert loaded.exclusions == result.exclusions
    assert loaded.files_parsed == result.files_parsed


def test_catalog_tables(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = index_repository(repo, out, WALK)
    with sqlite3.connect(catalog_path(out)) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        counts = {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("files", "components", "refs", "errors", "warnings", "exclusions")
        }
        meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    assert {"files", "components", "refs", "errors", "warnings", "exclusions"} <= tables
    assert "components_fts" in tables
    assert counts["files"] == len(result.files)
    assert counts["components"] == len(result.components)
    assert counts["refs"] == len(result.references)
    assert counts["exclusions"] == len(result.exclusions) == 1  # rust/Cargo.toml
    assert meta["schema_version"] == "1"


def test_full_text_search_finds_symbols(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    index_repository(repo, out, WALK)
    assert [c.id for c in search(out, "square")][:2] == [
        "rust/src/util.rs#square",
        "shapes/circle.py#square",
    ] or [c.id for c in search(out, "square")][:2] == [
        "shapes/circle.py#square",
        "rust/src/util.rs#square",
    ]
    assert [c.id for c in search(out, "total area")] == ["rust/src/lib.rs#total_area"]
    assert [c.id for c in search(out, "colours")] == ["shapes/base.py#Color"]
    assert search(out, '"unbalanced') == []
    assert search(out, "   ") == []


def test_identifier_words() -> None:
    assert identifier_words("parseHTTPRequest_v2") == "parse http request v 2"
    assert identifier_words("total_area") == "total area"


def test_reindex_of_an_unchanged_repository_parses_nothing(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = index_repository(repo, out, WALK)
    written = catalog_path(out).stat().st_mtime_ns
    second = index_repository(repo, out, WALK)
    assert first.files_parsed == len(first.files) > 0
    assert second.files_parsed == 0
    assert second.files_unchanged == len(first.files)
    assert second.catalog_written is False
    assert catalog_path(out).stat().st_mtime_ns == written
    assert second.components == first.components
    assert second.references == first.references


def test_reindex_after_one_edit_parses_one_file(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    index_repository(repo, out, WALK)
    circle = repo / "shapes" / "circle.py"
    circle.write_text(circle.read_text() + "\n\ndef cube(x: float) -> float:\n    return x**3\n")
    result = index_repository(repo, out, WALK)
    assert result.files_parsed == 1
    assert result.files_unchanged == len(result.files) - 1
    assert result.catalog_written is True
    assert "shapes/circle.py#cube" in {c.id for c in read_index(out).components}


def test_reindex_after_a_config_change_rewrites(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    index_repository(repo, out, WALK)
    result = index_repository(repo, out, IndexConfig(use_git=False, exclude=("rust/**",)))
    assert result.files_parsed == 0
    assert result.catalog_written is True
    assert not any(f.path.startswith("rust/") for f in read_index(out).files)


def test_a_failed_write_leaves_the_old_catalog(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    before = index_repository(repo, out, WALK)
    (repo / "new.py").write_text("def new():\n    return 1\n")

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store_module, "_insert", crash)
    with pytest.raises(RuntimeError, match="disk on fire"):
        index_repository(repo, out, WALK)
    assert read_index(out).components == before.components
    assert sorted(p.name for p in out.iterdir()) == [".index.lock", "catalog.sqlite"]


def test_a_corrupt_catalog_is_rebuilt(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    catalog_path(out).write_bytes(b"not a database")
    result = index_repository(repo, out, WALK)
    assert result.files_parsed == len(result.files)
    assert read_index(out).components == result.components


def test_parallel_parse_gives_the_same_index(repo: Path, tmp_path: Path) -> None:
    serial = index_repository(repo, tmp_path / "serial", IndexConfig(use_git=False, workers=1))
    parallel = index_repository(repo, tmp_path / "parallel", IndexConfig(use_git=False, workers=2))
    assert parallel.files == serial.files
    assert parallel.components == serial.components
    assert parallel.references == serial.references
