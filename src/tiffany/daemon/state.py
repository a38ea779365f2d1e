"""The daemon's persisted state: the task registry, results and the config digest.

One JSON file, ``state.json`` in the ``--state`` directory, is the truth across restarts.
It carries a ``schema_version``; older versions are migrated step by step on load (the
original is kept as ``state.json.v<N>.bak``), a newer one is refused rather than
overwritten, and the migrated document is validated field by field. A file that cannot
be read as valid state is *moved aside* (``state.json.corrupt-<timestamp>``) with a clear
log message and the daemon starts empty: a bad file must never keep it from running.

Writes are atomic (a temp file in the same directory, fsync, ``os.replace``, fsync of the
directory), so a crash leaves the old state or the new one, never half of either. A
record still ``running`` when the state is loaded can only mean the daemon that wrote it
died without a shutdown (``kill -9``, power loss): it is marked ``interrupted``.

Schema history:

- v1: ``{"version": 1, "config_hash": "<hex>", "tasks": {"<id>": {"agent", "args",
  "status": "running"|"done"|"error"|"cancelled", "result", "error", "created",
  "finished"}}}``
- v2: ``{"schema_version": 2, "next_id", "boots", "config_digest": "sha256:<hex>",
  "saved_at", "tasks": [TaskRecord...]}`` with states running, finished, failed,
  cancelled, interrupted, and per-task priority, restarts and boot number.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api import to_thread
from ..atomic import temporaries_of, write_atomic
from ..priority import Priority
from ..sync import Event
from ..traps import sleep

log = logging.getLogger("tiffany.daemon.state")

SCHEMA_VERSION = 2
STATE_FILE = "state.json"
LOCK_FILE = "daemon.lock"

RUNNING = "running"
FINISHED = "finished"
FAILED = "failed"
CANCELLED = "cancelled"
INTERRUPTED = "interrupted"
STATES = (RUNNING, FINISHED, FAILED, CANCELLED, INTERRUPTED)
ENDED = frozenset(STATES) - {RUNNING}


class StateError(Exception):
    """The state cannot be used and must not be touched (a newer schema, a held lock)."""


class CorruptState(ValueError):
    """The state file is not valid state; the message says which part and why."""


# -- the data -------------------------------------------------------------------------
@dataclass
class TaskRecord:
    """One task the daemon ran or runs: what was asked, and how it ended."""

    id: int
    agent: str
    args: dict[str, Any]
    state: str = RUNNING
    priority: str = "NORMAL"
    created_at: float = 0.0
    ended_at: float | None = None
    result: Any = None
    error: str | None = None
    traceback: str | None = None
    restarts: int = 0
    boot: int = 0

    def __setattr__(self, name: str, value: Any) -> None:
        # Any change drops the cached JSON: a state write re-encodes only what changed.
        self.__dict__[name] = value
        self.__dict__["_json"] = None

    def encoded(self) -> bytes:
        """The record as compact JSON, cached until the record changes."""
        cached: bytes | None = self.__dict__.get("_json")
        if cached is None:
            cached = json.dumps(self.as_dict(), separators=(",", ":"), default=repr).encode()
            self.__dict__["_json"] = cached
        return cached

    @property
    def ended(self) -> bool:
        return self.state in ENDED

    def as_dict(self) -> dict[str, Any]:
        """A shallow dict (``dataclasses.asdict`` deep-copies, which costs more than the
        rest of a request: records are read on every API call and every state write)."""
        return {name: getattr(self, name) for name in _RECORD_FIELDS}


_RECORD_FIELDS = tuple(TaskRecord.__dataclass_fields__)


@dataclass
class DaemonState:
    """Everything persisted, in memory."""

    next_id: int = 1
    boots: int = 0
    config_digest: str | None = None
    tasks: dict[int, TaskRecord] = field(default_factory=dict)

    def new_id(self) -> int:
        task_id = self.next_id
        self.next_id += 1
        return task_id

    def interrupt_running(self, reason: str, now: float) -> list[int]:
        """Mark every ``running`` record ``interrupted``; return their ids."""
        ids = []
        for record in self.tasks.values():
            if record.state == RUNNING:
                record.state = INTERRUPTED
                record.error = reason
                record.ended_at = now
                ids.append(record.id)
        return ids

    def prune(self, keep_finished: int) -> int:
        """Forget all but the ``keep_finished`` most recently ended records (by end time,
        so a long task that just ended is kept however old its id); return how many went."""
        ended = [
            (record.ended_at or 0.0, task_id)
            for task_id, record in self.tasks.items()
            if record.ended
        ]
        excess = len(ended) - keep_finished
        if excess <= 0:
            return 0
        for _, task_id in sorted(ended)[:excess]:
            del self.tasks[task_id]
        return excess

    def to_document(self, now: float, *, with_tasks: bool = True) -> dict[str, Any]:
        document: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "next_id": self.next_id,
            "boots": self.boots,
            "config_digest": self.config_digest,
            "saved_at": now,
        }
        if with_tasks:
            document["tasks"] = [record.as_dict() for _, record in sorted(self.tasks.items())]
        return document

    def encode(self, now: float) -> bytes:
        """The state file's bytes: ``to_document`` as compact JSON, built from each
        record's cached encoding, so a write costs little more than its changes."""
        head = self.to_document(now, with_tasks=False)
        start = json.dumps(head, separators=(",", ":"))[:-1].encode()
        records = self.tasks
        tasks = b",".join([records[task_id].encoded() for task_id in sorted(records)])
        return start + b',"tasks":[' + tasks + b"]}"


