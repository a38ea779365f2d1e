"""Anthropic's Messages API through the official ``anthropic`` SDK (an optional extra).

The SDK is imported when a provider is built, not when this module is, so the rest of
:mod:`tiffany.models` works without it and a missing install is reported with the command
that fixes it. As with OpenAI, the synchronous client runs in worker threads and its own
retries are off.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from typing import Any

import tiffany

from .errors import MissingDependencyError, ProviderError, unwrapped_error
from .redact import Redactor
from .retry import parse_retry_after
from .scripted import RETRYABLE_STATUS
from .types import (
    Completion,
    Done,
    Message,
    Request,
    StreamAssembler,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)

DEFAULT_MAX_TOKENS = 4096
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "refusal": "content_filter",
}
_END = object()


def import_anthropic() -> Any:
    try:
        return importlib.import_module("anthropic")
    except ImportError as exc:
        raise MissingDependencyError(
            "the anthropic provider needs the 'anthropic' package: "
            "pip install 'tiffany-platform[anthropic]' (or pip install anthropic)"
        ) from exc


def _blocks(message: Message) -> list[dict[str, Any]]:
    if message.role == "tool":
        block: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": message.tool_call_id,
            "content": message.content,
        }
        if message.is_error:
            block["is_error"] = True
        return [block]
    blocks: list[dict[str, Any]] = []
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    for call in message.tool_calls:
        blocks.append(
            {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        )
    return blocks


def request_body(request: Request) -> dict[str, Any]:
    """The keyword arguments of ``messages.create`` for ``request``.

    System messages become the ``system`` parameter; tool results become user turns of
    ``tool_result`` blocks; consecutive turns of one role are merged, since the API wants
    user and assistant to alternate.
    """
    system = "\n\n".join(m.content for m in request.messages if m.role == "system")
    turns: list[dict[str, Any]] = []
    for message in request.messages:
        if message.role == "system":
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    params = dict(request.params)
    max_tokens = params.pop("max_tokens", None) or params.pop("max_completion_tokens", None)
    body: dict[str, Any] = {
        "model": request.model,
        "messages": turns,
        "max_tokens": int(max_tokens or DEFAULT_MAX_TOKENS),
    }
    if system:
        body["system"] = system
    if request.tools:
        body["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters}
            for t in request.tools
        ]
    body.update(params)
    return body


def _usage(raw: Any) -> Usage:
    if raw is None:
        return Usage()
    cached = getattr(raw, "cache_read_input_tokens", None) or 0
    return Usage(
        int(getattr(raw, "input_tokens", 0) or 0),
        int(getattr(raw, "output_tokens", 0) or 0),
        int(cached),
    )


def from_anthropic_message(response: Any, provider: str) -> Completion:
    texts: list[str] = []
    calls: list[ToolCall] = []
    for block in response.content:
        if block.type == "text":
            texts.append(block.text)
        elif block.type == "tool_use":
            calls.append(ToolCall.parse(block.id, block.name, json.dumps(block.input)))
    reason = STOP_REASONS.get(response.stop_reason or "", response.stop_reason or "stop")
    return Completion(
        text="".join(texts),
        tool_calls=tuple(calls),
        finish_reason=reason,
        usage=_usage(response.usage),
        model=response.model or "",
        provider=provider,
    )


class AnthropicProvider:
    """Messages through ``anthropic.Anthropic``; ``base_url`` for proxies and test servers."""

    native_tools = True

    def __init__(
        self,
        model: str,
        *,
        api_key: str,
        base_url: str | None = None,
        timeout: float = 120.0,
        name: str = "anthropic",
        redactor: Redactor | None = None,
    ) -> None:
        sdk = import_anthropic()
        self._errors = sdk
        self.model = model
        self.name = name
        self.redactor = redactor or Redactor([api_key])
        self._sdk = sdk.Anthropic(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0
        )

    def map_error(self, exc: BaseException) -> BaseException:
        sdk = self._errors
        if isinstance(exc, sdk.APITimeoutError):
            return ProviderError(
                "request timed out", provider=self.name, retryable=True, kind="timeout"
            )
        if isinstance(exc, sdk.APIConnectionError):
            return ProviderError(
                self.redactor.text(str(exc)), provider=self.name, retryable=True, kind="connection"
            )
        if isinstance(exc, sdk.APIResponseValidationError):
            return ProviderError(
                self.redactor.text(str(exc)), provider=self.name, retryable=True, kind="malformed"
            )
        if isinstance(exc, sdk.APIStatusError):
            body = exc.body
            message = str(exc)
            if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
                message = str(body["error"].get("message") or message)
            status = exc.status_code
            return ProviderError(
                self.redactor.text(message),
                provider=self.name,
                status=status,
                retryable=status in RETRYABLE_STATUS,
                retry_after=parse_retry_after(exc.response.headers),
            )
        if (unwrapped := unwrapped_error(exc, self.name, self.redactor)) is not None:
            return unwrapped
        if isinstance(exc, sdk.AnthropicError):
            return ProviderError(self.redactor.text(str(exc)), provider=self.name)
        return exc

    def _call(self, fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        try:
            return fn(**kwargs)
        except BaseException as exc:
            raise self.map_error(exc) from None

    def _next(self, iterator: Iterator[Any]) -> Any:
        try:
            return next(iterator, _END)
        except BaseException as exc:
            raise self.map_error(exc) from None

    async def complete(self, request: Request) -> Completion:
        response = await tiffany.to_thread(
            self._call, self._sdk.messages.create, request_body(request), cancellable=True
        )
        return from_anthropic_message(response, self.name)

    async def stream(self, request: Request) -> AsyncGenerator[StreamEvent, None]:
        body = request_body(request)
        body["stream"] = True
        stream = await tiffany.to_thread(
            self._call, self._sdk.messages.create, body, cancellable=True
        )
        assembler = StreamAssembler()
        calls: dict[int, int] = {}  # content block index -> tool call index
        usage = Usage()
        model = request.model
        reason: str | None = None
        try:
            iterator = iter(stream)
            while True:
                event = await tiffany.to_thread(self._next, iterator, cancellable=True)
                if event is _END:
                    break
                kind = event.type
                delta: TextDelta | ToolCallDelta | None = None
                if kind == "message_start":
                    model = event.message.model or model
                    usage = _usage(event.message.usage)
                elif kind == "content_block_start" and event.content_block.type == "tool_use":
                    calls[event.index] = len(calls)
                    block = event.content_block
                    delta = ToolCallDelta(calls[event.index], block.id, block.name)
                elif kind == "content_block_delta":
                    if event.delta.type == "text_delta":
                        delta = TextDelta(event.delta.text)
                    elif event.delta.type == "input_json_delta" and event.index in calls:
                        delta = ToolCallDelta(
                            calls[event.index], arguments=event.delta.partial_json
                        )
                elif kind == "message_delta":
                    reason = event.delta.stop_reason or reason
                    output = getattr(event.usage, "output_tokens", None)
                    if output is not None:
                        usage = Usage(usage.input_tokens, int(output), usage.cached_tokens)
                if delta is not None:
                    assembler.add(delta)
                    yield delta
        finally:
            stream.close()
        finish = STOP_REASONS.get(reason or "", reason) if reason else None
        yield Done(
            assembler.completion(
                finish_reason=finish, usage=usage, model=model, provider=self.name, latency=0.0
            )
        )
