"""The router: the daemon in cluster mode (``tiffany daemon --cluster ADDRESS|local``).

It serves the daemon's HTTP API on the usual Unix socket, so the CLI, ``curl`` and every
client work unchanged, and holds no agent itself: each request goes to the shard that
owns it, as a Ray actor call.

- ``POST /agents/{name}/spawn``: the agent's key (``?key=``, else a new one) is placed on
  a consistent-hash ring of the shards; the shard spawns it and saves the placement.
- ``/tasks/{id}`` and its cancel: the id names its shard (``id % 1000``).
- ``/tasks``, ``/metrics``, ``/health``, ``/dump``, ``/logs``: every shard, merged; a
  shard that does not answer is listed in ``missing_shards``.
- ``POST /cluster/scale``: a new ring; only the agents whose key changed owner are
  drained on their old shard and spawned on their new one.

The router runs in a tiffany kernel; a Ray call is awaited through the kernel's portal
(the call's future wakes the kernel), so no thread is held per request. Backpressure is
two-level and shown by ``/metrics`` under ``cluster``: the shard's admission control
(``max_running``, 503 from the shard) and Ray's ``max_pending_calls`` on each actor
handle (``PendingCallsLimitExceeded``, answered 503 here). Reads are retried while a
shard restarts; a write that was in flight when its shard died is answered 503, saying
that it may or may not have taken effect.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__, net
from ..api import run, spawn
from ..cancel import move_on_after
from ..daemon.http import (
    AnyResponse,
    HttpError,
    HttpStats,
    Limits,
    Request,
    Response,
    StreamingResponse,
    compile_route,
    json_response,
    match_route,
    method_not_allowed,
    serve_listener,
)
from ..daemon.paths import prepare_socket_dir
from ..portal import Portal, PortalClosed, open_portal
from ..signals import open_signal_receiver
from ..sync import Event, Lock
from ..task import Task
from ..traps import sleep
from .ring import DEFAULT_VNODES, HashRing, shard_names
from .shard import ID_STRIDE, ShardHost, split_id

log = logging.getLogger("tiffany.cluster")

#: How long a read keeps retrying while its shard restarts.
READ_RETRY_WINDOW = 30.0

INSTALL_HINT = "the cluster mode needs Ray: pip install 'tiffany-platform[ray]'"


class ClusterUnavailable(RuntimeError):
    """Ray is missing, or the cluster cannot be joined."""


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ClusterUnavailable(INSTALL_HINT) from None
    return ray


@dataclass(frozen=True)
class RouterOptions:
    socket_path: Path
    state_dir: Path  # shards keep theirs in state_dir/shards/<name>
    config_path: Path | None = None
    shards: int | None = None  # None: as saved in state_dir/cluster.json, else 2
    address: str | None = "local"  # "local": start a local cluster; None: already joined
    grace: float | None = None
    max_pending_calls: int = 64
    max_restarts: int = 10
    shard_cpus: float = 0.0
    vnodes: int = DEFAULT_VNODES
    namespace: str = "tiffany"
    handle_signals: bool = True
    max_connections: int = 256


@dataclass
class Shard:
    """The router's view of one shard."""

    name: str
    index: int
    handle: Any
    state_dir: Path
    in_flight: int = 0  # Ray calls submitted, not answered
    rejected_by_ray: int = 0  # PendingCallsLimitExceeded
    refused_by_shard: int = 0  # 503s from the shard's admission control
    read_retries: int = 0
    write_failures: int = 0
    last_error: str | None = None
    last_stats: dict[str, Any] = field(default_factory=dict)


