"""Where a build's files go, written only when their bytes change, and stale ones removed.

Layout under the output directory::

    pages/<module>.md
    artifacts/dossiers/<module>.json
    artifacts/research/<module>.json
    artifacts/notebooks/<module>.json
    artifacts/sections/<module>.json

Every file goes through :func:`tiffany.atomic.write_if_changed`, so a clean rerun moves
no mtime. After a build, files in these folders that the build did not produce (a page
whose module is gone) are removed, but only ``.md``/``.json`` files, and only in an
output directory that holds a cocowiki wiki (or that this build started empty).

One build writes an output directory at a time (:func:`cocowiki.lock.output_lock`, held
for the whole build). Under the lock, the temporary files a killed build may have left are removed
(:func:`remove_leftovers`, :meth:`OutputStore.prune`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from tiffany.atomic import temporaries_of, write_if_changed

from .artifacts import Artifact

PAGES_DIR = "pages"
ARTIFACTS_DIR = "artifacts"
ARTIFACT_KINDS = ("dossiers", "research", "notebooks", "sections")
_SAFE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class UnsafeName(ValueError):
    """A module or artifact id that would not make a plain file name."""


def check_name(name: str) -> str:
    if not _SAFE_ID.fullmatch(name) or ".." in name:
        raise UnsafeName(f"{name!r} cannot be used as a file name in the wiki")
    return name


@dataclass(slots=True)
class OutputStore:
    """Writes the build's files and remembers which it wrote and which were unchanged."""

    root: Path
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)

    def write(self, relative: str, text: str) -> bool:
        data = text.encode("utf-8")
        changed = write_if_changed(self.root / relative, data)
        (self.written if changed else self.unchanged).append(relative)
        self.digests[relative] = hashlib.sha256(data).hexdigest()
        return changed

    def keep(self, relatives: list[str]) -> None:
        """Files a node left as they were (its inputs did not change): not to be pruned."""
        self.unchanged.extend(relatives)

    def page(self, module: str, markdown: str) -> bool:
        return self.write(page_path(module), markdown)

    def artifact(self, kind: str, artifact: Artifact) -> bool:
        return self.write(artifact_path(kind, artifact.module), artifact.dumps())

    def prune(self) -> list[str]:
        """Remove the wiki files this build did not produce; the paths removed."""
        produced = set(self.written) | set(self.unchanged)
        removed: list[str] = []
        folders = [self.root / PAGES_DIR] + [self.root / ARTIFACTS_DIR / k for k in ARTIFACT_KINDS]
        for folder in folders:
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*"), reverse=True):
                relative = path.relative_to(self.root).as_posix()
                if path.is_symlink() or (path.is_file() and path.suffix in (".md", ".json")):
                    if relative not in produced:
                        path.unlink()
                        removed.append(relative)
                elif path.is_file() and path.name.startswith(".") and path.suffix == ".tmp":
                    path.unlink()  # left by a build that was killed mid-write
                elif path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
        return sorted(removed)


def remove_leftovers(files: list[Path]) -> None:
    """Remove the temporaries a killed build left beside ``files`` (under the lock)."""
    for path in files:
        for leftover in temporaries_of(path):
            leftover.unlink(missing_ok=True)


def node_files(module: str) -> list[str]:
    """Every file the build writes for one module: its artifacts and its page."""
    return [artifact_path(kind, module) for kind in ARTIFACT_KINDS] + [page_path(module)]


def page_path(module: str) -> str:
    return f"{PAGES_DIR}/{check_name(module)}.md"


def artifact_path(kind: str, module: str) -> str:
    """``artifacts/<kind>/<module>.json``; ``kind`` is one of :data:`ARTIFACT_KINDS`."""
    assert kind in ARTIFACT_KINDS, kind
    return f"{ARTIFACTS_DIR}/{kind}/{check_name(module)}.json"
