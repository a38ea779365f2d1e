"""The SQLite catalog: round trip, full-text search, atomic writes and incremental re-index."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from build_helpers import FIXTURES, copy_fixture

from cocowiki.index import IndexConfig, IndexResult, index_repository, read_index, search
from cocowiki.index import store as store_module
from cocowiki.index.store import catalog_path, identifier_words

WALK = IndexConfig(use_git=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    target = copy_fixture("python", tmp_path)
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


@pytest.mark.parametrize("name", ["what?now", "hash#tag", "per%41cent"])
def test_an_output_directory_named_like_a_uri_query_is_read_back(
    repo: Path, tmp_path: Path, name: str
) -> None:
    out = tmp_path / name / "out"
    result = index_repository(repo, out, WALK)
    assert read_index(out).components == result.components
    assert search(out, result.components[0].name)


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
    assert meta["schema_version"] == str(store_module.SCHEMA_VERSION)


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


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # a body edit that shifts lines: other files' references are kept as resolved
        (
            "        return PI * square(self.radius)",
            "        r = self.radius\n        return PI * square(r) + self.area()",
        ),
        # a new definition and a new base: everything is resolved again
        ("class Circle(Shape):", "class Round(Shape):\n    pass\n\n\nclass Circle(Round):"),
    ],
)
def test_a_reindex_resolves_as_an_index_from_nothing(
    repo: Path, tmp_path: Path, old: str, new: str
) -> None:
    index_repository(repo, tmp_path / "out", WALK)
    circle = repo / "shapes" / "circle.py"
    circle.write_text(circle.read_text().replace(old, new))
    again = index_repository(repo, tmp_path / "out", WALK)
    assert not again.lazy  # loaded before the call returns, as asked
    fresh = index_repository(repo, tmp_path / "fresh", WALK)
    assert again.files_parsed == 1
    assert again.references == fresh.references
    assert read_index(tmp_path / "out").references == fresh.references
    assert catalog_rows(tmp_path / "out") == catalog_rows(tmp_path / "fresh")


_KILLED_UPDATE = """
import os, signal, sys
from pathlib import Path
from cocowiki.index import IndexConfig, index_repository, store

def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # inside the update's transaction, rows deleted

store._insert_references = killed
index_repository(Path(sys.argv[1]), Path(sys.argv[2]), IndexConfig(use_git=False))
"""


def test_an_update_killed_halfway_leaves_the_old_index(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = index_repository(repo, out, WALK)
    circle = repo / "shapes" / "circle.py"
    circle.write_text(circle.read_text().replace("return x * x", "return x * x  # squared"))
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_UPDATE, str(repo), str(out)], capture_output=True
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (out / "catalog.sqlite-journal").exists()
    again = index_repository(repo, out, WALK)  # rolls the journal back first
    assert again.files_parsed == 1
    assert read_index(out).references == before.references  # a comment changes no reference
    index_repository(repo, tmp_path / "fresh", WALK)
    assert catalog_rows(out) == catalog_rows(tmp_path / "fresh")


def catalog_rows(output: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of a catalog in its order, but the run's summary (it has timings)."""
    with sqlite3.connect(catalog_path(output)) as connection:
        rows = {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
            for table, order in [
                ("files", "ordinal"),
                ("components", "ordinal"),
                ("refs", "ordinal"),
                ("errors", "rowid"),
                ("warnings", "rowid"),
                ("exclusions", "rowid"),
                ("components_fts", "id"),
                ("file_edges", "path, target"),
                ("meta", "key"),
            ]
        }
    rows["meta"] = [row for row in rows["meta"] if row[0] != "summary"]
    return rows


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


def test_updates_in_place_record_what_they_changed(repo: Path, tmp_path: Path) -> None:
    """The build graph asks what changed since the index it last saw: the files an update
    in place replaced, the files their references point into, their components' names;
    unknown across a whole rewrite."""
    out = tmp_path / "out"
    index_repository(repo, out, WALK)
    catalog = catalog_path(out)
    first = store_module.read_meta(catalog)["fingerprint"]
    assert store_module.index_changes(catalog, first, first) == store_module.IndexChanges()
    circle = repo / "shapes" / "circle.py"
    circle.write_text(circle.read_text().replace("return PI", "return 1.0 * PI"))
    index_repository(repo, out, WALK)
    second = store_module.read_meta(catalog)["fingerprint"]
    changes = store_module.index_changes(catalog, first, second)
    assert changes is not None
    assert changes.files == {"shapes/circle.py"}
    assert {"Circle", "area"} <= changes.names
    assert "shapes/base.py" in changes.targets  # Circle(Shape): its base's file
    base = repo / "shapes" / "base.py"
    base.write_text(base.read_text() + "\n# the end\n")
    index_repository(repo, out, WALK)
    third = store_module.read_meta(catalog)["fingerprint"]
    both = store_module.index_changes(catalog, first, third)
    assert both is not None and both.files == {"shapes/circle.py", "shapes/base.py"}
    assert store_module.index_changes(catalog, "another index", third) is None
    index_repository(repo, out, IndexConfig(use_git=False, exclude=("rust/*",)))  # rewrites
    fourth = store_module.read_meta(catalog)["fingerprint"]
    assert store_module.index_changes(catalog, third, fourth) is None