class Router:
    def __init__(self, options: RouterOptions, ray: Any) -> None:
        self.options = options
        self.ray = ray
        self.exc = ray.exceptions
        saved = self._load_map()
        count = options.shards or saved.get("shards") or 2
        if not 1 <= count <= ID_STRIDE:
            raise ValueError(f"shards must be between 1 and {ID_STRIDE}, got {count}")
        self.ring = HashRing(shard_names(count), options.vnodes)
        self.shards: dict[str, Shard] = {}
        self.http_stats = HttpStats()
        self.limits = Limits()
        self.started_at = time.time()
        self.stop_reason: str | None = None
        self.stop_grace: float | None = None
        self._stop = Event()
        self._scale_lock = Lock()
        self._portal: Portal | None = None
        self._connections: set[Task] = set()
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Awaitable[AnyResponse]]]] = []
        for method, pattern, route in (
            ("GET", "/", self.index),
            ("GET", "/health", self.health),
            ("GET", "/agents", self.agents),
            ("POST", "/agents/{name}/spawn", self.spawn),
            ("GET", "/tasks", self.tasks),
            ("GET", "/tasks/{id}", self.task),
            ("POST", "/tasks/{id}/cancel", self.cancel),
            ("GET", "/metrics", self.metrics),
            ("GET", "/dump", self.dump),
            ("GET", "/logs", self.logs),
            ("POST", "/shutdown", self.shutdown),
            ("GET", "/cluster", self.cluster),
            ("POST", "/cluster/scale", self.scale),
        ):
            self.routes.append((method, compile_route(pattern), route))

    # -- the shard map ------------------------------------------------------------------
    @property
    def _map_path(self) -> Path:
        return self.options.state_dir / "cluster.json"

    def _load_map(self) -> dict[str, Any]:
        try:
            data = json.loads(self._map_path.read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _save_map(self) -> None:
        from ..atomic import write_atomic

        self.options.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(self._map_path, json.dumps(self.ring.describe()) + "\n", mode=0o600)

    def actor_name(self, shard: str) -> str:
        return f"tiffany-{shard}"

    def _create(self, name: str) -> Shard:
        """Start (or find, after a router restart) the actor of shard ``name`` (blocking)."""
        index = int(name.rsplit("-", 1)[1])
        state_dir = self.options.state_dir / "shards" / name
        cls = self.ray.remote(ShardHost)
        handle = cls.options(
            name=self.actor_name(name),
            namespace=self.options.namespace,
            get_if_exists=True,
            max_restarts=self.options.max_restarts,
            max_task_retries=0,  # a write must not run twice unasked
            max_concurrency=64,  # threaded actor: methods run on Ray's threads
            max_pending_calls=self.options.max_pending_calls,
            num_cpus=self.options.shard_cpus,
        ).remote(
            name,
            index,
            str(state_dir),
            str(self.options.config_path) if self.options.config_path else None,
            self.options.grace,
        )
        self.ray.get(handle.ping.remote())  # up, its state loaded
        return Shard(name, index, handle, state_dir)

    async def start_shards(self) -> None:
        from ..api import to_thread

        for name in self.ring.shards:
            self.shards[name] = await to_thread(self._create, name)
        self._save_map()

    # -- Ray calls ------------------------------------------------------------------------
    def _submit(self, shard: Shard, method: str, *args: Any) -> Any:
        try:
            ref = getattr(shard.handle, method).remote(*args)
        except self.exc.PendingCallsLimitExceeded:
            shard.rejected_by_ray += 1
            raise HttpError(
                503,
                f"{shard.name} has {self.options.max_pending_calls} calls pending, "
                "the limit; try again later",
                headers=[("retry-after", "1")],
            ) from None
        shard.in_flight += 1
        return ref

    async def _wait_any(self, futures: list[Any]) -> None:
        """Sleep until one of these futures is done; Ray's callback wakes the kernel."""
        if any(f.done() for f in futures):
            return
        done = Event()
        portal = self._portal
        assert portal is not None

        async def wake() -> None:
            done.set()

        def callback(_: Any) -> None:
            # PortalClosed: the router is stopping; RuntimeError: the kernel's own thread
            with contextlib.suppress(PortalClosed, RuntimeError):
                portal.spawn(wake)

        for future in futures:
            future.add_done_callback(callback)
        if not any(f.done() for f in futures):
            await done.wait()

    async def _wait(self, shard: Shard, ref: Any) -> Any:
        """The result of ``ref``, without holding a thread while it runs."""
        try:
            future = ref.future()
            await self._wait_any([future])
            return future.result()
        finally:
            shard.in_flight -= 1

    def _unavailable(self, shard: Shard, error: BaseException) -> bool:
        if isinstance(error, (self.exc.RayActorError, self.exc.ActorUnavailableError)):
            shard.last_error = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
            return True
        return False

    async def read(self, shard: Shard, method: str, *args: Any) -> Any:
        """An idempotent call: retried while the shard restarts, up to a window."""
        deadline = time.monotonic() + READ_RETRY_WINDOW
        delay = 0.05
        while True:
            ref = self._submit(shard, method, *args)
            try:
                return await self._wait(shard, ref)
            except Exception as error:
                if not self._unavailable(shard, error) or time.monotonic() > deadline:
                    if self._unavailable(shard, error):
                        raise HttpError(
                            503,
                            f"{shard.name} is unavailable: {shard.last_error}",
                            headers=[("retry-after", "1")],
                        ) from None
                    raise
                shard.read_retries += 1
                await sleep(delay)
                delay = min(delay * 2, 1.0)

    async def write(self, shard: Shard, method: str, *args: Any) -> Any:
        """A call that changes state: never retried; a restart racing it is a 503."""
        ref = self._submit(shard, method, *args)
        try:
            return await self._wait(shard, ref)
        except Exception as error:
            if not self._unavailable(shard, error):
                raise
            shard.write_failures += 1
            raise HttpError(
                503,
                f"{shard.name} restarted while handling this request, so it may or may "
                "not have taken effect (an acknowledged spawn is never lost; one that was "
                "not acknowledged may exist as interrupted): check with GET /tasks before "
                "retrying",
                headers=[("retry-after", "1")],
            ) from None

    async def fan_out(
        self, method: str, *args: Any, only: str | None = None
    ) -> tuple[dict[str, Any], list[str]]:
        """Call every shard at once; (answers by shard, shards that did not answer)."""
        chosen = [s for s in self.shards.values() if only is None or s.name == only]
        if only is not None and not chosen:
            raise HttpError(404, f"no shard named {only!r}; shards: {', '.join(self.shards)}")
        pending: list[tuple[Shard, Any]] = []
        missing: list[str] = []
        for shard in chosen:
            try:
                pending.append((shard, self._submit(shard, method, *args)))
            except HttpError:
                missing.append(shard.name)
        answers: dict[str, Any] = {}
        for shard, ref in pending:
            try:
                answers[shard.name] = await self._wait(shard, ref)
            except Exception as error:
                if not self._unavailable(shard, error):
                    raise
                try:  # one more try, with the read's retries
                    answers[shard.name] = await self.read(shard, method, *args)
                except HttpError:
                    missing.append(shard.name)
        return answers, sorted(missing)

    def _shard_of(self, task_id: str) -> Shard:
        if not task_id.isdigit():
            raise HttpError(404, f"no task with id {task_id!r}: task ids are whole numbers")
        _, index = split_id(int(task_id))
        shard = self.shards.get(f"shard-{index}")
        if shard is None:
            raise HttpError(404, f"no task with id {task_id}: shard-{index} is not in the cluster")
        return shard

    @staticmethod
    def _answer(answer: tuple[int, str, bytes, list[tuple[str, str]]]) -> Response:
        status, content_type, body, headers = answer
        return Response(status, body, content_type, [tuple(h) for h in headers])  # type: ignore[misc]

    # -- serving --------------------------------------------------------------------------
    async def handle(self, request: Request) -> AnyResponse:
        path = request.path.rstrip("/") or "/"
        method = "GET" if request.method == "HEAD" else request.method
        found = match_route(self.routes, method, path)
        if not isinstance(found, list):
            route, params = found
            return await route(request, params)
        if found:
            raise method_not_allowed(request.method, path, found)
        raise HttpError(404, f"no such endpoint: {request.method} {path} (GET / lists them)")

    async def index(self, request: Request, params: dict[str, str]) -> AnyResponse:
        return json_response(
            200, {"endpoints": [f"{m} {r.pattern}" for m, r, _ in self.routes], "cluster": True}
        )

    async def agents(self, request: Request, params: dict[str, str]) -> AnyResponse:
        shard = self.shards[self.ring.shards[0]]
        return self._answer(await self.read(shard, "request", "GET", "/agents", {}, b""))

    async def spawn(self, request: Request, params: dict[str, str]) -> AnyResponse:
        query = dict(request.query)
        key = query.pop("key", "") or f"{params['name']}-{secrets.token_hex(6)}"
        shard = self.shards[self.ring.lookup(key)]
        answer = await self.write(shard, "spawn", params["name"], request.body, query, key, {})
        response = self._answer(answer)
        if response.status == 201:
            gid = json.loads(response.body)["id"]
            response.headers = [("location", f"/tasks/{gid}")]
        elif response.status == 503:
            shard.refused_by_shard += 1
        return response

    async def tasks(self, request: Request, params: dict[str, str]) -> AnyResponse:
        answers, missing = await self.fan_out("request", "GET", "/tasks", dict(request.query), b"")
        records: list[dict[str, Any]] = []
        for status, _, body, _ in answers.values():
            if status != 200:
                return Response(status, body)
            records.extend(json.loads(body)["tasks"])
        records.sort(key=lambda r: (r.get("created_at") or 0, r["id"]))
        limit = request.query.get("limit")
        if limit and limit.isdigit() and int(limit) > 0:
            records = records[-int(limit) :]
        payload: dict[str, Any] = {"tasks": records}
        if missing:
            payload["missing_shards"] = missing
        return json_response(200, payload)

    async def task(self, request: Request, params: dict[str, str]) -> AnyResponse:
        shard = self._shard_of(params["id"])
        path = f"/tasks/{params['id']}"
        return self._answer(await self.read(shard, "request", "GET", path, dict(request.query)))

    async def cancel(self, request: Request, params: dict[str, str]) -> AnyResponse:
        shard = self._shard_of(params["id"])
        path = f"/tasks/{params['id']}/cancel"
        return self._answer(await self.write(shard, "request", "POST", path, dict(request.query)))

    async def _stats(self) -> tuple[dict[str, Any], list[str]]:
        answers, missing = await self.fan_out("stats")
        for name, stats in answers.items():
            self.shards[name].last_stats = stats
        return answers, missing

    def _pressure(self, answers: dict[str, Any], missing: list[str]) -> dict[str, Any]:
        shards: dict[str, Any] = {}
        for name, shard in self.shards.items():
            stats = answers.get(name)
            limit = self.options.max_pending_calls
            entry: dict[str, Any] = {
                "status": "missing"
                if stats is None
                else ("stopping" if stats["shutting_down"] else "ok"),
                "ray_pending": shard.in_flight,
                "max_pending_calls": limit,
                "ray_pressure": round(shard.in_flight / limit, 3),
                "rejected_by_ray": shard.rejected_by_ray,
                "refused_by_shard": shard.refused_by_shard,
                "read_retries": shard.read_retries,
                "write_failures": shard.write_failures,
                "last_error": shard.last_error,
            }
            if stats is not None:
                entry.update(
                    pid=stats["pid"],
                    boot=stats["boot"],
                    running=stats["running"],
                    max_running=stats["max_running"],
                    admission_pressure=round(stats["running"] / max(1, stats["max_running"]), 3),
                )
            shards[name] = entry
        return {"ring": self.ring.describe(), "shards": shards, "missing_shards": missing}

    async def health(self, request: Request, params: dict[str, str]) -> AnyResponse:
        answers, missing = await self._stats()
        healths = {name: stats["health"] for name, stats in answers.items()}
        first: dict[str, Any] = next(iter(healths.values()), {})
        tasks: dict[str, int] = {}
        for h in healths.values():
            for state, n in h["tasks"].items():
                tasks[state] = tasks.get(state, 0) + n
        digests = {h["config"]["digest"] for h in healths.values()}
        stopping = self.stop_reason is not None
        status = "stopping" if stopping else ("degraded" if missing else "ok")
        return json_response(
            200,
            {
                "status": status,
                "version": __version__,
                "pid": os.getpid(),
                "uptime_seconds": round(time.time() - self.started_at, 3),
                "socket": str(self.options.socket_path),
                "grpc": None,
                "state_dir": str(self.options.state_dir),
                "boot": sum(h["boot"] for h in healths.values()),
                "config": {
                    "path": first.get("config", {}).get("path"),
                    "digest": first.get("config", {}).get("digest"),
                    "reload_error": "the shards run different configs: "
                    + ", ".join(sorted(digests))
                    if len(digests) > 1
                    else None,
                },
                "agents": first.get("agents", []),
                "tasks": tasks,
                "recovery": {
                    "interrupted": sorted(
                        i for h in healths.values() for i in h["recovery"]["interrupted"]
                    ),
                    "reruns": [r for h in healths.values() for r in h["recovery"]["reruns"]],
                    "state_moved_aside": next(
                        (
                            h["recovery"]["state_moved_aside"]
                            for h in healths.values()
                            if h["recovery"]["state_moved_aside"]
                        ),
                        None,
                    ),
                    "state_problem": None,
                    "migrated_from": None,
                },
                "cluster": self._pressure(answers, missing),
                "shards": healths,
                "missing_shards": missing,
            },
        )

    async def metrics(self, request: Request, params: dict[str, str]) -> AnyResponse:
        wanted = request.query.get("format")
        accept = request.header("accept", "") or ""
        if wanted == "prometheus" or (wanted is None and "text/plain" in accept):
            answers, _ = await self.fan_out("prometheus")
            text = merge_prometheus(answers)
            return Response(200, text.encode(), "text/plain; version=0.0.4; charset=utf-8")
        answers, missing = await self._stats()
        merged: dict[str, Any] = {
            "uptime_seconds": round(time.time() - self.started_at, 3),
            "kernel": {},
            "http": self.http_stats.as_dict(),
            "grpc": None,
            "tasks": {},
        }
        for stats in answers.values():
            m = stats["metrics"]
            for key, value in m["kernel"].items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    merged["kernel"][key] = merged["kernel"].get(key, 0) + value
            for state, n in m["tasks"].items():
                merged["tasks"][state] = merged["tasks"].get(state, 0) + n
            for key in (
                "tasks_running",
                "slow_steps",
                "state_writes",
                "state_write_failures",
                "log_followers",
                "log_last_seq",
            ):
                merged[key] = merged.get(key, 0) + m.get(key, 0)
        for key in ("tasks_running", "slow_steps", "state_writes", "state_write_failures"):
            merged.setdefault(key, 0)
        merged["cluster"] = self._pressure(answers, missing)
        merged["shards"] = {name: stats["metrics"] for name, stats in answers.items()}
        return json_response(200, merged)

    async def dump(self, request: Request, params: dict[str, str]) -> AnyResponse:
        only = request.query.get("shard") or None
        query = {k: v for k, v in request.query.items() if k != "shard"}
        answers, missing = await self.fan_out("request", "GET", "/dump", query, b"", only=only)
        if query.get("format") == "text":
            text = "".join(
                f"== {name} ==\n{answer[2].decode()}" for name, answer in sorted(answers.items())
            )
            text += "".join(f"== {name} == (unavailable)\n" for name in missing)
            return Response(200, text.encode(), "text/plain; charset=utf-8")
        shards = {name: json.loads(answer[2]) for name, answer in answers.items()}
        tasks = [t for name in sorted(shards) for t in shards[name].get("tasks", [])]
        return json_response(
            200,
            {
                "pid": os.getpid(),
                "tasks": tasks,
                "shards": {n: {"pid": d.get("pid")} for n, d in shards.items()},
                "missing_shards": missing,
            },
        )

    def _cursors(self, request: Request) -> dict[str, int]:
        """``since``: one number for every shard, or ``shard-0:41,shard-1:17``."""
        text = request.query.get("since") or ""
        if not text:
            return dict.fromkeys(self.shards, 0)
        if text.isdigit():
            return dict.fromkeys(self.shards, int(text))
        cursors = dict.fromkeys(self.shards, 0)
        for part in text.split(","):
            name, _, seq = part.partition(":")
            if name not in cursors or not seq.isdigit():
                raise HttpError(400, f"since must be N or shard-0:N,shard-1:M..., got {text!r}")
            cursors[name] = int(seq)
        return cursors

    async def logs(self, request: Request, params: dict[str, str]) -> AnyResponse:
        cursors = self._cursors(request)
        limit_text = request.query.get("limit")
        limit = int(limit_text) if limit_text and limit_text.isdigit() else None
        follow = request.query.get("follow", "0").lower() in ("1", "true", "yes")
        events: list[dict[str, Any]] = []
        for name, shard in self.shards.items():
            try:
                answer = await self.read(shard, "events", cursors[name], limit, 0.0)
            except HttpError:
                continue
            events.extend(answer["events"])
            cursors[name] = answer["last_seq"]
        events.sort(key=lambda e: (e.get("time", 0), e.get("shard", ""), e.get("seq", 0)))
        if limit:
            events = events[-limit:]
        backlog = b"".join(_line(e) for e in events)
        if not follow:
            return Response(200, backlog, "application/x-ndjson")
        return StreamingResponse(200, _MergedFollow(self, cursors, backlog), "application/x-ndjson")

    async def shutdown(self, request: Request, params: dict[str, str]) -> AnyResponse:
        body = request.json()
        grace = body.get("grace") if isinstance(body, dict) else None
        already = not self.request_stop("api", grace)
        running = sum(s.last_stats.get("running", 0) for s in self.shards.values())
        return json_response(
            202,
            {
                "stopping": True,
                "already_stopping": already,
                "grace": self.stop_grace if self.stop_grace is not None else 0.0,
                "running": running,
            },
        )

    async def cluster(self, request: Request, params: dict[str, str]) -> AnyResponse:
        answers, missing = await self._stats()
        return json_response(200, self._pressure(answers, missing))

    async def scale(self, request: Request, params: dict[str, str]) -> AnyResponse:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("shards"), int):
            raise HttpError(400, 'the body must be {"shards": N, "grace": seconds}')
        count = body["shards"]
        grace = float(body.get("grace", 10.0))
        if not 1 <= count <= ID_STRIDE:
            raise HttpError(400, f"shards must be between 1 and {ID_STRIDE}, got {count}")
        async with self._scale_lock:
            return json_response(200, await self._rebalance(count, grace))

    async def _rebalance(self, count: int, grace: float) -> dict[str, Any]:
        from ..api import to_thread

        old_ring = self.ring
        new_ring = HashRing(shard_names(count), self.options.vnodes)
        for name in new_ring.shards:
            if name not in self.shards:
                self.shards[name] = await to_thread(self._create, name)
        # Who moves: the running agents whose key the new ring gives to another shard.
        answers, missing = await self.fan_out("running_placements")
        if missing:
            raise HttpError(503, f"cannot rebalance while {', '.join(missing)} is unavailable")
        self.ring = new_ring  # new spawns follow the new ring from here on
        moves: list[tuple[str, str, dict[str, Any]]] = []
        total = 0
        for name in old_ring.shards:
            for placement in answers.get(name, []):
                total += 1
                target = new_ring.lookup(placement["key"])
                if target != name:
                    moves.append((name, target, placement))
        moved: list[dict[str, Any]] = []
        by_source: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for source, target, placement in moves:
            by_source.setdefault(source, []).append((target, placement))
        for source, items in by_source.items():
            note = "moved by rebalancing to " + ", ".join(sorted({t for t, _ in items}))
            await self.write(
                self.shards[source], "release", [p["task"] for _, p in items], grace, note
            )
            for target, placement in items:
                query = {"priority": placement["priority"]} if placement.get("priority") else {}
                body = json.dumps(placement.get("args", {})).encode()
                extra = {"moved_from": placement["task"]}
                answer = await self.write(
                    self.shards[target],
                    "spawn",
                    placement["agent"],
                    body,
                    query,
                    placement["key"],
                    extra,
                )
                status, _, data, _ = answer
                record = json.loads(data)
                moved.append(
                    {
                        "key": placement["key"],
                        "from": source,
                        "to": target,
                        "old_task": placement["task"],
                        "new_task": record.get("id") if status == 201 else None,
                        "error": record.get("error") if status != 201 else None,
                    }
                )
        retired = [name for name in list(self.shards) if name not in new_ring.shards]
        for name in retired:
            shard = self.shards.pop(name)
            await self._stop_shard(shard, grace)
        self._save_map()
        log.info(
            "rebalanced %d -> %d shards: %d of %d agents moved",
            len(old_ring.shards),
            count,
            len(moved),
            total,
        )
        return {
            "shards": count,
            "previous": len(old_ring.shards),
            "agents": total,
            "moved": moved,
            "retired": retired,
        }

    async def _stop_shard(self, shard: Shard, grace: float | None) -> None:
        from ..api import to_thread

        def stop() -> None:
            try:
                self.ray.get(shard.handle.stop.remote(grace), timeout=(grace or 10.0) + 30)
            except Exception as error:
                log.warning("%s did not stop cleanly: %s", shard.name, error)
            self.ray.kill(shard.handle, no_restart=True)

        await to_thread(stop)

    # -- lifetime -------------------------------------------------------------------------
    def request_stop(self, reason: str, grace: float | None = None) -> bool:
        if self.stop_reason is not None:
            return False
        self.stop_reason = reason
        self.stop_grace = grace if grace is not None else self.options.grace
        self._stop.set()
        return True

    async def main(self) -> None:
        async with open_portal(system=True) as portal:
            self._portal = portal
            await self.start_shards()
            prepare_socket_dir(self.options.socket_path)
            listener = await net.listen_unix(self.options.socket_path, mode=0o600)
            server = await spawn(self._serve, listener, name="router-api", system=True)
            watcher = None
            if self.options.handle_signals:
                watcher = await spawn(self._watch_signals, name="signals", system=True)
            log.info(
                "tiffany router (pid %d) serving %s over %d shards",
                os.getpid(),
                self.options.socket_path,
                len(self.shards),
            )
            try:
                await self._stop.wait()
            finally:
                await server.cancel()
                listener.close()
                if watcher is not None:
                    await watcher.cancel()
                for shard in list(self.shards.values()):
                    with move_on_after((self.stop_grace or 10.0) + 30):
                        await self._stop_shard(shard, self.stop_grace)

    async def _serve(self, listener: net.Listener) -> None:
        await serve_listener(
            listener,
            self.handle,
            max_connections=self.options.max_connections,
            limits=self.limits,
            stats=self.http_stats,
            name="router-conn",
            connections=self._connections,
        )

    async def _watch_signals(self) -> None:
        with open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async for signum in signals:
                self.request_stop(signal.Signals(signum).name)


