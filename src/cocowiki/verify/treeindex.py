"""The index of the repository as it is now, made without writing into the wiki.

Symbol and graph lookups are answered from the index, so to replay them against the
current tree the index has to be current too. Indexing into the wiki's own output would
rewrite ``catalog.sqlite`` whenever a file changed, and with it the build graph kept in
the same file (the next ``cw build`` would recompute every page). So the catalog is
copied (with SQLite's backup, a consistent snapshot even while a build writes it) into a
scratch directory and indexed there: files whose digest did not change are
taken from the copy, not parsed again, and the wiki is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from pathlib import Path

from ..index import IndexConfig, IndexingError, IndexResult, ProgressCallback, index_repository
from ..index.store import catalog_path
from .wiki import VerifyError


def current_index(
    repo: Path,
    output: Path,
    config: IndexConfig | None = None,
    progress: ProgressCallback | None = None,
) -> IndexResult:
    """The index of ``repo`` now, reusing the parses of ``output``'s catalog when it has one."""
    with tempfile.TemporaryDirectory(prefix="cw-verify-") as scratch:
        catalog = catalog_path(output)
        if catalog.is_file():
            copy_catalog(catalog, catalog_path(Path(scratch)))
        try:
            return index_repository(repo, Path(scratch), config, progress)
        except IndexingError as exc:
            raise VerifyError(str(exc)) from exc


def copy_catalog(source: Path, target: Path) -> None:
    """A consistent copy of ``source`` (SQLite's online backup, safe while a build writes
    it); none when it cannot be read: the index is then made from nothing."""
    try:
        with (
            contextlib.closing(sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)) as src,
            contextlib.closing(sqlite3.connect(target)) as dst,
        ):
            src.backup(dst)
    except sqlite3.Error:
        target.unlink(missing_ok=True)
