"""A real OpenAI-compatible HTTP server on 127.0.0.1, driven by a script, for tests.

Tests of every package talk to it through the official SDKs over real HTTP, so what is
tested is the request the SDK really sends and the response it really parses, streaming
and tool calls included. It serves:

- ``POST /v1/chat/completions``: OpenAI chat completions, plain JSON or SSE streams;
- ``POST /v1/messages``: Anthropic messages, plain JSON or SSE streams;
- ``GET /v1/models``: the model list some clients ask for first.

Every answer comes from a :class:`~tiffany.models.scripted.Script` (the JSONL format of the
scripted provider), and script entries inject faults: ``{"error": {"status": 429,
"retry_after": 1}}``, ``{"error": {"status": 500}}``, ``{"delay": 0.2, ...}``,
``{"fault": "drop"}`` (connection closed before any response), ``{"drop_after_chunks":
2, ...}`` (stream cut mid-way), ``{"fault": "malformed"}`` (a 200 whose JSON is broken) and
``{"fault": "hang"}`` (no answer until :meth:`ScriptedServer.release` or close). Each
request is recorded (path, headers, JSON body) for assertions.

Why the stdlib ``http.server`` and not ``h11``: the SDK clients under test are
synchronous and run in worker threads, so a thread per connection is the natural shape;
``ThreadingHTTPServer`` gives request parsing, keep-alive and concurrency for free, which
``h11`` (a protocol state machine without I/O) would make us write by hand. Faults need
raw access to the socket, which ``BaseHTTPRequestHandler`` exposes. It binds to
127.0.0.1 on an ephemeral port only, so tests need no network and never collide.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import tiffany

from .errors import ScriptExhaustedError
from .scripted import Script, ScriptEntry, chunk_text
from .types import Completion, Message, Request, ToolCall, ToolSpec

OPENAI_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}
ANTHROPIC_STOP = {"stop": "end_turn", "tool_calls": "tool_use", "length": "max_tokens"}


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server received it; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float


class EventRecorder(tiffany.Instrument):
    """An instrument that keeps every ``tiffany.emit`` event, as a trace writer sees them.

    Install it with ``tiffany.run(main, instruments=[recorder])`` and assert on the
    ``model.call.*`` events a run produced.
    """

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def event(self, kind: str, data: dict[str, Any]) -> None:
        self.events.append((kind, data))

    def kinds(self, prefix: str = "model.") -> list[str]:
        """The kinds of the events recorded so far whose kind starts with ``prefix``."""
        return [kind for kind, _ in self.events if kind.startswith(prefix)]

    def of(self, kind: str) -> list[dict[str, Any]]:
        """The data of every event of ``kind``, in order."""
        return [data for k, data in self.events if k == kind]


# == reading requests into the common vocabulary (for script matching) ====================


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def openai_request(body: Mapping[str, Any]) -> Request:
    messages = []
    names: dict[str, str] = {}  # OpenAI tool messages carry the call id, not the tool name
    for raw in body.get("messages", []):
        role = raw.get("role")
        if role == "developer":
            role = "system"
        calls = tuple(
            ToolCall.parse(c.get("id", ""), c["function"]["name"], c["function"].get("arguments"))
            for c in raw.get("tool_calls") or ()
            if "function" in c
        )
        names.update({call.id: call.name for call in calls})
        call_id = raw.get("tool_call_id") if role == "tool" else None
        messages.append(
            Message(
                role=role,
                content=_text_of(raw.get("content")),
                tool_calls=calls,
                tool_call_id=call_id,
                name=raw.get("name") or names.get(call_id or ""),
            )
        )
    tools = tuple(
        ToolSpec.from_dict(t["function"]) for t in body.get("tools") or () if "function" in t
    )
    return Request("openai", str(body.get("model", "")), tuple(messages), tools)


def anthropic_request(body: Mapping[str, Any]) -> Request:
    messages = []
    system = body.get("system")
    if system:
        messages.append(Message.system(_text_of(system)))
    names: dict[str, str] = {}
    for raw in body.get("messages", []):
        content = raw.get("content")
        blocks = content if isinstance(content, list) else [{"type": "text", "text": content}]
        if raw.get("role") == "assistant":
            calls = []
            for block in blocks:
                if block.get("type") == "tool_use":
                    names[block["id"]] = block["name"]
                    calls.append(ToolCall(block["id"], block["name"], dict(block["input"])))
            messages.append(Message.assistant(_text_of(blocks), tuple(calls)))
            continue
        for block in blocks:
            if block.get("type") == "tool_result":
                use_id = block.get("tool_use_id", "")
                messages.append(
                    Message(
                        role="tool",
                        content=_text_of(block.get("content")),
                        tool_call_id=use_id,
                        name=names.get(use_id),
                    )
                )
        text = _text_of(blocks)
        if text:
            messages.append(Message.user(text))
    tools = tuple(
        ToolSpec(t["name"], t.get("description", ""), t["input_schema"])
        for t in body.get("tools") or ()
    )
    return Request("anthropic", str(body.get("model", "")), tuple(messages), tools)


# == writing responses ====================================================================


def openai_completion(completion: Completion, number: int) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": completion.text or None}
    if completion.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_json()},
            }
            for call in completion.tool_calls
        ]
    return {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion",
        "created": 0,
        "model": completion.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": completion.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": _openai_usage(completion),
    }


def _openai_usage(completion: Completion) -> dict[str, Any]:
    usage = completion.usage
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
    }


def openai_chunks(
    completion: Completion, number: int, include_usage: bool, chunk_size: int
) -> list[dict[str, Any]]:
    """Full ``chat.completion.chunk`` objects (the SDK's stream helper drops partial ones)."""
    base = {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": completion.model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            **base,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in chunk_text(completion.text, chunk_size)]
    for i, call in enumerate(completion.tool_calls):
        chunks.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": i,
                            "id": call.id,
                            "type": "function",
                            "function": {"name": call.name, "arguments": ""},
                        }
                    ]
                }
            )
        )
        for piece in chunk_text(call.arguments_json(), chunk_size):
            chunks.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]}))
    chunks.append(chunk({}, completion.finish_reason))
    if include_usage:
        chunks.append({**base, "choices": [], "usage": _openai_usage(completion)})
    return chunks


