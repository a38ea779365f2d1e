"""Re-indexing trusts a file's ``lstat`` as git does: an unchanged file is not read again,
a changed one always is, even when its size and mtime were put back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from build_helpers import copy_fixture

from cocowiki.index import IndexConfig, IndexResult, index_repository, read_index
from cocowiki.index import indexer as indexer_module
from cocowiki.index.files import Candidate, read_source

WALK = IndexConfig(use_git=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_fixture("python", tmp_path)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the indexer reads, in order."""
    seen: list[str] = []

    def reading(repo: Path, candidate: Candidate, config: IndexConfig) -> object:
        seen.append(candidate.path)
        return read_source(repo, candidate, config)

    monkeypatch.setattr(indexer_module, "read_source", reading)
    return seen


def _rows(index: IndexResult) -> tuple[object, ...]:
    return (index.files, index.components, index.references, index.errors, index.exclusions)


def _settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written before an index count as settled when it reads them (no test waits
    out a real timestamp tick)."""
    monkeypatch.setattr(indexer_module, "RACY_NS", 0)


def test_unchanged_files_are_not_read_again(
    repo: Path, tmp_path: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _settled(monkeypatch)
    out = tmp_path / "out"
    first = index_repository(repo, out, WALK)
    assert sorted(reads) == sorted(f.path for f in first.files)
    reads.clear()
    again = index_repository(repo, out, WALK)
    assert reads == []
    assert again.files_unchanged == len(first.files)
    assert _rows(read_index(out)) == _rows(first)
    circle = repo / "shapes" / "circle.py"
    circle.write_text(circle.read_text().replace("return x * x", "return x * x + 0"))
    edited = index_repository(repo, out, WALK)
    assert reads == ["shapes/circle.py"]
    assert edited.files_parsed == 1
    reads.clear()
    index_repository(repo, out, WALK)
    assert reads == []  # the update in place recorded the file as read again


def test_a_change_that_keeps_size_and_mtime_is_read(
    repo: Path, tmp_path: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _settled(monkeypatch)
    out = tmp_path / "out"
    index_repository(repo, out, WALK)
    circle = repo / "shapes" / "circle.py"
    status = circle.stat()
    text = circle.read_text()
    changed = text.replace("x * x", "x + x", 1)
    assert changed != text and len(changed) == len(text)
    circle.write_text(changed)
    os.utime(circle, ns=(status.st_atime_ns, status.st_mtime_ns))  # the ctime still moves
    reads.clear()
    result = index_repository(repo, out, WALK)
    assert reads == ["shapes/circle.py"]
    assert result.files_parsed == 1
    assert _rows(read_index(out)) == _rows(index_repository(repo, tmp_path / "fresh", WALK))


def test_a_file_changed_just_before_it_was_read_is_read_again(
    repo: Path, tmp_path: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Racy git: files changed within a timestamp tick (here: a day) of the first index
    could change again keeping their times; they are read again."""
    monkeypatch.setattr(indexer_module, "RACY_NS", 86_400 * 10**9)
    out = tmp_path / "out"
    first = index_repository(repo, out, WALK)
    reads.clear()
    index_repository(repo, out, WALK)
    assert sorted(reads) == sorted(f.path for f in first.files)


def test_other_settings_read_every_file(
    repo: Path, tmp_path: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What reading gives depends on the settings (minified, generated, size cap)."""
    _settled(monkeypatch)
    out = tmp_path / "out"
    first = index_repository(repo, out, WALK)
    reads.clear()
    index_repository(repo, out, IndexConfig(use_git=False, minified_line_length=300))
    assert sorted(reads) == sorted(f.path for f in first.files)
