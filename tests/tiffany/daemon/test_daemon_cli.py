"""``tiffany ps|spawn|show|cancel|agents|stats|dump|logs|shutdown`` against a real daemon.

The daemon is a subprocess; most commands run in-process through typer's runner (fast),
and the exit-status checks that matter to scripts also run as real ``tiffany``
processes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from daemon_helpers import DaemonProcess
from typer.testing import CliRunner

from tiffany.cli import app

runner = CliRunner()


@pytest.fixture
def daemon(daemon_process: Callable[..., DaemonProcess]) -> Iterator[DaemonProcess]:
    yield daemon_process().start()


def tiffany_cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def real_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiffany.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env or DaemonProcess.env(),
    )


def test_spawn_ps_show_and_cancel(daemon: DaemonProcess) -> None:
    sock = str(daemon.socket)
    code, out, _ = tiffany_cli("spawn", "add", "--arg", "a=2", "--socket", sock, "--json")
    assert code == 0
    added = json.loads(out)
    assert added["args"] == {"a": 2, "b": 100}, "--arg values are read as JSON when they parse"

    code, out, _ = tiffany_cli(
        "spawn", "echo", "--json-args", '{"x": [1, 2]}', "-a", "name=bob", "--wait",
        "--socket", sock, "--json",
    )  # fmt: skip
    assert code == 0
    echoed = json.loads(out)
    assert echoed["state"] == "finished" and echoed["result"] == {"x": [1, 2], "name": "bob"}

    code, out, _ = tiffany_cli("spawn", "forever", "--socket", sock)
    assert code == 0 and out.startswith("spawned task ")
    forever = int(out.split()[2])

    code, out, _ = tiffany_cli("ps", "--socket", sock, "--json")
    assert code == 0
    listed = json.loads(out)
    assert [t["id"] for t in listed] == [added["id"], echoed["id"], forever]

    code, out, _ = tiffany_cli("ps", "--socket", sock)
    assert code == 0
    assert "forever" in out and "running" in out and "finished" in out

    code, out, _ = tiffany_cli("ps", "--state", "running", "--socket", sock, "--json")
    assert [t["id"] for t in json.loads(out)] == [forever]

    code, out, _ = tiffany_cli("cancel", str(forever), "--socket", sock)
    assert code == 0 and out.strip() == f"task {forever} cancelled"

    code, out, _ = tiffany_cli("show", str(forever), "--socket", sock, "--json")
    assert code == 0 and json.loads(out)["state"] == "cancelled"


def test_a_failing_task_shows_its_error_and_wait_exits_1(daemon: DaemonProcess) -> None:
    sock = str(daemon.socket)
    code, out, _ = tiffany_cli("spawn", "boom", "-a", "message=bad day", "--wait", "--socket", sock)
    assert code == 1, "spawn --wait exits 1 when the task did not finish"
    assert "ValueError: bad day" in out
    code, out, _ = tiffany_cli("show", "1", "--socket", sock)
    assert code == 0 and "Traceback" in out and "raise ValueError(message)" in out


def test_request_errors_exit_1_with_the_daemons_message(daemon: DaemonProcess) -> None:
    sock = str(daemon.socket)
    code, _, err = tiffany_cli("cancel", "999", "--socket", sock)
    assert code == 1 and "no task with id 999 (404)" in err
    code, _, err = tiffany_cli("spawn", "ghost", "--socket", sock)
    assert code == 1 and "no agent named 'ghost'" in err
    code, _, err = tiffany_cli("spawn", "add", "-a", "zzz=1", "--socket", sock)
    assert code == 1 and "arguments do not fit agent 'add'" in err


def test_with_json_a_request_error_is_json_on_stdout(daemon: DaemonProcess) -> None:
    code, out, err = tiffany_cli("cancel", "999", "--socket", str(daemon.socket), "--json")
    assert code == 1 and err == ""
    assert json.loads(out) == {"error": "no task with id 999", "status": 404}


@pytest.mark.parametrize(
    "args",
    [
        ["spawn", "echo", "--arg", "novalue"],
        ["spawn", "echo", "--json-args", "{oops"],
        ["spawn", "echo", "--json-args", "[1]"],
        ["cancel", "not-a-number"],
        ["ps", "--limit", "0"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_2(args: list[str], workdir: Path) -> None:
    code, _, _ = tiffany_cli(*args, "--socket", str(workdir / "none.sock"))
    assert code == 2


def test_stats_dump_agents_and_logs(daemon: DaemonProcess) -> None:
    sock = str(daemon.socket)
    tiffany_cli("spawn", "chatty", "-a", "count=2", "--wait", "--socket", sock)

    code, out, _ = tiffany_cli("stats", "--socket", sock, "--json")
    assert code == 0
    stats = json.loads(out)
    assert stats["health"]["status"] == "ok" and stats["metrics"]["tasks"]["finished"] == 1
    code, out, _ = tiffany_cli("stats", "--socket", sock)
    assert code == 0 and "tasks finished" in out and "requests" in out
    code, out, _ = tiffany_cli("stats", "--prometheus", "--socket", sock)
    assert code == 0 and "# TYPE tiffany_daemon_requests_total counter" in out

    code, out, _ = tiffany_cli("dump", "--socket", sock)
    assert code == 0 and "'api-server' [system]" in out and "'main'" in out
    code, out, _ = tiffany_cli("dump", "--socket", sock, "--json")
    assert code == 0 and any(t["name"] == "state-writer" for t in json.loads(out)["tasks"])

    code, out, _ = tiffany_cli("agents", "--socket", sock, "--json")
    assert code == 0 and "echo" in [a["name"] for a in json.loads(out)]

    code, out, _ = tiffany_cli("logs", "--socket", sock, "--json")
    assert code == 0
    kinds = [json.loads(line)["event"] for line in out.splitlines()]
    assert kinds == ["daemon.started", "spawned", "agent.progress", "agent.progress", "finished"]
    code, out, _ = tiffany_cli("logs", "-n", "1", "--socket", sock)
    assert code == 0 and out.count("\n") == 1 and "finished task 1 (chatty)" in out


def test_logs_follow_ends_when_the_daemon_shuts_down(daemon: DaemonProcess) -> None:
    sock = str(daemon.socket)
    follower = subprocess.Popen(
        [sys.executable, "-m", "tiffany.cli", "logs", "-f", "--json", "--socket", sock],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=DaemonProcess.env(),
    )
    assert follower.stdout is not None
    first = json.loads(follower.stdout.readline())  # the follower is connected
    assert first["event"] == "daemon.started"
    tiffany_cli("spawn", "echo", "--wait", "--socket", sock)
    code, out, _ = tiffany_cli("shutdown", "--socket", sock)
    assert code == 0 and "daemon stopped" in out
    rest, err = follower.communicate(timeout=30)
    assert follower.returncode == 0, err
    kinds = [json.loads(line)["event"] for line in rest.splitlines()]
    assert kinds[:2] == ["spawned", "finished"]
    assert "daemon.stopping" in kinds
    assert daemon.wait() == 0


def test_shutdown_json_reports_and_the_daemon_exits(daemon: DaemonProcess) -> None:
    code, out, _ = tiffany_cli("shutdown", "--grace", "1", "--socket", str(daemon.socket), "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["stopping"] and answer["grace"] == 1 and answer["stopped"] is True
    assert daemon.wait() == 0


def test_no_daemon_exits_3_and_says_how_to_start_one(workdir: Path) -> None:
    missing = workdir / "nobody.sock"
    result = real_cli("ps", "--socket", str(missing))
    assert result.returncode == 3
    assert f"cannot reach the tiffany daemon at {missing}" in result.stderr
    assert f"tiffany daemon --socket {missing} --state DIR" in result.stderr
    result = real_cli("ps", "--socket", str(missing), "--json")
    assert result.returncode == 3
    error = json.loads(result.stdout)
    assert error["status"] is None and "cannot reach the tiffany daemon" in error["error"]


def test_a_stale_socket_is_not_reachable_either(workdir: Path) -> None:
    import socket

    stale = workdir / "stale.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(stale))
    listener.close()  # the file stays, nobody listens: like a daemon killed with -9
    code, _, err = tiffany_cli("ps", "--socket", str(stale))
    assert code == 3 and "nothing is listening" in err


def test_the_socket_defaults_to_tiffany_socket_then_the_runtime_dir(
    daemon: DaemonProcess, workdir: Path
) -> None:
    env = DaemonProcess.env()
    env["TIFFANY_SOCKET"] = str(daemon.socket)
    result = real_cli("ps", "--json", env=env)
    assert result.returncode == 0 and json.loads(result.stdout) == []
    env.pop("TIFFANY_SOCKET")
    env["XDG_RUNTIME_DIR"] = str(workdir / "runtime")
    result = real_cli("ps", env=env)
    assert result.returncode == 3
    assert str(workdir / "runtime" / "tiffany" / "tiffany.sock") in result.stderr


def test_demo_and_version_still_work() -> None:
    code, out, _ = tiffany_cli("version")
    assert code == 0 and out.strip() == "0.1.0"
    code, out, _ = tiffany_cli("demo", "--jobs", "20", "--json")
    assert code == 0 and json.loads(out)["jobs"] == 20
