"""HTTP/1.1 framing over tiffany's own sockets, with ``h11`` doing the protocol.

h11 is a state machine with no I/O of its own, which is what a kernel that owns its
sockets needs: this module feeds it the bytes a :class:`~tiffany.net.SocketStream`
receives and sends the bytes it produces. The server side gives a handler one parsed
:class:`Request` at a time on a keep-alive connection and writes back a
:class:`Response` (with a length) or a :class:`StreamingResponse` (chunked, for logs
that never end). The client side is the same machine turned round, used by tests and
the benchmark to talk to the daemon from tasks.

Every way a peer can misbehave ends in a 4xx answer and a closed connection, never in an
exception out of the server: garbage that is not HTTP (400), headers too large (431), a
body over the limit (413), a request that stops half-way (408).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

import h11

from .. import net
from ..api import current_task, current_time, spawn, wait_readable
from ..cancel import CancelScope, move_on_after
from ..errors import ClosedResourceError
from ..sync import Semaphore
from ..task import Task

log = logging.getLogger("tiffany.daemon.http")

SERVER_NAME = b"tiffany"
RECV_SIZE = 65536


# -- what a handler sees ----------------------------------------------------------------
@dataclass
class Request:
    """One complete request: the body has been read (and bounded) before the handler runs."""

    method: str
    target: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        """The body as JSON (an empty body is ``None``); malformed JSON is a 400."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise HttpError(400, f"the request body is not valid JSON: {error}") from None


@dataclass
class Response:
    """A complete answer, sent with a Content-Length."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class StreamingResponse:
    """An answer of unknown length, sent with chunked encoding as ``chunks`` yields."""

    status: int
    chunks: AsyncIterator[bytes]  # its ``aclose()``, if it has one, is always awaited
    content_type: str = "application/x-ndjson"
    headers: list[tuple[str, str]] = field(default_factory=list)


AnyResponse = Response | StreamingResponse
Handler = Callable[[Request], Awaitable[AnyResponse]]


class HttpError(Exception):
    """Raise from a handler (or the framing) to answer ``status`` with ``{"error": message}``."""

    def __init__(
        self, status: int, message: str, *, headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = list(headers)


def json_response(status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> Response:
    """``payload`` as a JSON body (one line, newline-terminated, so curl output reads well)."""
    body = json.dumps(payload, default=str).encode() + b"\n"
    return Response(status, body, "application/json", list(headers))


def error_response(status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
    """Every error the daemon sends has this one shape: ``{"error": message}``."""
    return json_response(status, {"error": message}, headers)


# -- routing ----------------------------------------------------------------------------
R = TypeVar("R")


def compile_route(pattern: str) -> re.Pattern[str]:
    """``/tasks/{id}`` as a regex whose named groups (``id``) are the placeholders."""
    return re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern))


def match_route(
    routes: Iterable[tuple[str, re.Pattern[str], R]], method: str, path: str
) -> tuple[R, dict[str, str]] | list[str]:
    """The first route for ``method`` on ``path`` and its parameters; else the methods
    ``path`` allows (an empty list: no such path)."""
    allowed: list[str] = []
    for route_method, regex, route in routes:
        match = regex.fullmatch(path)
        if match is None:
            continue
        if route_method != method:
            allowed.append(route_method)
            continue
        return route, match.groupdict()
    return allowed


def method_not_allowed(method: str, path: str, allowed: list[str]) -> HttpError:
    """The 405 of the daemon's API: which methods ``path`` takes, also as ``allow``."""
    methods = ", ".join(sorted(allowed))
    return HttpError(
        405, f"{method} is not allowed on {path}; use {methods}", headers=[("allow", methods)]
    )


# -- limits and counters ----------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    """What one connection may cost the server, in bytes and seconds."""

    max_body: int = 1 << 20
    max_header: int = 16 * 1024
    idle_timeout: float = 60.0  # a keep-alive connection with no request in flight
    request_timeout: float = 30.0  # from a request's first byte to its last
    linger_bytes: int = 8 << 20  # read and dropped after an error, so the peer sees it
    linger_timeout: float = 2.0


