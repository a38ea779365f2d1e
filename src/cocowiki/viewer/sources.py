"""The cited source files, embedded in the viewer so a citation opens from ``file://``.

A browser page opened from disk may not read other files, so the text of every file a
page cites travels inside ``index.html``. Only cited files go in, each up to a size
limit and all together up to another, taken in path order so the same build embeds the
same files. A file that is left out gets a reason the source view shows instead.

Paths come from the pages, so each is checked before it is read: it must name a regular
file inside the repository once symlinks are resolved, and hold text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MAX_FILE_BYTES = 1 << 20
MAX_TOTAL_BYTES = 24 << 20


@dataclass(frozen=True, slots=True)
class EmbeddedSource:
    """A file's text, or why it is not embedded (then ``text`` is None)."""

    text: str | None
    omitted: str | None = None

    def as_json(self) -> dict[str, str]:
        if self.text is not None:
            return {"text": self.text}
        return {"omitted": self.omitted or "not embedded"}


def embed_sources(
    repo: Path,
    paths: Iterable[str],
    *,
    max_file_bytes: int = MAX_FILE_BYTES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
) -> dict[str, EmbeddedSource]:
    """Read each of ``paths`` (relative to ``repo``) within the limits, in path order."""
    root = repo.resolve()
    directories: dict[str, Path] = {}
    embedded: dict[str, EmbeddedSource] = {}
    total = 0
    for path in sorted(set(paths)):
        source = _read(root, _resolved(root, path, directories), max_file_bytes)
        if source.text is not None:
            size = len(source.text.encode("utf-8"))
            if total + size > max_total_bytes:
                source = EmbeddedSource(
                    None,
                    f"not embedded: the viewer's limit of {max_total_bytes >> 20} MiB "
                    "of source text was reached",
                )
            else:
                total += size
        embedded[path] = source
    return embedded


def _resolved(root: Path, path: str, directories: dict[str, Path]) -> Path:
    """``root / path`` with every symlink resolved, each directory resolved once (many
    cited files share one, and resolving costs an ``lstat`` per component)."""
    directory, _, name = path.rpartition("/")
    real = directories.get(directory)
    if real is None:
        real = directories[directory] = (root / directory).resolve()
    candidate = real / name
    return candidate.resolve() if candidate.is_symlink() or name in ("", ".", "..") else candidate


def _read(root: Path, candidate: Path, max_file_bytes: int) -> EmbeddedSource:
    if not candidate.is_relative_to(root) or candidate == root:
        return EmbeddedSource(None, "not embedded: the path leads outside the repository")
    if not candidate.is_file():
        return EmbeddedSource(None, "not embedded: no such file in the repository")
    size = candidate.stat().st_size
    if size > max_file_bytes:
        return EmbeddedSource(
            None, f"not embedded: {size} bytes is over the limit of {max_file_bytes} a file"
        )
    try:
        data = candidate.read_bytes()
    except OSError as error:
        return EmbeddedSource(None, f"not embedded: cannot be read ({error.strerror})")
    if b"\0" in data:
        return EmbeddedSource(None, "not embedded: a binary file")
    return EmbeddedSource(data.decode("utf-8", "replace"))
