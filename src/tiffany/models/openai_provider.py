"""OpenAI and every OpenAI-compatible server (vLLM, SGLang, Ollama, llama.cpp, LM Studio).

Uses the official SDK's *synchronous* client: the tiffany kernel is not asyncio, so the
SDK's async client cannot run in it. Each blocking call runs in a worker thread through
``tiffany.to_thread(..., cancellable=True)``, so the loop never blocks and a cancelled
task returns at once (the abandoned thread ends with its HTTP timeout). The SDK's own
retries are off; :class:`tiffany.models.retry.RetryPolicy` decides instead.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from typing import Any

import openai

import tiffany

from .errors import ProviderError, unwrapped_error
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
    ToolSpec,
    Usage,
)

_END = object()


def to_openai_message(message: Message) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    data: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        data["content"] = message.content or None
        data["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_json()},
            }
            for call in message.tool_calls
        ]
    return data


def to_openai_tool(spec: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": spec.name,
            "description": spec.description,
            "parameters": spec.parameters,
        },
    }


def request_body(request: Request) -> dict[str, Any]:
    """The keyword arguments of ``chat.completions.create`` for ``request``."""
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [to_openai_message(m) for m in request.messages],
    }
    if request.tools:
        body["tools"] = [to_openai_tool(t) for t in request.tools]
    body.update(request.params)
    return body


def _usage(raw: Any) -> Usage:
    if raw is None:
        return Usage()
    details = getattr(raw, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) or 0
    return Usage(int(raw.prompt_tokens or 0), int(raw.completion_tokens or 0), int(cached))


def from_openai_completion(response: Any, provider: str) -> Completion:
    """Map a ``ChatCompletion`` to a :class:`Completion` (first choice)."""
    if not response.choices:
        raise ProviderError(
            "the response has no choices", provider=provider, retryable=True, kind="malformed"
        )
    choice = response.choices[0]
    message = choice.message
    calls = tuple(
        ToolCall.parse(call.id, call.function.name, call.function.arguments)
        for call in (message.tool_calls or ())
        if getattr(call, "function", None) is not None
    )
    return Completion(
        text=message.content or "",
        tool_calls=calls,
        finish_reason=choice.finish_reason or ("tool_calls" if calls else "stop"),
        usage=_usage(response.usage),
        model=response.model or "",
        provider=provider,
    )


def _error_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return exc.message


def map_error(exc: BaseException, provider: str, redactor: Redactor) -> BaseException:
    """Turn an SDK or transport exception into a :class:`ProviderError` (others unchanged)."""
    if isinstance(exc, openai.APITimeoutError):
        return ProviderError("request timed out", provider=provider, retryable=True, kind="timeout")
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        detail = f": {cause}" if cause else ""
        return ProviderError(
            redactor.text(f"{exc.message}{detail}"),
            provider=provider,
            retryable=True,
            kind="connection",
        )
    if isinstance(exc, openai.APIResponseValidationError):
        return ProviderError(
            redactor.text(exc.message), provider=provider, retryable=True, kind="malformed"
        )
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        return ProviderError(
            redactor.text(_error_message(exc)),
            provider=provider,
            status=status,
            retryable=status in RETRYABLE_STATUS,
            retry_after=parse_retry_after(exc.response.headers),
            kind="api",
        )
    if (unwrapped := unwrapped_error(exc, provider, redactor)) is not None:
        return unwrapped
    if isinstance(exc, openai.OpenAIError):
        return ProviderError(redactor.text(str(exc)), provider=provider, kind="api")
    return exc


class OpenAIProvider:
    """Chat completions through ``openai.OpenAI`` with ``base_url``."""

    native_tools = True

    def __init__(
        self,
        model: str,
        *,
        api_key: str,
        base_url: str | None = None,
        timeout: float = 120.0,
        name: str = "openai",
        organization: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        stream_usage: bool = True,
        redactor: Redactor | None = None,
    ) -> None:
        self.model = model
        self.name = name
        self.stream_usage = stream_usage
        self.redactor = redactor or Redactor([api_key])
        self._sdk = openai.OpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=0,
            organization=organization,
            default_headers=dict(default_headers or {}) or None,
        )

    def _call(self, fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        try:
            return fn(**kwargs)
        except BaseException as exc:
            raise map_error(exc, self.name, self.redactor) from None

    async def complete(self, request: Request) -> Completion:
        body = request_body(request)
        response = await tiffany.to_thread(
            self._call, self._sdk.chat.completions.create, body, cancellable=True
        )
        return from_openai_completion(response, self.name)

    def _next(self, iterator: Iterator[Any]) -> Any:
        try:
            return next(iterator, _END)
        except BaseException as exc:
            raise map_error(exc, self.name, self.redactor) from None

    async def stream(self, request: Request) -> AsyncGenerator[StreamEvent, None]:
        body = request_body(request)
        body["stream"] = True
        if self.stream_usage:
            body["stream_options"] = {"include_usage": True}
        stream = await tiffany.to_thread(
            self._call, self._sdk.chat.completions.create, body, cancellable=True
        )
        assembler = StreamAssembler()
        finish: str | None = None
        usage = Usage()
        model = request.model
        try:
            iterator = iter(stream)
            while True:
                chunk = await tiffany.to_thread(self._next, iterator, cancellable=True)
                if chunk is _END:
                    break
                model = chunk.model or model
                if chunk.usage is not None:
                    usage = _usage(chunk.usage)
                for choice in chunk.choices[:1]:
                    delta = choice.delta
                    if delta.content:
                        event: TextDelta | ToolCallDelta = TextDelta(delta.content)
                        assembler.add(event)
                        yield event
                    for call in delta.tool_calls or ():
                        function = call.function
                        event = ToolCallDelta(
                            index=call.index,
                            id=call.id,
                            name=function.name if function else None,
                            arguments=(function.arguments or "") if function else "",
                        )
                        assembler.add(event)
                        yield event
                    finish = choice.finish_reason or finish
        finally:
            stream.close()
        yield Done(
            assembler.completion(
                finish_reason=finish, usage=usage, model=model, provider=self.name, latency=0.0
            )
        )