@dataclass
class HttpStats:
    """Counters the server keeps; the daemon reports them in its metrics."""

    connections: int = 0
    open_connections: int = 0
    requests: int = 0
    by_status: dict[str, int] = field(default_factory=dict)  # "2xx" -> count
    protocol_errors: int = 0

    def count(self, status: int) -> None:
        key = f"{status // 100}xx"
        self.by_status[key] = self.by_status.get(key, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "connections_total": self.connections,
            "connections_open": self.open_connections,
            "requests_total": self.requests,
            "responses_by_status": dict(sorted(self.by_status.items())),
            "protocol_errors_total": self.protocol_errors,
        }


# -- the h11 machine fed from a stream --------------------------------------------------
class _Wire:
    """An h11 connection and the stream under it; reads only when h11 needs more bytes."""

    def __init__(self, stream: net.SocketStream, conn: h11.Connection) -> None:
        self.stream = stream
        self.conn = conn
        self.received = 0  # bytes received in the current request cycle
        self.on_first_byte: Callable[[], None] | None = None

    async def next_event(self) -> Any:
        conn = self.conn
        while True:
            event = conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = await self.stream.recv(RECV_SIZE)
            if data and not self.received and self.on_first_byte is not None:
                self.on_first_byte()
            self.received += len(data)
            conn.receive_data(data)  # b"" tells h11 the peer closed

    async def send(self, *events: Any) -> None:
        out = bytearray()
        for event in events:
            data = self.conn.send(event)
            if data:
                out += data
        if out:
            await self.stream.sendall(out)


def _headers(pairs: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs]


def _parse_request(event: h11.Request) -> Request:
    target = event.target.decode("latin-1")
    parts = urlsplit(target)
    headers: dict[str, str] = {}
    for name, value in event.headers:
        key = name.decode("latin-1")  # h11 lower-cases names
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return Request(
        method=event.method.decode("ascii", "replace"),
        target=target,
        path=unquote(parts.path) or "/",
        query=dict(parse_qsl(parts.query, keep_blank_values=True)),
        headers=headers,
    )


