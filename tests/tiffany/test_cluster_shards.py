"""Sharded agents on a real local Ray cluster: placement by hash, the CLI through the
router, a shard killed and restarted by Ray, and rebalancing from 3 to 4 shards.

One Ray cluster for the module (about 5 s to start); each test has its own router in a
thread of this process, with its own namespace, so their shard actors never meet.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tiffany.api import run
from tiffany.cli import app
from tiffany.cluster.ring import HashRing, shard_names
from tiffany.cluster.router import Router, RouterOptions
from tiffany.daemon.client import DaemonClient

ray = pytest.importorskip("ray")

AGENTS_DIR = Path(__file__).resolve().parent / "daemon"

CONFIG = f"""
[daemon]
grace = 2.0
python_path = ["{AGENTS_DIR}"]

[agents.echo]
entry = "daemon_test_agents:echo"

[agents.forever]
entry = "daemon_test_agents:forever"

[agents.keeper]
entry = "daemon_test_agents:forever"
restart = {{ max_restarts = 3, within = 60.0, backoff = 0.01 }}
"""

runner = CliRunner()


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    for signum, handler in handlers.items():  # ray.init replaces them
        signal.signal(signum, handler)
    try:
        yield ray
    finally:
        ray.shutdown()
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


class RouterThread:
    """A router serving on a socket, in a thread of the test process (the Ray driver)."""

    def __init__(self, workdir: Path, namespace: str, shards: int) -> None:
        config = workdir / "agents.toml"
        config.write_text(CONFIG)
        self.socket = workdir / "r.sock"
        self.options = RouterOptions(
            socket_path=self.socket,
            state_dir=workdir / "state",
            config_path=config,
            shards=shards,
            address=None,
            handle_signals=False,
            namespace=namespace,
            grace=2.0,
        )
        self.router = Router(self.options, ray)
        self.thread = threading.Thread(target=run, args=(self.router.main,), daemon=True)
        self.thread.start()
        self.client = DaemonClient(self.socket)
        self.client.wait_until_ready(timeout=90)

    def cli(self, *args: str) -> Any:
        result = runner.invoke(app, [*args, "--socket", str(self.socket)])
        assert result.exit_code == 0, result.output
        return result

    def stop(self) -> None:
        try:
            self.client.shutdown(1.0)
        finally:
            self.client.close()
            self.thread.join(60)


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="tfc-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def three_shards(
    ray_cluster: Any, workdir: Path, request: pytest.FixtureRequest
) -> Iterator[RouterThread]:
    router = RouterThread(workdir, f"t-{request.node.name[:40]}", 3)
    try:
        yield router
    finally:
        router.stop()


def _keys_for(ring: HashRing, shard: str, prefix: str, count: int) -> list[str]:
    keys = (f"{prefix}-{i}" for i in range(10_000))
    return [k for k in keys if ring.lookup(k) == shard][:count]


def test_agents_spread_by_hash_and_cli_through_the_router(three_shards: RouterThread) -> None:
    r = three_shards
    ring = HashRing(shard_names(3))
    client = r.client
    spawned = [client.spawn("echo", {"n": i}, key=f"spread-{i}") for i in range(24)]
    for task in spawned:
        assert task["shard"] == ring.lookup(task["key"])
        assert task["id"] % 1000 == int(task["shard"].split("-")[1])
    assert len({t["shard"] for t in spawned}) == 3
    done = [client.task(t["id"], wait=10) for t in spawned]
    assert [d["result"] for d in done] == [{"n": i} for i in range(24)]

    # The CLI, unchanged, through the router.
    out = r.cli("spawn", "forever", "--key", "cli-agent", "--json").output
    task = json.loads(out)
    assert task["key"] == "cli-agent" and task["shard"] == ring.lookup("cli-agent")
    listed = json.loads(r.cli("ps", "--json", "--limit", "100").output)
    assert {t["id"] for t in listed} >= {t["id"] for t in spawned} | {task["id"]}
    assert [t["created_at"] for t in listed] == sorted(t["created_at"] for t in listed)
    assert "running" in r.cli("ps", "--state", "running").output
    cancelled = json.loads(r.cli("cancel", str(task["id"]), "--json").output)
    assert cancelled["state"] == "cancelled"

    stats = json.loads(r.cli("stats", "--json").output)
    metrics = stats["metrics"]
    assert metrics["tasks"]["finished"] == 24 and metrics["tasks"]["cancelled"] == 1
    pressure = metrics["cluster"]["shards"]
    assert set(pressure) == {"shard-0", "shard-1", "shard-2"}
    for shard in pressure.values():
        assert shard["status"] == "ok" and shard["max_pending_calls"] == 64
        assert 0 <= shard["admission_pressure"] <= 1 and shard["ray_pending"] >= 0
    text = r.cli("stats").output
    assert "backpressure at two levels" in text and "shard-2" in text

    events = [json.loads(line) for line in r.cli("logs", "--json").output.splitlines()]
    assert {e["shard"] for e in events} == {"shard-0", "shard-1", "shard-2"}
    assert any(e["event"] == "cancelled" and e["task"] == task["id"] for e in events)
    prom = client.metrics_text()
    assert 'tiffany_daemon_tasks{shard="shard-0",state="finished"}' in prom
    dump = client.dump()
    assert dump["shards"].keys() == {"shard-0", "shard-1", "shard-2"}


def _wait_for_restart(client: Any, shard: str, boot: int) -> None:
    """Until the router reports ``shard`` booted again: ``ray.kill`` returns before the
    actor is gone, so a read right after it may still reach the old one."""
    deadline = time.monotonic() + 120
    while client.health()["cluster"]["shards"][shard]["boot"] == boot:
        assert time.monotonic() < deadline, f"{shard} was not restarted"


def test_a_killed_shard_comes_back_with_its_state(three_shards: RouterThread) -> None:
    client = three_shards.client
    ring = HashRing(shard_names(3))
    plain, kept, done_key = _keys_for(ring, "shard-1", "kill", 3)
    finished = client.spawn("echo", {"x": 1}, key=done_key)
    assert client.task(finished["id"], wait=10)["state"] == "finished"
    victim = client.spawn("forever", key=plain)
    keeper = client.spawn("keeper", key=kept)
    boot = client.health()["cluster"]["shards"]["shard-1"]["boot"]

    actor = ray.get_actor("tiffany-shard-1", namespace=three_shards.options.namespace)
    ray.kill(actor, no_restart=False)
    _wait_for_restart(client, "shard-1", boot)

    # A read is retried while Ray restarts the shard; the answer is the reloaded state.
    after = client.task(victim["id"])
    assert after["state"] == "interrupted"
    assert client.task(finished["id"])["result"] == {"x": 1}
    health = client.health()
    assert health["cluster"]["shards"]["shard-1"]["boot"] == boot + 1
    assert {victim["id"], keeper["id"]} <= set(health["recovery"]["interrupted"])
    # The agent with a restart policy runs again, on the same shard, under the same key.
    rerun = next(r for r in health["recovery"]["reruns"] if r["task"] == keeper["id"])
    again = client.task(rerun["rerun"])
    assert again["state"] == "running" and again["key"] == kept
    assert again["rerun_of"] == keeper["id"] and again["shard"] == "shard-1"
    # Nothing else was touched, and new spawns work.
    assert client.spawn("echo", key=plain)["shard"] == "shard-1"


def test_scaling_from_3_to_4_moves_about_a_quarter(three_shards: RouterThread) -> None:
    client = three_shards.client
    keys = [f"scale-{i}" for i in range(40)]
    before = {k: client.spawn("forever", key=k) for k in keys}
    expected = HashRing(shard_names(3)).moves(HashRing(shard_names(4)), keys)

    answer = json.loads(three_shards.cli("cluster", "scale", "4", "--grace", "2", "--json").output)
    moved = {m["key"]: m for m in answer["moved"]}
    assert answer["agents"] == 40 and answer["previous"] == 3 and answer["shards"] == 4
    assert set(moved) == set(expected)  # exactly the keys whose hash range moved...
    assert 0.15 <= len(moved) / len(keys) <= 0.35  # ...about a quarter of them...
    assert {m["to"] for m in moved.values()} == {"shard-3"}  # ...all to the new shard

    running = client.tasks(state="running", limit=1000)
    by_key = {t["key"]: t for t in running if t["key"] in before}
    assert len(by_key) == 40
    for key, task in by_key.items():
        if key in moved:
            assert task["shard"] == "shard-3" and task["moved_from"] == before[key]["id"]
            old = client.task(before[key]["id"])
            assert old["state"] == "cancelled" and "rebalancing" in old["error"]
        else:  # untouched: the same task, still running
            assert task["id"] == before[key]["id"]
    assert client.spawn("echo", key=next(iter(moved)))["shard"] == "shard-3"
