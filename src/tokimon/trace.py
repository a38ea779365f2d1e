"""``trace.jsonl``: what happened in a run, one JSON object a line, in order.

The engine writes step state changes, attempts, retry decisions and lessons through
:meth:`Trace.emit`; model and tool calls arrive as kernel events (``tiffany.emit`` in
:mod:`tiffany.models` and :mod:`tokimon.tools`), which the trace receives as a kernel
instrument and condenses: a model call keeps its messages digest, tool calls, tokens and
latency, a tool call its arguments, bounded result and duration. Every record passes
through :mod:`tiffany.models`' redactor, so a key pasted into a prompt or echoed by a tool
never reaches the disk.

Each record is one ``os.write`` to a file opened with ``O_APPEND``: a process killed at
any point leaves whole lines (at worst a torn last one, which :func:`read_trace` skips),
and a resumed run appends after them, numbering on from the last ``seq``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import tiffany
from tiffany.instruments import Instrument
from tiffany.models.redact import Redactor
from tiffany.task import Task

from .workspace import utc_now

MAX_FIELD_CHARS = 4000
"""Longest string a trace record keeps of one field; the rest is cut and marked."""

CAPTURED_PREFIXES = ("model.call.", "tool.call.", "skill.")


def bound(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    """``text`` cut to ``limit`` characters, with a marker saying how much was dropped."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [truncated {len(text) - limit} chars]"


def digest(value: Any) -> str:
    """A short, stable digest of any JSON-able value (canonical JSON, SHA-256)."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _current_task() -> Task | None:
    try:
        return tiffany.current_task()
    except RuntimeError:
        return None


def _task_name() -> str | None:
    task = _current_task()
    return None if task is None else task.name


def _kernel_time() -> float | None:
    try:
        return tiffany.current_time()
    except RuntimeError:
        return None


def condense_model_event(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A model call event as the trace keeps it: no full transcripts, just what explains it."""
    fields: dict[str, Any] = {
        key: data[key] for key in ("call_id", "provider", "model", "task_name") if key in data
    }
    if kind == "model.call.start":
        request = data.get("request") or {}
        messages = request.get("messages") or []
        fields["messages"] = len(messages)
        fields["messages_digest"] = digest(messages)
        fields["tools"] = [tool.get("name") for tool in request.get("tools") or []]
    elif kind == "model.call.finish":
        completion = data.get("completion") or {}
        fields["tool_calls"] = [
            {"name": call.get("name"), "arguments": bound(json.dumps(call.get("arguments")), 500)}
            for call in completion.get("tool_calls") or []
        ]
        fields["text"] = bound(str(completion.get("text") or ""), 1000)
        for key in ("usage", "latency", "cached", "attempts", "finish_reason", "cost"):
            if key in data:
                fields[key] = data[key]
    else:  # error, retry
        for key in ("attempts", "attempt", "error", "status", "error_kind", "retryable", "delay"):
            if key in data:
                fields[key] = data[key]
    return fields


class Trace(Instrument):
    """Appends redacted events to one run's ``trace.jsonl``; also a kernel instrument."""

    def __init__(self, path: Path, redactor: Redactor | None = None) -> None:
        self.path = path
        self.redactor = redactor or Redactor()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._seq = last_seq(path)
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if _ends_torn(path):
            os.write(self._fd, b"\n")  # end a line a crash cut short, so ours starts fresh
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        #: The run's tasks, once :meth:`follow` named its first: kernel events of other
        #: tasks (a chat in the same server, another run) are not this run's.
        self._members: set[int] = set()

    def subscribe(self, listener: Callable[[dict[str, Any]], None]) -> None:
        """Call ``listener`` with every record after it is written (a live view, a test)."""
        self._listeners.append(listener)

    def emit(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Append one event; returns the record as written."""
        self._seq += 1
        record: dict[str, Any] = {"seq": self._seq, "ts": utc_now(), "kind": kind}
        clock = _kernel_time()
        if clock is not None:
            record["clock"] = round(clock, 6)
        record.update(self.redactor(fields))
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        if self._fd is None:
            raise RuntimeError(f"the trace {self.path} is closed")
        os.write(self._fd, line.encode("utf-8"))
        for listener in self._listeners:
            listener(record)
        return record

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Trace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def follow(self, task: Task) -> None:
        """Record kernel events of ``task`` and of the tasks it spawns, and only theirs
        (without it, every task's events are recorded)."""
        self._members.add(task.id)

    # -- the kernel instrument hooks -----------------------------------------------------
    def task_spawned(self, task: Task) -> None:
        """A task spawned by one of the run's tasks is the run's too."""
        parent = _current_task()
        if parent is not None and parent.id in self._members:
            self._members.add(task.id)

    def task_exited(self, task: Task) -> None:
        if task.id in self._members and len(self._members) > 1:
            self._members.discard(task.id)

    def event(self, kind: str, data: dict[str, Any]) -> None:
        """Record the model calls, tool calls and skill events the run's tasks report."""
        if not kind.startswith(CAPTURED_PREFIXES) or self._fd is None:
            return
        task = _current_task()
        if self._members and task is not None and task.id not in self._members:
            return
        if kind.startswith("model."):
            self.emit(kind, **condense_model_event(kind, data))
            return
        fields = dict(data)
        fields.setdefault("task_name", _task_name())
        if "arguments" in fields:
            fields["arguments"] = bound(json.dumps(fields["arguments"], default=str), 2000)
        if isinstance(fields.get("content"), str):
            fields["content"] = bound(fields["content"])
        self.emit(kind, **fields)


def iter_trace(path: Path) -> Iterator[dict[str, Any]]:
    """The events of a trace in order; a torn or damaged line (a crash mid-write) is skipped."""
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                yield record


def _ends_torn(path: Path) -> bool:
    with path.open("rb") as handle:
        if handle.seek(0, os.SEEK_END) == 0:
            return False
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) != b"\n"


def read_trace(path: Path) -> list[dict[str, Any]]:
    return list(iter_trace(path))


def last_seq(path: Path) -> int:
    """The ``seq`` of the last whole event in ``path``, 0 for none."""
    last = 0
    for record in iter_trace(path):
        seq = record.get("seq")
        if isinstance(seq, int):
            last = max(last, seq)
    return last


def format_event(record: Mapping[str, Any]) -> str:
    """One line a person can read: ``#12 10:04:01 step.state implement READY -> RUNNING``."""
    kind = str(record.get("kind", "?"))
    clock = str(record.get("ts", ""))[11:19]
    rest = {k: v for k, v in record.items() if k not in ("seq", "ts", "kind", "clock")}
    if kind == "step.state":
        detail = f"{rest.pop('step', '?')} {rest.pop('from', '?')} -> {rest.pop('to', '?')}"
    else:
        detail = str(rest.pop("step", "")) if "step" in rest else ""
    extras = " ".join(f"{k}={bound(json.dumps(v, default=str), 120)}" for k, v in rest.items())
    return " ".join(
        part for part in (f"#{record.get('seq', '?')}", clock, kind, detail, extras) if part
    )
