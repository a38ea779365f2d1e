"""Merging a winner into master: under a lock, restricted to the paths, all or nothing.

The master checkout is touched only here, only under an OS lock (``flock`` on
``tokimon-self-improve.lock`` in the repository's git directory, so concurrent runs on
one checkout queue, and a killed holder releases it with its death), and only after the
merged tree has passed the evaluation:

1. In a scratch worktree of master's ``HEAD`` (master's own files are not touched):
   ``git merge --squash -X theirs`` of the winner's temporary commit, which holds only
   changes inside the paths; conflicts are listed first (``git merge-tree``) and resolve
   in the winner's favour. The evaluation runs there; if it fails, nothing else happens.
2. One commit is made there, carrying the goal and the summary. A journal naming the
   old and the new commit goes into the git directory, then master's ``HEAD`` moves with
   ``git update-ref`` (atomic, and only from the commit it was), then master's index and
   files follow (``git read-tree -m -u``, which keeps local changes elsewhere), then the
   journal goes.

A process killed at any moment therefore leaves master's history unchanged or with
exactly one complete merge commit; a journal left behind means its index and files may
lag, and :func:`recover` (run under the lock before every merge and at the start of
every run) puts the paths back to ``HEAD``: they were clean when the merge began.
"""

from __future__ import annotations

import fcntl
import os
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..jsonfile import read_json, write_json
from . import gitrepo
from .evaluation import evaluate

LOCK_NAME = "tokimon-self-improve.lock"
JOURNAL_NAME = "tokimon-self-improve-merge.json"
PAUSE_ENV = "TOKIMON_SELF_IMPROVE_PAUSE"
"""``PHASE=FIFO``: at ``PHASE``, write the phase's name to the FIFO and stop there for good
(until killed). Tests use it to kill a run at a precise moment without sleeping."""


def pause(phase: str) -> None:
    """Stop at ``phase`` when :data:`PAUSE_ENV` asks for it (a testing aid): say so on
    the FIFO, then wait until ``FIFO.go`` is written and closed (for good without it)."""
    wanted, _, fifo = os.environ.get(PAUSE_ENV, "").partition("=")
    if wanted != phase or not fifo:
        return
    with open(fifo, "w", encoding="utf-8") as pipe:
        pipe.write(phase + "\n")
    if not os.path.exists(fifo + ".go"):
        while True:
            signal.pause()
    with open(fifo + ".go", encoding="utf-8") as go:
        go.read()


@contextmanager
def merge_lock(repo: Path, wait: bool = True) -> Iterator[bool]:
    """Hold the checkout's self-improve lock, waiting for it in turn; with ``wait``
    False, yield False at once when another run holds it."""
    path = gitrepo.common_dir(repo) / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                yield False
                return
            pause("lock-wait")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield True
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _journal(repo: Path) -> Path:
    return gitrepo.common_dir(repo) / JOURNAL_NAME


def recover(repo: Path) -> str | None:
    """Finish what a killed merge left (call under the lock); what was done, or None."""
    journal = _journal(repo)
    if not journal.is_file():
        return None
    data = read_json(journal)
    git_dir = Path(gitrepo.git(repo, "rev-parse", "--absolute-git-dir").strip())
    (git_dir / "index.lock").unlink(missing_ok=True)  # a git killed with us
    paths = list(data["paths"])
    current = gitrepo.head(repo)
    if current in (data["orig"], data["new"]):
        force_paths(repo, paths)
        kept = "with its merge commit" if current == data["new"] else "unchanged"
        done = f"recovered from a merge killed midway: master is {kept} at {current[:12]}"
    else:
        done = "dropped the journal of a merge whose master has moved on since"
    journal.unlink()
    return done


def force_paths(repo: Path, paths: Sequence[str]) -> None:
    """The index and files under ``paths`` exactly as in ``HEAD``."""
    gitrepo.git(repo, "reset", "-q", "HEAD", "--", *paths)
    gitrepo.git(repo, "checkout", "-q", "HEAD", "--", *paths, check=False)
    gitrepo.git(repo, "clean", "-fdq", "--", *paths)


