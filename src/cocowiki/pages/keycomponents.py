"""The components a page puts forward as "the main" things of its module.

A reader of ``core`` wants ``Command`` and ``Context`` first, not the two type variables
and the helper that happen to be declared at the top of the file. The order is the
index's importance ranking (:func:`~cocowiki.index.ranking.rank`): public before private,
what other files use, inherit from or start at first; type variables, constants, impl
blocks and test helpers last. Of a module with a public API, only that API is put
forward.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..index.model import Component
from ..index.ranking import Usage, is_minor, rank, usage_of
from ..plan.model import Module
from .artifacts import ComponentDossier
from .facts import RepositoryFacts

#: Components named as key on a page, and in a summary.
MAX_KEY_COMPONENTS = 8
MAX_SUMMARY_NAMES = 3
_IMPL_PREFIX = re.compile(r"^impl(?:<[^>]*>)?\s+(?:.+?\s+for\s+)?")


@dataclass(frozen=True, slots=True)
class KeyComponent:
    """A component put forward, with how the rest of the repository uses it."""

    component: Component
    usage: Usage


def module_usage(
    facts: RepositoryFacts, module: Module, entry_points: Iterable[str]
) -> dict[str, Usage]:
    """Usage of the module's components by other files (references into its files)."""
    references = (ref for path in module.files for ref in facts.refs_into_file.get(path, []))
    return usage_of(references, entry_points)


def key_components(
    facts: RepositoryFacts, module: Module, dossier: ComponentDossier, usage: dict[str, Usage]
) -> list[KeyComponent]:
    """The module's most important components, most important first. A file's top level
    speaks for it (``Command`` before ``Command.invoke``) when others use any of it; where
    they use only members (``TcpListener::accept`` of a type the index could not see),
    the members are ranked with it."""
    members = [c for c in facts.module_components(module) if not is_minor(c)]
    public = set(dossier.public_api)
    offered = [c for c in members if c.id in public] or members
    top = rank([c for c in offered if _is_top_level(c)], usage)
    nested = rank([c for c in offered if not _is_top_level(c)], usage)
    if top and _weight(usage, top[0]) > 0:
        ranked = (top + nested)[:MAX_KEY_COMPONENTS]
    else:
        ranked = rank(offered, usage)[:MAX_KEY_COMPONENTS]
    return [KeyComponent(c, usage.get(c.id, Usage())) for c in ranked]


def _is_top_level(component: Component) -> bool:
    return component.parent_id is None or component.parent_id == component.path


def _weight(usage: dict[str, Usage], component: Component) -> int:
    found = usage.get(component.id)
    return found.weight if found is not None else 0


def display_name(component: Component) -> str:
    """The name a reader looks for: ``Command``, ``Command.invoke``,
    ``TcpListener::accept`` (the local path in its file, ``impl ... for`` dropped)."""
    local = component.id.split("#", 1)[1] if "#" in component.id else component.name
    return _IMPL_PREFIX.sub("", local) or component.name


def describe(key: list[KeyComponent]) -> str:
    """```Command` (class), `Context` (class) and `echo` (function)``: the first few."""
    names = [f"`{display_name(k.component)}` ({k.component.kind})" for k in key[:MAX_SUMMARY_NAMES]]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def used_from(usage: Usage) -> str:
    """How much other files rely on a component, in words (empty when they do not)."""
    parts = []
    if usage.entry_point:
        parts.append("an entry point")
    if usage.fan_in:
        parts.append(f"used {usage.fan_in} time{'s' if usage.fan_in != 1 else ''} elsewhere")
    if usage.derived:
        parts.append(f"{usage.derived} derived or implementing")
    return ", ".join(parts)
