"""The cited source files, embedded in the viewer so a citation opens from ``file://``.

A browser page opened from disk may not read other files, so the text of every file a
page cites travels inside ``index.html``. Only cited files go in, each up to a size
limit and all together up to another, taken in path order so the same build embeds the
same files. A file that is left out gets a reason the source view shows instead.

Paths come from the pages, so each is checked before it is read: it must name a regular
file inside the repository once symlinks are resolved, and hold text.

A write that changed little would spend most of its time reading and hashing thousands
of unchanged files, so each file's digest and text size are remembered by its ``stat``
from one write to the next (:class:`KnownFiles`, kept in the viewer's sidecar), the way
git's index remembers a file's blob. Pages are read through the same memory.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

MAX_FILE_BYTES = 1 << 20
MAX_TOTAL_BYTES = 24 << 20
#: How much older than the moment of its ``stat`` a file's ctime must be to remember it.
RACE_MARGIN_NS = 2_000_000_000
_NO_FILE = "not embedded: no such file in the repository"


@dataclass(frozen=True, slots=True)
class FileContent:
    """What the viewer needs of a file's bytes; the bytes themselves only when read."""

    digest: str  # SHA-256 of the bytes, hex
    size: int  # of the text (the bytes decoded, replacing errors) in UTF-8
    binary: bool
    data: bytes | None = None

    @classmethod
    def of(cls, data: bytes) -> FileContent:
        binary = b"\0" in data
        size = len(data) if binary or data.isascii() else len(_decode(data).encode("utf-8"))
        return cls(hashlib.sha256(data).hexdigest(), size, binary, data)

    @classmethod
    def read(cls, path: str) -> FileContent:
        """The content of the file at ``path``, read now (raises :class:`OSError`)."""
        with open(path, "rb") as handle:
            return cls.of(handle.read())


class KnownFiles:
    """The :class:`FileContent` of files (without the bytes) by their ``stat``: device,
    inode, size, mtime and ctime, from one write to the next.

    Any change to a file's bytes sets its ctime to the kernel's clock, which no one can
    set back. A file is remembered only when its ctime is :data:`RACE_MARGIN_NS` older
    than the moment before its ``stat``, so that a change in the same clock tick as that
    ``stat``, which would leave the ctime as it was, cannot go unseen (git's "racily
    clean" entries).
    """

    def __init__(self, known: Any = None) -> None:
        self._known: dict[str, list[Any]] = known if isinstance(known, dict) else {}
        self.used: dict[str, list[Any]] = {}
        self._now = time.time_ns()

    @property
    def changed(self) -> bool:
        """Whether :attr:`used` differs from what was known."""
        return self.used != self._known

    def content(self, real: str, status: os.stat_result) -> FileContent:
        """The content of the file at ``real`` (its real path), which ``status`` describes:
        remembered, or else read (raises :class:`OSError`)."""
        stamp = _stamp(status)
        entry = self._known.get(real)
        if entry is not None and entry[:5] == stamp:
            self.used[real] = entry
            return FileContent(str(entry[5]), int(entry[6]), bool(entry[7]))
        with open(real, "rb") as handle:
            status = os.fstat(handle.fileno())
            content = FileContent.of(handle.read())
        if self._now - status.st_ctime_ns > RACE_MARGIN_NS:
            self.used[real] = [*_stamp(status), content.digest, content.size, content.binary]
        return content


def _stamp(status: os.stat_result) -> list[int]:
    return [status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns]


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class EmbeddedSource:
    """A cited file's content, or why it is not embedded (then ``content`` is None)."""

    real: str | None
    content: FileContent | None
    omitted: str | None = None

    @property
    def text(self) -> str | None:
        """The text, when the bytes were read (see :meth:`loaded`)."""
        data = self.content.data if self.content is not None else None
        return _decode(data) if data is not None else None

    def loaded(self) -> EmbeddedSource:
        """This file with its bytes read, now; it may have changed since it was found."""
        if self.content is None or self.content.data is not None or self.real is None:
            return self
        try:
            content = FileContent.read(self.real)
        except OSError as error:
            return _unreadable(error)
        return _checked(self.real, content)

    def as_json(self) -> dict[str, str]:
        text = self.loaded().text
        if text is not None:
            return {"text": text}
        return {"omitted": self.omitted or "not embedded"}


