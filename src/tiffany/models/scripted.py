"""Scripted model responses: a JSONL file replayed in order, or matched by predicate.

The same :class:`Script` drives the scripted provider (no network at all) and the test
server in :mod:`.testing` (real HTTP), so a demo recorded for one works with the other.
The format is documented in ``docs/tiffany/models.md``; in short, one JSON object a line::

    {"text": "Hello"}
    {"tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}}]}
    {"match": {"contains": "weather"}, "text": "Sunny", "repeat": true}
    {"error": {"status": 429, "message": "slow down", "retry_after": 2}}
    {"fault": "drop"}

Entries with ``match`` answer the first request they match (and stay if ``repeat``);
the others answer, in file order, requests no matching entry claimed.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .accounting import estimate_tokens
from .errors import ConfigError, ProviderError, ScriptExhaustedError
from .types import (
    Completion,
    Done,
    Request,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)

RESPONSE_KEYS = {"text", "tool_calls", "finish_reason", "usage", "model"}
CONTROL_KEYS = {"match", "repeat", "error", "fault", "delay", "drop_after_chunks", "comment"}
MATCH_KEYS = {
    "contains",
    "regex",
    "system_contains",
    "last_role",
    "tool_result_for",
    "has_tool",
    "model",
}
FAULTS = {"drop", "malformed", "hang"}
RETRYABLE_STATUS = frozenset({408, 409, 425, 429}) | frozenset(range(500, 600))

Predicate = Callable[[Request], bool]


def _predicate(spec: Mapping[str, Any], where: str) -> Predicate:
    unknown = set(spec) - MATCH_KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown match key(s) {sorted(unknown)}; use {sorted(MATCH_KEYS)}"
        )
    regex = re.compile(spec["regex"]) if "regex" in spec else None

    def matches(request: Request) -> bool:
        last = request.last_user_text()
        if "contains" in spec and spec["contains"] not in last:
            return False
        if regex is not None and not regex.search(last):
            return False
        if "system_contains" in spec and not any(
            m.role == "system" and spec["system_contains"] in m.content for m in request.messages
        ):
            return False
        final = request.messages[-1] if request.messages else None
        if "last_role" in spec and (final is None or final.role != spec["last_role"]):
            return False
        if "tool_result_for" in spec and (
            final is None or final.role != "tool" or final.name != spec["tool_result_for"]
        ):
            return False
        if "has_tool" in spec and spec["has_tool"] not in {t.name for t in request.tools}:
            return False
        return not ("model" in spec and spec["model"] != request.model)

    return matches


@dataclass
class ScriptEntry:
    """One scripted answer: a response, an error or a transport fault."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    usage: Usage | None = None
    model: str | None = None
    error: dict[str, Any] | None = None
    fault: str | None = None
    delay: float = 0.0
    drop_after_chunks: int | None = None
    match: Predicate | None = None
    repeat: bool = False
    line: int = 0
    used: bool = field(default=False, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "script entry") -> ScriptEntry:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: expected a JSON object, got {type(data).__name__}")
        unknown = set(data) - RESPONSE_KEYS - CONTROL_KEYS
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) {sorted(unknown)}; allowed are "
                f"{sorted(RESPONSE_KEYS | CONTROL_KEYS)}"
            )
        fault = data.get("fault")
        if fault is not None and fault not in FAULTS:
            raise ConfigError(f"{where}: fault must be one of {sorted(FAULTS)}, got {fault!r}")
        error = data.get("error")
        if error is not None and (not isinstance(error, dict) or "status" not in error):
            raise ConfigError(
                f'{where}: "error" needs an object with a "status", '
                'e.g. {"status": 429, "message": "slow down", "retry_after": 1}'
            )
        match = data.get("match")
        if match is not None and not isinstance(match, dict):
            raise ConfigError(f'{where}: "match" must be an object such as {{"contains": "x"}}')
        try:
            calls = tuple(
                ToolCall.from_dict(dict(c, id=c.get("id") or f"call_{i}"))
                for i, c in enumerate(data.get("tool_calls") or ())
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(
                f"{where}: bad tool_calls ({exc}); each needs a name and "
                'arguments, e.g. {"name": "f", "arguments": {}}'
            ) from exc
        return cls(
            text=str(data.get("text", "")),
            tool_calls=calls,
            finish_reason=data.get("finish_reason"),
            usage=Usage.from_dict(data["usage"]) if "usage" in data else None,
            model=data.get("model"),
            error=error,
            fault=fault,
            delay=float(data.get("delay", 0.0)),
            drop_after_chunks=data.get("drop_after_chunks"),
            match=_predicate(match, where) if match is not None else None,
            repeat=bool(data.get("repeat", False)),
        )

    def completion(self, request: Request, provider: str) -> Completion:
        """The answer as a completion; usage is estimated when the script gives none."""
        usage = self.usage
        if usage is None:
            prompt = "".join(m.content for m in request.messages)
            output = self.text + "".join(c.arguments_json() for c in self.tool_calls)
            usage = Usage(estimate_tokens(prompt), estimate_tokens(output))
        reason = self.finish_reason or ("tool_calls" if self.tool_calls else "stop")
        return Completion(
            text=self.text,
            tool_calls=self.tool_calls,
            finish_reason=reason,
            usage=usage,
            model=self.model or request.model,
            provider=provider,
        )

    def provider_error(self, provider: str) -> ProviderError:
        """The error this entry stands for, as a provider would have raised it."""
        if self.fault is not None:
            return ProviderError(
                f"scripted fault: {self.fault}",
                provider=provider,
                retryable=True,
                kind="connection",
            )
        assert self.error is not None
        status = int(self.error["status"])
        retry_after = self.error.get("retry_after")
        return ProviderError(
            str(self.error.get("message", f"scripted error {status}")),
            provider=provider,
            status=status,
            retryable=bool(self.error.get("retryable", status in RETRYABLE_STATUS)),
            retry_after=float(retry_after) if retry_after is not None else None,
        )


class Script:
    """An ordered set of entries, consumed as requests arrive; safe to share across threads."""

    def __init__(
        self,
        entries: Iterable[ScriptEntry | Mapping[str, Any]] = (),
        *,
        default: ScriptEntry | Mapping[str, Any] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._entries: list[ScriptEntry] = []
        self.default = (
            ScriptEntry.from_dict(default, "default entry")
            if isinstance(default, Mapping)
            else default
        )
        self.extend(entries)

    @classmethod
    def load(cls, path: str | Path) -> Script:
        """Read a JSONL script; blank lines and lines starting with ``#`` are skipped."""
        path = Path(path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read script {path}: {exc.strerror or exc}") from exc
        entries = []
        for number, line in enumerate(lines, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            where = f"{path}:{number}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"{where}: not valid JSON ({exc.msg} at column "
                    f"{exc.colno}); each line must be one JSON object"
                ) from exc
            entry = ScriptEntry.from_dict(data, where)
            entry.line = number
            entries.append(entry)
        return cls(entries)

    def extend(self, entries: Iterable[ScriptEntry | Mapping[str, Any]]) -> None:
        with self._lock:
            for i, entry in enumerate(entries):
                if isinstance(entry, Mapping):
                    entry = ScriptEntry.from_dict(entry, f"script entry {i}")
                self._entries.append(entry)

    def add(self, entry: ScriptEntry | Mapping[str, Any]) -> None:
        self.extend([entry])

    @property
    def remaining(self) -> int:
        with self._lock:
            return sum(1 for e in self._entries if not e.used)

    def next_for(self, request: Request) -> ScriptEntry:
        """The entry that answers ``request``; it is used up unless it repeats."""
        with self._lock:
            chosen = next(
                (
                    e
                    for e in self._entries
                    if not e.used and e.match is not None and e.match(request)
                ),
                None,
            )
            if chosen is None:
                chosen = next((e for e in self._entries if not e.used and e.match is None), None)
            if chosen is None:
                if self.default is not None:
                    return self.default
                used = len(self._entries)
                raise ScriptExhaustedError(
                    f"the script has no response left for this request ({used} entries "
                    f"used; last user message: {request.last_user_text()[:120]!r}); add an "
                    "entry to the script or give it a default"
                )
            if not chosen.repeat:
                chosen.used = True
            return chosen


def chunk_text(text: str, size: int = 8) -> list[str]:
    """Split text the way a streaming server would, so tests see several deltas."""
    return [text[i : i + size] for i in range(0, len(text), size)] or []


class ScriptedProvider:
    """A provider that answers from a :class:`Script` without any I/O.

    ``delay`` entries sleep on the kernel clock, so timeouts and cancellation can be
    exercised on the virtual clock.
    """

    native_tools = True

    def __init__(
        self, script: Script | str | Path, *, model: str = "scripted", name: str = "scripted"
    ) -> None:
        self.script = script if isinstance(script, Script) else Script.load(script)
        self.model = model
        self.name = name

    async def _answer(self, request: Request) -> ScriptEntry:
        import tiffany

        entry = self.script.next_for(request)
        if entry.delay:
            await tiffany.sleep(entry.delay)
        if entry.error is not None or entry.fault is not None:
            raise entry.provider_error(self.name)
        return entry

    async def complete(self, request: Request) -> Completion:
        entry = await self._answer(request)
        return entry.completion(request, self.name)

    async def stream(self, request: Request) -> AsyncGenerator[StreamEvent, None]:
        entry = await self._answer(request)
        for piece in chunk_text(entry.text):
            yield TextDelta(piece)
        for i, call in enumerate(entry.tool_calls):
            yield ToolCallDelta(
                index=i, id=call.id, name=call.name, arguments=call.arguments_json()
            )
        yield Done(entry.completion(request, self.name))