class _MergedFollow:
    """``/logs?follow=1`` over every shard: one long poll (``events``) pending per shard,
    woken by whichever answers first."""

    def __init__(self, router: Router, cursors: dict[str, int], backlog: bytes) -> None:
        self.router = router
        self.cursors = cursors
        self.backlog = backlog
        self.pending: dict[str, tuple[Shard, Any]] = {}

    def __aiter__(self) -> _MergedFollow:
        return self

    async def __anext__(self) -> bytes:
        if self.backlog:
            data, self.backlog = self.backlog, b""
            return data
        router = self.router
        while router.stop_reason is None:
            for name, shard in list(router.shards.items()):
                if name not in self.pending:
                    try:
                        ref = router._submit(shard, "events", self.cursors.get(name, 0), None, 1.0)
                    except HttpError:
                        continue
                    self.pending[name] = (shard, ref.future())
            if not self.pending:
                await sleep(0.5)
                continue
            await router._wait_any([future for _, future in self.pending.values()])
            lines = b""
            failed = False
            for name, (shard, future) in list(self.pending.items()):
                if not future.done():
                    continue
                del self.pending[name]
                shard.in_flight -= 1
                try:
                    answer = future.result()
                except Exception:  # restarting: ask again once it is back
                    failed = True
                    continue
                self.cursors[name] = max(self.cursors.get(name, 0), answer["last_seq"])
                lines += b"".join(_line(e) for e in answer["events"])
            if lines:
                return lines
            if failed:
                await sleep(0.2)
        raise StopAsyncIteration

    async def aclose(self) -> None:
        for shard, future in self.pending.values():
            shard.in_flight -= 1
            future.cancel()
        self.pending.clear()


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, default=str).encode() + b"\n"


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(.*)$")


