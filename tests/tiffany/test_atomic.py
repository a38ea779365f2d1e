"""Atomic writes: a failed write leaves the old file whole and no temporary behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tiffany.atomic import write_atomic, write_if_changed


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "ab" / "entry.json"
    write_atomic(target, "old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in target.parent.iterdir()] == ["entry.json"]


def test_write_atomic_sets_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "secret.json"
    write_atomic(target, b"{}", mode=0o600)
    assert target.stat().st_mode & 0o777 == 0o600


def test_write_if_changed_leaves_an_identical_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "page.md"
    assert write_if_changed(target, "# page\n") is True
    before = target.stat().st_mtime_ns
    os.utime(target, ns=(before - 10**9, before - 10**9))
    assert write_if_changed(target, "# page\n") is False
    assert target.stat().st_mtime_ns == before - 10**9
    assert write_if_changed(target, "# page, edited\n") is True
    assert target.read_text() == "# page, edited\n"