def anthropic_message(completion: Completion, number: int) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if completion.text:
        content.append({"type": "text", "text": completion.text})
    for call in completion.tool_calls:
        content.append(
            {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        )
    return {
        "id": f"msg_{number}",
        "type": "message",
        "role": "assistant",
        "model": completion.model,
        "content": content,
        "stop_reason": ANTHROPIC_STOP.get(completion.finish_reason, completion.finish_reason),
        "stop_sequence": None,
        "usage": {
            "input_tokens": completion.usage.input_tokens,
            "output_tokens": completion.usage.output_tokens,
            "cache_read_input_tokens": completion.usage.cached_tokens,
        },
    }


def anthropic_events(
    completion: Completion, number: int, chunk_size: int
) -> list[tuple[str, dict[str, Any]]]:
    message = anthropic_message(completion, number)
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": completion.usage.input_tokens, "output_tokens": 0},
    }
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": start})
    ]
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            events.append(
                (
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
            )
            for piece in chunk_text(block["text"], chunk_size):
                events.append(
                    (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {"type": "text_delta", "text": piece},
                        },
                    )
                )
        else:
            events.append(
                (
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {
                            "type": "tool_use",
                            "id": block["id"],
                            "name": block["name"],
                            "input": {},
                        },
                    },
                )
            )
            for piece in chunk_text(json.dumps(block["input"]), chunk_size):
                events.append(
                    (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {"type": "input_json_delta", "partial_json": piece},
                        },
                    )
                )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": completion.usage.output_tokens},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return events


# == the server ===========================================================================


