"""Splitting a module too large for one page by communities of its files' reference graph.

Files that call, import and extend each other belong on one page, so a module's files are
grouped by Louvain communities (networkx) of the graph whose edges are the resolved
references between them, weighted by how often and how surely each file uses the other.
The groups are then bounded: one larger than ``max_tokens`` is split again (by
communities at a finer resolution, and by path order when the graph has nothing more to
say), and one smaller than half of ``max_tokens`` (or ``min_tokens``, if larger) joins
the group it is most coupled with, else its neighbour in path order, as long as the
union stays within ``max_tokens``: a module is cut into as few pages as its size needs,
not into as many as it has loosely coupled files.

Determinism: nodes are the integer positions of the sorted file paths (integers hash to
themselves, so no set iterates in a hash-seed dependent order), edge weights are
integers (sums do not depend on the order references arrive in), and Louvain runs with a
fixed seed.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Mapping

import networkx as nx

from ..index.model import Reference
from ..index.store import edge_weights

#: ``graph[a][b]``: how strongly files ``a`` and ``b`` are coupled (symmetric, integer).
FileGraph = dict[str, dict[str, int]]

#: Louvain's random seed: fixed, so the same graph always gives the same communities.
SEED = 20_240_501

#: Resolutions tried, in order, to split a community that is still too large.
RESOLUTIONS = (1.0, 2.0, 4.0, 8.0, 16.0)

Group = tuple[str, ...]


def file_graph(references: Iterable[Reference], files: Iterable[str]) -> FileGraph:
    """Undirected graph of the files, an edge for each pair one of which references the
    other, weighted by :func:`~cocowiki.index.store.edge_weights`."""
    return edge_graph(edge_weights(references), files)


def edge_graph(weights: Mapping[tuple[str, str], int], files: Iterable[str]) -> FileGraph:
    """:func:`file_graph` from the references' weights between files (the catalog keeps
    them, so a plan need not read every reference); edges out of ``files`` are left out."""
    known = set(files)
    graph: FileGraph = {}
    for (source, target), weight in weights.items():
        if source not in known or target not in known:
            continue
        for a, b in ((source, target), (target, source)):
            row = graph.setdefault(a, {})
            row[b] = row.get(b, 0) + weight
    return graph


def split_by_communities(
    files: Iterable[str],
    graph: FileGraph,
    tokens: Mapping[str, int],
    min_tokens: int,
    max_tokens: int,
) -> list[Group]:
    """Partition ``files`` into groups of at most ``max_tokens`` (single files excepted).

    The groups are sorted by their first path, each group's paths sorted.
    """
    ordered = tuple(sorted(files))
    bounded = [
        group
        for community in _communities(ordered, graph, RESOLUTIONS[0])
        for group in _bounded(community, graph, tokens, max_tokens)
    ]
    smallest = max(min_tokens, max_tokens // 2)
    return _merge_small(bounded, graph, tokens, smallest, max_tokens)


def _communities(files: Group, graph: FileGraph, resolution: float) -> list[Group]:
    position = {path: index for index, path in enumerate(files)}
    network: nx.Graph[int] = nx.Graph()
    network.add_nodes_from(range(len(files)))
    for index, path in enumerate(files):
        for other, weight in sorted(graph.get(path, {}).items()):
            other_index = position.get(other)
            if other_index is not None and index < other_index:
                network.add_edge(index, other_index, weight=weight)
    communities = nx.community.louvain_communities(
        network, weight="weight", resolution=resolution, seed=SEED
    )
    return sorted(tuple(files[index] for index in sorted(part)) for part in communities)


def _bounded(
    files: Group, graph: FileGraph, tokens: Mapping[str, int], max_tokens: int
) -> list[Group]:
    if len(files) == 1 or _size(files, tokens) <= max_tokens:
        return [files]
    for resolution in RESOLUTIONS:
        communities = _communities(files, graph, resolution)
        if len(communities) > 1:
            return [
                group
                for community in communities
                for group in _bounded(community, graph, tokens, max_tokens)
            ]
    return _chunks(files, tokens, max_tokens)


def _chunks(files: Group, tokens: Mapping[str, int], max_tokens: int) -> list[Group]:
    """Consecutive runs of ``files`` (in path order) of at most ``max_tokens`` each."""
    chunks: list[Group] = []
    current: list[str] = []
    size = 0
    for path in files:
        if current and size + tokens[path] > max_tokens:
            chunks.append(tuple(current))
            current, size = [], 0
        current.append(path)
        size += tokens[path]
    if current:
        chunks.append(tuple(current))
    return chunks


def _size(files: Iterable[str], tokens: Mapping[str, int]) -> int:
    return sum(tokens[path] for path in files)


class _Packing:
    """Groups keyed by their first path, with the indexes small-group merging needs."""

    def __init__(self, groups: list[Group], tokens: Mapping[str, int]) -> None:
        self.groups = {group[0]: group for group in groups}
        self.sizes = {group[0]: _size(group, tokens) for group in groups}
        self.order = sorted(self.groups)
        self.owner = {path: group[0] for group in groups for path in group}

    def merge(self, a: str, b: str) -> str:
        merged = tuple(sorted(self.groups[a] + self.groups[b]))
        size = self.sizes[a] + self.sizes[b]
        for key in (a, b):
            del self.groups[key], self.sizes[key]
            del self.order[bisect.bisect_left(self.order, key)]
        key = merged[0]
        self.groups[key] = merged
        self.sizes[key] = size
        bisect.insort(self.order, key)
        for path in merged:
            self.owner[path] = key
        return key

    def neighbours(self, key: str) -> list[str]:
        """The groups just before and after ``key`` in path order."""
        index = bisect.bisect_left(self.order, key)
        return [self.order[i] for i in (index - 1, index + 1) if 0 <= i < len(self.order)]

    def coupling(self, key: str, graph: FileGraph) -> dict[str, int]:
        """Weight of the edges from group ``key`` to each other group."""
        weights: dict[str, int] = {}
        for path in self.groups[key]:
            for other, weight in graph.get(path, {}).items():
                owner = self.owner.get(other)
                if owner is not None and owner != key:
                    weights[owner] = weights.get(owner, 0) + weight
        return weights


def _merge_small(
    groups: list[Group],
    graph: FileGraph,
    tokens: Mapping[str, int],
    min_tokens: int,
    max_tokens: int,
) -> list[Group]:
    """Join each group below ``min_tokens`` to a partner that fits, smallest groups first."""
    packing = _Packing(groups, tokens)
    queue = [(size, key) for key, size in packing.sizes.items() if size < min_tokens]
    heapq.heapify(queue)
    while queue:
        size, key = heapq.heappop(queue)
        if packing.sizes.get(key) != size:
            continue  # merged away since it was queued
        partner = _partner(key, packing, graph, max_tokens)
        if partner is None:
            continue
        merged = packing.merge(key, partner)
        if packing.sizes[merged] < min_tokens:
            heapq.heappush(queue, (packing.sizes[merged], merged))
    return [packing.groups[key] for key in packing.order]


def _partner(key: str, packing: _Packing, graph: FileGraph, max_tokens: int) -> str | None:
    """The most coupled group that fits, else the smaller neighbour in path order that fits,
    else the smallest group that fits."""
    room = max_tokens - packing.sizes[key]
    coupled = [
        (-weight, packing.sizes[other], other)
        for other, weight in packing.coupling(key, graph).items()
        if packing.sizes[other] <= room
    ]
    if coupled:
        return min(coupled)[2]
    neighbours = [
        (packing.sizes[other], other)
        for other in packing.neighbours(key)
        if packing.sizes[other] <= room
    ]
    if neighbours:
        return min(neighbours)[1]
    anywhere = [
        (size, other) for other, size in packing.sizes.items() if other != key and size <= room
    ]
    return min(anywhere)[1] if anywhere else None
