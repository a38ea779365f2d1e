"""The daemon as a real process: signals, kill -9 and restart, reload, bad state and config.

Each test starts ``python -m tiffany.cli daemon`` and talks to it over its socket. Waits
poll the daemon for a condition with a generous deadline; nothing asserts how fast.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from daemon_helpers import AGENTS, DaemonProcess, write_config

from tiffany.daemon.client import DaemonClient, RequestFailed


def _until(condition: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_socket_is_created_mode_0600(daemon_process: Callable[..., DaemonProcess]) -> None:
    process = daemon_process().start()
    assert stat.S_ISSOCK(os.lstat(process.socket).st_mode)
    assert stat.S_IMODE(os.lstat(process.socket).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(process.state / "state.json").st_mode) == 0o600
    process.signal(signal.SIGTERM)
    assert process.wait() == 0
    assert not process.socket.exists(), "a clean stop removes the socket file"


def test_sigterm_with_tasks_in_flight_loses_no_finished_result(
    daemon_process: Callable[..., DaemonProcess],
) -> None:
    process = daemon_process(grace=2.0).start()
    with process.client() as client:
        quick = [client.spawn("echo", {"n": n})["id"] for n in range(30)]
        short = client.spawn("sleepy", {"seconds": 0.2, "value": "short"})["id"]
        longer = client.spawn("sleepy", {"seconds": 0.5, "value": "longer"})["id"]
        stuck = client.spawn("forever")["id"]
        process.signal(signal.SIGTERM)
        _until(lambda: client.health()["status"] == "stopping", "the daemon to start draining")
        with pytest.raises(RequestFailed) as refused:
            client.spawn("echo")
        assert refused.value.status == 503, "no intake while draining; status still answers"
    assert process.wait() == 0
    stderr = process.stderr()
    assert "stopping (SIGTERM)" in stderr
    saved = {t["id"]: t for t in json.loads((process.state / "state.json").read_text())["tasks"]}
    for n, task_id in enumerate(quick):
        assert saved[task_id]["state"] == "finished" and saved[task_id]["result"] == {"n": n}
    assert saved[short]["state"] == "finished" and saved[short]["result"] == "short"
    assert saved[longer]["state"] == "finished" and saved[longer]["result"] == "longer"
    assert saved[stuck]["state"] == "interrupted"
    assert "grace period ran out" in saved[stuck]["error"]


def test_kill_9_and_restart_reports_which_tasks_did_not_finish(
    daemon_process: Callable[..., DaemonProcess],
) -> None:
    process = daemon_process().start()
    with process.client() as client:
        done = client.spawn("echo", {"kept": True})
        assert client.task(done["id"], wait=10)["state"] == "finished"
        sleepers = [client.spawn("sleepy", {"seconds": 3600}) for _ in range(2)]
        assert all(s["durable"] for s in sleepers), "an acknowledged spawn is on disk"
    process.kill()  # SIGKILL: no cleanup, no last save
    assert process.socket.exists(), "kill -9 leaves a stale socket file behind"

    process.start()
    with process.client() as client:
        health = client.health()
        ids = [s["id"] for s in sleepers]
        assert health["recovery"]["interrupted"] == ids
        assert health["boot"] == 2
        kept = client.task(done["id"])
        assert kept["state"] == "finished" and kept["result"] == {"kept": True}
        for task_id in ids:
            task = client.task(task_id)
            assert task["state"] == "interrupted"
            assert "killed or crashed" in task["error"]
        assert client.spawn("echo")["id"] == ids[-1] + 1, "ids continue across restarts"
        events = [e for e in client.logs() if e["event"] == "interrupted"]
        assert [e["task"] for e in events] == ids
    assert f"{ids[0]} (sleepy), {ids[1]} (sleepy)" in process.stderr()


def test_sighup_reloads_the_config_and_a_bad_one_is_refused(
    daemon_process: Callable[..., DaemonProcess], workdir: Path
) -> None:
    process = daemon_process().start()
    write_config(workdir, agents=AGENTS + '[agents.late]\nentry = "daemon_test_agents:echo"\n')
    process.signal(signal.SIGHUP)
    with process.client() as client:
        _until(lambda: "late" in client.health()["agents"], "the reloaded config")
        assert client.spawn("late")["agent"] == "late"
        write_config(workdir, agents="[agents.broken]\nentry = 'nope'\n")
        process.signal(signal.SIGHUP)
        health = _until(
            lambda: (h := client.health())["config"]["reload_error"] and h, "the reload error"
        )
        assert "agents.broken.entry must be 'module:function'" in health["config"]["reload_error"]
        assert "late" in health["agents"], "the running config stays"
    assert "config reload failed; keeping the running config" in process.stderr()
    process.signal(signal.SIGTERM)
    assert process.wait() == 0


def test_a_corrupt_state_file_is_moved_aside_and_the_daemon_runs(
    daemon_process: Callable[..., DaemonProcess],
) -> None:
    process = daemon_process()
    process.state.mkdir(mode=0o700)
    (process.state / "state.json").write_text('{"schema_version": 2, "next_id": 1, "tasks": [')
    process.start()
    with process.client() as client:
        recovery = client.health()["recovery"]
        moved = Path(recovery["state_moved_aside"])
        assert moved.name.startswith("state.json.corrupt-") and moved.exists()
        assert recovery["state_problem"].startswith("not valid JSON")
        task = client.spawn("echo", {"fresh": 1})
        assert client.task(task["id"], wait=10)["result"] == {"fresh": 1}
    assert "is corrupt" in process.stderr() and str(moved) in process.stderr()


def test_a_second_sigint_forces_the_shutdown(
    daemon_process: Callable[..., DaemonProcess],
) -> None:
    process = daemon_process(grace=600.0).start()
    with process.client() as client:
        stuck = client.spawn("forever")["id"]
        process.signal(signal.SIGINT)
        _until(lambda: client.health()["status"] == "stopping", "the drain to start")
    process.signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0, "the second SIGINT does not wait out the grace"
    saved = json.loads((process.state / "state.json").read_text())["tasks"]
    assert [t["state"] for t in saved if t["id"] == stuck] == ["interrupted"]
    assert "second SIGINT" in process.stderr()


def _run_cli(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiffany.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=DaemonProcess.env(),
    )


def test_a_bad_config_stops_the_daemon_at_once_with_exit_2(workdir: Path) -> None:
    config = write_config(workdir, agents='[agents.x]\nentry = "daemon_test_agents:echo"\nx = 1')
    result = _run_cli(
        "daemon", "--socket", str(workdir / "d.sock"), "--state", str(workdir / "s"),
        "--config", str(config),
    )  # fmt: skip
    assert result.returncode == 2
    assert "[agents.x]: unknown key 'x'" in result.stderr
    assert not (workdir / "d.sock").exists()


def test_two_daemons_cannot_share_a_state_directory_or_a_socket(
    daemon_process: Callable[..., DaemonProcess], workdir: Path
) -> None:
    first = daemon_process().start()
    same_state = _run_cli(
        "daemon", "--socket", str(workdir / "other.sock"), "--state", str(first.state),
        "--config", str(first.config),
    )  # fmt: skip
    assert same_state.returncode == 2
    assert f"another daemon (pid {first.process.pid if first.process else 0})" in same_state.stderr
    same_socket = _run_cli(
        "daemon", "--socket", str(first.socket), "--state", str(workdir / "other-state"),
        "--config", str(first.config),
    )  # fmt: skip
    assert same_socket.returncode == 1
    assert "already listening" in same_socket.stderr
    assert DaemonClient(first.socket).health()["status"] == "ok", "the first one is untouched"
