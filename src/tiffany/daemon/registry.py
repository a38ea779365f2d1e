"""The agent host: runs configured agents as kernel tasks and keeps a record of each.

A record (id, agent, arguments, state, result or error, times) outlives the kernel task
behind it: it is what ``GET /tasks`` shows and what the state file keeps. The host hears
every task exit as an instrument, so an agent that raises is caught by the kernel
(panic isolation), turned into a ``failed`` record with its error and traceback, logged
and published as an event, while the daemon and every other task go on.

Record ids come from the persisted state, not the kernel, so they stay unique across
daemon restarts.
"""

from __future__ import annotations

import functools
import json
import logging
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from ..api import current_task, spawn
from ..cancel import move_on_after
from ..errors import Overloaded, ShuttingDown
from ..instruments import Instrument
from ..models.redact import redact
from ..priority import Priority
from ..runstate import current_kernel
from ..sync import Event
from ..task import Task, TaskState
from .config import DaemonConfig
from .events import EventLog
from .state import (
    CANCELLED,
    FAILED,
    FINISHED,
    INTERRUPTED,
    RUNNING,
    DaemonState,
    StateWriter,
    TaskRecord,
)

log = logging.getLogger("tiffany.daemon")

#: Longest traceback kept in a record, in characters (the end is what matters).
MAX_TRACEBACK = 8000

#: How long a spawn waits for its record to reach the disk before answering anyway.
DURABLE_WAIT = 5.0


class UnknownAgent(LookupError):
    """No agent of that name is configured."""


class UnknownTask(LookupError):
    """No task record has that id."""


class BadArguments(ValueError):
    """The arguments do not fit the agent's function."""


class NotRunning(RuntimeError):
    """The task has already ended."""


class Refused(RuntimeError):
    """The daemon will not take this task now (stopping, or too many running)."""


