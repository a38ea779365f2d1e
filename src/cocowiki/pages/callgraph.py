"""The main call paths of a module, picked from the call edges the index resolved.

Name-based resolution guesses (``circle.area()`` may be any ``area``), so only edges
resolved through the caller's scope (:func:`~.facts.is_confident`) are followed. A path
starts at a *root*, a function of the module that calls others and is not itself called
from inside the module (entry points first, then what other modules use most), and
follows the most frequent call at each step, never revisiting a function.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Set

from .facts import is_confident
from .footprints import Edge

MAX_PATHS = 5
MAX_DEPTH = 5


def confident_calls(edges: Iterable[Edge], known: Set[str]) -> list[Edge]:
    """Call edges to known components, resolved confidently enough, without self-loops."""
    return [
        e
        for e in edges
        if e.kind == "call"
        and is_confident(e.confidence)
        and e.target in known
        and e.source != e.target
    ]


def main_paths(
    edges: list[Edge], members: set[str], preferred: dict[str, float]
) -> list[list[Edge]]:
    """Up to :data:`MAX_PATHS` call paths starting inside the module.

    ``members`` are the module's component ids; ``preferred`` ranks candidate roots
    (higher first: entry points, use from other modules).
    """
    outgoing: dict[str, list[Edge]] = defaultdict(list)
    called_inside: set[str] = set()
    for edge in edges:
        if edge.source in members:
            outgoing[edge.source].append(edge)
            if edge.target in members:
                called_inside.add(edge.target)
    for calls in outgoing.values():
        calls.sort(key=lambda e: (e.target not in members, -e.count, e.target))
    roots = sorted(
        (source for source in outgoing if source not in called_inside),
        key=lambda s: (-preferred.get(s, 0.0), -len(outgoing[s]), s),
    )
    if not roots:  # every caller is called from inside (a cycle): start from the busiest
        roots = sorted(outgoing, key=lambda s: (-preferred.get(s, 0.0), -len(outgoing[s]), s))
    paths: list[list[Edge]] = []
    covered: set[tuple[str, str]] = set()
    for root in roots:
        path = _walk(root, outgoing)
        pairs = {(e.source, e.target) for e in path}
        if path and not pairs <= covered:
            paths.append(path)
            covered |= pairs
        if len(paths) == MAX_PATHS:
            break
    return paths


def _walk(root: str, outgoing: dict[str, list[Edge]]) -> list[Edge]:
    path: list[Edge] = []
    visited = {root}
    current = root
    while len(path) < MAX_DEPTH:
        step = next((e for e in outgoing.get(current, []) if e.target not in visited), None)
        if step is None:
            break
        path.append(step)
        visited.add(step.target)
        current = step.target
    return path
