"""The diagrams of a page: how a module fits, its architecture, its types, its calls.

Each is bounded to :data:`MAX_NODES` nodes, what a maintainer can read at a glance; what
does not fit is counted (``Diagram.omitted``) and, where it is a set of modules, drawn as
one "N more" node so the picture still adds up.
"""

from __future__ import annotations

from collections import Counter

from ..index.model import Component, ComponentKind
from ..plan.model import Module
from .artifacts import ComponentDossier, Diagram
from .diagrams import ClassDiagram, Flowchart
from .facts import RepositoryFacts, is_confident
from .footprints import Edge
from .research import ModuleResearch, short_name
from .typemodel import module_types

MAX_NODES = 30
MAX_EXTERNAL = 5
#: Members shown per class, and in all: mermaid parses a class diagram at about 2-3 ms a
#: line under node, and the Components section lists every member anyway.
MAX_MEMBERS = 4
MEMBER_BUDGET = 24
#: Types drawn per class diagram, besides the ones they extend from elsewhere.
MAX_TYPES = 20
_VISIBILITY_MARK = {"public": "+", "protected": "#", "private": "-"}


def dependency_diagram(
    facts: RepositoryFacts, module: Module, dossier: ComponentDossier
) -> Diagram | None:
    """The module between its parent, the modules it uses and those that use it.

    Its children are drawn by :func:`architecture_diagram`; None when nothing outside
    the module's own subtree is connected to it, and for the overview of a repository
    with parts: there is nothing around the root, and a picture of its own files alone,
    drawn first, hid the architecture (the references between the top modules).
    """
    if not dossier.outgoing and not dossier.incoming:
        return None
    if module.parent is None and module.children:
        return None
    chart = Flowchart("LR")
    chart.node(module.id, module.title, style="focus")
    if module.parent is not None:
        chart.node(module.parent, facts.tree[module.parent].title)
        chart.edge(module.parent, module.id, "contains", dotted=True)
    omitted = 0
    budget = MAX_NODES - MAX_EXTERNAL - 2
    internal = [(d, True) for d in dossier.outgoing if d.module is not None]
    for dependency, outgoing in internal + [(d, False) for d in dossier.incoming]:
        assert dependency.module is not None
        if dependency.module not in chart and len(chart) >= budget:
            omitted += 1
            continue
        chart.node(dependency.module, facts.tree[dependency.module].title)
        ends = (module.id, dependency.module) if outgoing else (dependency.module, module.id)
        chart.edge(*ends, str(dependency.count))
    if omitted:
        chart.node("more", f"{omitted} more modules", style="more")
    external = [d for d in dossier.outgoing if d.module is None]
    if external:
        outside = chart.group("external", "outside the repository")
    for dependency in external[:MAX_EXTERNAL]:
        key = f"external:{dependency.target}"
        chart.node(key, dependency.target, group=outside, style="external")
        chart.edge(module.id, key, str(dependency.count))
    if len(external) > MAX_EXTERNAL:
        more = f"{len(external) - MAX_EXTERNAL} more"
        chart.node("external:more", more, group=outside, style="more")
        chart.edge(module.id, "external:more")
    return Diagram(
        kind="dependencies",
        title=f"Where {module.title} sits",
        source=chart.render(),
        nodes=len(chart),
        omitted=omitted + max(0, len(external) - MAX_EXTERNAL),
    )