class AgentHost(Instrument):
    """Spawns, tracks, cancels and records agent tasks."""

    def __init__(
        self,
        config: DaemonConfig,
        state: DaemonState,
        events: EventLog,
        writer: StateWriter | None = None,
        *,
        boot: int = 0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.state = state
        self.events = events
        self.writer = writer
        self.boot = boot
        self._wall = wall
        self._live: dict[int, Task] = {}
        self._records: dict[Task, TaskRecord] = {}
        self._by_name: dict[str, TaskRecord] = {}
        self._done: dict[int, Event] = {}
        self._cancel_requested: set[int] = set()
        self.slow_steps = 0
        self._counts: dict[str, int] | None = None
        #: Called when the kernel starts a shutdown, whoever asked for it.
        self.on_shutdown: Callable[[], None] | None = None

    # -- asking ---------------------------------------------------------------------------
    def agent_names(self) -> list[str]:
        return sorted(self.config.agents)

    def get(self, task_id: int) -> TaskRecord:
        record = self.state.tasks.get(task_id)
        if record is None:
            raise UnknownTask(f"no task with id {task_id}")
        return record

    def records(
        self, state: str | None = None, agent: str | None = None, limit: int | None = None
    ) -> list[TaskRecord]:
        """Records by ascending id; with ``limit``, the newest ``limit`` of them."""
        chosen = [
            record
            for _, record in sorted(self.state.tasks.items())
            if (state is None or record.state == state) and (agent is None or record.agent == agent)
        ]
        return chosen[-limit:] if limit else chosen

    def describe(self, record: TaskRecord) -> dict[str, Any]:
        """A record as the API shows it, with the live task's state while it runs."""
        data = record.as_dict()
        task = self._live.get(record.id)
        if task is not None:
            data["kernel_task"] = task.id
            data["kernel_state"] = task.state.value
            data["waiting_on"] = task.waiting_on
        return data

    def counts(self) -> dict[str, int]:
        """Records by state; cached between changes (``/health`` asks on every call)."""
        if self._counts is None:
            out = dict.fromkeys((RUNNING, FINISHED, FAILED, CANCELLED, INTERRUPTED), 0)
            for record in self.state.tasks.values():
                out[record.state] += 1
            self._counts = out
        return dict(self._counts)

    @property
    def running(self) -> int:
        return len(self._live)

    def running_ids(self) -> list[int]:
        return sorted(self._live)

    def record_of(self, task: Task) -> TaskRecord | None:
        return self._records.get(task)

    def records_by_kernel_id(self) -> dict[int, int]:
        """Kernel task id -> record id, for the agent tasks alive now."""
        return {task.id: record.id for task, record in self._records.items()}

    # -- acting ---------------------------------------------------------------------------
    async def spawn(
        self, agent: str, args: Mapping[str, Any], priority: Priority | None = None
    ) -> tuple[TaskRecord, bool]:
        """Start ``agent`` with ``args`` over its configured defaults.

        Returns the record and whether it reached the disk before this returned, so an
        acknowledged spawn survives a crash.
        """
        spec = self.config.agents.get(agent)
        if spec is None:
            hosted = ", ".join(self.agent_names()) or "none"
            raise UnknownAgent(f"no agent named {agent!r}; this daemon hosts: {hosted}")
        merged = {**spec.args, **args}
        try:
            spec.check_args(merged)
        except TypeError as error:
            raise BadArguments(
                f"arguments do not fit agent {agent!r} ({spec.describe()['signature']}): {error}"
            ) from None
        limit = self.config.daemon.max_running
        if len(self._live) >= limit:
            raise Refused(f"{limit} tasks are running, the configured maximum; try again later")
        if current_kernel().shutting_down:
            raise Refused("the daemon is shutting down and accepts no new tasks")
        level = priority if priority is not None else spec.priority
        record = TaskRecord(
            id=self.state.new_id(),
            agent=agent,
            args=redact(merged),  # the agent gets the real values; the record, no credentials
            priority=level.name,
            created_at=self._wall(),
            boot=self.boot,
        )
        name = f"{agent}#{record.id}"
        try:
            task = await spawn(
                functools.partial(spec.function, **merged),
                name=name,
                priority=level,
                restart=spec.restart,
                budget=spec.budget.build() if spec.budget is not None else None,
            )
        except ShuttingDown:
            raise Refused("the daemon is shutting down and accepts no new tasks") from None
        except Overloaded as error:
            raise Refused(f"the daemon is overloaded: {error}") from None
        self.state.tasks[record.id] = record
        self._live[record.id] = task
        self._records[task] = record
        self._by_name[name] = record
        self._done[record.id] = Event()
        self._counts = None
        self.events.publish("spawned", task=record.id, agent=agent, priority=level.name)
        durable = await self._persist()
        return record, durable

    async def _persist(self) -> bool:
        if self.writer is None:
            return False
        generation = self.writer.mark_dirty()
        with move_on_after(DURABLE_WAIT):
            return await self.writer.flush(generation)
        return False

    async def cancel(self, task_id: int, wait: float = 5.0) -> TaskRecord:
        """Cancel a running task; wait up to ``wait`` seconds for its cleanup to end."""
        record = self.get(task_id)
        task = self._live.get(task_id)
        if task is None:
            raise NotRunning(f"task {task_id} has already ended ({record.state})")
        self._cancel_requested.add(task_id)
        await task.cancel(wait=False)
        await self.wait(task_id, wait)
        return record

    async def wait(self, task_id: int, timeout: float) -> TaskRecord:
        """The record once its task has ended, or as it is after ``timeout`` seconds."""
        record = self.get(task_id)
        done = self._done.get(task_id)
        if done is not None and timeout > 0:
            with move_on_after(timeout):
                await done.wait()
        return record

    def set_config(self, config: DaemonConfig) -> None:
        """Use ``config`` for new spawns; running tasks keep the function they started with."""
        self.config = config
        self.state.config_digest = config.digest
        self._dirty()

    def _dirty(self) -> None:
        self._counts = None
        if self.writer is not None:
            self.writer.mark_dirty()

    # -- hearing from the kernel (instrument hooks: they must never raise) ----------------
    def task_exited(self, task: Task) -> None:
        record = self._records.pop(task, None)
        if record is None:
            return
        try:
            self._record_exit(record, task)
        except Exception:
            log.exception("could not record the end of task %d", record.id)
        finally:
            self._live.pop(record.id, None)
            self._by_name.pop(task.name, None)
            self._cancel_requested.discard(record.id)
            done = self._done.pop(record.id, None)
            if done is not None:
                done.set()
            self._prune()
            self._dirty()

    def _record_exit(self, record: TaskRecord, task: Task) -> None:
        record.ended_at = self._wall()
        error = task.exception  # reading it marks the failure as handled: we report it
        if task.state is TaskState.FINISHED:
            record.state = FINISHED
            record.result = self._storable(task.result)
        elif task.state is TaskState.FAILED:
            record.state = FAILED
            record.error = _describe(error)
            if error is not None:
                text = redact("".join(traceback.format_exception(error)))
                record.traceback = text[-MAX_TRACEBACK:]
            log.warning("task %d (agent %s) failed: %s", record.id, record.agent, record.error)
        elif record.id in self._cancel_requested:
            record.state = CANCELLED
            record.error = "cancelled on request"
        elif current_kernel().shutting_down:
            record.state = INTERRUPTED
            record.error = "cancelled at shutdown: the grace period ran out"
        else:
            record.state = CANCELLED
            record.error = _describe(error)
        fields: dict[str, Any] = {"task": record.id, "agent": record.agent}
        if record.error is not None:
            fields["error"] = record.error
        self.events.publish(record.state, **fields)

    def _storable(self, value: Any) -> Any:
        """``value`` if it is JSON within the size limit, else a note saying why not."""
        try:
            encoded = json.dumps(value)
        except (TypeError, ValueError):
            return f"<not JSON: {repr(value)[:200]}>"
        limit = self.config.daemon.max_result_bytes
        if len(encoded) > limit:
            return f"<result of {len(encoded)} bytes dropped: over the {limit}-byte limit>"
        return value

    def _prune(self) -> None:
        keep = self.config.daemon.keep_finished
        if len(self.state.tasks) - len(self._live) > keep + max(10, keep // 10):
            self.state.prune(keep)

    def event(self, kind: str, data: dict[str, Any]) -> None:
        try:
            if kind == "task.restart":
                record = self._by_name.get(str(data.get("name")))
                if record is not None:
                    record.restarts += 1
                    self.events.publish(
                        "restarted",
                        task=record.id,
                        agent=record.agent,
                        error=redact(str(data.get("error"))),
                    )
                    self._dirty()
            elif kind == "shutdown.finished":  # the report names every task: count them
                summary = {
                    key: len(value) if isinstance(value, list) else value
                    for key, value in data.items()
                }
                self.events.publish(kind, **summary)
            elif kind.startswith("shutdown."):
                self.events.publish(kind, **data)
                if self.on_shutdown is not None:
                    self.on_shutdown()
            elif kind.startswith("agent."):
                try:
                    record = self._records.get(current_task())
                except RuntimeError:  # emitted from outside any task
                    record = None
                extra = {"task": record.id, "agent": record.agent} if record is not None else {}
                self.events.publish(kind, **extra, **redact(data))
        except Exception:
            log.exception("could not publish the kernel event %r", kind)

    def slow_step(self, task: Task, seconds: float, where: str | None) -> None:
        """Called by the slow-step detector: a task held the loop for ``seconds``."""
        self.slow_steps += 1
        record = self._records.get(task)
        fields: dict[str, Any] = {"seconds": round(seconds, 6), "where": where, "name": task.name}
        if record is not None:
            fields.update(task=record.id, agent=record.agent)
        self.events.publish("slow_step", **fields)


def _describe(error: BaseException | None) -> str:
    """``Type: message``, with anything that looks like a credential redacted: errors are
    logged, published and persisted, and an agent's error may echo a key or a header."""
    if error is None:
        return "ended without a result"
    text = str(error)
    described = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return str(redact(described))
