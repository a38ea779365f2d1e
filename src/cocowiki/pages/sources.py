"""Reading the repository's text as the wiki cites it: lines, spans and their digests.

A citation names ``path:start-end`` and the SHA-256 of those lines' text; build computes
the digest and ``cw verify`` recomputes it, so both go through :func:`span_digest` and
:class:`SourceReader` here. Lines are counted the way tree-sitter counts rows (split on
``\\n`` only), files are decoded as UTF-8 with replacement characters (as the index
decodes them), and no path may lead out of the repository.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath


class SourceError(Exception):
    """A cited path that cannot be read: missing, outside the repository, or not a file."""


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` as tree-sitter numbers them; a final newline ends the last line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def span_text(lines: list[str], start: int, end: int) -> str:
    """Lines ``start``..``end`` (1-based, inclusive) joined with ``\\n``."""
    return "\n".join(lines[start - 1 : end])


def span_digest(lines: list[str], start: int, end: int) -> str:
    """SHA-256 (hex) of the text of lines ``start``..``end``: what a citation pins."""
    return sha256_text(span_text(lines, start, end))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def safe_relative(path: str) -> bool:
    """True for a repository-relative POSIX path that stays inside the repository."""
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in path


class SourceReader:
    """Files of one repository, read once each and kept as lines.

    A path is read only if it is relative, has no ``..`` part and resolves (symlinks
    included) to a regular file inside the repository.
    """

    def __init__(self, repo: Path) -> None:
        self.repo = repo.resolve()
        self._lines: dict[str, list[str]] = {}

    def lines(self, path: str) -> list[str]:
        """The lines of ``path``; raises :class:`SourceError` with the reason otherwise."""
        cached = self._lines.get(path)
        if cached is not None:
            return cached
        lines = split_lines(self._text(path))
        self._lines[path] = lines
        return lines

    def read_text(self, path: str) -> str:
        """The whole text of ``path``."""
        return self._text(path)

    def _text(self, path: str) -> str:
        """The text of ``path``, read from the disk: what :meth:`lines` splits, apart from
        :meth:`read_text` so a subclass recording what is read of a file can tell the
        reading of its lines from the reading of its whole text."""
        full = self.resolve(path)
        try:
            data = full.read_bytes()
        except OSError as exc:
            raise SourceError(f"{path}: cannot read it ({exc.strerror})") from exc
        return data.decode("utf-8", errors="replace")

    def resolve(self, path: str) -> Path:
        """The file on disk for a repository-relative path, checked to stay in the repository."""
        if not safe_relative(path):
            raise SourceError(f"{path}: not a path inside the repository")
        full = (self.repo / path).resolve()
        if not full.is_relative_to(self.repo):
            raise SourceError(f"{path}: leads out of the repository")
        if not full.is_file():
            raise SourceError(f"{path}: no such file")
        return full

    def exists(self, path: str) -> bool:
        try:
            self.resolve(path)
        except SourceError:
            return False
        return True

    def line_count(self, path: str) -> int:
        return len(self.lines(path))

    def reach(self, path: str, start: int, end: int) -> int:
        """The last of lines ``start``..``end`` that ``path`` has: ``end`` when the file
        reaches it, else its line count. Clamping a span to a file needs no more than this,
        so a subclass recording what is read can record the span, not the line count."""
        return min(end, len(self.lines(path)))