class _DropConnection(Exception):
    """Raised inside a handler to close the socket without a (complete) response."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests assert on recorded requests, not on stderr."""

    def setup(self) -> None:
        super().setup()
        self.server.owner._connections.add(self.connection)

    def finish(self) -> None:
        self.server.owner._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    # -- plumbing -------------------------------------------------------------------------
    def _send_json(self, status: int, payload: Any, headers: Mapping[str, str] = {}) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _send_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    # -- routes ---------------------------------------------------------------------------
    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": "scripted", "object": "model", "created": 0, "owned_by": "tiffany"}
                    ],
                },
            )
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = None
        owner._record(
            RecordedRequest(
                "POST",
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                body,
                time.monotonic(),
            )
        )
        path = self.path.split("?", 1)[0].rstrip("/")
        anthropic = path == "/v1/messages"
        if path not in ("/v1/chat/completions", "/v1/messages"):
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        if not isinstance(body, dict):
            self._send_json(
                400,
                {
                    "error": {
                        "message": "the request body is not a JSON object",
                        "type": "invalid_request_error",
                    }
                },
            )
            return
        owner._enter()
        try:
            self._answer(body, anthropic)
        except _DropConnection:
            self._drop()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            owner._leave()

    def _answer(self, body: dict[str, Any], anthropic: bool) -> None:
        owner = self.server.owner
        request = anthropic_request(body) if anthropic else openai_request(body)
        try:
            entry = owner.script.next_for(request)
        except ScriptExhaustedError as exc:
            self._error(400, str(exc), anthropic)
            return
        number = owner._next_number()
        if entry.delay and owner._closing.wait(entry.delay):
            raise _DropConnection
        if entry.fault == "drop":
            raise _DropConnection
        if entry.fault == "hang":
            owner._released.wait()
            raise _DropConnection
        if entry.fault == "malformed":
            data = b'{"id": "broken", "choices": [{"index": 0, "message": {"content": "unterm'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if entry.error is not None:
            status = int(entry.error["status"])
            headers = {}
            if entry.error.get("retry_after") is not None:
                headers["Retry-After"] = str(entry.error["retry_after"])
            self._error(
                status,
                str(entry.error.get("message", f"scripted error {status}")),
                anthropic,
                headers,
            )
            return
        completion = entry.completion(request, "anthropic" if anthropic else "openai")
        if body.get("stream"):
            self._stream(entry, completion, number, body, anthropic)
        elif anthropic:
            self._send_json(200, anthropic_message(completion, number))
        else:
            self._send_json(200, openai_completion(completion, number))

    def _error(
        self, status: int, message: str, anthropic: bool, headers: Mapping[str, str] = {}
    ) -> None:
        kind = OPENAI_ERROR_TYPES.get(status, "server_error" if status >= 500 else "api_error")
        if anthropic:
            payload: dict[str, Any] = {"type": "error", "error": {"type": kind, "message": message}}
        else:
            payload = {
                "error": {"message": message, "type": kind, "param": None, "code": str(status)}
            }
        self._send_json(status, payload, headers)

    def _stream(
        self,
        entry: ScriptEntry,
        completion: Completion,
        number: int,
        body: dict[str, Any],
        anthropic: bool,
    ) -> None:
        size = self.server.owner.chunk_size
        if anthropic:
            frames = [
                f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
                for name, data in anthropic_events(completion, number, size)
            ]
        else:
            options = body.get("stream_options") or {}
            chunks = openai_chunks(completion, number, bool(options.get("include_usage")), size)
            frames = [f"data: {json.dumps(c)}\n\n".encode() for c in chunks]
            frames.append(b"data: [DONE]\n\n")
        self._start_stream()
        for sent, frame in enumerate(frames):
            if entry.drop_after_chunks is not None and sent >= entry.drop_after_chunks:
                raise _DropConnection
            self._send_chunk(frame)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: ScriptedServer


class ScriptedServer:
    """The test server; use as a context manager, then point an SDK at ``base_url``.

    ``script`` is a :class:`Script`, a list of entries (dicts) or a JSONL path; ``default``
    answers every request once the script is used up (otherwise such a request gets a
    400 that says the script ran out).
    """

    def __init__(
        self,
        script: Script | Iterable[Mapping[str, Any]] | str | Path = (),
        *,
        default: Mapping[str, Any] | None = None,
        chunk_size: int = 8,
    ) -> None:
        if isinstance(script, Script):
            self.script = script
        elif isinstance(script, str | Path):
            self.script = Script.load(script)
        else:
            self.script = Script(script)
        if default is not None:
            self.script.default = ScriptEntry.from_dict(default, "default entry")
        self.chunk_size = chunk_size
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Condition()
        self._number = 0
        self._closing = threading.Event()
        self._released = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> ScriptedServer:
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="tiffany-scripted-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving; hanging and slow answers end with a dropped connection."""
        self._closing.set()
        self._released.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- what tests use -------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not running; use it as a context manager")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What to give an SDK as ``base_url`` (OpenAI style, with ``/v1``)."""
        return f"{self.url}/v1"

    def release(self) -> None:
        """Let every ``hang`` fault end (by dropping its connection)."""
        self._released.set()

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block (in real time) until ``count`` requests have arrived; for threads and tests."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.requests) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} requests, got {len(self.requests)} in {timeout} s"
                )
            return list(self.requests)

    def bodies(self, path: str | None = None) -> list[Any]:
        with self._lock:
            return [r.body for r in self.requests if path is None or r.path == path]

    # -- used by the handler --------------------------------------------------------------
    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)
            self._lock.notify_all()

    def _next_number(self) -> int:
        with self._lock:
            self._number += 1
            return self._number

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1
