"""HTTP/1.1 framing on tiffany sockets: keep-alive, limits, malformed input, streaming.

A small handler is served over a real Unix socket in the test's kernel; clients are raw
bytes (to send what no client library would), tiffany's h11 client, and ``http.client``
in a worker thread (an independent implementation).
"""

from __future__ import annotations

import functools
import http.client
import json
import socket
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import tiffany
from tiffany import net
from tiffany.daemon.http import (
    AnyResponse,
    HttpClient,
    HttpError,
    HttpStats,
    Limits,
    Request,
    StreamingResponse,
    json_response,
    serve_connection,
)

T = TypeVar("T")


async def _handler(request: Request) -> AnyResponse:
    if request.path == "/echo":
        return json_response(
            200,
            {"method": request.method, "body": request.body.decode(), "query": request.query},
        )
    if request.path == "/stream":

        async def chunks() -> AsyncGenerator[bytes, None]:
            for word in (b"alpha\n", b"beta\n", b"gamma\n"):
                await tiffany.sleep(0)
                yield word

        return StreamingResponse(200, chunks(), "text/plain")
    if request.path == "/fail":
        raise RuntimeError("the handler broke")
    raise HttpError(404, f"nothing at {request.path}")


def _serve(
    path: Path,
    body: Callable[[str, HttpStats], Awaitable[T]],
    limits: Limits | None = None,
) -> T:
    limits = limits or Limits(linger_timeout=5.0)

    async def main() -> T:
        stats = HttpStats()
        serve = functools.partial(serve_connection, handler=_handler, limits=limits, stats=stats)
        async with await net.listen_unix(path) as listener:
            server = await tiffany.spawn(listener.serve, serve)
            try:
                return await body(str(path), stats)
            finally:
                await server.cancel()

    return tiffany.run(main)


async def _raw(path: str, data: bytes, half_close: bool = True) -> bytes:
    """Send ``data`` as is and read until the server closes."""
    async with await net.open_unix(path) as stream:
        await stream.sendall(data)
        if half_close:
            stream.send_eof()
        out = bytearray()
        while chunk := await stream.recv():
            out += chunk
        return bytes(out)


