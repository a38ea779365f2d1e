"""The consistent-hash ring: placement is stable, spread, and moves little on a change."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

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


def test_ray_pending_call_limit_is_a_503_counted_in_stats(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    from tiffany.cluster.router import Router, RouterOptions, Shard
    from tiffany.daemon.http import HttpError

    class Full:  # a handle whose pending-call queue is full
        def __getattr__(self, name: str) -> Any:
            class Method:
                def remote(self, *args: Any) -> Any:
                    raise ray.exceptions.PendingCallsLimitExceeded("full")

            return Method()

    options = RouterOptions(socket_path=tmp_path / "s", state_dir=tmp_path, shards=1)
    router = Router(options, ray)
    shard = router.shards["shard-0"] = Shard("shard-0", 0, Full(), tmp_path)
    with pytest.raises(HttpError) as caught:
        router._submit(shard, "request")
    assert caught.value.status == 503 and "64 calls pending" in caught.value.message
    pressure = router._pressure({}, ["shard-0"])["shards"]["shard-0"]
    assert pressure["rejected_by_ray"] == 1 and pressure["status"] == "missing"


def test_cluster_mode_without_ray_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from typer.testing import CliRunner

    from tiffany.cli import app

    real_import = builtins.__import__

    def no_ray(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "ray" or name.startswith("ray."):
            raise ImportError("no ray here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    result = CliRunner().invoke(app, ["daemon", "--cluster", "local", "--socket", "/tmp/x.sock"])
    assert result.exit_code == 2
    assert "pip install 'tiffany-platform[ray]'" in result.output
