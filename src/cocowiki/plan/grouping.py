"""Reading a model's grouping of files into modules, and every way it can be unusable.

A grouping is used only when it keeps the plan's guarantees: every file it was given on
exactly one page, no path it was not given, at least two modules, each within the
planner's bounds (:class:`~.config.PlanConfig` ``min_tokens`` and, for a module that is
not divided further, ``max_tokens``), and names that are unique in the whole tree and
read as titles. :func:`read_grouping` returns the modules or the exact problems, which
go back to the model word for word.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

#: Paths named in one problem before the rest are counted.
PATHS_PER_PROBLEM = 10

#: The longest module name accepted as a title.
MAX_TITLE_CHARS = 80

_MORE = re.compile(r"\+\s*\d+\s*more", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Group:
    """One module of a grouping: its title and its files, in the model's order."""

    name: str
    files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Bounds:
    """What a grouping of one set of files must respect.

    ``max_tokens`` applies to groups of more than one file; None when every group may be
    divided further (it is then checked on the parts).
    """

    min_tokens: int
    max_tokens: int | None
    taken_titles: frozenset[str] = frozenset()


def read_grouping(
    text: str, files: Sequence[str], tokens: Mapping[str, int], bounds: Bounds
) -> tuple[list[Group], list[str]]:
    """The groups an answer proposes for ``files`` and its problems (none: usable)."""
    try:
        groups = _parse(text)
    except ValueError as exc:
        return [], [str(exc)]
    problems = _coverage(groups, files)
    problems += _sizes(groups, tokens, bounds)
    problems += _titles(groups, bounds.taken_titles)
    return groups, problems


def _parse(text: str) -> list[Group]:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ValueError('the answer holds no JSON object; end it with {"modules": [...]}')
    try:
        data = json.loads(text[start : end + 1])
    except json.JSONDecodeError as exc:
        raise ValueError(f"the JSON object does not parse: {exc}") from None
    modules = data.get("modules") if isinstance(data, dict) else None
    if not isinstance(modules, list):
        raise ValueError('the JSON object has no "modules" list')
    groups = []
    for position, item in enumerate(modules, start=1):
        name = item.get("name") if isinstance(item, dict) else None
        paths = item.get("files") if isinstance(item, dict) else None
        if not isinstance(name, str) or not isinstance(paths, list):
            raise ValueError(f'module {position} needs a "name" string and a "files" list')
        if not all(isinstance(path, str) for path in paths):
            raise ValueError(f"module {name!r} lists something other than path strings")
        groups.append(Group(name=" ".join(name.split()), files=tuple(paths)))
    return groups


def _coverage(groups: Sequence[Group], files: Sequence[str]) -> list[str]:
    given = set(files)
    counts = Counter(path for group in groups for path in group.files)
    problems = []
    if len(groups) < 2:
        problems.append(f"give at least two modules, not {len(groups)}")
    missing = [path for path in files if path not in counts]
    if missing:
        problems.append(f"{_paths(missing)} in no module: put each in exactly one")
    twice = sorted(path for path, count in counts.items() if count > 1 and path in given)
    if twice:
        problems.append(f"{_paths(twice)} in more than one module: keep each in one")
    unknown = sorted(path for path in counts if path not in given)
    if unknown:
        problems.append(f"{_paths(unknown)} not among the files given: use the paths as listed")
    empty = [group.name for group in groups if not group.files]
    if empty:
        problems.append(f"module(s) {', '.join(map(repr, empty))} hold no file")
    return problems


def _sizes(groups: Sequence[Group], tokens: Mapping[str, int], bounds: Bounds) -> list[str]:
    problems = []
    for group in groups:
        size = sum(tokens.get(path, 0) for path in set(group.files))
        if group.files and size < bounds.min_tokens:
            problems.append(
                f"module {group.name!r} holds {size} tokens, fewer than {bounds.min_tokens}: "
                "merge it into a related module"
            )
        if bounds.max_tokens is not None and len(group.files) > 1 and size > bounds.max_tokens:
            problems.append(
                f"module {group.name!r} holds {size} tokens, more than {bounds.max_tokens}: "
                "split it"
            )
    return problems


def _titles(groups: Sequence[Group], taken: Collection[str]) -> list[str]:
    problems = []
    seen = {title.casefold() for title in taken}
    for group in groups:
        name = group.name
        if not name or len(name) > MAX_TITLE_CHARS:
            problems.append(f"module name {name!r} must be 1 to {MAX_TITLE_CHARS} characters")
        elif _MORE.search(name):
            problems.append(f"module name {name!r} lists files: name what the module does")
        elif name.casefold() in seen:
            problems.append(f"module name {name!r} is used twice: make each name unique")
        seen.add(name.casefold())
    return problems


def _paths(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:PATHS_PER_PROBLEM])
    rest = len(paths) - PATHS_PER_PROBLEM
    return f"{shown} and {rest} other file(s)" if rest > 0 else shown
