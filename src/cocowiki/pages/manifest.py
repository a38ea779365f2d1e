"""``manifest.json``: the table of contents of a built wiki, read by the viewer and verify.

Layout (version 1)::

    {"version": 1,
     "tool": {"name": "cocowiki", "version": "0.1.0"},
     "built_from": "/abs/repo",
     "repository": {"path": "/abs/repo", "revision": "<git HEAD sha>" | null,
                    "dirty": true | false | null},
     "root": "overview",
     "pages": [{"id", "title", "parent", "children": [...], "path": "pages/<id>.md",
                "files": [{"path", "digest", "lines"}],
                "counts": {"components", "citations", "diagrams"},
                "status": "verified" | "unverified", "problems": [...]}],
     "excluded": {"counts": {reason: n}, "files": [{"path", "reason", "detail"}]},
     "timings": {stage: seconds}}

``built_from`` is the repository the wiki was built from: ``verify`` and ``ask`` read
that repository unless told otherwise. Pages are listed root first, then depth-first in
the tree's order. Everything but ``timings`` is a function of the repository and the
build's settings; the file is rewritten only when that part changes, so ``timings`` are
those of the last build that changed the wiki (the current build's timings are in
``cw build --json``).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tiffany.atomic import write_atomic

from .. import __version__
from ..index.model import IndexResult

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
TOOL_NAME = "cocowiki"


def manifest_path(output: Path) -> Path:
    return output / MANIFEST_NAME


def build_manifest(
    repo: Path,
    output: Path,
    index: IndexResult,
    root: str,
    pages: list[dict[str, Any]],
    timings: dict[str, float],
) -> dict[str, Any]:
    revision, dirty = git_state(repo, output)
    return {
        "version": MANIFEST_VERSION,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "built_from": repo.as_posix(),
        "repository": {"path": repo.as_posix(), "revision": revision, "dirty": dirty},
        "root": root,
        "pages": pages,
        "excluded": {
            "counts": index.exclusion_counts,
            "files": [
                {"path": e.path, "reason": str(e.reason), "detail": e.detail}
                for e in index.exclusions
            ],
        },
        "timings": {stage: round(seconds, 4) for stage, seconds in sorted(timings.items())},
    }


def without_timings(manifest: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in manifest.items() if key != "timings"}


def read_manifest(output: Path) -> dict[str, Any] | None:
    """The manifest of a previous build, or None when there is none (or it is not ours)."""
    try:
        data = json.loads(manifest_path(output).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("tool", {}).get("name") != TOOL_NAME:
        return None
    return data


def write_manifest(output: Path, manifest: dict[str, Any]) -> bool:
    """Write the manifest unless the one on disk differs from it only in ``timings``."""
    previous = read_manifest(output)
    if previous is not None and without_timings(previous) == without_timings(manifest):
        return False
    write_atomic(manifest_path(output), json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return True


def git_state(repo: Path, output: Path) -> tuple[str | None, bool | None]:
    """HEAD's sha and whether the work tree differs from it (the output folder aside).

    ``(None, None)`` when ``repo`` is not in a git checkout or git is not installed.
    """
    head = _git(repo, "rev-parse", "--verify", "-q", "HEAD")
    if head is None:
        return None, None
    pathspec = ["--", "."]
    if output.is_relative_to(repo) and output != repo:
        pathspec.append(f":(exclude){output.relative_to(repo).as_posix()}")
    status = _git(repo, "status", "--porcelain", "--ignore-submodules", *pathspec)
    return head.strip() or None, None if status is None else bool(status.strip())


def _git(repo: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