# -- the server side --------------------------------------------------------------------
class ServerConnection:
    """Serves one client connection: read a request, answer it, repeat while kept alive."""

    def __init__(
        self,
        stream: net.SocketStream,
        handler: Handler,
        limits: Limits | None = None,
        stats: HttpStats | None = None,
    ) -> None:
        self.limits = limits if limits is not None else Limits()
        self.stats = stats if stats is not None else HttpStats()
        self.handler = handler
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=self.limits.max_header)
        self.wire = _Wire(stream, conn)

    async def serve(self) -> None:
        """Answer requests until the peer leaves, asks to close, errs or idles too long."""
        wire, conn = self.wire, self.wire.conn
        try:
            while True:
                try:
                    request = await self._read_request()
                except HttpError as error:
                    await self._refuse(error)
                    return
                if request is None:
                    return
                response = await self._dispatch(request)
                await self._respond(request, response)
                if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                    conn.start_next_cycle()
                    wire.received = 0
                else:
                    return  # one side asked to close, or a streamed body was cut short
        except (OSError, ClosedResourceError, h11.LocalProtocolError) as error:
            # The peer went away mid-exchange (reset, broken pipe): nothing to answer.
            log.debug("connection ended early: %s", error)

    async def _read_request(self) -> Request | None:
        """The next complete request, None when the peer closed or idled out between two."""
        wire, limits = self.wire, self.limits
        scope = CancelScope(deadline=current_time() + limits.idle_timeout)

        def first_byte() -> None:
            scope.deadline = current_time() + limits.request_timeout

        wire.on_first_byte = first_byte
        buffered = len(wire.conn.trailing_data[0])
        if buffered:
            wire.received = buffered  # a pipelined request is already here
            first_byte()
        request: Request | None = None
        with scope:
            try:
                request = await self._read_request_unbounded()
            except h11.RemoteProtocolError as error:
                self.stats.protocol_errors += 1
                raise HttpError(
                    error.error_status_hint, f"malformed HTTP request: {error}"
                ) from None
        if scope.cancelled_caught:
            if wire.received:
                raise HttpError(408, "the request was not completed in time")
            return None  # an idle keep-alive connection: close quietly
        return request

    async def _read_request_unbounded(self) -> Request | None:
        wire, limits = self.wire, self.limits
        event = await wire.next_event()
        if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
            return None
        if not isinstance(event, h11.Request):
            raise HttpError(400, f"expected a request, got {type(event).__name__}")
        # h11 bounds only a head that arrives in pieces; one that came whole is measured here.
        head_size = len(event.target) + sum(len(k) + len(v) + 4 for k, v in event.headers)
        if head_size > limits.max_header:
            raise HttpError(431, f"the request head is over the limit of {limits.max_header} bytes")
        request = _parse_request(event)
        length = request.header("content-length")
        if length is not None and length.isdigit() and int(length) > limits.max_body:
            raise HttpError(
                413, f"the request body ({length} bytes) is over the limit of {limits.max_body}"
            )
        if wire.conn.they_are_waiting_for_100_continue:
            await wire.send(h11.InformationalResponse(status_code=100, headers=[]))
        body = bytearray()
        while True:
            event = await wire.next_event()
            if isinstance(event, h11.Data):
                body += event.data
                if len(body) > limits.max_body:
                    raise HttpError(413, f"the request body is over the limit of {limits.max_body}")
            elif isinstance(event, h11.EndOfMessage):
                request.body = bytes(body)
                return request
            else:  # ConnectionClosed mid-body: h11 raises first, but be safe
                return None

    async def _dispatch(self, request: Request) -> AnyResponse:
        self.stats.requests += 1
        try:
            return await self.handler(request)
        except HttpError as error:
            return error_response(error.status, error.message, error.headers)
        except Exception as error:
            log.exception("handler failed on %s %s", request.method, request.path)
            return error_response(
                500, f"internal error ({type(error).__name__}); the daemon log has the details"
            )

    def _response_head(
        self, status: int, content_type: str, extra: list[tuple[str, str]], length: int | None
    ) -> h11.Response:
        headers = [("content-type", content_type), ("server", SERVER_NAME.decode())]
        if length is not None:
            headers.append(("content-length", str(length)))
        headers.extend(extra)
        return h11.Response(status_code=status, headers=_headers(headers))

    async def _respond(self, request: Request, response: AnyResponse) -> None:
        self.stats.count(response.status)
        head_only = request.method == "HEAD"
        if isinstance(response, Response):
            head = self._response_head(
                response.status, response.content_type, response.headers, len(response.body)
            )
            events: list[Any] = [head]
            if response.body and not head_only:
                events.append(h11.Data(data=response.body))
            events.append(h11.EndOfMessage())
            await self.wire.send(*events)
            return
        chunks = response.chunks
        # A stream may wait a long time for its next chunk; a peer that leaves meanwhile
        # must end it at once, not at the next write, or its slot and buffers leak.
        scope = CancelScope()
        watcher = await spawn(self._watch_peer, scope, name="stream-peer-watch", system=True)
        try:
            with scope:
                head = self._response_head(
                    response.status,
                    response.content_type,
                    [("cache-control", "no-cache"), *response.headers],
                    None,
                )
                await self.wire.send(head)
                if not head_only:
                    async for chunk in chunks:
                        if chunk:
                            await self.wire.send(h11.Data(data=chunk))
                await self.wire.send(h11.EndOfMessage())
        finally:
            await watcher.cancel(wait=False)
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()

    async def _watch_peer(self, scope: CancelScope) -> None:
        """Cancel ``scope`` when the peer sends anything or closes during a stream."""
        with contextlib.suppress(OSError, ClosedResourceError):
            await wait_readable(self.wire.stream.socket)
        scope.cancel()

    async def _refuse(self, error: HttpError) -> None:
        """Answer a request we will not serve, then close without resetting the peer."""
        self.stats.requests += 1
        self.stats.count(error.status)
        log.info("refused a request: %s %s", error.status, error.message)
        conn = self.wire.conn
        if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            response = error_response(error.status, error.message, [("connection", "close")])
            head = self._response_head(
                response.status, response.content_type, response.headers, len(response.body)
            )
            with contextlib.suppress(h11.LocalProtocolError, OSError, ClosedResourceError):
                await self.wire.send(head, h11.Data(data=response.body), h11.EndOfMessage())
        await self._linger()

    async def _linger(self) -> None:
        """Half-close and drop what the peer is still sending, for a little while.

        Closing a socket with unread input resets the connection, and a client still
        sending its (oversized) body would then lose our answer before reading it.
        """
        stream = self.wire.stream
        stream.send_eof()
        dropped = 0
        with (
            move_on_after(self.limits.linger_timeout),
            contextlib.suppress(OSError, ClosedResourceError),
        ):
            while dropped < self.limits.linger_bytes:
                data = await stream.recv(RECV_SIZE)
                if not data:
                    break
                dropped += len(data)