def architecture_diagram(facts: RepositoryFacts, module: Module) -> Diagram | None:
    """The module's children (each with its whole subtree) and the references between them."""
    if not module.children:
        return None
    group_of: dict[str, str] = {path: module.id for path in module.files}
    sizes: Counter[str] = Counter()
    for child in module.children:
        for path in facts.subtree_files(child):
            group_of[path] = child
            sizes[child] += facts.files[path].lines if path in facts.files else 0
    kept = sorted(module.children, key=lambda c: (-sizes[c], c))[: MAX_NODES - 2]
    chart = Flowchart("TB")
    if module.files:
        chart.node(module.id, f"{module.title} (own files)", style="focus")
    for child in module.children:
        if child in kept:
            chart.node(child, facts.tree[child].title)
    omitted = len(module.children) - len(kept)
    if omitted:
        chart.node("more", f"{omitted} more modules", style="more")
    counts: Counter[tuple[str, str]] = Counter()
    for path, source in group_of.items():
        for ref in facts.refs_from_file.get(path, []):
            target = group_of.get(ref.target_path or "")
            if target is not None and target != source and is_confident(ref.confidence):
                counts[(_node(source, kept, module.id), _node(target, kept, module.id))] += (
                    ref.count
                )
    for (source, target), count in sorted(counts.items()):
        if source != target:
            chart.edge(source, target, str(count))
    return Diagram(
        kind="architecture",
        title=f"Parts of {module.title}",
        source=chart.render(),
        nodes=len(chart),
        omitted=omitted,
    )


def _node(group: str, kept: list[str], own: str) -> str:
    return group if group in kept or group == own else "more"


def class_diagram(facts: RepositoryFacts, module: Module) -> Diagram | None:
    """The module's types, their members, and what they extend or implement."""
    found = module_types(facts, module)
    if found is None:
        return None
    shown = found.types[:MAX_TYPES]
    diagram = ClassDiagram()
    budget = MEMBER_BUDGET
    for component in shown:
        diagram.type(component.id, component.name, _stereotype(component))
        members = found.members.get(component.id, [])[: min(MAX_MEMBERS, budget)]
        budget -= len(members)
        for member in members:
            diagram.member(
                component.id,
                member.name,
                method=member.kind in (ComponentKind.METHOD, ComponentKind.FUNCTION),
                visibility=_VISIBILITY_MARK.get(str(member.visibility), "~"),
            )
    for relation in found.relations:
        if relation.child.id not in diagram:
            continue
        if relation.target not in diagram:
            if len(diagram) >= MAX_NODES:
                continue
            stereotype = _stereotype(relation.parent) if relation.parent else ""
            diagram.type(relation.target, relation.name, stereotype)
        diagram.inherits(relation.child.id, relation.target, realizes=relation.realizes)
    return Diagram(
        kind="classes",
        title=f"Types of {module.title}",
        source=diagram.render(),
        nodes=len(diagram),
        omitted=len(found.types) - len(shown),
    )


def _stereotype(component: Component) -> str:
    return "" if component.kind == ComponentKind.CLASS else str(component.kind)


def call_diagram(
    facts: RepositoryFacts, module: Module, research: ModuleResearch
) -> Diagram | None:
    """The module's main call paths first, then its busiest other calls, as a flowchart."""
    if not research.calls:
        return None
    chosen: list[Edge] = [edge for path in research.call_paths for edge in path]
    chosen += sorted(research.calls, key=lambda e: (-e.count, e.source, e.target))
    chart = Flowchart("LR")
    drawn: set[tuple[str, str]] = set()
    left = 0
    for edge in chosen:
        if (edge.source, edge.target) in drawn:
            continue
        new = [key for key in (edge.source, edge.target) if key not in chart]
        if len(chart) + len(new) > MAX_NODES:
            left += 1
            continue
        for key in (edge.source, edge.target):
            _call_node(facts, module, chart, key)
        chart.edge(edge.source, edge.target, str(edge.count) if edge.count > 1 else "")
        drawn.add((edge.source, edge.target))
    return Diagram(
        kind="calls",
        title=f"Main calls in {module.title}",
        source=chart.render(),
        nodes=len(chart),
        omitted=left,
    )


def _call_node(facts: RepositoryFacts, module: Module, chart: Flowchart, key: str) -> None:
    component = facts.components[key]
    owner = facts.module_of_file.get(component.path, "")
    title = facts.tree[owner].title if owner in facts.tree.modules else "elsewhere"
    group = chart.group(owner, title)
    chart.node(
        key, short_name(component), group=group, style=None if owner == module.id else "external"
    )
