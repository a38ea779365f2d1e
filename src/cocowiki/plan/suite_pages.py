"""One page per suite: tests, examples and benchmarks beside the code they exercise.

A suite is documented for what it covers and how to run it, so it gets a single page
(no sub-pages, whatever its size) of :attr:`.model.Module.kind` ``tests``, ``examples``
or ``benchmarks``. Its files are grouped by the top module they sit in (a crate's
``tests/``, ``src/sync/tests/``, the ``*_test.go`` files of a Go package), one page per
top module and kind, placed under that top module (its id from the top module's path and
the kind: ``src_runtime_tests``, ``tests``, ``benchmarks``); suites outside any top module
(``tests/``, ``benches/``, ``examples/`` at the repository's top, or next to code of the
overview's own) go under the overview. Test files beside the code thus join their top
module's suite page instead of spreading over the code's pages.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable

from ..index.suites import suite_root
from .structure import Draft

#: The order of suite pages under a module.
_KINDS = ("tests", "examples", "benchmarks")


def split_suites(paths: Iterable[str]) -> tuple[list[str], dict[str, tuple[str, str]]]:
    """``(code files, {suite file: (kind, suite directory)})``."""
    code: list[str] = []
    suites: dict[str, tuple[str, str]] = {}
    for path in paths:
        found = suite_root(path)
        if found is None:
            code.append(path)
        else:
            suites[path] = found
    return code, suites


def place_suites(root: Draft, suites: dict[str, tuple[str, str]]) -> None:
    """Add a suite page per top module and kind under the top module (or the root)."""
    top = _top_modules(root)
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    anchors: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path, (kind, directory) in sorted(suites.items()):
        key = (top[_nearest(directory, top)].path, kind)
        groups[key].append(path)
        anchors[key].add(directory)
    for (owner_path, kind), files in sorted(groups.items(), key=lambda g: _order(g[0])):
        owner = top[owner_path]
        only = anchors[(owner_path, kind)]
        home = next(iter(only)) if len(only) == 1 else _common(files)
        title = kind if owner is root else f"{owner.title} {kind}"
        id_path = posixpath.join(owner.path, kind)
        owner.children.append(
            Draft(path=home, title=title, files=files, id_path=id_path, kind=kind)
        )


def _order(key: tuple[str, str]) -> tuple[str, int]:
    return key[0], _KINDS.index(key[1])


def _nearest(directory: str, modules: dict[str, Draft]) -> str:
    """The nearest directory module at or above a suite's folder."""
    probe = directory
    while probe not in modules:
        probe = posixpath.dirname(probe)
    return probe


def _top_modules(root: Draft) -> dict[str, Draft]:
    """The top module (a child of the root, or the root itself) of each directory module."""
    top: dict[str, Draft] = {root.path: root}
    for child in root.children:
        for draft in child.walk():
            if not draft.part:
                top.setdefault(draft.path, child)
    return top


def _common(files: list[str]) -> str:
    return posixpath.commonpath([posixpath.dirname(path) for path in files])