# -- migrations -----------------------------------------------------------------------
def _v1_to_v2(document: dict[str, Any]) -> dict[str, Any]:
    """v1 kept tasks in a dict by string id with different names for states and times."""
    status_names = {"running": RUNNING, "done": FINISHED, "error": FAILED, "cancelled": CANCELLED}
    raw_tasks = document.get("tasks")
    if not isinstance(raw_tasks, dict):
        raise CorruptState("v1 tasks must be an object keyed by task id")
    tasks = []
    for key, raw in raw_tasks.items():
        if not isinstance(raw, dict):
            raise CorruptState(f"v1 task {key!r} must be an object")
        try:
            task_id = int(key)
        except ValueError:
            raise CorruptState(f"v1 task id {key!r} is not a number") from None
        status = raw.get("status")
        if status not in status_names:
            raise CorruptState(f"v1 task {key}: unknown status {status!r}")
        tasks.append(
            {
                "id": task_id,
                "agent": raw.get("agent"),
                "args": raw.get("args", {}),
                "state": status_names[status],
                "priority": "NORMAL",
                "created_at": raw.get("created", 0.0),
                "ended_at": raw.get("finished"),
                "result": raw.get("result"),
                "error": raw.get("error"),
                "traceback": None,
                "restarts": 0,
                "boot": 0,
            }
        )
    tasks.sort(key=lambda t: t["id"])
    config_hash = document.get("config_hash")
    return {
        "schema_version": 2,
        "next_id": max((t["id"] for t in tasks), default=0) + 1,
        "boots": 0,
        "config_digest": f"sha256:{config_hash}" if config_hash else None,
        "saved_at": None,
        "tasks": tasks,
    }


#: ``MIGRATIONS[n]`` turns a version-``n`` document into a version-``n+1`` one.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def schema_version_of(document: dict[str, Any]) -> int:
    version = document.get("schema_version", document.get("version"))
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise CorruptState(f"no usable schema_version (got {version!r})")
    return version


