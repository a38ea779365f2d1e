"""The values that cross the model boundary, independent of any provider's SDK.

Every provider maps its own shapes to and from these, so agents, caches, scripts and traces
deal with one vocabulary. They are frozen dataclasses with ``to_dict``/``from_dict`` so that
a request can be digested, a completion cached on disk and a call written to a trace
without a provider being importable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

Role = Literal["system", "user", "assistant", "tool"]
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A model's request to run a tool.

    ``arguments`` is the parsed JSON object; when the model produced something that is not
    a JSON object, ``arguments`` is empty and ``arguments_error`` says why, so the caller
    can hand the problem back to the model instead of crashing (see :mod:`.tools`).
    """

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    raw_arguments: str = ""
    arguments_error: str | None = None

    @classmethod
    def parse(cls, id: str, name: str, raw_arguments: str | None) -> ToolCall:
        """Build a call from the provider's raw argument text, keeping parse failures."""
        raw = raw_arguments or ""
        if not raw.strip():
            return cls(id=id, name=name, arguments={}, raw_arguments=raw)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            return cls(id, name, {}, raw, f"arguments are not valid JSON: {exc}")
        if not isinstance(value, dict):
            kind = type(value).__name__
            return cls(id, name, {}, raw, f"arguments must be a JSON object, got {kind}")
        return cls(id=id, name=name, arguments=value, raw_arguments=raw)

    def arguments_json(self) -> str:
        """The arguments as the provider should see them again in the conversation."""
        if self.arguments_error is not None:
            return self.raw_arguments
        return json.dumps(self.arguments, sort_keys=True, ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "name": self.name, "arguments": self.arguments}
        if self.arguments_error is not None:
            data["raw_arguments"] = self.raw_arguments
            data["arguments_error"] = self.arguments_error
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolCall:
        if "arguments_error" in data:
            return cls(
                id=str(data.get("id", "")),
                name=str(data["name"]),
                arguments={},
                raw_arguments=str(data.get("raw_arguments", "")),
                arguments_error=str(data["arguments_error"]),
            )
        arguments = data.get("arguments", {})
        if isinstance(arguments, str):
            return cls.parse(str(data.get("id", "")), str(data["name"]), arguments)
        if not isinstance(arguments, dict):
            raise ValueError(f"tool call arguments must be an object, got {arguments!r}")
        return cls(id=str(data.get("id", "")), name=str(data["name"]), arguments=arguments)


@dataclass(frozen=True, slots=True)
class ToolResult:
    """The outcome of a tool call, as the model will read it.

    ``is_error`` results are how bad calls (unknown tool, invalid arguments) go back to the
    model so it can correct itself.
    """

    call_id: str
    name: str
    content: str
    is_error: bool = False

    def to_message(self) -> Message:
        return Message(
            role="tool",
            content=self.content,
            tool_call_id=self.call_id,
            name=self.name,
            is_error=self.is_error,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "name": self.name,
            "content": self.content,
            "is_error": self.is_error,
        }


