"""The work tree: the one directory the tools may touch, and the gate every path passes.

The agent edits a repository. Every path a model names goes through
:meth:`WorkTree.resolve`, which refuses, with a message that names the path and the rule:

* a path that climbs out with ``..`` (``../secrets``, ``src/../../etc``);
* an absolute path outside the root (an absolute path inside it is accepted, since models
  often echo the paths they were shown);
* a path that reaches outside through a symbolic link, at any component (a link to
  ``/etc`` as the file, or a linked directory on the way); links that stay inside are
  followed, so the tools always work on the real file.

Writes additionally refuse the protected directories (``.git`` and the agent's own
``.tokimon`` by default): writing ``.git/hooks`` would run code outside the agent's
reach on the user's next commit. Writes are atomic (:func:`tiffany.atomic.write_atomic`)
and keep the file's permission bits.

The check is made on the path as it is when the tool runs; a process that swaps a
directory for a link between the check and the use is outside this model (the tools'
own runs are sequential per call, and the agent is the only writer).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from tiffany.atomic import write_atomic

from .errors import PathRefused, ToolConfigError

DEFAULT_PROTECTED: tuple[str, ...] = (".git", ".tokimon")


class WorkTree:
    """A repository checkout the tools are confined to; ``root`` is its real path."""

    def __init__(self, root: Path | str, *, protected: tuple[str, ...] = DEFAULT_PROTECTED):
        given = Path(root).absolute()
        if not given.is_dir():
            raise ToolConfigError(f"the work tree {str(given)!r} is not a directory")
        self.root = given.resolve()
        self._given = Path(os.path.normpath(given))
        self.protected = tuple(protected)

    def __repr__(self) -> str:
        return f"WorkTree({str(self.root)!r})"

    # -- resolving ---------------------------------------------------------------------
    def resolve(self, path: str) -> Path:
        """The real, absolute path for ``path`` (relative to the root), or :class:`PathRefused`."""
        if not isinstance(path, str) or not path.strip():
            raise PathRefused(
                "the path is empty; give a path relative to the repository root, "
                "such as 'src/app.py' ('.' is the root)"
            )
        if "\0" in path:
            raise PathRefused(f"the path {path!r} contains a NUL byte")
        lexical = self._lexical(path)
        real = Path(os.path.realpath(lexical))
        if not self._inside(real):
            link, target = self._first_link_out(lexical)
            raise PathRefused(
                f"the path {path!r} goes through the symbolic link {link!r}, which points "
                f"outside the repository (to {target}); the tools cannot follow it there"
            )
        return real

    def resolve_writable(self, path: str) -> Path:
        """Like :meth:`resolve`, also refusing the protected directories and directories."""
        real = self.resolve(path)
        parts = PurePosixPath(self.relative(real)).parts
        guarded = next((part for part in parts if part in self.protected), None)
        if guarded is not None:
            raise PathRefused(
                f"the path {path!r} is inside {guarded}/, which the tools may read but not write"
            )
        if real.is_dir():
            raise PathRefused(f"the path {path!r} is a directory; give the path of a file")
        return real

    def relative(self, path: Path) -> str:
        """``path`` (under the root) as the POSIX path the model uses; ``.`` for the root."""
        return PurePosixPath(path.relative_to(self.root)).as_posix() or "."

    def contains(self, path: Path) -> bool:
        """Whether ``path``, with every link on it followed, is inside the root."""
        return self._inside(Path(os.path.realpath(path)))

    def _inside(self, real: Path) -> bool:
        return real == self.root or real.is_relative_to(self.root)

    def _lexical(self, path: str) -> Path:
        """The path with ``.`` and ``..`` folded, refused if that leaves the root."""
        candidate = Path(path)
        if candidate.is_absolute():
            folded = Path(os.path.normpath(candidate))
            for base in (self.root, self._given):
                if folded == base or folded.is_relative_to(base):
                    return self.root / folded.relative_to(base)
            raise PathRefused(
                f"the absolute path {path!r} is outside the repository root ({self.root}); "
                "use a path relative to the root"
            )
        folded_relative = os.path.normpath(path)
        if folded_relative == ".." or folded_relative.startswith("../"):
            raise PathRefused(
                f"the path {path!r} climbs out of the repository root with '..'; "
                "paths must stay inside the repository"
            )
        return self.root / folded_relative

    def _first_link_out(self, lexical: Path) -> tuple[str, str]:
        """The first component of ``lexical`` that is a link leading outside, and where to."""
        current = self.root
        for part in lexical.relative_to(self.root).parts:
            current = current / part
            if current.is_symlink() and not self.contains(current):
                return self.relative(current), os.path.realpath(current)
        return self.relative(lexical), os.path.realpath(lexical)  # pragma: no cover - raced

    # -- writing -----------------------------------------------------------------------
    def write(self, real: Path, data: bytes | str) -> None:
        """Write atomically a path from :meth:`resolve_writable`, keeping its mode bits."""
        try:
            mode = stat.S_IMODE(real.stat().st_mode)
        except FileNotFoundError:
            mode = 0o644
        write_atomic(real, data, mode=mode)