def _status_and_body(raw: bytes) -> tuple[int, Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body else None


def test_keep_alive_serves_many_requests_on_one_connection(workdir: Path) -> None:
    async def body(path: str, stats: HttpStats) -> list[Any]:
        answers = []
        async with await HttpClient.connect_unix(path) as client:
            for i in range(5):
                response = await client.request("POST", f"/echo?n={i}", body=b"x" * i)
                answers.append(response.json())
        return [answers, stats.connections]

    answers, connections = _serve(workdir / "s.sock", body)
    assert [a["query"]["n"] for a in answers] == ["0", "1", "2", "3", "4"]
    assert [a["body"] for a in answers] == ["", "x", "xx", "xxx", "xxxx"]
    assert connections == 1


def test_pipelined_requests_are_answered_in_order(workdir: Path) -> None:
    requests = (
        b"GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /echo?n=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )

    async def body(path: str, stats: HttpStats) -> bytes:
        return await _raw(path, requests, half_close=False)

    raw = _serve(workdir / "s.sock", body)
    assert raw.count(b"HTTP/1.1 200") == 2
    assert raw.index(b'"n": "1"') < raw.index(b'"n": "2"')


def test_garbage_bytes_get_400_and_the_server_keeps_serving(workdir: Path) -> None:
    async def body(path: str, stats: HttpStats) -> tuple[bytes, int, int]:
        garbage = await _raw(path, b"\x00\x01\x02 this is not HTTP\r\n\r\n")
        async with await HttpClient.connect_unix(path) as client:
            after = await client.request("GET", "/echo")
        return garbage, after.status, stats.protocol_errors

    garbage, after, protocol_errors = _serve(workdir / "s.sock", body)
    status, payload = _status_and_body(garbage)
    assert status == 400
    assert "malformed HTTP request" in payload["error"]
    assert after == 200
    assert protocol_errors == 1


def test_declared_body_over_the_limit_is_refused_before_it_is_read(workdir: Path) -> None:
    head = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"

    async def body(path: str, stats: HttpStats) -> bytes:
        return await _raw(path, head)

    status, payload = _status_and_body(_serve(workdir / "s.sock", body, Limits(max_body=1000)))
    assert status == 413
    assert "5000 bytes" in payload["error"]


def test_chunked_body_over_the_limit_is_refused(workdir: Path) -> None:
    chunk = b"x" * 600
    data = (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n%s\r\n" % (len(chunk), chunk) * 3
        + b"0\r\n\r\n"
    )

    async def body(path: str, stats: HttpStats) -> bytes:
        return await _raw(path, data)

    status, payload = _status_and_body(_serve(workdir / "s.sock", body, Limits(max_body=1000)))
    assert status == 413
    assert payload["error"].startswith("the request body is over the limit")


def test_a_client_sending_a_large_body_still_reads_the_413(workdir: Path) -> None:
    """The server drops the rest of the body instead of resetting the connection."""
    path = workdir / "s.sock"

    def blocking_client() -> tuple[int, Any]:
        conn = http.client.HTTPConnection("localhost")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(str(path))
        conn.sock = sock
        conn.request("POST", "/echo", body=b"y" * 3_000_000)
        response = conn.getresponse()
        result = response.status, json.loads(response.read())
        conn.close()
        return result

    async def body(path_text: str, stats: HttpStats) -> tuple[int, Any]:
        return await tiffany.to_thread(blocking_client)

    status, payload = _serve(path, body, Limits(max_body=1000))
    assert status == 413
    assert "over the limit" in payload["error"]


def test_headers_over_the_limit_get_431(workdir: Path) -> None:
    data = b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 4000 + b"\r\n\r\n"

    async def body(path: str, stats: HttpStats) -> bytes:
        return await _raw(path, data)

    status, _ = _status_and_body(_serve(workdir / "s.sock", body, Limits(max_header=1024)))
    assert status == 431


def test_a_failing_handler_is_a_500_and_the_connection_goes_on(workdir: Path) -> None:
    async def body(path: str, stats: HttpStats) -> tuple[int, Any, int, int]:
        async with await HttpClient.connect_unix(path) as client:
            failed = await client.request("GET", "/fail")
            missing = await client.request("GET", "/nowhere")
            after = await client.request("GET", "/echo")
        return failed.status, failed.json(), missing.status, after.status

    failed, payload, missing, after = _serve(workdir / "s.sock", body)
    assert failed == 500
    assert "RuntimeError" in payload["error"]
    assert missing == 404
    assert after == 200


def test_streaming_response_is_chunked_and_readable_by_http_client(workdir: Path) -> None:
    path = workdir / "s.sock"

    def blocking_client() -> tuple[str | None, bytes]:
        conn = http.client.HTTPConnection("localhost")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(str(path))
        conn.sock = sock
        conn.request("GET", "/stream")
        response = conn.getresponse()
        result = response.getheader("transfer-encoding"), response.read()
        conn.close()
        return result

    async def body(path_text: str, stats: HttpStats) -> tuple[str | None, bytes]:
        return await tiffany.to_thread(blocking_client)

    encoding, data = _serve(path, body)
    assert encoding == "chunked"
    assert data == b"alpha\nbeta\ngamma\n"


def test_an_idle_keep_alive_connection_is_closed(workdir: Path) -> None:
    async def body(path: str, stats: HttpStats) -> bytes:
        async with await net.open_unix(path) as stream:
            return await stream.recv()  # nothing sent: the server gives up and closes

    assert _serve(workdir / "s.sock", body, Limits(idle_timeout=0.05)) == b""


def test_a_request_that_stops_half_way_gets_408(workdir: Path) -> None:
    async def body(path: str, stats: HttpStats) -> bytes:
        return await _raw(path, b"GET /echo HTTP/1.1\r\nHost: x\r\n", half_close=False)

    raw = _serve(workdir / "s.sock", body, Limits(request_timeout=0.05, linger_timeout=0.05))
    assert _status_and_body(raw)[0] == 408


def test_http_1_0_is_answered_and_closed(workdir: Path) -> None:
    async def body(path: str, stats: HttpStats) -> bytes:
        return await _raw(path, b"GET /echo HTTP/1.0\r\n\r\n", half_close=False)

    raw = _serve(workdir / "s.sock", body)
    assert raw.startswith(b"HTTP/1.1 200")
    assert b"connection: close" in raw.lower()


def test_expect_100_continue_is_honoured(workdir: Path) -> None:
    async def body(path: str, stats: HttpStats) -> bytes:
        async with await net.open_unix(path) as stream:
            await stream.sendall(
                b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
            )
            interim = await stream.recv()
            await stream.sendall(b"hi")
            rest = bytearray()
            while chunk := await stream.recv():
                rest += chunk
            return interim + bytes(rest)

    raw = _serve(workdir / "s.sock", body)
    assert raw.startswith(b"HTTP/1.1 100 ")
    assert b'"body": "hi"' in raw


def test_head_gets_headers_without_a_body(workdir: Path) -> None:
    async def body(path: str, stats: HttpStats) -> bytes:
        return await _raw(path, b"HEAD /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

    raw = _serve(workdir / "s.sock", body)
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert rest == b""