async def serve_connection(
    stream: net.SocketStream,
    handler: Handler,
    limits: Limits | None = None,
    stats: HttpStats | None = None,
) -> None:
    """Serve HTTP/1.1 on ``stream`` with ``handler`` until the connection ends, then close it."""
    if stats is not None:
        stats.connections += 1
        stats.open_connections += 1
    try:
        await ServerConnection(stream, handler, limits, stats).serve()
    finally:
        if stats is not None:
            stats.open_connections -= 1
        stream.close()


async def serve_listener(
    listener: net.Listener,
    handler: Handler,
    *,
    max_connections: int,
    limits: Limits | None = None,
    stats: HttpStats | None = None,
    name: str = "http-connection",
    connections: set[Task] | None = None,
) -> None:
    """Accept connections on ``listener`` until cancelled, at most ``max_connections`` at
    a time, each served by :func:`serve_connection` in its own system task ``name``.

    With ``connections``, the live connection tasks are kept in that set (so their owner
    can stop them) and are cancelled, without waiting, when accepting stops.
    """
    slots = Semaphore(max_connections)

    async def connection(stream: net.SocketStream) -> None:
        try:
            await serve_connection(stream, handler, limits, stats)
        finally:
            slots.release()
            if connections is not None:
                connections.discard(current_task())

    try:
        while True:
            await slots.acquire()
            try:
                stream = await listener.accept()
            except BaseException:
                slots.release()
                raise
            task = await spawn(connection, stream, name=name, system=True)
            if connections is not None:
                connections.add(task)
    finally:
        if connections is not None:
            for task in list(connections):
                await task.cancel(wait=False)


# -- the client side --------------------------------------------------------------------
@dataclass
class ClientResponse:
    """A complete answer as a client sees it."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HttpClient:
    """A keep-alive HTTP/1.1 client on one tiffany stream (tests, benchmarks, tools)."""

    def __init__(self, stream: net.SocketStream, host: str = "localhost") -> None:
        self.stream = stream
        self.host = host
        self._wire = _Wire(stream, h11.Connection(h11.CLIENT))

    @classmethod
    async def connect_unix(cls, path: str) -> HttpClient:
        return cls(await net.open_unix(path))

    def close(self) -> None:
        self.stream.close()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    async def _send_request(
        self, method: str, target: str, body: bytes | None, headers: Iterable[tuple[str, str]]
    ) -> None:
        conn = self._wire.conn
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
        if conn.our_state is not h11.IDLE:
            raise ClosedResourceError("this connection cannot carry another request")
        all_headers = [("host", self.host), *headers]
        if body is not None:
            all_headers.append(("content-length", str(len(body))))
        events: list[Any] = [
            h11.Request(method=method, target=target, headers=_headers(all_headers))
        ]
        if body:
            events.append(h11.Data(data=body))
        events.append(h11.EndOfMessage())
        await self._wire.send(*events)

    async def _response_head(self) -> h11.Response:
        while True:
            event = await self._wire.next_event()
            if isinstance(event, h11.Response):
                return event
            if isinstance(event, h11.InformationalResponse):
                continue
            raise ClosedResourceError(f"the server closed the connection ({event!r})")

    async def request(
        self,
        method: str,
        target: str,
        *,
        body: bytes | None = None,
        json_body: Any = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> ClientResponse:
        """Send one request and read the whole answer."""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers = [("content-type", "application/json"), *headers]
        await self._send_request(method, target, body, headers)
        head = await self._response_head()
        data = bytearray()
        async for chunk in self._body():
            data += chunk
        return ClientResponse(head.status_code, _header_dict(head.headers), bytes(data))

    async def stream_request(
        self, method: str, target: str, headers: Iterable[tuple[str, str]] = ()
    ) -> tuple[int, AsyncIterator[bytes]]:
        """Send one request; return its status and an iterator over the body as it comes."""
        await self._send_request(method, target, None, headers)
        head = await self._response_head()
        return head.status_code, self._body()

    async def _body(self) -> AsyncIterator[bytes]:
        while True:
            event = await self._wire.next_event()
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return
            else:
                raise ClosedResourceError(f"the body ended early ({event!r})")


def _header_dict(pairs: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in pairs}
