"""The consistent-hash ring: placement is stable, spread, and moves little on a change."""

from __future__ import annotations

from collections import Counter

import pytest

from tiffany.cluster.ring import HashRing, hash64, shard_names
from tiffany.cluster.shard import global_id, split_id

KEYS = [f"agent-{i}" for i in range(6000)]


def test_placement_is_deterministic_and_spread() -> None:
    ring = HashRing(shard_names(3))
    again = HashRing(shard_names(3))
    assert [ring.lookup(k) for k in KEYS[:200]] == [again.lookup(k) for k in KEYS[:200]]
    counts = Counter(ring.lookup(k) for k in KEYS)
    assert set(counts) == {"shard-0", "shard-1", "shard-2"}
    for count in counts.values():  # 128 virtual nodes: each within 20% of the mean
        assert abs(count - len(KEYS) / 3) < 0.2 * len(KEYS) / 3
    assert hash64("x") == hash64("x") and 0 <= hash64("x") < 2**64


def test_growing_moves_about_a_quarter_all_to_the_new_shard() -> None:
    moves = HashRing(shard_names(3)).moves(HashRing(shard_names(4)), KEYS)
    assert 0.18 < len(moves) / len(KEYS) < 0.32
    assert {new for _, new in moves.values()} == {"shard-3"}


def test_shrinking_moves_only_the_removed_shards_keys() -> None:
    old, new = HashRing(shard_names(4)), HashRing(shard_names(3))
    moves = old.moves(new, KEYS)
    assert {before for before, _ in moves.values()} == {"shard-3"}
    assert len(moves) == sum(1 for k in KEYS if old.lookup(k) == "shard-3")


def test_bad_rings_are_refused() -> None:
    with pytest.raises(ValueError):
        HashRing([])
    with pytest.raises(ValueError):
        HashRing(["a", "a"])
    with pytest.raises(ValueError):
        HashRing(["a"], vnodes=0)


def test_global_ids_name_their_shard() -> None:
    assert global_id(12, 3) == 12003
    assert split_id(12003) == (12, 3)
    assert split_id(global_id(1, 0)) == (1, 0)
