"""The daemon's gRPC service (``tiffany.v1.Daemon``) through a real gRPC channel.

Each test starts ``tiffany daemon --grpc`` as a subprocess and talks to it over its gRPC
Unix socket (or loopback TCP with a bearer token) with grpcio's own client: every RPC,
answers equal to the HTTP API's, bad requests and the status codes they map to,
concurrent clients, a client that leaves mid-stream, a shutdown while streaming, and the
CLI's ``--transport grpc``. Waits are on the daemon's answers (a ``Show`` that waits for
a task's end, a stream's end, the process's exit), or repeated RPCs until a condition
holds, never a sleep.
"""

from __future__ import annotations

import json
import math
import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

grpc = pytest.importorskip("grpc", reason="needs the 'grpc' extra")

from daemon_helpers import DaemonProcess  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from tiffany.cli import app  # noqa: E402
from tiffany.daemon.client import DaemonClient, DaemonUnreachable, RequestFailed  # noqa: E402
from tiffany.daemon.rpc import ERROR_MARK, TOKEN_ENV, grpc_socket_path  # noqa: E402
from tiffany.daemon.rpc.client import GrpcDaemonClient  # noqa: E402
from tiffany.daemon.rpc.v1 import daemon_pb2 as pb  # noqa: E402
from tiffany.daemon.rpc.v1 import daemon_pb2_grpc  # noqa: E402

runner = CliRunner()
TOKEN = "test-token-d41d8cd98f00b204"

Code = grpc.StatusCode


# -- fixtures and helpers ------------------------------------------------------------------
@pytest.fixture
def daemon(daemon_process: Callable[..., DaemonProcess]) -> Iterator[DaemonProcess]:
    yield daemon_process(extra_args=["--grpc"]).start()


def channel_of(process: DaemonProcess) -> Any:
    return grpc.insecure_channel(f"unix:{grpc_socket_path(process.socket)}")


@pytest.fixture
def stub(daemon: DaemonProcess) -> Iterator[Any]:
    channel = channel_of(daemon)
    try:
        yield daemon_pb2_grpc.DaemonStub(channel)
    finally:
        channel.close()


def doc(answer: Any) -> Any:
    return json.loads(answer.json)


