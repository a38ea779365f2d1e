"""The daemon's JSON API: routes from method and path to what the daemon does.

Every answer is JSON (the Prometheus text of ``/metrics`` and the JSON lines of ``/logs``
aside), and every error has one shape, ``{"error": "..."}``, with a status that says
whose fault it was: 400 bad input, 404 unknown agent, task or endpoint, 405 wrong method,
409 the task already ended, 413 body too large, 503 the daemon will not take work now.

=======  ==========================  ===============================================
method   path                        what
=======  ==========================  ===============================================
GET      /                           the list of endpoints
GET      /health                     liveness, config digest, recovery notes, counts
GET      /agents                     the configured agents and their signatures
POST     /agents/{name}/spawn        start a task; body: JSON object of arguments;
                                     ``?priority=HIGH`` overrides the agent's default
GET      /tasks                      records; ``?state=&agent=&limit=``
GET      /tasks/{id}                 one record; ``?wait=S`` waits up to S s for its end
POST     /tasks/{id}/cancel          cancel it; ``?wait=S`` for its cleanup (default 5)
GET      /metrics                    JSON, or Prometheus text with ``Accept: text/plain``
                                     or ``?format=prometheus``
GET      /dump                       every live task and its stack; ``?format=text``
GET      /logs                       task events as JSON lines; ``?follow=1`` streams,
                                     ``?since=SEQ``, ``?limit=N``
POST     /shutdown                   drain and stop; body ``{"grace": seconds}``
=======  ==========================  ===============================================
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..debug import dump_tasks, format_task_dump
from .config import ConfigError, parse_priority
from .events import Follower
from .http import (
    AnyResponse,
    HttpError,
    Request,
    Response,
    StreamingResponse,
    compile_route,
    json_response,
    match_route,
    method_not_allowed,
)
from .registry import BadArguments, NotRunning, Refused, UnknownAgent, UnknownTask
from .state import STATES

if TYPE_CHECKING:
    from .server import Daemon

Route = Callable[[Request, dict[str, str]], Awaitable[AnyResponse]]

#: Longest a client may ask the daemon to hold a request open waiting for a task.
MAX_WAIT = 300.0


class Api:
    """Answers requests for one daemon; the HTTP layer calls :meth:`handle`."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.routes: list[tuple[str, re.Pattern[str], Route, str]] = []
        for method, pattern, route, summary in (
            ("GET", "/", self.index, "this list"),
            ("GET", "/health", self.health, "liveness and state"),
            ("GET", "/agents", self.agents, "configured agents"),
            ("POST", "/agents/{name}/spawn", self.spawn, "start a task"),
            ("GET", "/tasks", self.tasks, "task records"),
            ("GET", "/tasks/{id}", self.task, "one task record"),
            ("POST", "/tasks/{id}/cancel", self.cancel, "cancel a task"),
            ("GET", "/metrics", self.metrics, "metrics (JSON or Prometheus)"),
            ("GET", "/dump", self.dump, "live tasks and their stacks"),
            ("GET", "/logs", self.logs, "task events (JSON lines)"),
            ("POST", "/shutdown", self.shutdown, "drain and stop"),
        ):
            self.routes.append(
                (method, compile_route(pattern), route, f"{method} {pattern}: {summary}")
            )

    async def handle(self, request: Request) -> AnyResponse:
        path = request.path.rstrip("/") or "/"
        method = "GET" if request.method == "HEAD" else request.method
        found = match_route(((m, r, f) for m, r, f, _ in self.routes), method, path)
        if not isinstance(found, list):
            route, params = found
            try:
                return await route(request, params)
            except (UnknownAgent, UnknownTask) as error:
                raise HttpError(404, str(error.args[0])) from None
            except BadArguments as error:
                raise HttpError(400, str(error)) from None
            except NotRunning as error:
                raise HttpError(409, str(error)) from None
            except Refused as error:
                raise HttpError(503, str(error), headers=[("retry-after", "1")]) from None
        if found:
            raise method_not_allowed(request.method, path, found)
        raise HttpError(404, f"no such endpoint: {request.method} {path} (GET / lists them)")

    # -- routes -----------------------------------------------------------------------
    async def index(self, request: Request, params: dict[str, str]) -> AnyResponse:
        return json_response(200, {"endpoints": [summary for *_, summary in self.routes]})

    async def health(self, request: Request, params: dict[str, str]) -> AnyResponse:
        return json_response(200, self.daemon.health())

    async def agents(self, request: Request, params: dict[str, str]) -> AnyResponse:
        specs = self.daemon.host.config.agents
        return json_response(200, {"agents": [specs[name].describe() for name in sorted(specs)]})

    async def spawn(self, request: Request, params: dict[str, str]) -> AnyResponse:
        args = request.json()
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise HttpError(
                400, f"the body must be a JSON object of arguments, not {_json_kind(args)}"
            )
        priority = None
        if "priority" in request.query:
            try:
                priority = parse_priority(request.query["priority"], "priority")
            except ConfigError as error:
                raise HttpError(400, str(error)) from None
        record, durable = await self.daemon.host.spawn(params["name"], args, priority)
        body = {**self.daemon.host.describe(record), "durable": durable}
        return json_response(201, body, [("location", f"/tasks/{record.id}")])

    async def tasks(self, request: Request, params: dict[str, str]) -> AnyResponse:
        state = request.query.get("state") or None
        if state is not None and state not in STATES:
            raise HttpError(400, f"state must be one of {', '.join(STATES)}, got {state!r}")
        limit = _int_param(request, "limit", minimum=1)
        host = self.daemon.host
        records = host.records(state=state, agent=request.query.get("agent") or None, limit=limit)
        return json_response(200, {"tasks": [host.describe(r) for r in records]})

    async def task(self, request: Request, params: dict[str, str]) -> AnyResponse:
        task_id = _task_id(params["id"])
        wait = _wait_param(request, default=0.0)
        record = await self.daemon.host.wait(task_id, wait)
        return json_response(200, self.daemon.host.describe(record))

    async def cancel(self, request: Request, params: dict[str, str]) -> AnyResponse:
        task_id = _task_id(params["id"])
        record = await self.daemon.host.cancel(task_id, _wait_param(request, default=5.0))
        return json_response(200 if record.ended else 202, self.daemon.host.describe(record))

    async def metrics(self, request: Request, params: dict[str, str]) -> AnyResponse:
        wanted = request.query.get("format")
        accept = request.header("accept", "") or ""
        if wanted == "prometheus" or (wanted is None and _prefers_text(accept)):
            body = self.daemon.prometheus().encode()
            return Response(200, body, "text/plain; version=0.0.4; charset=utf-8")
        if wanted not in (None, "json"):
            raise HttpError(400, f"format must be json or prometheus, got {wanted!r}")
        return json_response(200, self.daemon.metrics_snapshot())

    async def dump(self, request: Request, params: dict[str, str]) -> AnyResponse:
        infos = dump_tasks()
        if request.query.get("format") == "text":
            text = format_task_dump(infos) + "\n"
            return Response(200, text.encode(), "text/plain; charset=utf-8")
        records = self.daemon.host.records_by_kernel_id()
        tasks = [{**info.as_dict(), "record": records.get(info.id)} for info in infos]
        return json_response(200, {"pid": os.getpid(), "tasks": tasks})

    async def logs(self, request: Request, params: dict[str, str]) -> AnyResponse:
        since = _int_param(request, "since", minimum=0) or 0
        limit = _int_param(request, "limit", minimum=1)
        events = self.daemon.events
        if request.query.get("follow", "0").lower() not in ("1", "true", "yes"):
            lines = b"".join(_line(r) for r in events.recent(since, limit))
            return Response(200, lines, "application/x-ndjson")
        backlog = events.recent(since, limit)
        start = backlog[0]["seq"] - 1 if backlog else events.last_seq
        follower = events.follow(since=start)  # made now, so nothing slips in before the head
        return StreamingResponse(200, _EventStream(follower), "application/x-ndjson")

    async def shutdown(self, request: Request, params: dict[str, str]) -> AnyResponse:
        body = request.json()
        grace = None
        if body is not None:
            if not isinstance(body, dict) or set(body) - {"grace"}:
                raise HttpError(400, 'the body must be empty or {"grace": seconds}')
            grace = body.get("grace")
            if grace is not None and (
                isinstance(grace, bool)
                or not isinstance(grace, (int, float))
                or not math.isfinite(grace)
                or grace < 0
            ):
                raise HttpError(400, f"grace must be a number of seconds >= 0, got {grace!r}")
        already = not self.daemon.request_stop("api", grace)
        return json_response(
            202,
            {
                "stopping": True,
                "already_stopping": already,
                "grace": self.daemon.stop_grace,
                "running": self.daemon.host.running,
            },
        )


