"""Consistent hashing with virtual nodes: which shard owns an agent's key.

Each shard puts ``vnodes`` points on a ring of 64-bit hashes; a key belongs to the
first point at or after its own hash (wrapping around). Adding a shard takes over only
the arcs in front of its new points, so about ``1/(n+1)`` of the keys move, all of them
to the new shard; removing one hands its arcs to the next points, so only its own keys
move. The hash is BLAKE2b, not Python's ``hash``: every process, router or shard, on any
machine, computes the same placement.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable

#: Points per shard: 128 keeps the largest shard within about 10% of the mean.
DEFAULT_VNODES = 128


def hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class HashRing:
    """An immutable ring over ``shards`` (names); build a new one to change them."""

    def __init__(self, shards: Iterable[str], vnodes: int = DEFAULT_VNODES) -> None:
        self.shards: tuple[str, ...] = tuple(shards)
        if not self.shards:
            raise ValueError("a ring needs at least one shard")
        if len(set(self.shards)) != len(self.shards):
            raise ValueError(f"shard names must be unique: {self.shards}")
        if vnodes < 1:
            raise ValueError(f"vnodes must be 1 or more, got {vnodes}")
        self.vnodes = vnodes
        points = sorted(
            (hash64(f"{shard}#{i}"), shard) for shard in self.shards for i in range(vnodes)
        )
        self._hashes = [h for h, _ in points]
        self._owners = [shard for _, shard in points]

    def lookup(self, key: str) -> str:
        """The shard that owns ``key``."""
        index = bisect.bisect_left(self._hashes, hash64(key))
        return self._owners[index % len(self._owners)]

    def moves(self, other: HashRing, keys: Iterable[str]) -> dict[str, tuple[str, str]]:
        """The keys whose owner differs between this ring and ``other``: key -> (old, new)."""
        out: dict[str, tuple[str, str]] = {}
        for key in keys:
            old, new = self.lookup(key), other.lookup(key)
            if old != new:
                out[key] = (old, new)
        return out

    def describe(self) -> dict[str, object]:
        return {"shards": list(self.shards), "vnodes": self.vnodes}


def shard_names(count: int) -> list[str]:
    return [f"shard-{i}" for i in range(count)]


__all__ = ["DEFAULT_VNODES", "HashRing", "hash64", "shard_names"]
