"""Ten thousand requests over the Unix socket from concurrent keep-alive clients.

Clients are tiffany tasks in the test's kernel, talking HTTP through real sockets to a
daemon hosted by the same kernel: every answer must be right, every spawned task must
end with its result, and the daemon's own counters must agree with the clients'.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from daemon_helpers import run_in_daemon

import tiffany
from tiffany.daemon.http import HttpClient
from tiffany.daemon.server import Daemon

CLIENTS = 50
PER_CLIENT = 200
TOTAL = CLIENTS * PER_CLIENT


async def _client(path: str, index: int, outcomes: Counter[str], spawned: list[int]) -> None:
    async with await HttpClient.connect_unix(path) as client:
        last_task: int | None = None
        for i in range(PER_CLIENT):
            kind = i % 10
            if kind == 0:
                response = await client.request(
                    "POST", "/agents/echo/spawn", json_body={"client": index, "i": i}
                )
                ok = response.status == 201 and response.json()["args"] == {
                    "client": index,
                    "i": i,
                }
                last_task = response.json()["id"]
                spawned.append(last_task)
            elif kind == 1 and last_task is not None:
                response = await client.request("GET", f"/tasks/{last_task}")
                ok = response.status == 200 and response.json()["id"] == last_task
            elif kind == 2:
                response = await client.request("GET", "/metrics")
                ok = response.status == 200 and "http" in response.json()
            elif kind == 3:
                response = await client.request("GET", "/tasks?limit=5")
                ok = response.status == 200 and len(response.json()["tasks"]) <= 5
            else:
                response = await client.request("GET", "/health")
                ok = response.status == 200 and response.json()["status"] == "ok"
            outcomes["ok" if ok else f"bad {response.status}"] += 1


def test_ten_thousand_requests_from_concurrent_clients(workdir: Path) -> None:
    async def body(daemon: Daemon) -> tuple[Counter[str], list[int], dict[str, Any]]:
        outcomes: Counter[str] = Counter()
        spawned: list[int] = []
        path = str(daemon.options.socket_path)
        async with tiffany.TaskGroup() as group:
            for index in range(CLIENTS):
                await group.spawn(_client, path, index, outcomes, spawned)
        for task_id in spawned:
            await daemon.host.wait(task_id, 10.0)
        return outcomes, spawned, daemon.metrics_snapshot()

    outcomes, spawned, metrics = run_in_daemon(workdir, body)
    assert outcomes == Counter({"ok": TOTAL})
    assert len(spawned) == TOTAL // 10 and len(set(spawned)) == len(spawned)
    assert metrics["http"]["requests_total"] == TOTAL
    assert metrics["http"]["responses_by_status"] == {"2xx": TOTAL}
    assert metrics["http"]["connections_total"] == CLIENTS, "every client kept its connection"
    assert metrics["tasks"]["finished"] == len(spawned)
    saved = json.loads((workdir / "state" / "state.json").read_text())
    finished = {t["id"]: t for t in saved["tasks"] if t["state"] == "finished"}
    assert set(finished) == set(spawned), "every result is on disk"
    assert all(t["result"] == t["args"] for t in finished.values())