def embed_sources(
    repo: Path,
    paths: Iterable[str],
    *,
    known: KnownFiles | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
) -> dict[str, EmbeddedSource]:
    """Find each of ``paths`` (relative to ``repo``) within the limits, in path order.

    A file ``known`` remembers is not read (its :attr:`EmbeddedSource.text` is None until
    :meth:`EmbeddedSource.loaded`); without ``known`` every file is.
    """
    resolver = Resolver(repo)
    files = known if known is not None else KnownFiles()
    embedded: dict[str, EmbeddedSource] = {}
    total = 0
    for path in sorted(set(paths)):
        source = _find(resolver.inside(path), files, max_file_bytes)
        size = source.content.size if source.content is not None else 0
        if total + size > max_total_bytes:
            source = EmbeddedSource(
                None,
                None,
                f"not embedded: the viewer's limit of {max_total_bytes >> 20} MiB "
                "of source text was reached",
            )
        else:
            total += size
        embedded[path] = source
    return embedded


class Located(NamedTuple):
    """A real path, with its ``lstat`` when it was taken on the way (a regular file's is
    its ``stat``)."""

    real: str
    status: os.stat_result | None


class Resolver:
    """Paths below a root with every symlink resolved, each directory once: the cited
    files share directories, and resolving a path from scratch costs an ``lstat`` per
    component (thousands of files, a tenth of a second)."""

    def __init__(self, root: Path) -> None:
        self.root = os.path.realpath(root)
        self._prefix = self.root.rstrip(os.sep) + os.sep
        self._directories = {"": self.root}

    def inside(self, path: str) -> Located | None:
        """Where ``root/path`` really is, or None when that is not below the root."""
        if os.path.isabs(path):
            located = Located(os.path.realpath(path), None)
        else:
            directory, _, name = path.rpartition("/")
            located = self._step(self._directory(directory), name)
        return located if located.real.startswith(self._prefix) else None

    def _directory(self, directory: str) -> str:
        real = self._directories.get(directory)
        if real is None:
            parent, _, name = directory.rpartition("/")
            real = self._step(self._directory(parent), name).real
            self._directories[directory] = real
        return real

    @staticmethod
    def _step(real: str, name: str) -> Located:
        candidate = os.path.join(real, name)
        try:
            status: os.stat_result | None = os.lstat(candidate)
        except OSError:
            status = None
        if name in ("", ".", "..") or (status is not None and stat.S_ISLNK(status.st_mode)):
            return Located(os.path.realpath(candidate), None)
        return Located(candidate, status)


def _find(located: Located | None, known: KnownFiles, max_file_bytes: int) -> EmbeddedSource:
    if located is None:
        return EmbeddedSource(None, None, "not embedded: the path leads outside the repository")
    try:
        status = located.status or os.stat(located.real)
        if not stat.S_ISREG(status.st_mode):
            return EmbeddedSource(None, None, _NO_FILE)
        if status.st_size > max_file_bytes:
            return EmbeddedSource(
                None,
                None,
                f"not embedded: {status.st_size} bytes is over the limit of {max_file_bytes} "
                "a file",
            )
        content = known.content(located.real, status)
    except (FileNotFoundError, NotADirectoryError):
        return EmbeddedSource(None, None, _NO_FILE)
    except OSError as error:
        return _unreadable(error)
    return _checked(located.real, content)


def _checked(real: str, content: FileContent) -> EmbeddedSource:
    if content.binary:
        return EmbeddedSource(None, None, "not embedded: a binary file")
    return EmbeddedSource(real, content)


def _unreadable(error: OSError) -> EmbeddedSource:
    return EmbeddedSource(None, None, f"not embedded: cannot be read ({error.strerror})")
