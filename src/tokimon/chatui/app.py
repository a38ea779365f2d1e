"""The chat UI's routes: the page, its assets, the JSON API and the event stream.

=======  ==========================  ===============================================
method   path                        what
=======  ==========================  ===============================================
GET      /                           the page (``?token=`` sets the cookie, redirects)
GET      /static/{name}              the page's script, style sheet and icon
GET      /api/state                  repository, workspace, model, tools on offer
GET      /api/events                 Server-Sent Events: chat deltas, tool calls, runs'
                                     trace records (``Last-Event-ID`` or ``?since=``)
GET      /api/chats                  the conversations, newest first
POST     /api/chats                  a new conversation
GET      /api/chats/{id}             its records, and whether a turn is in progress
POST     /api/chats/{id}/messages    ``{"text": ...}``: answer it (``/run GOAL`` starts
                                     a run instead)
POST     /api/chats/{id}/stop        stop the answer being streamed
GET      /api/runs                   ``tokimon runs --json``
POST     /api/runs                   ``{"goal": ..., "chat": ...}``: start a run
GET      /api/runs/{id}              ``tokimon inspect --json``, with trace, attempts,
                                     lessons and report
GET      /api/runs/{id}/diff         the changed files' diffs
POST     /api/runs/{id}/stop         stop it (it stays resumable)
POST     /api/runs/{id}/resume       ``{"chat": ...}``: continue it
=======  ==========================  ===============================================

Every request passes :class:`~.security.Guard` first (token, Host, Origin: else 403), and
everything sent to the page (answers, events, files, run records) passes the model
client's redactor.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import tiffany
from tiffany.daemon.events import EventLog, Follower
from tiffany.daemon.http import (
    AnyResponse,
    HttpError,
    Request,
    Response,
    StreamingResponse,
    compile_route,
    json_response,
    match_route,
)
from tiffany.models import ModelClient, Redactor

from ..errors import TokimonError
from ..tools import Toolset
from .chat import answer_turn, chat_toolset, history, wiki_built
from .runs import RunControl, RunRefused
from .security import PAGE_HEADERS, Guard
from .store import ChatStore, UnknownChat

ASSETS = Path(__file__).parent / "static"
RUN_COMMAND = re.compile(r"^/run\s+(?P<goal>\S.*)$", re.DOTALL)

Route = Callable[[Request, dict[str, str]], Awaitable[AnyResponse]]


class ChatApp:
    """Answers the page's requests; the HTTP layer calls :meth:`handle`."""

    def __init__(
        self,
        guard: Guard,
        store: ChatStore,
        runs: RunControl,
        tools: Toolset,
        model: ModelClient | None,
        redactor: Redactor,
        events: EventLog,
        about: dict[str, Any],
    ) -> None:
        self.guard = guard
        self.store = store
        self.runs = runs
        self.tools = tools
        self.model = model
        self.redactor = redactor
        self.events = events
        self.about = about
        self.turns: dict[str, tiffany.Task] = {}
        self.routes: list[tuple[str, re.Pattern[str], Route]] = []
        for method, pattern, route in (
            ("GET", "/", self.page),
            ("GET", "/static/{name}", self.asset),
            ("GET", "/api/state", self.state),
            ("GET", "/api/events", self.stream),
            ("GET", "/api/chats", self.chats),
            ("POST", "/api/chats", self.new_chat),
            ("GET", "/api/chats/{id}", self.chat),
            ("POST", "/api/chats/{id}/messages", self.message),
            ("POST", "/api/chats/{id}/stop", self.stop_chat),
            ("GET", "/api/runs", self.run_list),
            ("POST", "/api/runs", self.start_run),
            ("GET", "/api/runs/{id}", self.run_detail),
            ("GET", "/api/runs/{id}/diff", self.run_diff),
            ("POST", "/api/runs/{id}/stop", self.stop_run),
            ("POST", "/api/runs/{id}/resume", self.resume_run),
        ):
            self.routes.append((method, compile_route(pattern), route))

    def publish(self, event: str, **fields: Any) -> None:
        self.events.publish(event, **self.redactor(fields))

    def reply(self, status: int, payload: Any) -> Response:
        headers = [("x-content-type-options", "nosniff"), ("cache-control", "no-store")]
        return json_response(status, self.redactor(payload), headers)

    async def handle(self, request: Request) -> AnyResponse:
        refusal = self.guard.refusal(request)
        if refusal is not None:
            raise HttpError(403, refusal)
        method = "GET" if request.method == "HEAD" else request.method
        if method == "POST" and "json" not in (request.header("content-type") or ""):
            raise HttpError(415, "send JSON (content-type: application/json)")
        path = request.path.rstrip("/") or "/"
        found = match_route(self.routes, method, path)
        if not isinstance(found, list):
            route, params = found
            try:
                return await route(request, params)
            except UnknownChat as error:
                raise HttpError(404, str(error)) from None
            except RunRefused as error:
                raise HttpError(409, str(error)) from None
            except TokimonError as error:
                raise HttpError(400, str(error)) from None
        if found:
            raise HttpError(405, f"{request.method} is not allowed on {path}")
        raise HttpError(404, f"no such page: {path}")

    # -- the page ----------------------------------------------------------------------
    async def page(self, request: Request, params: dict[str, str]) -> AnyResponse:
        if "token" in request.query:  # the first load: keep the token as a cookie
            headers = [self.guard.set_cookie(), ("location", "/"), *PAGE_HEADERS]
            return Response(303, b"", "text/plain", headers)
        return self._file(ASSETS / "index.html")

    async def asset(self, request: Request, params: dict[str, str]) -> AnyResponse:
        return self._file(ASSETS / params["name"])

    def _file(self, path: Path) -> Response:
        root = ASSETS.resolve()
        target = path.resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise HttpError(404, "no such file")
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind.endswith("javascript"):
            kind += "; charset=utf-8"
        return Response(200, target.read_bytes(), kind, list(PAGE_HEADERS))

    async def state(self, request: Request, params: dict[str, str]) -> AnyResponse:
        tools = chat_toolset(self.tools).names
        return self.reply(200, {**self.about, "tools": list(tools), "wiki": wiki_built(self.tools)})

    async def stream(self, request: Request, params: dict[str, str]) -> AnyResponse:
        since_text = request.header("last-event-id") or request.query.get("since") or ""
        since = int(since_text) if since_text.isdigit() else self.events.last_seq
        follower = self.events.follow(since=since)
        return StreamingResponse(200, _SseStream(follower), "text/event-stream")

    # -- conversations -----------------------------------------------------------------
    async def chats(self, request: Request, params: dict[str, str]) -> AnyResponse:
        summaries = self.store.summaries()
        for summary in summaries:
            summary["busy"] = summary["id"] in self.turns
        return self.reply(200, {"chats": summaries})

    async def new_chat(self, request: Request, params: dict[str, str]) -> AnyResponse:
        summary = self.store.create()
        self.publish("chat.created", chat=summary["id"])
        return self.reply(201, summary)

    async def chat(self, request: Request, params: dict[str, str]) -> AnyResponse:
        chat_id = params["id"]
        records = self.store.records(chat_id)
        return self.reply(
            200,
            {
                "id": chat_id,
                "records": records,
                "busy": chat_id in self.turns,
                "seq": self.events.last_seq,
            },
        )

    async def message(self, request: Request, params: dict[str, str]) -> AnyResponse:
        chat_id = params["id"]
        text = _field(request, "text")
        self.store.path(chat_id)
        if chat_id in self.turns:
            raise HttpError(409, "an answer is still streaming; stop it first (Escape)")
        run = RUN_COMMAND.match(text.strip())
        record = self.store.append(chat_id, {"type": "message", "role": "user", "content": text})
        self.publish("chat.message", chat=chat_id, record=record)
        if run is not None:
            run_id = await self._start_run(run.group("goal").strip(), chat_id)
            return self.reply(201, {"run_id": run_id})
        if self.model is None:
            raise HttpError(409, "no model given: restart tokimon chat-ui with --model")
        messages = history(self.store.records(chat_id))
        self.turns[chat_id] = await tiffany.spawn(self._turn, chat_id, messages, name="chat-turn")
        return self.reply(202, {"chat": chat_id, "answering": True})

    async def _turn(self, chat_id: str, messages: list[Any]) -> None:
        assert self.model is not None
        try:
            await answer_turn(
                chat_id,
                self.model,
                chat_toolset(self.tools),
                messages,
                self.publish,
                lambda record: self.store.append(chat_id, self.redactor(record)),
            )
        finally:
            self.turns.pop(chat_id, None)

    async def stop_chat(self, request: Request, params: dict[str, str]) -> AnyResponse:
        task = self.turns.get(params["id"])
        if task is not None:
            await task.cancel()
        return self.reply(200, {"stopped": task is not None})

    # -- runs ------------------------------------------------------------------------------
    async def _start_run(self, goal: str, chat_id: str | None) -> str:
        run_id = await self.runs.start(goal, chat_id)
        self._note_run(chat_id, run_id, goal, "start")
        return run_id

    def _note_run(self, chat_id: str | None, run_id: str, goal: str, action: str) -> None:
        if chat_id is None:
            self.publish("run.started", run=run_id, goal=goal, action=action)
            return
        record = {"type": "run", "run_id": run_id, "goal": goal, "action": action}
        stored = self.store.append(chat_id, record)
        self.publish("chat.message", chat=chat_id, record=stored)
        self.publish("run.started", run=run_id, goal=goal, action=action, chat=chat_id)

    async def run_list(self, request: Request, params: dict[str, str]) -> AnyResponse:
        return self.reply(200, await tiffany.to_thread(self.runs.listing))

    async def start_run(self, request: Request, params: dict[str, str]) -> AnyResponse:
        goal = _field(request, "goal")
        chat_id = _optional(request, "chat")
        if chat_id is not None:
            self.store.path(chat_id)
        run_id = await self._start_run(goal, chat_id)
        return self.reply(201, {"run_id": run_id})

    async def run_detail(self, request: Request, params: dict[str, str]) -> AnyResponse:
        return self.reply(200, await tiffany.to_thread(self.runs.detail, params["id"]))

    async def run_diff(self, request: Request, params: dict[str, str]) -> AnyResponse:
        return self.reply(200, await tiffany.to_thread(self.runs.diff, params["id"]))

    async def stop_run(self, request: Request, params: dict[str, str]) -> AnyResponse:
        stopped = await self.runs.stop(params["id"])
        if not stopped:
            raise HttpError(409, f"run {params['id']} is not running in this server")
        return self.reply(200, {"stopped": True})

    async def resume_run(self, request: Request, params: dict[str, str]) -> AnyResponse:
        chat_id = _optional(request, "chat")
        if chat_id is not None:
            self.store.path(chat_id)
        run_id = await self.runs.resume(params["id"], chat_id)
        info = self.runs.space.find(run_id).read_info()
        self._note_run(chat_id, run_id, info.goal, "resume")
        return self.reply(201, {"run_id": run_id})

    async def close(self) -> None:
        """Stop answering: streams end, turns and runs are cancelled (runs stay resumable)."""
        self.events.close()
        for task in [*self.turns.values(), *self.runs.active.values()]:
            await task.cancel()


def _body(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise HttpError(400, "the body must be a JSON object")
    return body


def _field(request: Request, name: str) -> str:
    value = _body(request).get(name)
    if not isinstance(value, str) or not value.strip():
        raise HttpError(400, f"{name!r} must be a non-empty string")
    return value


def _optional(request: Request, name: str) -> str | None:
    value = _body(request).get(name) if request.body.strip() else None
    if value is not None and not isinstance(value, str):
        raise HttpError(400, f"{name!r} must be a string")
    return value


class _SseStream:
    """Server-Sent Events from an event log follower, until the log closes."""

    def __init__(self, follower: Follower) -> None:
        self._follower = follower
        self._started = False

    def __aiter__(self) -> _SseStream:
        return self

    async def __anext__(self) -> bytes:
        if not self._started:
            self._started = True
            return b"retry: 1000\n\n"
        batch = await self._follower.next_batch()
        if batch is None:
            self._follower.detach()
            raise StopAsyncIteration
        return b"".join(
            f"id: {record.get('seq', '')}\ndata: {json.dumps(record, default=str)}\n\n".encode()
            for record in batch
        )

    async def aclose(self) -> None:
        self._follower.detach()
