"""The workspace on disk: where runs live, how they are named, found, listed and locked.

A workspace (by default ``.tokimon/`` in the repository; ``--workspace`` or
``$TOKIMON_WORKSPACE`` to move it) holds one folder per run::

    runs/run-<UTC timestamp>-<6 hex>/
        run.json               what the run is: goal, repository, model, status, sessions
        workflow_state.json    the workflow and every step's state and attempts
        trace.jsonl            one JSON event a line, in order
        run.lock               held (flock) by the process executing the run
        logs/manager.log, logs/worker-<id>.log
        artifacts/steps/<step-id>/outputs.json, outputs.v2.json, ...
        lessons/               one markdown lesson (JSON header) per approved retry
        reports/               report.md and report.json at the end

The lock is an ``flock`` on ``run.lock``: the kernel drops it when the process dies,
even by ``kill -9``, so "is this run still executing?" never depends on a stale pid.
Run ids are checked against their pattern before they touch a path, so a user-supplied
id can never lead outside the workspace.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from tiffany.atomic import write_atomic

from .errors import RunLocked, RunNotFound, WorkspaceError
from .jsonfile import read_json, write_json

DEFAULT_DIRNAME = ".tokimon"
WORKSPACE_ENV = "TOKIMON_WORKSPACE"
RUN_ID = re.compile(r"^run-\d{8}T\d{6}Z-[0-9a-f]{6}$")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

RunStatus = Literal["planning", "running", "succeeded", "failed", "partial", "blocked", "cancelled"]
FINAL_STATUSES = frozenset({"succeeded", "failed", "partial", "blocked", "cancelled"})
_HELD_LOCKS: set[str] = set()
"""Run locks this process holds (resolved paths), for :meth:`RunPaths.locked`."""


def utc_now() -> str:
    """Now as an ISO 8601 UTC timestamp with seconds, the one format used on disk."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def safe_name(value: str, what: str) -> str:
    """``value`` if it can be a single path component; otherwise a clear error."""
    if not SAFE_NAME.match(value) or value in (".", ".."):
        raise WorkspaceError(
            f"{what} {value!r} cannot name a file: use letters, digits, '_', '.' or '-' "
            "(at most 128, not starting with '.' or '-')"
        )
    return value


class Session(BaseModel):
    """One process that executed the run: the first ``run`` or a later ``resume``."""

    model_config = ConfigDict(extra="allow")

    kind: Literal["run", "resume"]
    pid: int
    started_at: str
    ended_at: str | None = None


class RunInfo(BaseModel):
    """The contents of ``run.json``."""

    model_config = ConfigDict(extra="allow")

    schema_version: int = 1
    id: str
    goal: str
    repo: str
    model: str
    status: RunStatus
    created_at: str
    updated_at: str
    sessions: list[Session] = []
    report: str | None = None
    error: str | None = None
    #: What the ``run_tests`` tool runs, recorded by the first session so that a resume
    #: runs the same (``None`` in runs written before it was recorded).
    test_command: list[str] | None = None
    #: ``time.time_ns()`` at creation: orders runs started within one millisecond
    #: (0 in runs written before it was recorded).
    created_ns: int = 0