def rpc_error(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with pytest.raises(grpc.RpcError) as caught:
        result = fn(*args, **kwargs)
        if hasattr(result, "__iter__") and not isinstance(result, (str, bytes)):
            list(result)  # a stream fails when read
    return caught.value


def until(condition: Callable[[], Any], what: str, attempts: int = 5000) -> Any:
    """Repeat ``condition`` (each try an RPC round trip) until it holds."""
    for _ in range(attempts):
        value = condition()
        if value:
            return value
    raise AssertionError(f"never happened: {what}")


def finished(stub: Any, task_id: int) -> dict[str, Any]:
    record: dict[str, Any] = doc(stub.Show(pb.ShowRequest(id=task_id, wait=30.0), timeout=60))
    return record


# -- the RPCs ------------------------------------------------------------------------------
def test_the_socket_is_0600_and_removed_at_a_clean_stop(daemon: DaemonProcess) -> None:
    path = grpc_socket_path(daemon.socket)
    assert path.name == "d.grpc.sock"
    info = os.lstat(path)
    assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    health = daemon.client().health()
    assert health["grpc"] == {"socket": str(path), "tcp": None}
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0
    assert not path.exists() and not daemon.socket.exists()


def test_every_rpc_answers_what_the_http_api_answers(daemon: DaemonProcess, stub: Any) -> None:
    http = daemon.client()
    health = doc(stub.Health(pb.HealthRequest()))
    assert health["status"] == "ok" and health["pid"] == http.health()["pid"]
    assert set(health) == set(http.health())

    assert doc(stub.Agents(pb.AgentsRequest()))["agents"] == http.agents()

    spawned = doc(stub.Spawn(pb.SpawnRequest(agent="add", args_json='{"a": 2}')))
    assert spawned["state"] == "running" or spawned["state"] == "finished"
    assert spawned["durable"] is True and spawned["args"] == {"a": 2, "b": 100}
    done = finished(stub, spawned["id"])
    assert done["state"] == "finished" and done["result"] == 102
    assert done == http.task(spawned["id"])

    high = doc(stub.Spawn(pb.SpawnRequest(agent="echo", args_json="", priority="high")))
    assert high["priority"] == "HIGH" and high["args"] == {}
    forever = doc(stub.Spawn(pb.SpawnRequest(agent="forever")))

    listed = doc(stub.Ps(pb.PsRequest()))["tasks"]
    assert [t["id"] for t in listed] == [spawned["id"], high["id"], forever["id"]]
    assert doc(stub.Ps(pb.PsRequest(state="running")))["tasks"] == http.tasks(state="running")
    assert doc(stub.Ps(pb.PsRequest(agent="add", limit=1)))["tasks"] == http.tasks(
        agent="add", limit=1
    )

    cancelled = doc(stub.Cancel(pb.CancelRequest(id=forever["id"])))
    assert cancelled["state"] == "cancelled"
    assert doc(stub.Show(pb.ShowRequest(id=forever["id"]))) == http.task(forever["id"])

    metrics = doc(stub.Stats(pb.StatsRequest()))
    assert set(metrics) == set(http.metrics())
    assert metrics["grpc"]["requests_total"] >= 8
    assert metrics["grpc"]["responses_by_code"]["OK"] >= 8
    prometheus = stub.Stats(pb.StatsRequest(prometheus=True))
    assert prometheus.json == "" and "tiffany_daemon_tasks" in prometheus.text

    dumped = doc(stub.Dump(pb.DumpRequest()))
    assert dumped["pid"] == health["pid"]
    names = {t["name"] for t in dumped["tasks"]}
    assert "grpc-server" in names
    text = stub.Dump(pb.DumpRequest(text=True)).text
    assert "grpc-server" in text and text.endswith("\n")

    events = [json.loads(e.json) for e in stub.Logs(pb.LogsRequest())]
    assert events == list(http.logs())
    kinds = [e["event"] for e in events]
    assert kinds[:2] == ["grpc.listening", "daemon.started"] and "cancelled" in kinds
    last_two = [json.loads(e.json) for e in stub.Logs(pb.LogsRequest(limit=2))]
    assert last_two == events[-2:]
    after = [json.loads(e.json) for e in stub.Logs(pb.LogsRequest(since=events[-3]["seq"]))]
    assert after == events[-3:][1:]

    stopping = doc(stub.Shutdown(pb.ShutdownRequest(grace=1.0)))
    assert stopping == {"stopping": True, "already_stopping": False, "grace": 1.0, "running": 0}
    assert daemon.wait() == 0
    assert "stopping (grpc)" in daemon.stderr()


@pytest.mark.parametrize(
    ("call", "code", "message"),
    [
        (lambda s: s.Spawn(pb.SpawnRequest(agent="nope")), Code.NOT_FOUND, "no agent named 'nope'"),
        (lambda s: s.Spawn(pb.SpawnRequest(agent="")), Code.INVALID_ARGUMENT, "agent must"),
        (
            lambda s: s.Spawn(pb.SpawnRequest(agent="echo", args_json="{")),
            Code.INVALID_ARGUMENT,
            "args_json is not valid JSON",
        ),
        (
            lambda s: s.Spawn(pb.SpawnRequest(agent="echo", args_json="[1]")),
            Code.INVALID_ARGUMENT,
            "JSON object",
        ),
        (
            lambda s: s.Spawn(pb.SpawnRequest(agent="add", args_json='{"zzz": 1}')),
            Code.INVALID_ARGUMENT,
            "",
        ),
        (
            lambda s: s.Spawn(pb.SpawnRequest(agent="echo", priority="URGENT")),
            Code.INVALID_ARGUMENT,
            "priority",
        ),
        (lambda s: s.Show(pb.ShowRequest(id=424242)), Code.NOT_FOUND, "no task with id 424242"),
        (lambda s: s.Show(pb.ShowRequest(id=-1)), Code.NOT_FOUND, "no task with id -1"),
        (lambda s: s.Show(pb.ShowRequest(id=1, wait=-1)), Code.INVALID_ARGUMENT, "wait must"),
        (lambda s: s.Show(pb.ShowRequest(id=1, wait=math.nan)), Code.INVALID_ARGUMENT, "wait"),
        (lambda s: s.Show(pb.ShowRequest(id=1, wait=301)), Code.INVALID_ARGUMENT, "wait must"),
        (lambda s: s.Cancel(pb.CancelRequest(id=424242)), Code.NOT_FOUND, "no task"),
        (lambda s: s.Ps(pb.PsRequest(state="bogus")), Code.INVALID_ARGUMENT, "state must be"),
        (lambda s: s.Ps(pb.PsRequest(limit=0)), Code.INVALID_ARGUMENT, "limit must be 1"),
        (lambda s: s.Logs(pb.LogsRequest(since=-1)), Code.INVALID_ARGUMENT, "since must be"),
        (lambda s: s.Logs(pb.LogsRequest(limit=0)), Code.INVALID_ARGUMENT, "limit must be 1"),
        (
            lambda s: s.Logs(pb.LogsRequest(limit=0, follow=True)),
            Code.INVALID_ARGUMENT,
            "limit must be 1",
        ),
        (
            lambda s: s.Shutdown(pb.ShutdownRequest(grace=-1)),
            Code.INVALID_ARGUMENT,
            "grace must be",
        ),
        (
            lambda s: s.Shutdown(pb.ShutdownRequest(grace=math.inf)),
            Code.INVALID_ARGUMENT,
            "grace must be",
        ),
    ],
)
def test_bad_requests_map_to_status_codes(
    stub: Any, call: Callable[[Any], Any], code: Any, message: str
) -> None:
    error = rpc_error(call, stub)
    assert error.code() == code, error.details()
    assert message in error.details()
    assert (ERROR_MARK, code.name) in tuple(error.trailing_metadata())
    assert doc(stub.Health(pb.HealthRequest()))["status"] == "ok", "the daemon is unharmed"


def test_ended_tasks_malformed_bytes_and_unknown_methods(daemon: DaemonProcess, stub: Any) -> None:
    task = doc(stub.Spawn(pb.SpawnRequest(agent="echo")))
    finished(stub, task["id"])
    error = rpc_error(stub.Cancel, pb.CancelRequest(id=task["id"]))
    assert error.code() == Code.FAILED_PRECONDITION  # HTTP: 409
    assert "has already ended" in error.details()

    channel = channel_of(daemon)
    try:
        raw = channel.unary_unary("/tiffany.v1.Daemon/Show")  # bytes in, bytes out
        error = rpc_error(raw, b"\xff\xff\xff\xff")  # not a ShowRequest
        assert error.code() == Code.INTERNAL  # grpcio's answer to an undecodable request
        error = rpc_error(channel.unary_unary("/tiffany.v1.Daemon/Nope"), b"")
        assert error.code() == Code.UNIMPLEMENTED
    finally:
        channel.close()
    assert doc(stub.Health(pb.HealthRequest()))["status"] == "ok"


# -- many clients, streams ------------------------------------------------------------------
def test_concurrent_clients_lose_and_duplicate_nothing(daemon: DaemonProcess) -> None:
    clients, per_client = 8, 15
    results: dict[int, list[dict[str, Any]]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(clients)

    def work(n: int) -> None:
        try:
            with GrpcDaemonClient(daemon.socket) as client:
                start.wait()
                spawned = [client.spawn("echo", {"client": n, "i": i}) for i in range(per_client)]
                results[n] = [client.task(t["id"], wait=30) for t in spawned]
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    ids = [r["id"] for records in results.values() for r in records]
    assert len(ids) == len(set(ids)) == clients * per_client
    for n, records in results.items():
        assert [r["result"] for r in records] == [{"client": n, "i": i} for i in range(per_client)]
        assert all(r["state"] == "finished" for r in records)
    with daemon.client() as http:
        assert http.health()["tasks"]["finished"] == clients * per_client


def test_a_follow_stream_sees_new_events_and_a_client_that_leaves_is_forgotten(
    daemon: DaemonProcess, stub: Any
) -> None:
    stream = stub.Logs(pb.LogsRequest(limit=1, follow=True))
    first = json.loads(next(stream).json)
    assert first["event"] == "daemon.started", "the backlog's last event comes first"
    task = doc(stub.Spawn(pb.SpawnRequest(agent="chatty", args_json='{"count": 3}')))
    seen = []
    for event in stream:
        record = json.loads(event.json)
        seen.append(record["event"])
        if record["event"] == "finished" and record.get("task") == task["id"]:
            break
    assert seen[0] == "spawned" and seen[-1] == "finished"
    metrics = doc(stub.Stats(pb.StatsRequest()))
    assert metrics["log_followers"] == 1 and metrics["grpc"]["requests_active"] == 2

    stream.cancel()  # the client leaves mid-stream
    with pytest.raises(grpc.RpcError) as left:
        next(stream)
    assert left.value.code() == Code.CANCELLED

    def forgotten() -> bool:
        metrics = doc(stub.Stats(pb.StatsRequest()))
        return metrics["log_followers"] == 0 and metrics["grpc"]["requests_active"] == 1

    until(forgotten, "the daemon to detach the follower of the client that left")
    # The daemon goes on serving; a new stream works.
    again = stub.Logs(pb.LogsRequest(limit=1, follow=True))
    assert json.loads(next(again).json)["event"] == "finished"
    again.cancel()


def test_a_show_that_waits_ends_its_wait_when_the_client_gives_up(
    daemon: DaemonProcess, stub: Any
) -> None:
    forever = doc(stub.Spawn(pb.SpawnRequest(agent="forever")))
    waiting = stub.Show.future(pb.ShowRequest(id=forever["id"], wait=300))

    def wait_in_kernel() -> bool:
        dumped = doc(stub.Dump(pb.DumpRequest()))
        return any(t["name"] == "from_thread:DaemonServicer._show" for t in dumped["tasks"])

    until(wait_in_kernel, "the Show to wait inside the kernel")
    waiting.cancel()
    until(lambda: not wait_in_kernel(), "the abandoned wait to end in the kernel")
    assert doc(stub.Show(pb.ShowRequest(id=forever["id"])))["state"] == "running"


def test_shutdown_while_streaming_ends_the_streams_and_the_daemon(
    daemon_process: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_process(extra_args=["--grpc"], grace=5.0).start()
    channel = channel_of(daemon)
    stub = daemon_pb2_grpc.DaemonStub(channel)
    streams: list[list[dict[str, Any]]] = [[], []]
    outcomes: list[Any] = [None, None]

    def follow(n: int) -> None:
        try:
            for event in stub.Logs(pb.LogsRequest(follow=True)):
                streams[n].append(json.loads(event.json))
            outcomes[n] = "ended"
        except grpc.RpcError as error:
            outcomes[n] = error.code()

    readers = [threading.Thread(target=follow, args=(n,)) for n in range(2)]
    for reader in readers:
        reader.start()
    until(lambda: doc(stub.Stats(pb.StatsRequest()))["log_followers"] == 2, "two followers")
    sleepy = doc(stub.Spawn(pb.SpawnRequest(agent="sleepy", args_json='{"seconds": 0.3}')))
    forever = doc(stub.Spawn(pb.SpawnRequest(agent="forever")))
    stopping = doc(stub.Shutdown(pb.ShutdownRequest(grace=1.0)))
    assert stopping["stopping"] and stopping["running"] == 2

    refused = rpc_error(stub.Spawn, pb.SpawnRequest(agent="echo"))
    assert refused.code() == Code.UNAVAILABLE, "no intake while draining"
    assert "shutting down" in refused.details()
    assert doc(stub.Health(pb.HealthRequest()))["status"] == "stopping", "status still answers"

    for reader in readers:
        reader.join(60)
    assert outcomes == ["ended", "ended"], "each stream ends cleanly when the daemon stops"
    for events in streams:
        kinds = [(e["event"], e.get("task")) for e in events]
        assert ("daemon.stopping", None) in kinds
        assert ("finished", sleepy["id"]) in kinds
        assert ("interrupted", forever["id"]) in kinds or ("cancelled", forever["id"]) in kinds
    assert daemon.wait() == 0
    channel.close()
    assert not grpc_socket_path(daemon.socket).exists()
    saved = json.loads((daemon.state / "state.json").read_text())["tasks"]
    assert {t["id"]: t["state"] for t in saved}[sleepy["id"]] == "finished"


# -- loopback TCP with a bearer token ---------------------------------------------------------
def test_tcp_needs_the_bearer_token(daemon_process: Callable[..., DaemonProcess]) -> None:
    daemon = daemon_process(extra_args=["--grpc-port", "0"], extra_env={TOKEN_ENV: TOKEN}).start()
    tcp = daemon.client().health()["grpc"]["tcp"]
    host, port = tcp.rsplit(":", 1)
    assert host == "127.0.0.1" and int(port) > 0
    channel = grpc.insecure_channel(tcp, options=[("grpc.enable_http_proxy", 0)])
    try:
        stub = daemon_pb2_grpc.DaemonStub(channel)
        for metadata in ((), (("authorization", "Bearer wrong"),), (("authorization", TOKEN),)):
            error = rpc_error(stub.Health, pb.HealthRequest(), metadata=metadata)
            assert error.code() == Code.UNAUTHENTICATED
            error = rpc_error(stub.Logs, pb.LogsRequest(follow=True), metadata=metadata)
            assert error.code() == Code.UNAUTHENTICATED, "streams are guarded too"
        good = (("authorization", f"Bearer {TOKEN}"),)
        assert doc(stub.Health(pb.HealthRequest(), metadata=good))["status"] == "ok"
        assert "grpc.listening" in stub.Logs(pb.LogsRequest(limit=5), metadata=good).__next__().json
    finally:
        channel.close()
    with GrpcDaemonClient(target=tcp, token=TOKEN) as client:
        assert client.agents() == daemon.client().agents()
    with GrpcDaemonClient(target=tcp, token="wrong") as client, pytest.raises(RequestFailed) as no:
        client.health()
    assert no.value.status == 401
    # The Unix socket needs no token: its mode is the guard.
    with GrpcDaemonClient(daemon.socket) as client:
        assert client.health()["status"] == "ok"


def test_tcp_without_a_token_is_refused_at_start(workdir: Path) -> None:
    env = {**DaemonProcess.env(), TOKEN_ENV: ""}
    result = CliRunner().invoke(
        app,
        ["daemon", "--socket", str(workdir / "d.sock"), "--state", str(workdir / "s"),
         "--grpc-port", "0"],
        env=env,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "bearer token" in result.stderr and TOKEN_ENV in result.stderr


# -- the CLI over gRPC ------------------------------------------------------------------------
def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_cli_prints_the_same_json_over_both_transports(daemon: DaemonProcess) -> None:
    sock = ("--socket", str(daemon.socket))
    code, out, _ = cli(
        "--transport", "grpc", "spawn", "echo", "-a", "x=1", "--wait", *sock, "--json"
    )
    assert code == 0 and json.loads(out)["result"] == {"x": 1}
    echo_id = json.loads(out)["id"]
    code, out, _ = cli("--transport", "grpc", "spawn", "forever", *sock)
    assert code == 0 and out.startswith("spawned task ")
    forever = out.split()[2]
    code, out, _ = cli("--transport", "grpc", "cancel", forever, *sock)
    assert code == 0 and out.strip() == f"task {forever} cancelled"

    same = [
        ("ps",),
        ("ps", "--state", "finished"),
        ("show", str(echo_id)),
        ("show", "999"),  # an error: same message, same status, same exit
        ("spawn", "nope"),
        ("spawn", "echo", "--priority", "urgent"),
        ("cancel", str(echo_id)),
        ("agents",),
        ("logs",),
        ("logs", "--tail", "3"),
    ]
    for command in same:
        over_http = cli(*command, *sock, "--json")
        over_grpc = cli("--transport", "grpc", *command, *sock, "--json")
        assert over_grpc == over_http, command
    code, out, _ = cli("--transport", "grpc", "show", "999", *sock, "--json")
    assert code == 1 and json.loads(out) == {"error": "no task with id 999", "status": 404}

    for command in (("stats",), ("dump",)):
        http_code, http_out, _ = cli(*command, *sock, "--json")
        grpc_code, grpc_out, _ = cli("--transport", "grpc", *command, *sock, "--json")
        assert http_code == grpc_code == 0
        assert json.loads(http_out).keys() == json.loads(grpc_out).keys()
    code, out, _ = cli("--transport", "grpc", "stats", "--prometheus", *sock)
    assert code == 0 and "# TYPE tiffany_daemon_tasks gauge" in out
    code, out, _ = cli("--transport", "grpc", "dump", *sock)
    assert code == 0 and "grpc-server" in out
    code, out, _ = cli("--transport", "grpc", "stats", *sock)
    assert code == 0 and "requests" in out

    code, out, _ = cli("--transport", "grpc", "shutdown", "--grace", "1", *sock, "--json")
    assert code == 0 and json.loads(out)["stopped"] is True
    assert daemon.wait() == 0
    code, out, err = cli("--transport", "grpc", "ps", *sock)
    assert code == 3 and "d.grpc.sock" in err and "--grpc" in err


def test_a_daemon_without_grpc_is_unreachable_over_grpc(
    daemon_process: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_process().start()
    with GrpcDaemonClient(daemon.socket) as client, pytest.raises(DaemonUnreachable):
        client.health()
    code, _, err = cli("--transport", "grpc", "ps", "--socket", str(daemon.socket))
    assert code == 3 and "with --grpc" in err


def test_without_the_extra_the_error_names_it(
    monkeypatch: pytest.MonkeyPatch, workdir: Path
) -> None:
    monkeypatch.setitem(sys.modules, "grpc", None)  # as if grpcio were not installed
    code, out, err = cli("--transport", "grpc", "ps", "--socket", str(workdir / "d.sock"))
    assert code == 2 and "pip install 'tiffany-platform[grpc]'" in err
    code, out, _ = cli("--transport", "grpc", "ps", "--socket", str(workdir / "d.sock"), "--json")
    assert code == 2 and "tiffany-platform[grpc]" in json.loads(out)["error"]
    result = runner.invoke(
        app,
        ["daemon", "--socket", str(workdir / "d.sock"), "--state", str(workdir / "s"), "--grpc"],
    )
    assert result.exit_code == 2 and "tiffany-platform[grpc]" in result.stderr
    assert not (workdir / "s").exists(), "nothing was started"


# -- the contract -----------------------------------------------------------------------------
def test_the_committed_stubs_match_the_proto() -> None:
    pytest.importorskip("grpc_tools", reason="needs grpcio-tools (the dev extra)")
    from importlib.metadata import version

    from tiffany.daemon.rpc import stubs

    with tempfile.TemporaryDirectory() as work:
        fresh = stubs.descriptor_of_proto(Path(work))
    assert fresh == pb.DESCRIPTOR.serialized_pb, (
        "daemon_pb2.py does not match daemon.proto: run python -m tiffany.daemon.rpc.stubs"
    )
    if version("grpcio-tools") != stubs.generated_by():
        pytest.skip(f"byte-for-byte check needs grpcio-tools {stubs.generated_by()}")
    with tempfile.TemporaryDirectory() as work:
        for path in stubs.generate(Path(work)):
            committed = stubs.SOURCE_ROOT / stubs.PROTO.parent / path.name
            fresh_text, committed_text = path.read_text(), committed.read_text()
            assert stubs.comparable(fresh_text) == stubs.comparable(committed_text), (
                f"{path.name} differs from a fresh generation: regenerate the stubs "
                "(python -m tiffany.daemon.rpc.stubs)"
            )


def test_http_and_grpc_clients_have_the_same_methods() -> None:
    public = {n for n in dir(DaemonClient) if not n.startswith("_")} - {"request", "call"}
    assert public <= {n for n in dir(GrpcDaemonClient) if not n.startswith("_")}


def test_the_grpc_benchmark_reports_a_ratio_for_every_row() -> None:
    """A tiny pass of ``bench/tiffany/daemon_grpc.py``; nothing about speed is asserted."""
    script = Path(__file__).resolve().parents[3] / "bench" / "tiffany" / "daemon_grpc.py"
    done = subprocess.run(
        [sys.executable, str(script), "--requests", "20", "--spawn-requests", "5",
         "--clients", "1,2", "--ops", "health,spawn", "--json"],
        capture_output=True, text=True, timeout=120, env=DaemonProcess.env(), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert set(document["ratios"]) == {"health@1", "health@2", "spawn@1", "spawn@2"}
    assert all(r["errors"] == 0 and r["rps"] > 0 for r in document["results"])


def test_the_docs_grpc_example_runs_as_written(
    daemon_process: Callable[..., DaemonProcess],
) -> None:
    agents = '[agents.echo]\nentry = "daemon_test_agents:echo"\n'
    daemon = daemon_process(agents=agents, extra_args=["--grpc"]).start()
    guide = Path(__file__).resolve().parents[3] / "docs" / "tiffany" / "daemon.md"
    section = guide.read_text().split("\n## gRPC\n")[1].split("\n## ")[0]
    example = section.split("```python\n")[1].split("```")[0]
    done = subprocess.run(
        [sys.executable, "-c", example],
        capture_output=True,
        text=True,
        timeout=60,
        env={**DaemonProcess.env(), "TIFFANY_SOCKET": str(daemon.socket)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == ["ok", "NOT_FOUND no task with id 1000000000", "finished"]
    assert lines[3:] == ["daemon.started", "spawned", "finished"]
