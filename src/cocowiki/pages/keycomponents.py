"""The components a page puts forward as "the main" things of its module.

A reader of ``core`` wants ``Command`` and ``Context`` first, not the two type variables
and the helper that happen to be declared at the top of the file. The order is the
index's importance ranking (:func:`~cocowiki.index.ranking.rank`): public before private,
what other files use, inherit from or start at first; type variables, constants, impl
blocks and test helpers last; the methods of a trait implementation (``fmt`` of
``Debug``) only when others call them. Of a module with a public API used elsewhere, only
that API is put forward; of one private to its crate or package, what the rest of the
code uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..index.model import Component, ComponentKind, Visibility
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
    members = [
        c
        for c in facts.module_components(module)
        if not is_minor(c) and (_weight(usage, c) > 0 or not _implements_a_trait(facts, c))
    ]
    offered = _offered(members, set(dossier.public_api), usage)
    top = rank([c for c in offered if _is_top_level(c)], usage)
    nested = rank([c for c in offered if not _is_top_level(c)], usage)
    if top and _weight(usage, top[0]) > 0:
        ranked = (top + nested)[:MAX_KEY_COMPONENTS]
    else:
        ranked = rank(offered, usage)[:MAX_KEY_COMPONENTS]
    return [KeyComponent(c, usage.get(c.id, Usage())) for c in ranked]


def _offered(
    members: list[Component], public: set[str], usage: dict[str, Usage]
) -> list[Component]:
    """What a page may put forward: its public API; but where none of that is used from
    other files and some crate- or package-visible component is (a module private to its
    crate, like most of a runtime's), what the rest of the code uses."""
    api = [c for c in members if c.id in public]
    if any(_weight(usage, c) > 0 for c in api):
        return api
    visible = [c for c in members if c.visibility != Visibility.PRIVATE]
    used = [c for c in visible if _weight(usage, c) > 0]
    return used or api or members


def _implements_a_trait(facts: RepositoryFacts, component: Component) -> bool:
    """A method of an ``impl Trait for Type`` block (``fmt`` of ``Debug``, ``default``):
    public because the trait is, never what its module is about."""
    parent = facts.components.get(component.parent_id or "")
    return parent is not None and parent.kind == ComponentKind.IMPL and " for " in parent.name


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
