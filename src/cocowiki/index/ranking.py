"""Importance of components: which ones a page names first, and a title is made of.

Wherever the wiki names "the main" things of a module (a purpose written from its
components, the key types of a guide, the title of a split module, the files a model
sees in full), it asks :func:`rank`. The order a reader expects: public before private;
what other modules use (fan-in), inheritance roots and entry points first; type
variables, constants, module objects and suite code (tests, examples, benchmarks) last.
Ties fall back to declaration order, so the ranking is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .model import Component, ComponentKind, Reference, ReferenceKind, Visibility
from .suites import suite_kind

_VISIBILITY_TIER = {
    Visibility.PUBLIC: 0,
    Visibility.PROTECTED: 1,
    Visibility.INTERNAL: 1,
    Visibility.PACKAGE: 1,
    Visibility.PRIVATE: 2,
}
_KIND_TIER = {
    ComponentKind.CLASS: 0,
    ComponentKind.STRUCT: 0,
    ComponentKind.TRAIT: 0,
    ComponentKind.INTERFACE: 0,
    ComponentKind.ENUM: 1,
    ComponentKind.FUNCTION: 1,
    ComponentKind.METHOD: 2,
    ComponentKind.TYPE_ALIAS: 3,
    ComponentKind.CONSTANT: 4,
    ComponentKind.IMPL: 5,
    ComponentKind.MODULE: 6,
}
#: Kinds that are never "the main" thing of a module, whatever uses them.
_MINOR_KINDS = frozenset({ComponentKind.CONSTANT, ComponentKind.IMPL, ComponentKind.MODULE})
_TEST_PREFIXES = ("test", "Test", "Benchmark", "Example", "bench_", "mock", "Mock", "fake", "Fake")


@dataclass(frozen=True, slots=True)
class Usage:
    """How the rest of the repository uses one component.

    ``fan_in``: references into it from other files (a call, a type use, an import of it);
    ``derived``: components that inherit from or implement it; ``entry_point``: whether a
    manifest, a ``main`` or a script starts the program there.
    """

    fan_in: int = 0
    derived: int = 0
    entry_point: bool = False

    @property
    def weight(self) -> int:
        return self.fan_in + 3 * self.derived + (10 if self.entry_point else 0)


def usage_of(references: Iterable[Reference], entry_points: Iterable[str] = ()) -> dict[str, Usage]:
    """Usage of every referenced component, counting only references from other files
    (a file's use of its own helpers says nothing of what others need)."""
    fan_in: dict[str, int] = {}
    derived: dict[str, int] = {}
    for ref in references:
        target = ref.target_id
        if target is None or target.split("#", 1)[0] == ref.path:
            continue
        if ref.kind in (ReferenceKind.INHERIT, ReferenceKind.IMPL):
            derived[target] = derived.get(target, 0) + 1
        else:
            fan_in[target] = fan_in.get(target, 0) + ref.count
    starts = set(entry_points)
    return {
        target: Usage(fan_in.get(target, 0), derived.get(target, 0), target in starts)
        for target in {*fan_in, *derived, *starts}
    }


def is_minor(component: Component) -> bool:
    """Suite code, module objects, constants (type variables included), impl blocks and
    names of test helpers: listed, but never put forward as what a module is about."""
    return (
        component.kind in _MINOR_KINDS
        or suite_kind(component.path) is not None
        or component.name.startswith(_TEST_PREFIXES)
    )


def importance_key(
    component: Component, usage: Usage | None
) -> tuple[int, int, int, int, str, int]:
    """The sort key of :func:`rank` (smaller is more important)."""
    weight = usage.weight if usage is not None else 0
    return (
        int(is_minor(component)),
        _VISIBILITY_TIER.get(component.visibility, 2),
        -weight,
        _KIND_TIER.get(component.kind, 6),
        component.path,
        component.start_line,
    )


def rank(
    components: Iterable[Component],
    usage: Mapping[str, Usage] | Callable[[str], Usage | None],
) -> list[Component]:
    """Components, most important first (see the module docstring for the order)."""
    lookup = usage.get if isinstance(usage, Mapping) else usage
    return sorted(components, key=lambda c: importance_key(c, lookup(c.id)))
