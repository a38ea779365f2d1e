"""The types of a module as a page shows them: ranked, with members and relations.

Rust puts methods and trait implementations in ``impl`` blocks, which the index records
as components of their own (``impl Shape for Circle``); here they are joined to the type
they are for (matched by name within the module), so ``Circle`` shows its methods and
that it implements ``Shape``, as a class does in any other language.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from ..index.model import TYPE_KINDS, Component, ComponentKind, Visibility
from ..plan.model import Module
from .facts import RepositoryFacts
from .footprints import EXTERNAL_PREFIX

CLASS_KINDS = TYPE_KINDS - {ComponentKind.TYPE_ALIAS}
_IMPL_TARGET = re.compile(r"^(?:impl(?:\s*<.*?>)?\s+)?(?:.+?\s+for\s+)?(.+)$")


@dataclass(frozen=True, slots=True)
class Relation:
    """``child`` extends or implements ``target`` (a component id or ``external:Name``)."""

    child: Component
    target: str
    name: str
    parent: Component | None
    realizes: bool
    path: str
    line: int


@dataclass(slots=True)
class ModuleTypes:
    types: list[Component]
    members: dict[str, list[Component]]
    relations: list[Relation]


def module_types(facts: RepositoryFacts, module: Module) -> ModuleTypes | None:
    """The module's types (public and best-furnished first); None when it has none."""
    components = facts.module_components(module)
    types = [c for c in components if c.kind in CLASS_KINDS]
    if not types:
        return None
    owner = {c.id: c for c in types}
    by_name = {c.name: c for c in reversed(types)}
    for component in components:
        if component.kind == ComponentKind.IMPL:
            match = _IMPL_TARGET.match(component.name)
            name = re.sub(r"<.*", "", match.group(1)) if match else ""
            target = by_name.get(name.split("::")[-1].strip("&* "))
            if target is not None:
                owner[component.id] = target
    members: dict[str, list[Component]] = defaultdict(list)
    for source_id, type_ in owner.items():
        members[type_.id].extend(facts.children_of.get(source_id, []))
    types.sort(
        key=lambda c: (c.visibility != Visibility.PUBLIC, -len(members[c.id]), c.path, c.start_line)
    )
    relations = []
    for source_id in sorted(owner):
        for edge in facts.explorer.graph_lookup(source_id, "out")[0]:
            if edge.kind not in ("inherit", "impl") or edge.source != source_id:
                continue
            parent = facts.components.get(edge.target)
            relations.append(
                Relation(
                    child=owner[source_id],
                    target=edge.target,
                    name=parent.name if parent else edge.target.removeprefix(EXTERNAL_PREFIX),
                    parent=parent,
                    realizes=edge.kind == "impl"
                    or (
                        parent is not None
                        and parent.kind in (ComponentKind.INTERFACE, ComponentKind.TRAIT)
                    ),
                    path=edge.path,
                    line=edge.line,
                )
            )
    return ModuleTypes(types=types, members=dict(members), relations=relations)