def merge_winner(
    repo: Path,
    scratch: Path,
    winner: dict[str, Any],
    paths: Sequence[str],
    eval_command: Sequence[str],
    message: str,
) -> dict[str, Any]:
    """Merge the winner's temporary commit into master (see the module docstring).

    Returns ``merged`` (bool), ``commit`` (the merge commit), ``conflicts``, the
    ``evaluation`` of the merged tree and, without a merge, the ``reason``."""
    result: dict[str, Any] = {"merged": False, "commit": None, "conflicts": [], "evaluation": None}
    with merge_lock(repo):
        recovered = recover(repo)
        if recovered:
            result["recovered"] = recovered
        pause("locked")
        dirty = gitrepo.changes(repo, paths)
        if dirty:
            return {**result, "reason": f"master changed under the paths meanwhile: {dirty[:5]}"}
        orig = gitrepo.head(repo)
        result["master_before"] = orig
        gitrepo.remove_worktree(repo, scratch)
        gitrepo.add_worktree(repo, scratch, orig)
        try:
            return _merge(repo, scratch, orig, winner, paths, eval_command, message, result)
        finally:
            gitrepo.remove_worktree(repo, scratch)


def _merge(
    repo: Path,
    scratch: Path,
    orig: str,
    winner: dict[str, Any],
    paths: Sequence[str],
    eval_command: Sequence[str],
    message: str,
    result: dict[str, Any],
) -> dict[str, Any]:
    git = gitrepo.git
    theirs = str(winner["commit"])
    result["conflicts"] = conflicts = _conflicts(scratch, orig, theirs)
    git(scratch, "merge", "--squash", "-X", "theirs", theirs, check=False)
    for path in git(scratch, "diff", "--name-only", "--diff-filter=U").splitlines():
        if _exists(scratch, theirs, path):
            git(scratch, "checkout", "-q", theirs, "--", path)
            git(scratch, "add", "--", path)
        else:
            git(scratch, "rm", "-q", "--", path)
        if path not in conflicts:
            conflicts.append(path)
    staged = git(scratch, "diff", "--cached", "--name-only", "--no-renames").splitlines()
    outside = [path for path in staged if not gitrepo.inside(path, paths)]
    if outside:  # never happens with a temporary commit inside the paths; never merged
        git(scratch, "reset", "-q", "--", *outside)
        git(scratch, "checkout", "-q", "--", *outside, check=False)
        git(scratch, "clean", "-fdq", "--", *outside)
        result["dropped_outside_paths"] = outside
    if not git(scratch, "diff", "--cached", "--name-only"):
        return {**result, "reason": "the winner's change is already on master"}
    pause("merged")
    evaluation = evaluate(scratch, eval_command)
    result["evaluation"] = evaluation
    if not evaluation["passed"]:
        reason = f"the evaluation failed after the merge ({evaluation['status']}); master unchanged"
        return {**result, "reason": reason}
    pause("evaluated")
    new = gitrepo.commit(scratch, message)
    write_json(_journal(repo), {"orig": orig, "new": new, "paths": list(paths)})
    pause("journaled")
    git(repo, "update-ref", "-m", "tokimon self-improve: merge", "HEAD", new, orig)
    pause("moved")
    git(repo, "read-tree", "-m", "-u", orig, new)
    pause("checked-out")
    _journal(repo).unlink()
    return {**result, "merged": True, "commit": new}


def _exists(tree: Path, commit: str, path: str) -> bool:
    return gitrepo.git(tree, "ls-tree", "--name-only", commit, "--", path).strip() != ""


def _conflicts(tree: Path, ours: str, theirs: str) -> list[str]:
    """The files a merge of ``theirs`` into ``ours`` conflicts on (git merge-tree)."""
    out = gitrepo.git(
        tree, "merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs,
        check=False,
    )  # fmt: skip
    lines = out.splitlines()
    return sorted(set(lines[1:])) if len(lines) > 1 else []
