"""``change_impact``: the files a change touches, and the tests that cover them.

The change is the working tree against a base revision (``HEAD`` by default: the
uncommitted work), staged, unstaged and new files alike, or a range ``base..head``. A
test covers a changed file when it is one (a changed test), when it imports it or a
module that imports it (through cocowiki's index of the repository's references, up to
``depth`` hops), or when its name says so (``test_<stem>.py``, ``<stem>_test.py``).
Each test comes with its reason, so the agent runs the few that matter first.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from cocowiki.index import IndexConfig, index_repository
from cocowiki.index.store import catalog_path, open_catalog

from ..skills.context import SkillContext

TEST_PATH = re.compile(
    r"(^|/)(tests?|spec|__tests__)/|(^|/)test_[^/]*$|_test\.\w+$|\.(test|spec)\.\w+$"
)


def run(args: dict[str, Any], ctx: SkillContext) -> dict[str, Any]:
    base = str(args.get("base") or "HEAD")
    depth = max(1, min(int(args.get("depth", 2)), 5))
    changed = _changed_files(ctx, base, bool(args.get("include_untracked", True)))
    if changed is None:
        return {
            "text": f"git cannot compare with {base!r}: is it a revision?",
            "is_error": True,
            "data": {},
        }
    output = ctx.cache / "cocowiki"
    index_repository(ctx.repo, output, IndexConfig(exclude=(".tokimon/**",)))
    with open_catalog(catalog_path(output)) as connection:
        edges = [
            (str(path), str(target))
            for path, target in connection.execute("SELECT path, target FROM file_edges")
        ]
        indexed = {str(row[0]) for row in connection.execute("SELECT path FROM files")}
    tests = _covering_tests(changed, edges, indexed | set(changed), depth)
    lines = [f"{len(changed)} file(s) changed against {base}:"]
    lines += [f"  {path}" for path in changed] or ["  (none)"]
    lines.append(f"{len(tests)} test file(s) cover them:")
    lines += [f"  {path}  <- {reason}" for path, reason in tests.items()] or ["  (none found)"]
    return {
        "text": "\n".join(lines),
        "data": {"changed": changed, "tests": [{"path": p, "reason": r} for p, r in tests.items()]},
    }


def _changed_files(ctx: SkillContext, base: str, untracked: bool) -> list[str] | None:
    diff = ctx.git("diff", "--name-only", "--no-renames", base, "--")
    if diff.returncode != 0:
        return None
    files = [line for line in diff.stdout.splitlines() if line.strip()]
    if untracked and ".." not in base:
        extra = ctx.git("ls-files", "--others", "--exclude-standard")
        files += [line for line in extra.stdout.splitlines() if line.strip()]
    return sorted(f for f in dict.fromkeys(files) if not f.startswith(".tokimon/"))


def _covering_tests(
    changed: list[str], edges: list[tuple[str, str]], files: set[str], depth: int
) -> dict[str, str]:
    """Test file -> why it covers the change, in the order found (direct reasons first)."""
    importers: dict[str, set[str]] = {}
    for source, target in edges:
        if source != target:
            importers.setdefault(target, set()).add(source)
    found: dict[str, str] = {}
    for path in changed:
        if TEST_PATH.search(path):
            found.setdefault(path, "changed test")
    frontier = {path: path for path in changed}
    for hop in range(1, depth + 1):
        following: dict[str, str] = {}
        for path, origin in frontier.items():
            for importer in sorted(importers.get(path, ())):
                if TEST_PATH.search(importer):
                    how = "imports" if hop == 1 else f"imports ({hop} hops)"
                    found.setdefault(importer, f"{how} {origin}")
                else:
                    following.setdefault(importer, origin)
        frontier = following
    for path in changed:
        stem = PurePosixPath(path).stem
        suffix = PurePosixPath(path).suffix
        names = {f"test_{stem}{suffix}", f"{stem}_test{suffix}"}
        for candidate in sorted(files):
            if PurePosixPath(candidate).name in names and candidate != path:
                found.setdefault(candidate, f"named after {path}")
    return found