@dataclass(frozen=True)
class RunPaths:
    """The files of one run folder; nothing here touches the disk except :meth:`create`."""

    root: Path

    @property
    def id(self) -> str:
        return self.root.name

    @property
    def run_json(self) -> Path:
        return self.root / "run.json"

    @property
    def workflow_state(self) -> Path:
        return self.root / "workflow_state.json"

    @property
    def trace(self) -> Path:
        return self.root / "trace.jsonl"

    @property
    def lock(self) -> Path:
        return self.root / "run.lock"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def manager_log(self) -> Path:
        return self.logs / "manager.log"

    def worker_log(self, worker_id: str) -> Path:
        return self.logs / f"worker-{safe_name(worker_id, 'worker id')}.log"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    def step_artifacts(self, step_id: str) -> Path:
        return self.artifacts / "steps" / safe_name(step_id, "step id")

    @property
    def lessons(self) -> Path:
        return self.root / "lessons"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def create(self) -> None:
        for folder in (self.logs, self.artifacts / "steps", self.lessons, self.reports):
            folder.mkdir(parents=True, exist_ok=True)

    # -- run.json ------------------------------------------------------------------------
    def read_info(self) -> RunInfo:
        data = read_json(self.run_json)
        try:
            return RunInfo.model_validate(data)
        except ValidationError as exc:
            raise WorkspaceError(f"{self.run_json} is not a valid run record: {exc}") from None

    def write_info(self, info: RunInfo) -> None:
        info.updated_at = utc_now()
        write_json(self.run_json, info.model_dump(mode="json"))

    def is_live(self) -> bool:
        """Whether some process holds this run's lock right now."""
        try:
            descriptor = os.open(self.lock, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(descriptor)
        return False

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the run's lock for as long as this process executes the run.

        Re-entrant within one process (the CLI holds it while planning, the engine again
        while running the workflow): an ``flock`` taken twice through two descriptors of
        one process would refuse itself.
        """
        key = str(self.lock.resolve())
        if key in _HELD_LOCKS:
            yield
            return
        descriptor = os.open(self.lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "?"
                raise RunLocked(
                    f"run {self.id} is being executed by process {holder}; wait for it to "
                    "end (or stop it) before resuming"
                ) from None
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
            _HELD_LOCKS.add(key)
            try:
                yield
            finally:
                _HELD_LOCKS.discard(key)
        finally:
            os.close(descriptor)  # closing drops the flock


def display_status(paths: RunPaths, info: RunInfo) -> str:
    """The status a person should see: a run left unfinished by a dead process is interrupted."""
    if info.status in FINAL_STATUSES or paths.is_live():
        return info.status
    return "interrupted"


class Workspace:
    """A folder of runs; see the module docstring for the layout."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def locate(
        cls,
        repo: Path | None = None,
        workspace: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Workspace:
        """``workspace`` if given, else ``$TOKIMON_WORKSPACE``, else ``REPO/.tokimon``."""
        environment = os.environ if env is None else env
        if workspace is not None:
            return cls(workspace.resolve())
        if environment.get(WORKSPACE_ENV):
            return cls(Path(environment[WORKSPACE_ENV]).resolve())
        return cls(((repo or Path.cwd()) / DEFAULT_DIRNAME).resolve())

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def new_run(self, goal: str, repo: Path, model: str) -> tuple[RunPaths, RunInfo]:
        """Make a fresh run folder and its ``run.json`` (status ``planning``)."""
        first_use = not self.root.exists()
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        if first_use:
            # Keep run data out of git and out of gitignore-aware tools (grep, list_dir).
            write_atomic(self.root / ".gitignore", "*\n")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        while True:
            paths = RunPaths(self.runs_dir / f"run-{stamp}-{secrets.token_hex(3)}")
            try:
                paths.root.mkdir()
            except FileExistsError:
                continue
            break
        paths.create()
        now = utc_now()
        info = RunInfo(
            id=paths.id,
            goal=goal,
            repo=str(repo.resolve()),
            model=model,
            status="planning",
            created_at=now,
            updated_at=now,
            created_ns=time.time_ns(),
        )
        paths.write_info(info)
        return paths, info

    def run_ids(self) -> list[str]:
        """Every run folder's id, oldest first.

        An id's stamp has whole seconds, so runs started within one second are ordered by
        their ``run.json``'s ``created_at`` and then ``created_ns`` (two runs can start
        within one millisecond); otherwise ``latest`` could name the earlier of two."""
        if not self.runs_dir.is_dir():
            return []
        ids = [p.name for p in self.runs_dir.iterdir() if RUN_ID.match(p.name)]
        return sorted(ids, key=lambda run_id: (run_id[4:20], *self._created(run_id)))

    def _created(self, run_id: str) -> tuple[str, int]:
        try:
            info = RunPaths(self.runs_dir / run_id).read_info()
        except WorkspaceError:
            return "", 0
        return info.created_at, info.created_ns

    def find(self, run_id: str) -> RunPaths:
        """The run named by a full id, its 6-hex suffix, a unique prefix, or ``latest``."""
        ids = self.run_ids()
        if run_id == "latest":
            if not ids:
                raise RunNotFound(f"there are no runs in {self.runs_dir}")
            return RunPaths(self.runs_dir / ids[-1])
        if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", run_id):
            raise RunNotFound(
                f"{run_id!r} is not a run id (ids look like run-20260101T120000Z-a1b2c3)"
            )
        matches = [i for i in ids if i == run_id or i.startswith(run_id) or i.endswith(run_id)]
        if run_id in matches:
            matches = [run_id]
        if not matches:
            raise RunNotFound(
                f"no run {run_id!r} in {self.runs_dir}; `tokimon runs` lists the runs there"
            )
        if len(matches) > 1:
            raise RunNotFound(
                f"{run_id!r} matches {len(matches)} runs ({', '.join(matches[:5])}); "
                "give more of the id"
            )
        return RunPaths(self.runs_dir / matches[0])

    def runs(self) -> list[tuple[RunPaths, RunInfo]]:
        """Every readable run, oldest first; damaged run folders are skipped."""
        found = []
        for run_id in self.run_ids():
            paths = RunPaths(self.runs_dir / run_id)
            try:
                found.append((paths, paths.read_info()))
            except WorkspaceError:
                continue
        return found
