"""The JSON API, route by route, on a virtual clock: requests go straight to the app.

The daemon runs in the test's kernel without a socket (the HTTP layer is tested on its
own and over real sockets elsewhere), so agents that sleep for minutes finish at once and
every run sees the same sequence of events.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import pytest
from daemon_helpers import AGENTS, run_in_daemon, write_config

import tiffany
from tiffany.daemon.http import HttpError, Request, Response, StreamingResponse
from tiffany.daemon.server import Daemon

T = TypeVar("T")


async def call(
    daemon: Daemon,
    method: str,
    target: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """One request to the app, as the HTTP layer would make it; errors as it would send them."""
    parts = urlsplit(target)
    raw = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    request = Request(
        method=method,
        target=target,
        path=parts.path,
        query=dict(parse_qsl(parts.query)),
        headers=headers or {},
        body=raw,
    )
    try:
        response = await daemon.api.handle(request)
    except HttpError as error:
        return error.status, {"error": error.message}
    assert isinstance(response, Response)
    if response.content_type == "application/json":
        return response.status, json.loads(response.body)
    return response.status, response.body.decode()


def run_app(
    workdir: Path, body: Callable[[Daemon], Awaitable[T]], daemon: str = "", agents: str = AGENTS
) -> T:
    return run_in_daemon(
        workdir, body, daemon=daemon, agents=agents, listen=False, clock=tiffany.VirtualClock()
    )


def test_spawn_runs_the_agent_with_its_defaults_and_records_the_result(workdir: Path) -> None:
    async def body(daemon: Daemon) -> tuple[Any, ...]:
        spawned = await call(daemon, "POST", "/agents/add/spawn", {"a": 1})
        waited = await call(daemon, "GET", f"/tasks/{spawned[1]['id']}?wait=1")
        return spawned, waited

    (status, spawned), (wait_status, waited) = run_app(workdir, body)
    assert status == 201
    assert spawned["agent"] == "add" and spawned["args"] == {"a": 1, "b": 100}
    assert spawned["durable"] is True, "a 201 means the record is on disk"
    assert wait_status == 200
    assert waited["state"] == "finished" and waited["result"] == 101


def test_get_with_wait_holds_until_the_task_ends_on_the_kernel_clock(workdir: Path) -> None:
    async def body(daemon: Daemon) -> tuple[Any, ...]:
        _, task = await call(daemon, "POST", "/agents/sleepy/spawn", {"seconds": 30, "value": 7})
        _, early = await call(daemon, "GET", f"/tasks/{task['id']}?wait=10")
        at_ten = tiffany.current_time()
        _, done = await call(daemon, "GET", f"/tasks/{task['id']}?wait=60")
        return early, at_ten, done, tiffany.current_time()

    early, at_ten, done, at_end = run_app(workdir, body)
    assert early["state"] == "running" and early["waiting_on"] == "sleep"
    assert at_ten == 10.0
    assert done["state"] == "finished" and done["result"] == 7
    assert at_end == 30.0


def test_priority_can_be_overridden_per_spawn(workdir: Path) -> None:
    async def body(daemon: Daemon) -> tuple[Any, ...]:
        ok = await call(daemon, "POST", "/agents/echo/spawn?priority=high", {})
        bad = await call(daemon, "POST", "/agents/echo/spawn?priority=urgent", {})
        return ok, bad

    (status, task), (bad_status, bad) = run_app(workdir, body)
    assert status == 201 and task["priority"] == "HIGH"
    assert bad_status == 400 and "priority must be one of" in bad["error"]


@pytest.mark.parametrize(
    ("method", "target", "body", "status", "message"),
    [
        (
            "POST",
            "/agents/nobody/spawn",
            {},
            404,
            "no agent named 'nobody'; this daemon hosts: add,",
        ),
        ("GET", "/tasks/999", None, 404, "no task with id 999"),
        ("GET", "/tasks/abc", None, 404, "task ids are whole numbers"),
        ("POST", "/tasks/999/cancel", None, 404, "no task with id 999"),
        ("POST", "/agents/echo/spawn", b'{"a": ', 400, "not valid JSON"),
        ("POST", "/agents/echo/spawn", b"\xff\xfe", 400, "not valid JSON"),
        ("POST", "/agents/echo/spawn", [1, 2], 400, "must be a JSON object of arguments"),
        ("POST", "/agents/add/spawn", {"c": 1}, 400, "arguments do not fit agent 'add'"),
        ("GET", "/tasks?state=weird", None, 400, "state must be one of"),
        ("GET", "/tasks?limit=0", None, 400, "limit must be 1 or more"),
        ("GET", "/tasks/1?wait=forever", None, 400, "wait must be a number"),
        ("GET", "/metrics?format=xml", None, 400, "format must be json or prometheus"),
        ("POST", "/shutdown", {"grace": -1}, 400, "grace must be a number"),
        ("POST", "/shutdown", {"later": 1}, 400, "the body must be empty or"),
        ("GET", "/agents/echo/spawn", None, 405, "use POST"),
        ("DELETE", "/tasks", None, 405, "use GET"),
        ("GET", "/nowhere", None, 404, "no such endpoint: GET /nowhere"),
    ],
)
def test_bad_requests_get_a_4xx_with_a_json_error_naming_the_problem(
    workdir: Path, method: str, target: str, body: Any, status: int, message: str
) -> None:
    async def run(daemon: Daemon) -> tuple[tuple[int, Any], int]:
        answer = await call(daemon, method, target, body)
        health, _ = await call(daemon, "GET", "/health")  # and the daemon carries on
        return answer, health

    (got_status, payload), health = run_app(workdir, run)
    assert got_status == status
    assert set(payload) == {"error"}
    assert message in payload["error"]
    assert health == 200


def test_an_agent_that_raises_is_isolated_recorded_logged_and_published(
    workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def body(daemon: Daemon) -> tuple[Any, ...]:
        _, slow = await call(daemon, "POST", "/agents/sleepy/spawn", {"seconds": 5, "value": "ok"})
        _, bad = await call(daemon, "POST", "/agents/boom/spawn", {"message": "kaput"})
        _, failed = await call(daemon, "GET", f"/tasks/{bad['id']}?wait=1")
        _, survivor = await call(daemon, "GET", f"/tasks/{slow['id']}?wait=10")
        _, listed = await call(daemon, "GET", "/tasks?state=failed")
        return failed, survivor, listed, daemon.events.recent()

    with caplog.at_level(logging.WARNING, logger="tiffany"):
        failed, survivor, listed, events = run_app(workdir, body)
    assert failed["state"] == "failed"
    assert failed["error"] == "ValueError: kaput"
    assert "daemon_test_agents.py" in failed["traceback"] and "in boom" in failed["traceback"]
    assert survivor["state"] == "finished" and survivor["result"] == "ok"
    assert [t["id"] for t in listed["tasks"]] == [failed["id"]]
    assert any(e["event"] == "failed" and e["error"] == "ValueError: kaput" for e in events)
    messages = [r.getMessage() for r in caplog.records]
    assert f"task {failed['id']} (agent boom) failed: ValueError: kaput" in messages
    assert not any("nobody joined" in m for m in messages), "the host reports it, once"


def test_a_failing_agent_with_a_restart_policy_is_run_again(workdir: Path) -> None:
    async def body(daemon: Daemon) -> tuple[Any, list[dict[str, Any]]]:
        _, task = await call(daemon, "POST", "/agents/flaky/spawn", {"key": "k1", "failures": 2})
        _, done = await call(daemon, "GET", f"/tasks/{task['id']}?wait=10")
        return done, daemon.events.recent()

    done, events = run_app(workdir, body)
    assert done["state"] == "finished" and done["result"] == "ok after 2 failures"
    assert done["restarts"] == 2
    assert [e["event"] for e in events if e.get("task") == done["id"]] == [
        "spawned",
        "restarted",
        "restarted",
        "finished",
    ]


def test_an_agent_over_its_cpu_budget_is_cancelled_and_says_why(workdir: Path) -> None:
    async def body(daemon: Daemon) -> Any:
        _, task = await call(daemon, "POST", "/agents/spin/spawn", {"steps": 200_000})
        _, done = await call(daemon, "GET", f"/tasks/{task['id']}?wait=10")
        return done

    done = run_app(workdir, body)
    assert done["state"] == "cancelled"
    assert done["error"].startswith("BudgetExceeded: task 'spin#1' used")


def test_an_agent_that_blocks_the_loop_is_reported_with_its_line(workdir: Path) -> None:
    async def body(daemon: Daemon) -> list[dict[str, Any]]:
        _, task = await call(daemon, "POST", "/agents/hog/spawn", {"seconds": 0.1})
        await call(daemon, "GET", f"/tasks/{task['id']}?wait=10")
        return [e for e in daemon.events.recent() if e["event"] == "slow_step"]

    slow = run_app(workdir, body, daemon="slow_step = 0.05")
    assert len(slow) == 1
    assert slow[0]["task"] == 1 and slow[0]["agent"] == "hog"
    assert slow[0]["seconds"] >= 0.1
    assert "daemon_test_agents.py" in slow[0]["where"] and "in hog" in slow[0]["where"]


def test_cancel_ends_a_running_task_and_refuses_an_ended_one(workdir: Path) -> None:
    async def body(daemon: Daemon) -> tuple[Any, ...]:
        _, task = await call(daemon, "POST", "/agents/forever/spawn")
        first = await call(daemon, "POST", f"/tasks/{task['id']}/cancel")
        again = await call(daemon, "POST", f"/tasks/{task['id']}/cancel")
        return first, again

    (status, cancelled), (again_status, again) = run_app(workdir, body)
    assert status == 200
    assert cancelled["state"] == "cancelled" and cancelled["error"] == "cancelled on request"
    assert again_status == 409 and "already ended (cancelled)" in again["error"]


def test_too_many_running_tasks_get_503(workdir: Path) -> None:
    async def body(daemon: Daemon) -> list[int]:
        statuses = []
        for _ in range(3):
            status, _ = await call(daemon, "POST", "/agents/forever/spawn")
            statuses.append(status)
        return statuses

    assert run_app(workdir, body, daemon="max_running = 2") == [201, 201, 503]


def test_task_list_filters_and_limits(workdir: Path) -> None:
    async def body(daemon: Daemon) -> tuple[Any, ...]:
        for n in range(4):
            await call(daemon, "POST", "/agents/echo/spawn", {"n": n})
        await call(daemon, "POST", "/agents/boom/spawn")
        await tiffany.sleep(1)
        _, all_tasks = await call(daemon, "GET", "/tasks")
        _, newest = await call(daemon, "GET", "/tasks?agent=echo&limit=2")
        _, failed = await call(daemon, "GET", "/tasks?state=failed")
        return all_tasks, newest, failed

    all_tasks, newest, failed = run_app(workdir, body)
    assert [t["id"] for t in all_tasks["tasks"]] == [1, 2, 3, 4, 5]
    assert [t["args"]["n"] for t in newest["tasks"]] == [2, 3]
    assert [t["agent"] for t in failed["tasks"]] == ["boom"]


def test_finished_records_are_pruned_to_keep_finished(workdir: Path) -> None:
    async def body(daemon: Daemon) -> list[int]:
        _, running = await call(daemon, "POST", "/agents/forever/spawn")
        for n in range(40):
            await call(daemon, "POST", "/agents/echo/spawn", {"n": n})
        await tiffany.sleep(1)
        _, listed = await call(daemon, "GET", "/tasks")
        return [running["id"], *(t["id"] for t in listed["tasks"])]

    running, *ids = run_app(workdir, body, daemon="keep_finished = 5")
    assert running in ids, "a running task is never pruned"
    assert len(ids) <= 1 + 5 + 10, "ended records are pruned in batches above the limit"
    assert ids[-1] == 41


def test_metrics_as_json_and_as_prometheus_text(workdir: Path) -> None:
    async def body(daemon: Daemon) -> tuple[Any, ...]:
        await call(daemon, "POST", "/agents/echo/spawn")
        await tiffany.sleep(1)
        as_json = await call(daemon, "GET", "/metrics")
        by_accept = await call(daemon, "GET", "/metrics", headers={"accept": "text/plain"})
        by_query = await call(daemon, "GET", "/metrics?format=prometheus")
        return as_json, by_accept, by_query

    (status, metrics), (_, by_accept), (_, by_query) = run_app(workdir, body)
    assert status == 200
    assert metrics["tasks"]["finished"] == 1
    assert metrics["kernel"]["tasks_spawned"] >= 1
    assert "requests_total" in metrics["http"]
    for text in (by_accept, by_query):
        assert "# TYPE tiffany_tasks_spawned_total counter" in text
        assert 'tiffany_daemon_tasks{state="finished"} 1' in text
        assert "# TYPE tiffany_daemon_requests_total counter" in text


def test_dump_shows_live_tasks_with_their_records_and_stacks(workdir: Path) -> None:
    async def body(daemon: Daemon) -> tuple[Any, ...]:
        _, task = await call(daemon, "POST", "/agents/sleepy/spawn", {"seconds": 100})
        as_json = await call(daemon, "GET", "/dump")
        as_text = await call(daemon, "GET", "/dump?format=text")
        return task, as_json, as_text

    task, (_, dump), (_, text) = run_app(workdir, body)
    mine = [t for t in dump["tasks"] if t["record"] == task["id"]]
    assert len(mine) == 1
    assert mine[0]["name"] == f"sleepy#{task['id']}" and mine[0]["waiting_on"] == "sleep"
    assert any("daemon_test_agents.py" in frame for frame in mine[0]["stack"])
    services = {t["name"] for t in dump["tasks"] if t["system"]}
    assert "state-writer" in services
    assert f"'sleepy#{task['id']}'" in text


def test_logs_return_events_as_json_lines(workdir: Path) -> None:
    async def body(daemon: Daemon) -> tuple[Any, ...]:
        await call(daemon, "POST", "/agents/chatty/spawn", {"count": 2})
        await tiffany.sleep(1)
        _, everything = await call(daemon, "GET", "/logs")
        _, tail = await call(daemon, "GET", "/logs?limit=1")
        return everything, tail

    everything, tail = run_app(workdir, body)
    events = [json.loads(line) for line in everything.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds == [
        "daemon.started",
        "spawned",
        "agent.progress",
        "agent.progress",
        "finished",
    ]
    assert [e["step"] for e in events if e["event"] == "agent.progress"] == [0, 1]
    assert all(e["task"] == 1 for e in events[1:])
    assert [json.loads(line)["event"] for line in tail.splitlines()] == ["finished"]


def test_logs_follow_is_a_stream(workdir: Path) -> None:
    async def body(daemon: Daemon) -> bool:
        request = Request("GET", "/logs?follow=1", "/logs", {"follow": "1"}, {})
        response = await daemon.api.handle(request)
        is_stream = isinstance(response, StreamingResponse)
        if isinstance(response, StreamingResponse):
            await response.chunks.aclose()  # type: ignore[attr-defined]
        return is_stream and daemon.events.followers == 0

    assert run_app(workdir, body)


def test_shutdown_asks_the_daemon_to_stop_once(workdir: Path) -> None:
    async def body(daemon: Daemon) -> tuple[Any, ...]:
        first = await call(daemon, "POST", "/shutdown", {"grace": 3})
        second = await call(daemon, "POST", "/shutdown")
        _, health = await call(daemon, "GET", "/health")
        return first, second, daemon.stop_reason, daemon.stop_grace, health["status"]

    (status, first), (_, second), reason, grace, health = run_app(workdir, body)
    assert status == 202 and first["grace"] == 3 and not first["already_stopping"]
    assert second["already_stopping"]
    assert (reason, grace, health) == ("api", 3, "stopping")


def test_spawn_while_shutting_down_is_refused_with_503(workdir: Path) -> None:
    async def body(daemon: Daemon) -> tuple[int, Any]:
        tiffany.current_kernel().request_shutdown(grace=10)
        return await call(daemon, "POST", "/agents/echo/spawn")

    status, payload = run_app(workdir, body)
    assert status == 503 and "shutting down" in payload["error"]


def test_config_reload_adds_agents_and_a_broken_config_keeps_the_old_one(workdir: Path) -> None:
    async def body(daemon: Daemon) -> tuple[Any, ...]:
        write_config(
            workdir, agents=AGENTS + '\n[agents.echo2]\nentry = "daemon_test_agents:echo"\n'
        )
        reloaded = daemon.reload_config()
        added = await call(daemon, "POST", "/agents/echo2/spawn")
        write_config(workdir, agents='[agents.x]\nentry = "no_such_module_zz:f"')
        broken = daemon.reload_config()
        still = await call(daemon, "POST", "/agents/echo2/spawn")
        _, health = await call(daemon, "GET", "/health")
        return reloaded, added[0], broken, still[0], health, daemon.state.config_digest

    reloaded, added, broken, still, health, digest = run_app(workdir, body)
    assert reloaded and added == 201
    assert not broken and still == 201, "a failed reload leaves the running config in place"
    assert "no_such_module_zz" in health["config"]["reload_error"]
    assert health["config"]["digest"] == digest, "the state records the digest in use"


def test_health_reports_recovery_after_an_unclean_stop(workdir: Path) -> None:
    async def first_life(daemon: Daemon) -> int:
        _, task = await call(daemon, "POST", "/agents/forever/spawn")
        return int(task["id"])

    task_id = run_app(workdir, first_life)
    # The first run's kernel cancelled the task when it ended, like a crash would leave it:
    # mark it running on disk again, as a daemon killed with -9 would have left it.
    state_file = workdir / "state" / "state.json"
    document = json.loads(state_file.read_text())
    document["tasks"][0]["state"] = "running"
    state_file.write_text(json.dumps(document))

    async def second_life(daemon: Daemon) -> tuple[Any, ...]:
        _, health = await call(daemon, "GET", "/health")
        _, task = await call(daemon, "GET", f"/tasks/{task_id}")
        return health, task

    health, task = run_app(workdir, second_life)
    assert health["recovery"]["interrupted"] == [task_id]
    assert health["boot"] == 2
    assert task["state"] == "interrupted"


def test_secrets_in_an_agents_error_are_redacted_everywhere_it_goes(
    workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk-proj-abcdefghijklmnopqrstuvwx"
    message = f"upstream said 401 for Authorization: Bearer {secret}"

    async def body(daemon: Daemon) -> tuple[Any, list[dict[str, Any]]]:
        _, task = await call(daemon, "POST", "/agents/boom/spawn", {"message": message})
        _, failed = await call(daemon, "GET", f"/tasks/{task['id']}?wait=1")
        return failed, daemon.events.recent()

    with caplog.at_level(logging.WARNING, logger="tiffany"):
        failed, events = run_app(workdir, body)
    assert failed["state"] == "failed" and "[REDACTED]" in failed["error"]
    leaks = [
        ("record", json.dumps(failed)),
        ("events", json.dumps(events)),
        ("log", caplog.text),
        ("state file", (workdir / "state" / "state.json").read_text()),
    ]
    for where, text in leaks:
        assert secret not in text, f"the secret leaked into the {where}"
