"""The daemon's API over its real Unix socket: bad requests, streaming logs, curl-like use.

The daemon runs in the test's kernel (its services are system tasks); clients speak raw
bytes or tiffany's h11 client through real sockets. After every bad request, the daemon
must still answer a good one.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from daemon_helpers import run_in_daemon

import tiffany
from tiffany import net
from tiffany.daemon.http import HttpClient
from tiffany.daemon.server import Daemon


async def _raw(path: str, data: bytes) -> tuple[int, Any]:
    async with await net.open_unix(path) as stream:
        await stream.sendall(data)
        stream.send_eof()
        out = bytearray()
        while chunk := await stream.recv():
            out += chunk
    head, _, body = bytes(out).partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


async def _healthy(path: str) -> bool:
    async with await HttpClient.connect_unix(path) as client:
        response = await client.request("GET", "/health")
        return response.status == 200 and response.json()["status"] == "ok"


def _request(method: str, target: str, body: bytes = b"", extra: str = "") -> bytes:
    return (
        f"{method} {target} HTTP/1.1\r\nHost: d\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


@pytest.mark.parametrize(
    ("name", "data", "status", "message"),
    [
        ("bad json", _request("POST", "/agents/echo/spawn", b'{"x": '), 400, "not valid JSON"),
        ("not an object", _request("POST", "/agents/echo/spawn", b"[]"), 400, "JSON object"),
        (
            "oversized body",
            b"POST /agents/echo/spawn HTTP/1.1\r\nHost: d\r\nContent-Length: 99999999\r\n\r\n{}",
            413,
            "over the limit",
        ),
        ("unknown agent", _request("POST", "/agents/ghost/spawn", b"{}"), 404, "'ghost'"),
        ("unknown task", _request("GET", "/tasks/424242"), 404, "no task with id 424242"),
        ("unknown path", _request("GET", "/../../etc/passwd"), 404, "no such endpoint"),
        ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" * 20, 400, "malformed"),
        ("no request line", b"\r\n\r\n\r\n", 400, "malformed"),
        ("bad header", b"GET / HTTP/1.1\r\nHost: d\r\nNo colon here\r\n\r\n", 400, "malformed"),
        (
            "bad content length",
            b"POST /agents/echo/spawn HTTP/1.1\r\nHost: d\r\nContent-Length: -5\r\n\r\n",
            400,
            "malformed",
        ),
    ],
)
def test_malformed_requests_get_a_4xx_and_the_daemon_keeps_serving(
    workdir: Path, name: str, data: bytes, status: int, message: str
) -> None:
    async def body(daemon: Daemon) -> tuple[int, Any, bool]:
        path = str(daemon.options.socket_path)
        got_status, payload = await _raw(path, data)
        return got_status, payload, await _healthy(path)

    got_status, payload, healthy = run_in_daemon(workdir, body)
    assert got_status == status, name
    assert set(payload) == {"error"} and message in payload["error"], name
    assert healthy, f"the daemon stopped serving after: {name}"


def test_errors_that_are_not_protocol_errors_keep_the_connection(workdir: Path) -> None:
    async def body(daemon: Daemon) -> list[int]:
        statuses = []
        async with await HttpClient.connect_unix(str(daemon.options.socket_path)) as client:
            requests: list[tuple[str, str, bytes | None]] = [
                ("POST", "/agents/echo/spawn", b"{bad"),
                ("POST", "/agents/ghost/spawn", b"{}"),
                ("GET", "/tasks/999", None),
                ("POST", "/agents/echo/spawn", b'{"ok": true}'),
            ]
            for method, target, raw in requests:
                response = await client.request(method, target, body=raw)
                statuses.append(response.status)
        statuses.append(daemon.http_stats.connections)
        return statuses

    assert run_in_daemon(workdir, body) == [400, 404, 404, 201, 1]


def test_the_socket_is_private_to_its_owner(workdir: Path) -> None:
    async def body(daemon: Daemon) -> tuple[int, int]:
        path = daemon.options.socket_path
        return stat.S_IMODE(os.stat(path).st_mode), stat.S_IMODE(os.stat(path.parent).st_mode)

    socket_mode, _ = run_in_daemon(workdir, body)
    assert socket_mode == 0o600
    assert not (workdir / "d.sock").exists(), "the socket file goes when the server stops"


def test_the_socket_directory_is_created_private(workdir: Path) -> None:
    from tiffany.daemon.paths import prepare_socket_dir

    nested = workdir / "run" / "tiffany" / "d.sock"
    prepare_socket_dir(nested)
    assert stat.S_IMODE(os.stat(nested.parent).st_mode) == 0o700


def test_logs_follow_streams_events_as_they_happen(workdir: Path) -> None:
    async def body(daemon: Daemon) -> list[dict[str, Any]]:
        path = str(daemon.options.socket_path)
        seen: list[dict[str, Any]] = []
        follower = await HttpClient.connect_unix(path)
        status, chunks = await follower.stream_request("GET", "/logs?follow=1&limit=1")
        assert status == 200

        async def read() -> None:
            buffer = b""
            async for chunk in chunks:
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                seen.extend(json.loads(line) for line in lines if line)
                if any(e["event"] == "finished" for e in seen):
                    return

        reader = await tiffany.spawn(read)
        async with await HttpClient.connect_unix(path) as client:
            await client.request("POST", "/agents/chatty/spawn", json_body={"count": 3})
        await reader.join()
        return seen

    seen = run_in_daemon(workdir, body)
    kinds = [e["event"] for e in seen]
    assert kinds == [
        "daemon.started",
        "spawned",
        "agent.progress",
        "agent.progress",
        "agent.progress",
        "finished",
    ]
    assert [e["seq"] for e in seen] == sorted(e["seq"] for e in seen)


def test_a_follower_that_leaves_is_forgotten_at_once(workdir: Path) -> None:
    """Not at the next event, which in a quiet daemon may never come."""

    async def body(daemon: Daemon) -> tuple[int, int, int]:
        path = str(daemon.options.socket_path)
        async with await net.open_unix(path) as stream:
            await stream.sendall(b"GET /logs?follow=1 HTTP/1.1\r\nHost: d\r\n\r\n")
            head = await stream.recv()
            assert head.startswith(b"HTTP/1.1 200")
            following = daemon.events.followers
        with tiffany.fail_after(5):
            while daemon.events.followers or daemon.http_stats.open_connections:
                await tiffany.sleep(0.005)
        return following, daemon.events.followers, daemon.http_stats.open_connections

    assert run_in_daemon(workdir, body) == (1, 0, 0)


def test_a_follower_is_ended_cleanly_when_the_daemon_shuts_down(workdir: Path) -> None:
    async def body(daemon: Daemon) -> bytes:
        path = str(daemon.options.socket_path)
        client = await HttpClient.connect_unix(path)
        _, chunks = await client.stream_request("GET", "/logs?follow=1")
        received = b""

        async def read() -> None:
            nonlocal received
            async for chunk in chunks:  # ends only at the terminating zero-length chunk
                received += chunk

        reader = await tiffany.spawn(read)
        await tiffany.sleep(0.05)
        await daemon._at_shutdown()  # the cleanup the kernel runs at shutdown
        with tiffany.fail_after(5):
            await reader.join()  # raises if the body was cut off instead of ended
        client.close()
        return received

    assert b"daemon.started" in run_in_daemon(workdir, body)