def migrate(document: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Bring ``document`` to the current schema; return it and the version it had."""
    original = version = schema_version_of(document)
    if version > SCHEMA_VERSION:
        raise StateError(
            f"the state was written by a newer tiffany (schema {version}, this one knows "
            f"up to {SCHEMA_VERSION}); upgrade, or point --state at another directory"
        )
    while version < SCHEMA_VERSION:
        document = MIGRATIONS[version](document)
        version = schema_version_of(document)
    return document, original


# -- validation -----------------------------------------------------------------------
def _expect(ok: bool, where: str, what: str, value: Any) -> None:
    if not ok:
        raise CorruptState(f"{where}: expected {what}, got {value!r}"[:300])


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate(document: Any) -> DaemonState:
    """Check every field of a current-schema document and build the state from it."""
    _expect(isinstance(document, dict), "the document", "an object", type(document).__name__)
    _expect(_is_int(document.get("next_id")), "next_id", "a whole number", document.get("next_id"))
    _expect(_is_int(document.get("boots", 0)), "boots", "a whole number", document.get("boots"))
    digest = document.get("config_digest")
    _expect(digest is None or isinstance(digest, str), "config_digest", "text or null", digest)
    raw_tasks = document.get("tasks")
    _expect(isinstance(raw_tasks, list), "tasks", "a list", raw_tasks)
    state = DaemonState(
        next_id=document["next_id"], boots=document.get("boots", 0), config_digest=digest
    )
    for index, raw in enumerate(raw_tasks):
        record = _record(raw, f"tasks[{index}]")
        _expect(record.id not in state.tasks, f"tasks[{index}].id", "a unique id", record.id)
        state.tasks[record.id] = record
    highest = max(state.tasks, default=0)
    _expect(state.next_id > highest, "next_id", f"a number above {highest}", state.next_id)
    return state


def _record(raw: Any, where: str) -> TaskRecord:
    _expect(isinstance(raw, dict), where, "an object", raw)
    known = set(TaskRecord.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    _expect(not unknown, where, f"only the fields {sorted(known)}", unknown)
    checks: list[tuple[str, Callable[[Any], bool], str]] = [
        ("id", lambda v: _is_int(v) and v > 0, "a task id above 0"),
        ("agent", lambda v: isinstance(v, str) and bool(v), "an agent name"),
        ("args", lambda v: isinstance(v, dict), "an object of arguments"),
        ("state", lambda v: v in STATES, f"one of {', '.join(STATES)}"),
        ("priority", lambda v: v in Priority.__members__, "a priority name"),
        ("created_at", _is_number, "a timestamp"),
        ("ended_at", lambda v: v is None or _is_number(v), "a timestamp or null"),
        ("error", lambda v: v is None or isinstance(v, str), "text or null"),
        ("traceback", lambda v: v is None or isinstance(v, str), "text or null"),
        ("restarts", lambda v: _is_int(v) and v >= 0, "a count"),
        ("boot", lambda v: _is_int(v) and v >= 0, "a boot number"),
    ]
    for name, check, what in checks:
        if name in raw or name in ("id", "agent", "args", "state"):
            _expect(check(raw.get(name)), f"{where}.{name}", what, raw.get(name))
    return TaskRecord(**raw)


# -- the file -------------------------------------------------------------------------
@dataclass
class Loaded:
    """What loading found, for the daemon to log and report in ``/health``."""

    state: DaemonState
    migrated_from: int | None = None
    moved_aside: Path | None = None
    problem: str | None = None
    interrupted: list[int] = field(default_factory=list)


class StateStore:
    """The ``--state`` directory: the state file, its lock, and atomic writes to it."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.path = self.directory / STATE_FILE
        self._lock_fd: int | None = None
        self._write_lock = threading.Lock()
        self._written_generation = -1

    # -- ownership ----------------------------------------------------------------------
    def lock(self) -> None:
        """Take the directory for this process; a second daemon on it is refused."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            if error.errno in (errno.EWOULDBLOCK, errno.EACCES):
                raise StateError(
                    f"another daemon (pid {holder}) is using the state directory {self.directory}"
                ) from None
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    # -- reading ------------------------------------------------------------------------
    def load(self, now: float | None = None) -> Loaded:
        """Read, migrate and validate the state; a bad file is moved aside, never fatal.

        Raises ``StateError`` only for a state this version must not touch.
        """
        now = time.time() if now is None else now
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._remove_temp_files()
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Loaded(DaemonState())
        except OSError as error:
            raise StateError(f"cannot read the state {self.path}: {error}") from None
        try:
            try:
                document = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise CorruptState(f"not valid JSON: {error}") from None
            if not isinstance(document, dict):
                raise CorruptState(f"the top level is {type(document).__name__}, not an object")
            document, version = migrate(document)
            state = validate(document)
        except (ValueError, TypeError, KeyError, RecursionError) as error:  # CorruptState too
            return self._move_aside(str(error), now)
        loaded = Loaded(state)
        if version != SCHEMA_VERSION:
            backup = self.path.with_name(f"{STATE_FILE}.v{version}.bak")
            shutil.copy2(self.path, backup)
            loaded.migrated_from = version
            log.warning(
                "migrated the state from schema %d to %d; the original is kept as %s",
                version,
                SCHEMA_VERSION,
                backup,
            )
        loaded.interrupted = state.interrupt_running(
            "the daemon stopped before the task finished (killed or crashed)", now
        )
        if loaded.interrupted:
            log.warning(
                "%d task(s) did not finish before the daemon last stopped: %s",
                len(loaded.interrupted),
                ", ".join(f"{i} ({state.tasks[i].agent})" for i in loaded.interrupted),
            )
        return loaded

    def _move_aside(self, problem: str, now: float) -> Loaded:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        target = self.path.with_name(f"{STATE_FILE}.corrupt-{stamp}")
        counter = 1
        while target.exists():
            counter += 1
            target = self.path.with_name(f"{STATE_FILE}.corrupt-{stamp}-{counter}")
        os.replace(self.path, target)
        log.error(
            "the state file %s is corrupt (%s); moved it to %s and started with an empty "
            "task registry",
            self.path,
            problem,
            target,
        )
        return Loaded(DaemonState(), moved_aside=target, problem=problem)

    def _remove_temp_files(self) -> None:
        for leftover in temporaries_of(self.path):
            with contextlib.suppress(OSError):
                leftover.unlink()

    # -- writing ------------------------------------------------------------------------
    def write(self, data: bytes, generation: int = 0) -> bool:
        """Replace the state file with ``data`` atomically and durably.

        Writers may race (a background writer thread and the final save at shutdown):
        a write older than the last one done is skipped, so state never goes back.
        """
        with self._write_lock:
            if generation and generation <= self._written_generation:
                return False
            write_atomic(self.path, data, mode=0o600)
            self._written_generation = max(self._written_generation, generation)
            return True


class StateWriter:
    """Writes the state in the background, coalescing changes (group commit).

    Callers mark the state dirty and, when they must know it is on disk (a spawn about
    to be acknowledged), await ``flush``; one write covers every change made before it
    started, so a burst of spawns costs a few fsyncs, not one each. The fsync runs in a
    worker thread: the loop keeps serving while the disk works.
    """

    def __init__(
        self,
        store: StateStore,
        snapshot: Callable[[], bytes],
        retry_delay: float = 1.0,
    ) -> None:
        self.store = store
        self.snapshot = snapshot
        self.retry_delay = retry_delay
        self.writes = 0
        self.failures = 0
        self.last_error: str | None = None
        self._wanted = 0  # generation of the newest change
        self._written = 0  # newest generation on disk
        self._attempted = 0  # newest generation a write was tried for
        self._wake = Event()
        self._progress = Event()

    @property
    def pending(self) -> bool:
        return self._wanted > self._written

    def mark_dirty(self) -> int:
        """Note a change; returns its generation, to ``flush`` for."""
        self._wanted += 1
        self._wake.set()
        return self._wanted

    async def flush(self, generation: int | None = None) -> bool:
        """Wait until ``generation`` (default: every change so far) was tried; True if on disk."""
        target = self._wanted if generation is None else generation
        while self._attempted < target:
            await self._progress.wait()
        return self._written >= target

    def write_now(self) -> None:
        """Write synchronously (the last save at shutdown, if the writer is gone)."""
        generation = self.mark_dirty()
        self.store.write(self.snapshot(), generation)
        self._written = self._attempted = generation
        self._notify()

    def _notify(self) -> None:
        progress, self._progress = self._progress, Event()
        progress.set()

    async def run(self) -> None:
        """The writer task: wait for changes, write, repeat (retrying after errors)."""
        failed = False
        while True:
            if not self.pending:
                self._wake.clear()
                await self._wake.wait()
                continue
            if failed:
                await sleep(self.retry_delay)
            generation = self._wanted
            data = self.snapshot()
            try:
                await to_thread(self.store.write, data, generation)
            except OSError as error:
                failed = True
                self.failures += 1
                self.last_error = f"{type(error).__name__}: {error}"
                log.error("cannot write the state to %s: %s", self.store.path, self.last_error)
            else:
                failed = False
                self.writes += 1
                self.last_error = None
                self._written = max(self._written, generation)
            self._attempted = max(self._attempted, generation)
            self._notify()