class _EventStream:
    """The body of ``/logs?follow=1``: batches of JSON lines until the log closes.

    A class rather than an async generator, so ``aclose`` detaches the follower even
    when the stream was never started (the client left before the first event).
    """

    def __init__(self, follower: Follower) -> None:
        self._follower = follower

    def __aiter__(self) -> _EventStream:
        return self

    async def __anext__(self) -> bytes:
        batch = await self._follower.next_batch()
        if batch is None:
            self._follower.detach()
            raise StopAsyncIteration
        return b"".join(_line(record) for record in batch)

    async def aclose(self) -> None:
        self._follower.detach()


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, default=str).encode() + b"\n"


def _json_kind(value: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", int: "a number"}
    return kinds.get(type(value), "a number" if isinstance(value, float) else "that")


def _prefers_text(accept: str) -> bool:
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return "text/plain" in types and "application/json" not in types


def _task_id(text: str) -> int:
    if not text.isdigit():
        raise HttpError(404, f"no task with id {text!r}: task ids are whole numbers")
    return int(text)


def _int_param(request: Request, name: str, *, minimum: int) -> int | None:
    text = request.query.get(name)
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except ValueError:
        raise HttpError(400, f"{name} must be a whole number, got {text!r}") from None
    if value < minimum:
        raise HttpError(400, f"{name} must be {minimum} or more, got {value}")
    return value


def _wait_param(request: Request, default: float) -> float:
    text = request.query.get("wait")
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise HttpError(400, f"wait must be a number of seconds, got {text!r}") from None
    if not 0 <= value <= MAX_WAIT:
        raise HttpError(400, f"wait must be between 0 and {MAX_WAIT:g} seconds, got {value:g}")
    return value
