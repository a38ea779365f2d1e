"""Atomic, durable file writes: a reader sees the old file or the new one, never a mix.

Every store of the platform (daemon state, model cache, wiki catalog and artifacts,
agent runs) writes through here, so a crash at any point leaves each file whole: the data
goes to a temporary file in the same directory, is fsynced, renamed over the target, and
the directory is fsynced so the rename itself survives a power cut.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def fsync_directory(directory: Path) -> None:
    """Make renames in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def replace_durably(temporary: Path | str, target: Path) -> None:
    """Rename a fully written, fsynced ``temporary`` over ``target`` and fsync the directory."""
    os.replace(temporary, target)
    fsync_directory(target.parent)


@contextlib.contextmanager
def replacement(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target`` to build a new version in (a SQLite file, say);
    when the block ends without error it is fsynced and renamed over ``target``, else
    removed, so ``target`` is only ever the old file or the complete new one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    os.close(descriptor)
    try:
        yield Path(temporary)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        replace_durably(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes | str, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` (text is UTF-8) atomically and durably."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        os.fchmod(descriptor, mode)
        view = memoryview(payload)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
    except BaseException:
        os.close(descriptor)
        Path(temporary).unlink(missing_ok=True)
        raise
    os.close(descriptor)
    try:
        replace_durably(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def temporaries_of(path: Path) -> list[Path]:
    """Temporary files a crash in the middle of ``write_atomic(path, ...)`` may have left."""
    return sorted(path.parent.glob(f".{path.name}.*.tmp"))


def write_if_changed(path: Path, data: bytes | str, *, mode: int = 0o644) -> bool:
    """Write ``data`` atomically unless ``path`` already holds exactly it; True if written.

    Build outputs go through this so that a clean rerun touches no file (and no mtime).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if path.read_bytes() == payload:
            return False
    except OSError:
        pass
    write_atomic(path, payload, mode=mode)
    return True
