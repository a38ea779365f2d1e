"""How fresh an answer is: the revision the wiki was built at, and the cited files changed since.

Every answer of :mod:`cocowiki.query` carries a ``freshness`` object, because an agent
that acts on a citation whose lines have moved edits the wrong code. It says:

* ``built_revision``: the git commit the wiki's pages were built at (``null`` with no
  build or outside git), ``built_with_local_changes`` whether the tree differed from it
  then, and ``head``, the commit checked out now;
* ``changed_files``: the files the answer cites whose content differs now from what the
  index holds (their line numbers may be off), ``deleted`` for the ones gone;
* ``changed_since_build``: the cited files that differ from what the pages were written
  from (a page's prose may be out of date even after the index is refreshed);
* ``stale``: whether any cited file changed since either; ``summary``: all of it in a
  sentence;
* ``refresh``: what ``--refresh`` did before answering, when it was asked to.

Checking costs one hash per cited file and a read of git's ``HEAD``: cheap enough to do
for every answer rather than trust a timestamp.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .wiki import Refresh, Wiki

#: Changed files named in the summary sentence (all are in ``changed_files``).
NAMED_IN_SUMMARY = 3


def freshness(
    wiki: Wiki,
    connection: sqlite3.Connection | None,
    cited: Iterable[str],
    *,
    recorded: Mapping[str, str] | None = None,
    refresh: Refresh | None = None,
) -> dict[str, Any]:
    """The freshness of an answer citing the files ``cited``.

    Their content now is compared with the index's digests (``connection``, the catalog),
    or with ``recorded`` (path to digest, as a page's manifest entry lists them) when
    given: a page is stale when a file it was written from changed.
    """
    paths = sorted(set(cited))
    if recorded is None:
        recorded = _indexed_digests(connection, paths) if connection is not None else {}
    built_digests = wiki.built_digests()
    now = {
        path: file_digest(wiki, path) for path in paths if path in recorded or path in built_digests
    }
    changed = _changed(now, recorded)
    deleted = [path for path in changed if now[path] is None]
    since_build = _changed(now, built_digests)
    manifest = wiki.manifest() or {}
    repository = manifest.get("repository", {})
    built = repository.get("revision")
    head = current_revision(wiki)
    data: dict[str, Any] = {
        "built_revision": built,
        "built_with_local_changes": repository.get("dirty"),
        "head": head,
        "changed_files": changed,
        "deleted": deleted,
        "changed_since_build": since_build,
        "stale": bool(changed or since_build),
    }
    if refresh is not None:
        data["refresh"] = refresh.to_json()
    data["summary"] = _summary(manifest, built, head, changed, since_build, refresh)
    return data


def current_revision(wiki: Wiki) -> str | None:
    """The commit checked out in the repository now (``None`` outside git).

    Read from the git folder (``HEAD``, the branch's ref file or ``packed-refs``), since
    starting ``git`` costs more than the rest of an answer; ``git rev-parse`` only when
    the folder holds something else (a ref name that is not a file, say)."""
    git_dir = _git_dir(wiki.repo)
    if git_dir is None:
        return None
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return _rev_parse(wiki.repo)
    if not head.startswith("ref: "):
        return head or None
    ref = head.removeprefix("ref: ").strip()
    common = _common_dir(git_dir)
    for folder in dict.fromkeys((git_dir, common)):
        try:
            return (folder / ref).read_text(encoding="utf-8").strip() or None
        except OSError:
            continue
    try:
        for line in (common / "packed-refs").read_text(encoding="utf-8").splitlines():
            sha, _, name = line.partition(" ")
            if name.strip() == ref:
                return sha
    except OSError:
        pass
    return _rev_parse(wiki.repo)


def _git_dir(repo: Path) -> Path | None:
    """The git folder of the checkout ``repo`` is in (``.git``, or where a ``.git`` file
    of a worktree or submodule points), or ``None``."""
    for folder in (repo, *repo.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():
            try:
                text = dot_git.read_text(encoding="utf-8").strip()
            except OSError:
                return None
            target = Path(text.removeprefix("gitdir:").strip())
            return target if target.is_absolute() else (folder / target).resolve()
    return None


def _common_dir(git_dir: Path) -> Path:
    """Where a worktree's shared refs are (``commondir``), else the folder itself."""
    try:
        common = Path((git_dir / "commondir").read_text(encoding="utf-8").strip())
    except OSError:
        return git_dir
    return common if common.is_absolute() else (git_dir / common).resolve()


def _rev_parse(repo: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--verify", "-q", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def file_digest(wiki: Wiki, path: str) -> str | None:
    """SHA-256 of a repository file's bytes as they are now (``None`` when unreadable)."""
    try:
        return hashlib.sha256((wiki.repo / path).read_bytes()).hexdigest()
    except OSError:
        return None


def _indexed_digests(connection: sqlite3.Connection, paths: list[str]) -> dict[str, str]:
    if not paths:
        return {}
    marks = ",".join("?" * len(paths))
    rows = connection.execute(f"SELECT path, digest FROM files WHERE path IN ({marks})", paths)
    return {str(path): str(digest) for path, digest in rows}


def _changed(now: Mapping[str, str | None], recorded: Mapping[str, str]) -> list[str]:
    """The paths whose digest now differs from the one recorded (unrecorded: not compared)."""
    return [path for path, digest in now.items() if path in recorded and digest != recorded[path]]


def _summary(
    manifest: Mapping[str, Any],
    built: str | None,
    head: str | None,
    changed: list[str],
    since_build: list[str],
    refresh: Refresh | None,
) -> str:
    if not manifest:
        parts = ["no pages built (index only)"]
    elif built is None:
        parts = ["wiki built outside git"]
    else:
        parts = [f"wiki built at {built[:12]}"]
        if head is not None and head != built:
            parts.append(f"HEAD is now {head[:12]}")
    if changed:
        named = ", ".join(changed[:NAMED_IN_SUMMARY])
        more = (
            f" and {len(changed) - NAMED_IN_SUMMARY} more"
            if len(changed) > NAMED_IN_SUMMARY
            else ""
        )
        parts.append(
            f"STALE: {len(changed)} cited file(s) changed since indexed ({named}{more}); "
            "their line numbers may be off: refresh the index (`cw index`, or `cw mcp "
            "--refresh`) or read the files"
        )
    else:
        parts.append("the cited files are unchanged since indexed")
    if since_build:
        named = ", ".join(since_build[:NAMED_IN_SUMMARY])
        parts.append(
            f"{len(since_build)} cited file(s) changed since the pages were built ({named}): "
            "the pages about them may be out of date until `cw build`"
        )
    if refresh is not None:
        parts.append(f"index refresh: {refresh.status}")
    return "; ".join(parts)
