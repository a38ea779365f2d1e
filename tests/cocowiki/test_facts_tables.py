"""The tables of the facts of an index not loaded: answered a key at a time from the
catalog, as the tables made from every row answer them."""

from __future__ import annotations

from pathlib import Path

import pytest
from build_helpers import SMALL_PAGES, copy_fixture

from cocowiki.index.store import read_index
from cocowiki.pages import build_wiki, facts
from cocowiki.pages.facts import RepositoryFacts
from cocowiki.plan import plan_modules

TABLES = ("components", "by_file", "children_of", "refs_from_file", "refs_into_file")


def _never_parse(texts: object) -> list[str | None]:
    return [None for _ in texts]  # type: ignore[attr-defined]


@pytest.fixture(name="built")
def built_fixture(tmp_path: Path) -> tuple[Path, Path]:
    repo = copy_fixture("python", tmp_path)
    build_wiki(repo, tmp_path / "out", SMALL_PAGES, diagram_checker=_never_parse)
    return repo, tmp_path / "out"


def _facts(repo: Path, output: Path, *, lazy: bool) -> RepositoryFacts:
    index = read_index(output, lazy=lazy)
    return RepositoryFacts.build(repo, output, index, plan_modules(index))


def test_each_key_read_from_the_catalog_is_the_loaded_table_s(built: tuple[Path, Path]) -> None:
    repo, output = built
    loaded = _facts(repo, output, lazy=False)
    by_key = _facts(repo, output, lazy=True)
    assert by_key.rows is not None and loaded.rows is None
    keys = {c.id for c in loaded.index.components} | set(dict.keys(loaded.files)) | {"nowhere"}
    for kind in TABLES:
        table, lookups = dict(loaded.table(kind)), by_key.table(kind)
        known = lookups.keys()  # what research checks call targets against
        for key in sorted(keys):
            assert lookups.get(key) == table.get(key), (kind, key)
            assert (key in lookups) == (key in table), (kind, key)
            assert (key in known) == (key in table), (kind, key)
    assert by_key.index.lazy  # looking keys up loaded nothing
    assert dict(by_key.components) == dict(loaded.components)  # iterating reads it whole
    assert dict(by_key.refs_into_file) == dict(loaded.refs_into_file)
    assert not by_key.index.lazy


def test_a_table_asked_too_many_keys_reads_every_row_at_once(
    built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, output = built
    monkeypatch.setattr(facts, "MAX_LOOKUPS", 2)
    by_key = _facts(repo, output, lazy=True)
    paths = sorted(dict.keys(by_key.files))
    assert len(paths) > 3
    for path in paths[:2]:
        by_key.by_file.get(path)
    assert by_key.index.lazy
    found = by_key.by_file.get(paths[2])
    assert not by_key.index.lazy  # the third lookup read the whole table
    assert found == dict(_facts(repo, output, lazy=False).by_file).get(paths[2])