def test_a_lazy_index_reads_the_same_rows_on_first_use(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    index_repository(repo, out, WALK)
    lazy = read_index(out, lazy=True)
    assert lazy == read_index(out)
    assert lazy.components and lazy.references


def _same_index(again: IndexResult, fresh: IndexResult) -> None:
    """The records of two indexes are equal (not their timings and counts of the run)."""
    assert again.files == fresh.files
    assert again.components == fresh.components
    assert again.references == fresh.references
    assert (again.errors, again.warnings, again.exclusions) == (
        fresh.errors,
        fresh.warnings,
        fresh.exclusions,
    )


def _reindexed(repo: Path, tmp_path: Path, name: str, *, lazy: bool) -> IndexResult:
    """Re-index ``repo`` in place into ``out`` (from the catalog's rows when ``lazy``),
    index it from nothing into ``name``, and check that both hold the same rows."""
    again = index_repository(repo, tmp_path / "out", WALK, lazy=True)
    assert again.lazy is lazy
    fresh = index_repository(repo, tmp_path / name, WALK)
    _same_index(again, fresh)
    assert catalog_rows(tmp_path / "out") == catalog_rows(tmp_path / name)
    return again


#: ``self.x`` through bases of other files: those of files before the one resolved
#: (``b_middle.py``) are known when it is resolved, those of files after it (``z_late.py``)
#: not yet.
_HIERARCHY = {
    "__init__.py": "",
    "a_root.py": "class Root:\n    def hello(self):\n        return 1\n",
    "b_middle.py": "from .a_root import Root\n\n\nclass Middle(Root):\n    pass\n",
    "c_leaf.py": (
        "from .b_middle import Middle\nfrom .z_late import Late\n\n\n"
        "class Leaf(Middle):\n    def run(self):\n        return self.hello()\n\n\n"
        "class Other(Late):\n    def run(self):\n        return self.hello()\n"
    ),
    "z_late.py": "from .a_root import Root\n\n\nclass Late(Root):\n    pass\n",
}


def test_a_few_edited_files_are_resolved_from_the_catalog(tmp_path: Path) -> None:
    """Every file of every language edited at once without changing its resolution
    interface (a line inserted at the top moves every line): the references are resolved
    by lookups of the catalog, the rows replaced in place, the index returned lazy; all
    as an index from nothing of the edited tree. Then each file alone, which resolves
    the others from their stored rows."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES, repo)
    for name, text in _HIERARCHY.items():
        (repo / "deep").mkdir(exist_ok=True)
        (repo / "deep" / name).write_text(text)
    index_repository(repo, tmp_path / "out", WALK)
    sources = sorted(f.path for f in read_index(tmp_path / "out").files)
    assert len(sources) > 25
    for path in sources:
        (repo / path).write_text("\n" + (repo / path).read_text())
    again = _reindexed(repo, tmp_path, "fresh", lazy=True)
    assert again.files_parsed == len(sources)
    assert again.summary() | {"timings": {}} == read_summary(tmp_path / "out")
    for number, path in enumerate(sources):
        (repo / path).write_text((repo / path).read_text()[1:])
        _reindexed(repo, tmp_path, f"fresh{number}", lazy=True)


def read_summary(output: Path) -> dict[str, object]:
    """The summary the catalog stores of the last run, but its timings."""
    summary = json.loads(store_module.read_meta(catalog_path(output))["summary"])
    return {**summary, "timings": {}}


@pytest.mark.parametrize(
    ("edit", "lazy"),
    [
        ("body", True),  # resolved from the catalog
        ("interface", False),  # a new base: everything resolved again
        ("rename", False),
        ("delete", False),
        ("add", False),
    ],
)
def test_an_update_in_place_equals_an_index_from_nothing(
    repo: Path, tmp_path: Path, edit: str, lazy: bool
) -> None:
    out = tmp_path / "out"
    index_repository(repo, out, WALK)
    first = store_module.read_meta(catalog_path(out))["fingerprint"]
    circle = repo / "shapes" / "circle.py"
    if edit == "body":
        circle.write_text(circle.read_text().replace("return PI", "return 1.0 * PI"))
    elif edit == "interface":
        circle.write_text(circle.read_text().replace("(Shape)", "(Shape, object)"))
    elif edit == "rename":
        circle.rename(circle.with_name("disc.py"))
    elif edit == "delete":
        circle.unlink()
    else:
        (repo / "shapes" / "square.py").write_text(
            "from .base import Shape\n\n\nclass Sq(Shape):\n    pass\n"
        )
    again = _reindexed(repo, tmp_path, "fresh", lazy=lazy)
    assert read_summary(out) == {**again.summary(), "timings": {}}
    second = store_module.read_meta(catalog_path(out))["fingerprint"]
    changes = store_module.index_changes(catalog_path(out), first, second)
    assert (changes is not None) is lazy  # only updates in place are recorded
    if changes is not None:
        assert changes.files == {"shapes/circle.py"}
        assert "shapes/base.py" in changes.targets


def test_references_into_files_are_found_by_the_catalogs_indexes(
    repo: Path, tmp_path: Path
) -> None:
    """What a build asks of the files an edit touched: the references pointing into each
    (by target path or by the file of the target id), in order, without reading all."""
    out = tmp_path / "out"
    index = index_repository(repo, out, WALK)
    paths = [f.path for f in index.files] + ["shapes", "nowhere.py"]
    into = store_module.references_into(catalog_path(out), paths)
    for path in paths:
        expected = [
            ref
            for ref in index.references
            if path in {ref.target_path, (ref.target_id or "").split("#", 1)[0]}
        ]
        assert into[path] == expected, path
    assert into["shapes/base.py"]
