"""A shard: one tiffany kernel, in its own thread, running the daemon's agent host.

:class:`ShardHost` is a plain class; the router makes it a threaded Ray actor
(``ray.remote(ShardHost)``), so nothing here imports Ray. Ray calls its methods on a
pool of threads; each method reaches the kernel through a portal (``portal.call``), so
the kernel never runs inside Ray's own event loop, and Ray's threads never touch the
kernel's objects.

Inside, it is the daemon without a socket: the same config, the same admission control
(``max_running``, intake stops while draining), the same state store and recovery. Its
state directory must be on storage that outlives the actor: when Ray restarts the actor
(``max_restarts``), ``__init__`` runs again on the same directory, loads the state,
marks what was running ``interrupted`` (published in the log and ``/health``), and
re-spawns the interrupted tasks of agents that have a restart policy.

Ids: a record's id inside the shard is the daemon's own counter; outside, it is
``local * ID_STRIDE + index`` (task 12 of shard-3 is 12003), so any id names its shard,
the CLI keeps numeric ids, and nothing has to be looked up to route a request.

Beside the daemon's state, a shard keeps ``placements.json``: for each record it holds,
the placement key (the agent's id on the ring) and the spawn's arguments, which is what
moving an agent to another shard, or re-running it after a crash, needs. The arguments
are kept as given (the state file keeps them redacted), in the state directory, which
only its owner can read.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from ..api import run, to_thread
from ..atomic import write_atomic
from ..cancel import move_on_after
from ..daemon.http import HttpError, Request, Response, StreamingResponse, error_response
from ..daemon.registry import NotRunning, Refused, UnknownTask
from ..daemon.server import Daemon, DaemonOptions
from ..daemon.state import CANCELLED, INTERRUPTED
from ..portal import Portal, open_portal
from ..priority import Priority
from ..runstate import current_kernel
from ..sync import Lock

log = logging.getLogger("tiffany.cluster")

#: Global task id = local id * ID_STRIDE + shard index: up to 1000 shards.
ID_STRIDE = 1000

#: How long ``__init__`` waits for the kernel to come up.
START_TIMEOUT = 60.0


def global_id(local: int, index: int) -> int:
    return local * ID_STRIDE + index


def split_id(gid: int) -> tuple[int, int]:
    """(local id, shard index) of a global id."""
    return gid // ID_STRIDE, gid % ID_STRIDE


Answer = tuple[int, str, bytes, list[tuple[str, str]]]


class _ShardDaemon(Daemon):
    """The daemon with no socket of its own: requests come through the shard's portal."""

    on_started: Any = None

    async def start(self, *, listen: bool = False) -> None:
        await super().start(listen=False)
        if self.on_started is not None:
            self.on_started()


