"""``index.html`` put together from serialised pieces, each reused from the file written last.

A large wiki's viewer is tens of megabytes of JSON in one file (every page's HTML and
text, the cited files, the symbols), and an edit changes a page or two and a source file.
So the document is assembled as a sequence of literal bytes and *pieces* (a page, a run
of cited files, the symbols of a run of files, mermaid's bundle). Each piece has a key,
the digest of everything its bytes are made from, and a small note the viewer needs
without reading the piece (the files a page cites, how many symbols a run has).

The sidecar ``<output>/.viewer-cache.json`` records where each keyed piece sits in the
``index.html`` written last (offset and length), with its note, and the digests of the
files read for it by their ``stat`` (:class:`~.sources.KnownFiles`). The next write copies
the pieces whose keys it still has from the old file to the new one inside the kernel
(``copy_file_range``) and serialises only the others; nothing else of the old file is
read. When every key and every literal in between is what the sidecar lists (its
*layout*), the file is already right and is left alone.

The sidecar is trusted only while ``index.html`` is the very file it describes (same
device, inode, size and modification time), checked on the descriptor the old pieces
are then read from: a crash between the two writes, or a file replaced by hand, means
every piece is serialised again. Either way the new bytes are compared with the file on
disk before it is replaced, so a file that would not change keeps its mtime.
"""

from __future__ import annotations

import errno
import hashlib
import os
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import orjson

from tiffany.atomic import replacement, write_if_changed

from .sources import KnownFiles

CACHE_NAME = ".viewer-cache.json"
FORMAT = "3"  # bump when a piece's bytes change for the same key
INDEX_MODE = 0o644
#: Items (cited files, catalog files) per piece on average; see :func:`runs`.
RUN_LENGTH = 32

_T = TypeVar("_T")


def script_json(value: Any) -> bytes:
    """``value`` as JSON (UTF-8) that is safe between ``<script>`` tags.

    The same text as ``json.dumps(value, ensure_ascii=False, separators=(",", ":"),
    sort_keys=True)`` with ``<``, ``>`` and ``&`` written as ``\\u`` escapes, made by
    orjson (the standard library takes over a second on a large wiki's data). The escapes
    are byte for byte, so pieces serialised apart join into the text of the whole.
    """
    data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return data.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


def digest(*parts: bytes | str) -> str:
    """The SHA-256 (hex) of ``parts``, each length-prefixed so no two sequences collide."""
    data = [p.encode("utf-8", "surrogatepass") if isinstance(p, str) else p for p in parts]
    return hashlib.sha256(b"".join(b"%d:%s" % (len(p), p) for p in data)).hexdigest()


def runs(items: Sequence[_T], name: Callable[[_T], str]) -> list[list[_T]]:
    """``items`` cut into runs of about :data:`RUN_LENGTH`, each ending after an item whose
    name's CRC is 0 modulo that length.

    A piece per run rather than per item keeps a large wiki's document to a few hundred
    parts; cutting by name rather than by position means a file added or removed changes
    the run it falls in and no other.
    """
    cut: list[list[_T]] = [[]]
    for item in items:
        cut[-1].append(item)
        if zlib.crc32(name(item).encode("utf-8", "surrogatepass")) % RUN_LENGTH == 0:
            cut.append([])
    return [run for run in cut if run]


@dataclass(frozen=True, slots=True)
class Piece:
    """Bytes of the document under ``key``; ``data`` None means the old file's bytes."""

    key: str
    data: bytes | None
    note: Any = None