@dataclass(frozen=True, slots=True)
class Message:
    """One turn of a conversation.

    ``tool_calls`` only on assistant messages; ``tool_call_id`` (and the tool ``name``) only
    on tool messages, which carry a tool's result back.
    """

    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    is_error: bool = False

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"message role must be one of {', '.join(ROLES)}; got {self.role!r}")
        if not isinstance(self.content, str):
            raise TypeError(f"message content must be a str, got {type(self.content).__name__}")
        if self.tool_calls and self.role != "assistant":
            raise ValueError("only assistant messages carry tool_calls")
        if self.role == "tool" and not self.tool_call_id:
            raise ValueError("a tool message needs the tool_call_id of the call it answers")

    @classmethod
    def system(cls, content: str) -> Message:
        return cls(role="system", content=content)

    @classmethod
    def user(cls, content: str) -> Message:
        return cls(role="user", content=content)

    @classmethod
    def assistant(cls, content: str = "", tool_calls: tuple[ToolCall, ...] = ()) -> Message:
        return cls(role="assistant", content=content, tool_calls=tuple(tool_calls))

    @classmethod
    def tool(cls, result: ToolResult) -> Message:
        return result.to_message()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            data["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        if self.tool_call_id is not None:
            data["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            data["name"] = self.name
        if self.is_error:
            data["is_error"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        calls = tuple(ToolCall.from_dict(c) for c in data.get("tool_calls") or ())
        return cls(
            role=data["role"],
            content=data.get("content") or "",
            tool_calls=calls,
            tool_call_id=data.get("tool_call_id"),
            name=data.get("name"),
            is_error=bool(data.get("is_error", False)),
        )


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool the model may call: a name, what it is for, and a JSON Schema of parameters.

    ``validator`` (not part of equality, digests or the wire) checks arguments more
    precisely than the schema subset in :mod:`.tools` can, when the spec came from a
    pydantic model or a typed function.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    validator: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.name or not all(ch.isalnum() or ch in "_-" for ch in self.name):
            raise ValueError(
                f"tool name {self.name!r} must be non-empty letters, digits, '_' or '-' "
                "(providers reject anything else)"
            )
        if self.parameters.get("type", "object") != "object":
            raise ValueError(f"tool {self.name!r}: parameters must be a JSON Schema object")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "parameters": self.parameters}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolSpec:
        return cls(
            name=data["name"],
            description=data.get("description", ""),
            parameters=data.get("parameters") or {"type": "object", "properties": {}},
        )


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens a call consumed; ``cached_tokens`` are input tokens the provider had cached."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cached_tokens + other.cached_tokens,
        )

    def to_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_tokens": self.cached_tokens,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Usage:
        data = data or {}
        return cls(
            int(data.get("input_tokens", 0)),
            int(data.get("output_tokens", 0)),
            int(data.get("cached_tokens", 0)),
        )


FinishReason = str
"""Normalised: "stop", "tool_calls", "length", "content_filter", "error" or the provider's own."""


@dataclass(frozen=True, slots=True)
class Completion:
    """What one model call returned.

    ``latency`` is wall-clock seconds of the successful attempt (0 for a cache hit);
    ``cached`` says the answer came from the response cache without a model call.
    """

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: FinishReason = "stop"
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    provider: str = ""
    latency: float = 0.0
    cached: bool = False

    def message(self) -> Message:
        """The assistant message to append to the conversation for the next turn."""
        return Message.assistant(self.text, self.tool_calls)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "tool_calls": [call.to_dict() for call in self.tool_calls],
            "finish_reason": self.finish_reason,
            "usage": self.usage.to_dict(),
            "model": self.model,
            "provider": self.provider,
            "latency": self.latency,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Completion:
        return cls(
            text=data.get("text") or "",
            tool_calls=tuple(ToolCall.from_dict(c) for c in data.get("tool_calls") or ()),
            finish_reason=data.get("finish_reason") or "stop",
            usage=Usage.from_dict(data.get("usage")),
            model=data.get("model") or "",
            provider=data.get("provider") or "",
            latency=float(data.get("latency", 0.0)),
            cached=bool(data.get("cached", False)),
        )


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the reply's text, in order."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A piece of a tool call: ``index`` tells calls apart, later pieces extend arguments."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True, slots=True)
class Done:
    """The end of a stream, with everything the deltas said assembled into one completion."""

    completion: Completion


StreamEvent: TypeAlias = TextDelta | ToolCallDelta | Done


@dataclass(frozen=True, slots=True)
class Request:
    """Everything that determines a model's answer: the unit of caching and of tracing.

    ``params`` are model parameters (temperature, max_tokens, ...), never transport
    settings or credentials, so two requests with equal dicts deserve the same answer.
    """

    provider: str
    model: str
    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.model,
            "messages": [m.to_dict() for m in self.messages],
            "tools": [t.to_dict() for t in self.tools],
            "params": self.params,
        }

    def last_user_text(self) -> str:
        for message in reversed(self.messages):
            if message.role == "user":
                return message.content
        return ""


class StreamAssembler:
    """Folds stream deltas into a :class:`Completion`, the same way for every provider."""

    def __init__(self) -> None:
        self._text: list[str] = []
        self._calls: dict[int, list[str]] = {}
        self._ids: dict[int, str] = {}
        self._names: dict[int, str] = {}

    def add(self, delta: TextDelta | ToolCallDelta) -> None:
        if isinstance(delta, TextDelta):
            self._text.append(delta.text)
            return
        self._calls.setdefault(delta.index, [])
        if delta.id:
            self._ids[delta.index] = delta.id
        if delta.name:
            self._names[delta.index] = self._names.get(delta.index, "") + delta.name
        if delta.arguments:
            self._calls[delta.index].append(delta.arguments)

    @property
    def text(self) -> str:
        return "".join(self._text)

    def tool_calls(self) -> tuple[ToolCall, ...]:
        return tuple(
            ToolCall.parse(
                self._ids.get(i, f"call_{i}"), self._names.get(i, ""), "".join(self._calls[i])
            )
            for i in sorted(self._calls)
        )

    def completion(
        self, *, finish_reason: str | None, usage: Usage, model: str, provider: str, latency: float
    ) -> Completion:
        calls = self.tool_calls()
        reason = finish_reason or ("tool_calls" if calls else "stop")
        return Completion(
            text=self.text,
            tool_calls=calls,
            finish_reason=reason,
            usage=usage,
            model=model,
            provider=provider,
            latency=latency,
        )
