"""``bisect_regression``: the first commit where a test command starts failing.

``git bisect run`` with the given command between a good and a bad revision, in a
temporary detached worktree of the repository, so the agent's own checkout (and its
uncommitted work) is never touched and the bisect state never leaks into it. The command
runs through ``sh -c`` in the worktree; exit 0 is good, 125 skips a commit, anything else
is bad (``git bisect run``'s rules). The worktree is removed afterwards, whatever happened.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..skills.context import SkillContext

_FIRST_BAD = re.compile(r"^([0-9a-f]{40}) is the first bad commit", re.MULTILINE)


def run(args: dict[str, Any], ctx: SkillContext) -> dict[str, Any]:
    good, bad, command = str(args["good"]), str(args.get("bad") or "HEAD"), str(args["command"])
    revisions = {}
    for label, revision in (("good", good), ("bad", bad)):
        done = ctx.git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
        if done.returncode != 0:
            return _error(f"the {label} revision {revision!r} is not a commit of this repository")
        revisions[label] = done.stdout.strip()
    folder = Path(tempfile.mkdtemp(prefix="tokimon-bisect-"))
    tree = folder / "tree"
    try:
        added = ctx.git("worktree", "add", "--detach", str(tree), revisions["bad"])
        if added.returncode != 0:
            return _error(f"cannot make a worktree to bisect in: {added.stdout.strip()}")
        started = ctx.git("bisect", "start", revisions["bad"], revisions["good"], cwd=tree)
        if started.returncode != 0:
            return _error(f"git bisect start failed: {started.stdout.strip()}")
        bisect = ctx.git("bisect", "run", "sh", "-c", command, cwd=tree)
        log = ctx.git("bisect", "log", cwd=tree).stdout
        found = _FIRST_BAD.search(bisect.stdout)
        if found is None:
            tail = "\n".join(bisect.stdout.strip().splitlines()[-25:])
            return _error(
                "git bisect did not name a first bad commit (is the command passing at the "
                f"good revision and failing at the bad one?):\n{tail}",
                log=log,
            )
        commit = found.group(1)
        shown = ctx.git("show", "--stat", "--format=%H%n%an <%ae>%n%ad%n%n%s%n%n%b", commit)
        steps = log.count("\ngit bisect ") + log.startswith("git bisect ")
        text = (
            f"first bad commit: {commit}\n(bisected {revisions['good'][:12]}..."
            f"{revisions['bad'][:12]} with `{command}`, {steps} bisect step(s))\n\n"
            + shown.stdout.strip()
        )
        files = [line.split("|")[0].strip() for line in shown.stdout.splitlines() if "|" in line]
        return {"text": text, "data": {"commit": commit, "files": files, "log": log}}
    finally:
        if tree.exists():
            ctx.git("bisect", "reset", cwd=tree)
        ctx.git("worktree", "remove", "--force", str(tree))
        ctx.git("worktree", "prune")
        shutil.rmtree(folder, ignore_errors=True)


def _error(text: str, **data: Any) -> dict[str, Any]:
    return {"text": text, "is_error": True, "data": data}