def merge_prometheus(texts: dict[str, str]) -> str:
    """Each shard's samples labelled ``shard="..."``, grouped by metric family."""
    families: dict[str, list[str]] = {}
    heads: dict[str, list[str]] = {}
    for shard in sorted(texts):
        for line in texts[shard].splitlines():
            if line.startswith("#"):
                parts = line.split()
                if len(parts) >= 3 and parts[2] not in heads:
                    heads.setdefault(parts[2], [])
                if len(parts) >= 3 and len(heads[parts[2]]) < 2 and line not in heads[parts[2]]:
                    heads[parts[2]].append(line)
                continue
            match = _SAMPLE.match(line)
            if match is None:
                continue
            name, labels, value = match.groups()
            inner = labels[1:-1] if labels else ""
            label = f'shard="{shard}"' + (f",{inner}" if inner else "")
            family = next((f for f in heads if name == f or name.startswith(f + "_")), name)
            families.setdefault(family, []).append(f"{name}{{{label}}} {value}")
    out: list[str] = []
    for family in list(heads) + [f for f in families if f not in heads]:
        out.extend(heads.get(family, []))
        out.extend(families.get(family, []))
    return "\n".join(out) + "\n"


def run_router(options: RouterOptions) -> int:
    """Join (or start) the Ray cluster, run the router until stopped; the exit status."""
    try:
        ray = import_ray()
    except ClusterUnavailable as error:
        log.error("%s", error)
        return 2
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    started = False
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    if options.address is not None and not ray.is_initialized():
        address = None if options.address == "local" else options.address
        ray.init(
            address=address,
            include_dashboard=False,
            log_to_driver=False,
            namespace=options.namespace,
            **({"_node_ip_address": "127.0.0.1"} if address is None else {}),
        )
        started = True
        _restore(handlers)
    try:
        router = Router(options, ray)
        run(router.main, handle_signals=False)
    except OSError as error:
        log.error("the router cannot run (socket %s): %s", options.socket_path, error)
        return 1
    finally:
        if started:
            ray.shutdown()
            _restore(handlers)
    return 0


def _restore(handlers: dict[signal.Signals, Any]) -> None:
    for signum, handler in handlers.items():
        if handler is not None:
            with contextlib.suppress(ValueError):  # not the main thread
                signal.signal(signum, handler)


__all__ = [
    "INSTALL_HINT",
    "ClusterUnavailable",
    "Router",
    "RouterOptions",
    "import_ray",
    "merge_prometheus",
    "run_router",
]