class PieceStore:
    """The pieces of the ``index.html`` written last; use it as a context manager."""

    def __init__(self, index: Path) -> None:
        self.index = index
        self.sidecar = index.parent / CACHE_NAME
        self.layout: str | None = None
        #: ``{key: [offset, length, note]}`` in the old file, empty when it is not trusted
        self.spans: dict[str, list[Any]] = {}
        self._descriptor: int | None = None
        self.files = KnownFiles()
        self._open()

    def __enter__(self) -> PieceStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    @property
    def old(self) -> int | None:
        """A descriptor of the old file when the sidecar describes it, else None."""
        return self._descriptor

    def reuse(self, key: str) -> Piece | None:
        """The old file's piece under ``key`` (with its note), or None when it has none."""
        span = self.spans.get(key)
        return Piece(key, None, span[2]) if span is not None else None

    def old_piece(self, key: str) -> bytes:
        """The bytes of the old file's piece under ``key`` (which :meth:`reuse` found)."""
        offset, length, _ = self.spans[key]
        assert self._descriptor is not None, "only a trusted store has pieces"
        return _read_at(self._descriptor, offset, length)

    def save(self, spans: dict[str, list[Any]], layout: str) -> None:
        """Record the pieces of the ``index.html`` now on disk."""
        status = os.stat(self.index)
        record = {
            "format": FORMAT,
            "index": _identity(status),
            "layout": layout,
            "pieces": spans,
            "files": self.files.used,
        }
        write_if_changed(self.sidecar, orjson.dumps(record, option=orjson.OPT_SORT_KEYS))

    def _open(self) -> None:
        try:
            record = orjson.loads(self.sidecar.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            return
        self.files = KnownFiles(record.get("files"))
        try:
            descriptor = os.open(self.index, os.O_RDONLY)
        except OSError:
            return
        status = os.fstat(descriptor)
        pieces: Any = record.get("pieces")
        if record.get("index") != _identity(status) or not _spans_fit(pieces, status.st_size):
            os.close(descriptor)
            return
        self._descriptor = descriptor
        self.layout = str(record.get("layout"))
        self.spans = pieces


def _spans_fit(pieces: Any, size: int) -> bool:
    """Whether ``pieces`` are ``{key: [offset, length, note]}`` within a file of ``size``
    (a sidecar edited by hand is ignored rather than trusted)."""
    return isinstance(pieces, dict) and all(
        isinstance(span, list)
        and len(span) == 3
        and isinstance(span[0], int)
        and isinstance(span[1], int)
        and 0 <= span[0] <= span[0] + span[1] <= size
        for span in pieces.values()
    )


def _identity(status: os.stat_result) -> list[int]:
    return [status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns]


@dataclass(slots=True)
class _Segment:
    """A stretch of the new file: ``chunks`` to write, or ``length`` bytes of the old file
    at ``source`` (pieces adjacent there too are copied as one)."""

    chunks: list[bytes] = field(default_factory=list)
    source: int = -1
    length: int = 0


class Assembly:
    """The document being put together: literal bytes and pieces, in order."""

    def __init__(self, store: PieceStore) -> None:
        self.store = store
        self._parts: list[bytes | Piece] = []
        self._literal = bytearray()

    def literal(self, data: bytes) -> None:
        self._literal += data

    def piece(self, piece: Piece) -> None:
        self._flush()
        self._parts.append(piece)

    def write(self) -> bool:
        """Write the document over the store's ``index.html`` unless it holds exactly
        these bytes already; True when it was written."""
        self._flush()
        layout = self._layout()
        if self.store.old is not None and layout == self.store.layout:
            if self.store.files.changed:
                self.store.save(self.store.spans, layout)
            return False
        segments, spans, size = self._segments()
        written = not self._holds(segments, size)
        if written:
            with replacement(self.store.index) as temporary:
                descriptor = os.open(temporary, os.O_WRONLY)
                try:
                    for segment in segments:
                        self._put(descriptor, segment)
                    os.fchmod(descriptor, INDEX_MODE)
                finally:
                    os.close(descriptor)
        self.store.save(spans, layout)
        return written

    def _flush(self) -> None:
        if self._literal:
            self._parts.append(bytes(self._literal))
            self._literal.clear()

    def _layout(self) -> str:
        """The digest of the parts: a literal's bytes, a piece's key (which stands for its
        bytes, so fresh and reused pieces with one key count alike)."""
        hasher = hashlib.sha256()
        for part in self._parts:
            data = b"l" + part if isinstance(part, bytes) else b"k" + part.key.encode()
            hasher.update(b"%d:" % len(data))
            hasher.update(data)
        return hasher.hexdigest()

    def _segments(self) -> tuple[list[_Segment], dict[str, list[Any]], int]:
        """The new file as segments, where each piece lands in it, and its size."""
        segments: list[_Segment] = []
        spans: dict[str, list[Any]] = {}
        offset = 0
        for part in self._parts:
            last = segments[-1] if segments else None
            if isinstance(part, Piece) and part.data is None:
                source, length, _ = self.store.spans[part.key]
                if last is not None and last.source >= 0 and last.source + last.length == source:
                    last.length += length
                else:
                    segments.append(_Segment(source=source, length=length))
            else:
                data = part if isinstance(part, bytes) else part.data
                assert data is not None
                length = len(data)
                if last is not None and last.source < 0:
                    last.chunks.append(data)
                    last.length += length
                else:
                    segments.append(_Segment([data], length=length))
            if isinstance(part, Piece):
                spans[part.key] = [offset, length, part.note]
            offset += length
        return segments, spans, offset

    def _holds(self, segments: list[_Segment], size: int) -> bool:
        """Whether ``index.html`` already holds exactly ``segments``."""
        try:
            descriptor = os.open(self.store.index, os.O_RDONLY)
        except OSError:
            return False
        try:
            if os.fstat(descriptor).st_size != size:
                return False
            position = 0
            for segment in segments:
                if segment.source != position:  # a piece copied to where it was is equal
                    new = self._bytes(segment)
                    if _read_at(descriptor, position, segment.length) != new:
                        return False
                position += segment.length
            return True
        finally:
            os.close(descriptor)

    def _bytes(self, segment: _Segment) -> bytes:
        if segment.source < 0:
            return b"".join(segment.chunks)
        assert self.store.old is not None
        return _read_at(self.store.old, segment.source, segment.length)

    def _put(self, descriptor: int, segment: _Segment) -> None:
        if segment.source < 0:
            _write_all(descriptor, b"".join(segment.chunks))
            return
        assert self.store.old is not None
        _copy(self.store.old, descriptor, segment.source, segment.length)


def _read_at(descriptor: int, offset: int, length: int) -> bytes:
    data = os.pread(descriptor, length, offset)
    if len(data) != length:
        raise OSError(errno.EIO, "index.html changed while the viewer was written")
    return data


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _copy(source: int, target: int, offset: int, length: int) -> None:
    """``length`` bytes of ``source`` at ``offset`` appended to ``target``, inside the
    kernel where it can (``copy_file_range``), else through memory."""
    end = offset + length
    try:
        while offset < end:
            copied = os.copy_file_range(source, target, end - offset, offset)
            if copied == 0:
                raise OSError(errno.EIO, "index.html changed while the viewer was written")
            offset += copied
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise
        _write_all(target, _read_at(source, offset, end - offset))