class ShardHost:
    """One shard (see the module's docstring); every public method is thread-safe."""

    def __init__(
        self,
        name: str,
        index: int,
        state_dir: str,
        config_path: str | None,
        grace: float | None = None,
    ) -> None:
        if not 0 <= index < ID_STRIDE:
            raise ValueError(f"shard index must be in [0, {ID_STRIDE}), got {index}")
        self.name = name
        self.index = index
        state = Path(state_dir)
        state.mkdir(parents=True, exist_ok=True, mode=0o700)
        options = DaemonOptions(
            socket_path=state / "unused.sock",
            state_dir=state,
            config_path=Path(config_path) if config_path else None,
            grace=grace,
            handle_signals=False,
        )
        self.daemon = cast(_ShardDaemon, _ShardDaemon.open(options))
        self._placements_path = state / "placements.json"
        self.placements: dict[int, dict[str, Any]] = self._load_placements()
        self._placement_changes = 0
        self._placement_saved = 0
        self._placement_lock = Lock()
        self._portal: Portal | None = None
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, name=f"tiffany-{name}", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT) or self._failure:
            raise RuntimeError(f"{name}: the kernel did not start: {self._failure or 'timeout'}")
        self.reruns: list[dict[str, int]] = self._call(self._rerun_interrupted)
        log.info(
            "%s up (boot %d, pid %d): %d interrupted, %d re-run",
            name,
            self.daemon.state.boots,
            os.getpid(),
            len(self.daemon.loaded.interrupted),
            len(self.reruns),
        )

    # -- the kernel's thread ------------------------------------------------------------
    def _run(self) -> None:
        try:
            run(
                self._main,
                handle_signals=False,
                shutdown_grace=self.daemon._default_grace(),
                instruments=self.daemon.instruments,
            )
        except BaseException as error:  # reported by __init__ or stop()
            self._failure.append(error)
            log.exception("%s: the kernel failed", self.name)
        finally:
            self._ready.set()
            self.daemon.close()
            self._stopped.set()

    async def _main(self) -> None:
        async with open_portal(system=True) as portal:
            self._portal = portal
            self.daemon.on_started = self._ready.set
            await self.daemon.main()

    def _call(self, fn: Any, *args: Any) -> Any:
        if self._portal is None or self._stopped.is_set():
            raise RuntimeError(f"{self.name} has stopped")
        return self._portal.call(fn, *args)

    # -- placements ---------------------------------------------------------------------
    def _load_placements(self) -> dict[int, dict[str, Any]]:
        try:
            raw = json.loads(self._placements_path.read_text())
            return {int(k): v for k, v in raw.items() if isinstance(v, dict)}
        except (OSError, ValueError):
            return {}

    def _placements_data(self) -> str:
        tasks = self.daemon.state.tasks
        for local in [k for k in self.placements if k not in tasks]:
            del self.placements[local]
        return json.dumps({str(k): v for k, v in self.placements.items()}, default=str)

    async def _save_placements(self) -> None:
        """Write the placements off the kernel's thread; concurrent callers share a write
        (group commit): each returns once a write that includes its change is on disk."""
        self._placement_changes += 1
        wanted = self._placement_changes
        async with self._placement_lock:
            if self._placement_saved >= wanted:
                return
            covered = self._placement_changes
            data = self._placements_data()
            await to_thread(
                functools.partial(write_atomic, mode=0o600), self._placements_path, data
            )
            self._placement_saved = covered

    # -- answers, with global ids -------------------------------------------------------
    def _gid(self, local: int) -> int:
        return global_id(local, self.index)

    def _record(self, data: dict[str, Any]) -> dict[str, Any]:
        local = data["id"]
        placement = self.placements.get(local, {})
        out = {**data, "id": self._gid(local), "shard": self.name, "key": placement.get("key")}
        for extra in ("rerun_of", "moved_from"):
            if extra in placement:
                out[extra] = placement[extra]
        return out

    def _rewrite(self, path: str, payload: Any) -> Any:
        if not isinstance(payload, dict) or set(payload) == {"error"}:
            return payload
        if path == "/tasks":
            return {"tasks": [self._record(r) for r in payload["tasks"]]}
        if path.startswith("/tasks/") or path.startswith("/agents/"):
            return self._record(payload) if "id" in payload else payload
        if path == "/dump":
            for task in payload.get("tasks", []):
                if task.get("record") is not None:
                    task["record"] = self._gid(task["record"])
                task["shard"] = self.name
            return payload
        return payload

    def _event(self, event: dict[str, Any]) -> dict[str, Any]:
        out = {**event, "shard": self.name}
        if isinstance(out.get("task"), int):
            out["task"] = self._gid(out["task"])
        return out

    async def _dispatch(self, request: Request) -> Answer:
        try:
            response = await self.daemon.api.handle(request)
        except HttpError as error:
            response = error_response(error.status, error.message, error.headers)
        if isinstance(response, StreamingResponse):  # the router follows logs itself
            if hasattr(response.chunks, "aclose"):
                await response.chunks.aclose()
            response = error_response(400, "a shard does not stream; ask the router")
        return self._finish(request.path, response)

    def _finish(self, path: str, response: Response) -> Answer:
        body = response.body
        if response.content_type == "application/json":
            payload = self._rewrite(path, json.loads(body))
            body = json.dumps(payload, default=str).encode() + b"\n"
        return response.status, response.content_type, body, response.headers

    # -- the router's calls (any thread) ------------------------------------------------
    def request(self, method: str, path: str, query: dict[str, str], body: bytes = b"") -> Answer:
        """Answer one API request as the daemon would, with global ids in and out."""
        parts = path.strip("/").split("/")
        if len(parts) >= 2 and parts[0] == "tasks":
            if not parts[1].isdigit():
                return _error(404, f"no task with id {parts[1]!r}: task ids are whole numbers")
            local, index = split_id(int(parts[1]))
            if index != self.index:
                return _error(404, f"task {parts[1]} is not on {self.name}")
            parts[1] = str(local)
            path = "/" + "/".join(parts)
        target = path
        request = Request(method, target, path, dict(query), {}, body)
        answer: Answer = self._call(self._dispatch, request)
        return answer

    def spawn(
        self,
        agent: str,
        body: bytes,
        query: dict[str, str],
        key: str,
        extra: dict[str, Any] | None = None,
    ) -> Answer:
        """Spawn ``agent`` under placement ``key``; the placement is saved with the record."""
        answer: Answer = self._call(self._spawn, agent, body, dict(query), key, extra or {})
        return answer

    async def _spawn(
        self, agent: str, body: bytes, query: dict[str, str], key: str, extra: dict[str, Any]
    ) -> Answer:
        path = f"/agents/{quote(agent, safe='')}/spawn"
        request = Request("POST", path, path, query, {}, body)
        try:
            response = await self.daemon.api.handle(request)
        except HttpError as error:
            response = error_response(error.status, error.message, error.headers)
        assert isinstance(response, Response)
        if response.status == 201:
            data = json.loads(response.body)
            try:
                args = json.loads(body) if body.strip() else {}
            except ValueError:
                args = {}
            self.placements[data["id"]] = {
                "key": key,
                "agent": agent,
                "args": args,
                "priority": data.get("priority"),
                **extra,
            }
            await self._save_placements()
        return self._finish(path, response)

    def events(self, since: int = 0, limit: int | None = None, wait: float = 0.0) -> dict[str, Any]:
        """Log events after ``since`` (waiting up to ``wait`` s for one), with global ids."""
        result: dict[str, Any] = self._call(self._events, since, limit, wait)
        return result

    async def _events(self, since: int, limit: int | None, wait: float) -> dict[str, Any]:
        log_ = self.daemon.events
        records = log_.recent(since, limit)
        if not records and wait > 0:
            follower = log_.follow(since=since)
            try:
                with move_on_after(wait):
                    batch = await follower.next_batch()
                    records = [r for r in batch or [] if "seq" in r]
            finally:
                follower.detach()
        return {
            "events": [self._event(r) for r in records],
            "last_seq": log_.last_seq,
            "closed": log_._closed,
        }

    def stats(self) -> dict[str, Any]:
        """Health and metrics, with what the router shows as admission pressure."""
        result: dict[str, Any] = self._call(self._stats)
        return result

    async def _stats(self) -> dict[str, Any]:
        daemon = self.daemon
        health = daemon.health()
        health["recovery"]["interrupted"] = [
            self._gid(i) for i in health["recovery"]["interrupted"]
        ]
        health["recovery"]["reruns"] = self.reruns
        return {
            "name": self.name,
            "pid": os.getpid(),
            "boot": daemon.state.boots,
            "health": health,
            "metrics": daemon.metrics_snapshot(),
            "max_running": daemon.config.daemon.max_running,
            "running": daemon.host.running,
            "shutting_down": current_kernel().shutting_down or daemon.stop_reason is not None,
        }

    def prometheus(self) -> str:
        text: str = self._call(self._prometheus)
        return text

    async def _prometheus(self) -> str:
        return self.daemon.prometheus()

    def running_placements(self) -> list[dict[str, Any]]:
        """The running agents: global id, key, agent, args, priority (for rebalancing)."""
        result: list[dict[str, Any]] = self._call(self._running_placements)
        return result

    async def _running_placements(self) -> list[dict[str, Any]]:
        out = []
        for local in self.daemon.host.running_ids():
            placement = self.placements.get(local)
            if placement is not None:
                out.append({**placement, "task": self._gid(local)})
        return out

    def release(self, gids: list[int], grace: float, note: str) -> list[dict[str, Any]]:
        """Drain these agents only: cancel them, give their cleanup ``grace`` seconds,
        record them ``cancelled`` with ``note`` (where they went)."""
        result: list[dict[str, Any]] = self._call(self._release, gids, grace, note)
        return result

    async def _release(self, gids: list[int], grace: float, note: str) -> list[dict[str, Any]]:
        host = self.daemon.host
        locals_ = [split_id(g)[0] for g in gids if split_id(g)[1] == self.index]
        asked = []
        for local in locals_:
            try:
                await host.cancel(local, wait=0.0)
                asked.append(local)
            except (UnknownTask, NotRunning):
                continue
        out = []
        clock = current_kernel().clock
        deadline = clock.now() + grace
        for local in asked:
            record = await host.wait(local, max(0.0, deadline - clock.now()))
            if record.state == CANCELLED:
                record.error = note
            self.daemon.events.publish("moved", task=local, agent=record.agent, note=note)
            out.append(self._record(host.describe(record)))
        self.daemon.writer.mark_dirty()
        return out

    async def _rerun_interrupted(self) -> list[dict[str, int]]:
        """Re-spawn the tasks this boot found interrupted whose agent has a restart policy."""
        host = self.daemon.host
        out = []
        for local in self.daemon.loaded.interrupted:
            record = host.state.tasks.get(local)
            placement = self.placements.get(local)
            if record is None or record.state != INTERRUPTED or placement is None:
                continue
            spec = host.config.agents.get(record.agent)
            if spec is None or spec.restart is None:
                continue
            priority = placement.get("priority")
            try:
                new, _ = await host.spawn(
                    record.agent,
                    placement.get("args", {}),
                    Priority[str(priority)] if priority in Priority.__members__ else None,
                )
            except Refused as error:
                log.warning("%s: could not re-run task %d: %s", self.name, local, error)
                continue
            self.placements[new.id] = {
                **{k: v for k, v in placement.items() if k != "moved_from"},
                "rerun_of": self._gid(local),
            }
            self.daemon.events.publish(
                "rerun", task=new.id, agent=record.agent, rerun_of=self._gid(local)
            )
            out.append({"task": self._gid(local), "rerun": self._gid(new.id)})
        if out:
            await self._save_placements()
        return out

    def ping(self) -> dict[str, Any]:
        return {"name": self.name, "pid": os.getpid(), "boot": self.daemon.state.boots}

    def stop(self, grace: float | None = None, timeout: float = 120.0) -> bool:
        """Shut the shard down gracefully (state saved); True once its kernel has ended."""
        if self._portal is not None and not self._stopped.is_set():
            with contextlib.suppress(RuntimeError):
                self._portal.call_sync(self.daemon.request_stop, "router", grace)
        return self._stopped.wait(timeout)


def _error(status: int, message: str) -> Answer:
    return status, "application/json", json.dumps({"error": message}).encode() + b"\n", []


__all__ = ["ID_STRIDE", "ShardHost", "global_id", "split_id"]
