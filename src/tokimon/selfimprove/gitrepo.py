"""The git a self-improve run needs: the master checkout's state, worktrees, commits.

Every call goes through :func:`git`, which never uses a shell and raises
:class:`GitError` (one line: the command and git's own message) when git fails. Commits
use the repository's configured identity, or ``tokimon self-improve`` where it has none,
so a fresh machine can still record a merge.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import TokimonError

FALLBACK_NAME = "tokimon self-improve"
FALLBACK_EMAIL = "self-improve@tokimon.invalid"


class GitError(TokimonError):
    """A git command failed."""


def git(cwd: Path, *args: str, check: bool = True, env: Mapping[str, str] | None = None) -> str:
    """``git args`` in ``cwd``; its standard output, or :class:`GitError` (with ``check``)."""
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**(os.environ if env is None else env), "GIT_TERMINAL_PROMPT": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    if check and done.returncode != 0:
        message = (done.stderr.strip() or done.stdout.strip()).splitlines()
        raise GitError(f"git {' '.join(args)} failed in {cwd}: {' '.join(message[-2:])}")
    return done.stdout


def toplevel(path: Path) -> Path | None:
    """The root of the git checkout ``path`` is in, or None when it is in none."""
    done = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=path, capture_output=True, text=True
    )
    return Path(done.stdout.strip()).resolve() if done.returncode == 0 else None


def common_dir(repo: Path) -> Path:
    """The git directory shared by the checkout and all its worktrees."""
    found = Path(git(repo, "rev-parse", "--git-common-dir").strip())
    return (found if found.is_absolute() else repo / found).resolve()


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def changes(repo: Path, paths: Sequence[str]) -> list[str]:
    """Uncommitted or untracked (not ignored) files under ``paths``, as git shows them."""
    out = git(repo, "status", "--porcelain", "--untracked-files=all", "--no-renames", "--", *paths)
    return [line[3:] for line in out.splitlines() if line.strip()]


def identity(repo: Path) -> list[str]:
    """``-c`` options giving commits an author where the repository configures none."""
    options = []
    for key, value in (("user.name", FALLBACK_NAME), ("user.email", FALLBACK_EMAIL)):
        if not git(repo, "config", key, check=False).strip():
            options += ["-c", f"{key}={value}"]
    return options


def commit(tree: Path, message: str) -> str:
    """Commit what is staged in ``tree`` (hooks skipped); the new commit's id."""
    git(tree, *identity(tree), "commit", "-q", "--no-verify", "--allow-empty", "-m", message)
    return head(tree)


def add_worktree(repo: Path, where: Path, commit_id: str) -> None:
    """A detached worktree of ``commit_id`` at ``where`` (its parent folders made)."""
    where.parent.mkdir(parents=True, exist_ok=True)
    git(repo, "worktree", "add", "-q", "--detach", str(where), commit_id)


def remove_worktree(repo: Path, where: Path) -> None:
    """Remove the worktree at ``where`` if it is one; prune what is gone anyway."""
    git(repo, "worktree", "remove", "--force", "--force", str(where), check=False)
    git(repo, "worktree", "prune", check=False)


def diff_stat(tree: Path, base: str, target: str) -> dict[str, int]:
    """Files, insertions and deletions between two commits (binary files count a line)."""
    files = insertions = deletions = 0
    for line in git(tree, "diff", "--numstat", base, target).splitlines():
        added, removed, _ = line.split("\t", 2)
        files += 1
        insertions += int(added) if added.isdigit() else 1
        deletions += int(removed) if removed.isdigit() else 0
    return {"files": files, "insertions": insertions, "deletions": deletions}


def inside(path: str, paths: Sequence[str]) -> bool:
    """Whether ``path`` (relative, as git prints it) lies under one of ``paths``."""
    clean = path.strip('"')
    for prefix in paths:
        stem = prefix.rstrip("/")
        if stem in ("", ".") or clean == stem or clean.startswith(stem + "/"):
            return True
    return False
