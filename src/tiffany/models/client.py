"""The client agents use: one provider plus the runtime behaviour every call needs.

Providers only know how to make one attempt. Everything else happens here, once, in the
same order for every provider: cache lookup, rate-limit admission (by task priority),
the attempt, retry with backoff on the kernel clock, text tool protocol for models
without native tools, accounting, and the ``model.call.*`` events instruments see, with
secrets redacted. Keeping it in one place is what makes a scripted client a faithful
stand-in for a real one.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import aclosing
from typing import Any, Literal

import tiffany

from . import text_protocol
from .accounting import CallRecord, Ledger, estimate_tokens
from .cache import ResponseCache, request_key
from .errors import ModelError, ProviderError
from .limits import Permit, RateLimiter
from .protocol import MessagesInput, Provider
from .redact import Redactor
from .retry import RetryPolicy
from .spending import BudgetExceededError, SpendingLimit
from .types import (
    Completion,
    Done,
    Message,
    Request,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolSpec,
)

ToolProtocol = Literal["auto", "native", "text"]
_CALL_IDS = itertools.count(1)


def as_messages(messages: MessagesInput) -> tuple[Message, ...]:
    """Accept a prompt string, Messages, or message dicts; reject anything else clearly."""
    if isinstance(messages, str):
        return (Message.user(messages),)
    out = []
    for i, message in enumerate(messages):
        if isinstance(message, Message):
            out.append(message)
        elif isinstance(message, Mapping):
            out.append(Message.from_dict(dict(message)))
        else:
            raise TypeError(
                f"messages[{i}] is a {type(message).__name__}; pass Message "
                "objects, dicts with role and content, or one prompt string"
            )
    if not out:
        raise ValueError("a model call needs at least one message")
    return tuple(out)


class Client:
    """A :class:`~tiffany.models.protocol.ModelClient` over one :class:`Provider`.

    Build one with :func:`tiffany.models.client`; share ``limiter`` and ``ledger`` between
    clients that share an endpoint or a run.
    """

    def __init__(
        self,
        provider: Provider,
        *,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        cache: ResponseCache | None = None,
        ledger: Ledger | None = None,
        redactor: Redactor | None = None,
        tool_protocol: ToolProtocol = "auto",
        params: Mapping[str, Any] | None = None,
        spending_limit: SpendingLimit | None = None,
    ) -> None:
        if tool_protocol not in ("auto", "native", "text"):
            raise ValueError(f"tool_protocol must be auto, native or text; got {tool_protocol!r}")
        self.provider = provider
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self.cache = cache
        self.ledger = ledger if ledger is not None else Ledger()
        self.redactor = redactor or Redactor()
        self.tool_protocol: ToolProtocol = tool_protocol
        self.params: dict[str, Any] = dict(params or {})
        self.spending_limit = spending_limit

    @property
    def model(self) -> str:
        return self.provider.model

    @property
    def spec(self) -> str:
        return f"{self.provider.name}:{self.provider.model}"

    def __repr__(self) -> str:
        return f"<tiffany.models.Client {self.spec}>"

    # == building the request ============================================================
    def request(
        self, messages: MessagesInput, tools: Sequence[ToolSpec] | None = None, **params: Any
    ) -> Request:
        """The request a call with these arguments makes (what the cache key digests)."""
        return Request(
            provider=self.provider.name,
            model=self.provider.model,
            messages=as_messages(messages),
            tools=tuple(tools or ()),
            params={**self.params, **params},
        )

    def _text_mode(self) -> bool:
        if self.tool_protocol == "auto":
            return not self.provider.native_tools
        return self.tool_protocol == "text"

    def _wire(self, request: Request) -> Request:
        if not self._text_mode():
            return request
        return dataclasses.replace(
            request, messages=text_protocol.encode(request.messages, request.tools), tools=()
        )

    def _decode(self, request: Request, completion: Completion) -> Completion:
        if not self._text_mode() or not request.tools:
            return completion
        turn = sum(1 for m in request.messages if m.role == "assistant")
        prose, calls = text_protocol.decode(completion.text, turn=turn)
        reason = "tool_calls" if calls else completion.finish_reason
        return dataclasses.replace(completion, text=prose, tool_calls=calls, finish_reason=reason)

    @staticmethod
    def _estimate(request: Request) -> int:
        text = "".join(m.content for m in request.messages)
        text += "".join(str(t.parameters) + t.description for t in request.tools)
        reserve = request.params.get("max_tokens") or request.params.get("max_completion_tokens")
        return estimate_tokens(text) + (int(reserve) if isinstance(reserve, int) else 0)

    # == events and books ================================================================
    def _emit(self, event: str, call_id: str, **data: Any) -> None:
        try:
            task = tiffany.current_task()
        except RuntimeError:
            return  # a stream finalised outside the kernel: nobody to tell
        payload = {
            "call_id": call_id,
            "provider": self.provider.name,
            "model": self.provider.model,
            "task_id": task.id,
            "task_name": task.name,
            **data,
        }
        tiffany.emit(event, **self.redactor(payload))

    async def _finish(
        self, call_id: str, request: Request, completion: Completion, attempts: int
    ) -> Completion:
        task = tiffany.current_task()
        model = completion.model or request.model
        cost = 0.0 if completion.cached else self.ledger.cost_of(model, completion.usage)
        self.ledger.record(
            CallRecord(
                call_id=call_id,
                provider=self.provider.name,
                model=model,
                usage=completion.usage,
                cost=cost,
                latency=completion.latency,
                cached=completion.cached,
                task_id=task.id,
                task_name=task.name,
            )
        )
        if self.cache is not None and not completion.cached:
            # fsync can take a while on a busy disk; the loop has other tasks to run.
            await tiffany.to_thread(self.cache.put, request, completion)
        self._emit(
            "model.call.finish",
            call_id,
            attempts=attempts,
            cached=completion.cached,
            latency=completion.latency,
            usage=completion.usage.to_dict(),
            cost=cost,
            finish_reason=completion.finish_reason,
            completion=completion.to_dict(),
        )
        return completion

    def _start(self, request: Request) -> str:
        call_id = f"call-{next(_CALL_IDS)}"
        self._emit(
            "model.call.start", call_id, request=request.to_dict(), cache_key=request_key(request)
        )
        return call_id

    def _error(self, call_id: str, attempt: int, exc: BaseException) -> None:
        if isinstance(exc, ProviderError):
            self._emit(
                "model.call.error",
                call_id,
                attempts=attempt,
                error=exc.message,
                status=exc.status,
                error_kind=exc.kind,
                retryable=exc.retryable,
            )
        elif isinstance(exc, BudgetExceededError):
            self._emit(
                "model.call.error",
                call_id,
                attempts=attempt,
                error=str(exc),
                status=None,
                error_kind="budget",
                retryable=False,
            )
        elif isinstance(exc, tiffany.Cancelled):
            self._emit(
                "model.call.error",
                call_id,
                attempts=attempt,
                error="cancelled",
                status=None,
                error_kind="cancelled",
                retryable=False,
            )
        else:
            self._emit(
                "model.call.error",
                call_id,
                attempts=attempt,
                error=f"{type(exc).__name__}: {exc}",
                status=None,
                error_kind="exception",
                retryable=False,
            )

    async def _backoff(self, call_id: str, attempt: int, exc: ProviderError) -> bool:
        """Sleep before the next attempt if the policy allows one; say whether it does."""
        delay = self.retry.delay(attempt, exc)
        if exc.status == 429 and exc.retry_after is not None and self.limiter is not None:
            self.limiter.pause(exc.retry_after)
        if delay is None:
            return False
        self._emit(
            "model.call.retry",
            call_id,
            attempt=attempt,
            delay=delay,
            error=exc.message,
            status=exc.status,
            error_kind=exc.kind,
        )
        await tiffany.sleep(delay)
        return True

    async def _admit(self, request: Request) -> Permit | None:
        if self.spending_limit is not None:
            self.spending_limit.check(self.ledger, request.model, self._estimate(request))
        if self.limiter is None:
            return None
        return await self.limiter.acquire(self._estimate(request))

    def _cached(self, request: Request) -> Completion | None:
        return self.cache.get(request) if self.cache is not None else None

    # == the calls =======================================================================
    async def complete(
        self, messages: MessagesInput, tools: Sequence[ToolSpec] | None = None, **params: Any
    ) -> Completion:
        """One model call with cache, limits, retries and events; see the module doc."""
        request = self.request(messages, tools, **params)
        call_id = self._start(request)
        attempt = 0
        try:
            hit = self._cached(request)
            if hit is not None:
                return await self._finish(call_id, request, hit, attempts=0)
            wire = self._wire(request)
            while True:
                attempt += 1
                permit = await self._admit(request)
                started = time.monotonic()
                try:
                    completion = await self.provider.complete(wire)
                except ProviderError as exc:
                    if permit is not None:
                        permit.release()
                    if await self._backoff(call_id, attempt, exc):
                        continue
                    raise
                except BaseException:
                    if permit is not None:
                        permit.release()
                    raise
                if permit is not None:
                    permit.release(completion.usage.total_tokens)
                completion = dataclasses.replace(
                    self._decode(request, completion), latency=time.monotonic() - started
                )
                return await self._finish(call_id, request, completion, attempts=attempt)
        except BaseException as exc:
            self._error(call_id, attempt, exc)
            raise

    async def stream(
        self, messages: MessagesInput, tools: Sequence[ToolSpec] | None = None, **params: Any
    ) -> AsyncGenerator[StreamEvent, None]:
        """The call as deltas, ending with :class:`Done`.

        A failure before the first delta is retried like :meth:`complete`; after it, the
        caller has seen partial output, so the error is raised instead.
        """
        request = self.request(messages, tools, **params)
        call_id = self._start(request)
        attempt = 0
        try:
            hit = self._cached(request)
            if hit is not None:
                if hit.text:
                    yield TextDelta(hit.text)
                for i, call in enumerate(hit.tool_calls):
                    yield ToolCallDelta(i, call.id, call.name, call.arguments_json())
                yield Done(await self._finish(call_id, request, hit, attempts=0))
                return
            wire = self._wire(request)
            while True:
                attempt += 1
                permit = await self._admit(request)
                started = time.monotonic()
                final: Completion | None = None
                seen = False
                try:
                    async with aclosing(self.provider.stream(wire)) as events:
                        async for event in events:
                            if isinstance(event, Done):
                                final = event.completion
                            else:
                                seen = True
                                yield event
                except ProviderError as exc:
                    if permit is not None:
                        permit.release()
                    if not seen and await self._backoff(call_id, attempt, exc):
                        continue
                    raise
                except BaseException:
                    if permit is not None:
                        permit.release()
                    raise
                if final is None:
                    raise ProviderError(
                        "the stream ended without a final event",
                        provider=self.provider.name,
                        kind="malformed",
                    )
                if permit is not None:
                    permit.release(final.usage.total_tokens)
                final = dataclasses.replace(
                    self._decode(request, final), latency=time.monotonic() - started
                )
                yield Done(await self._finish(call_id, request, final, attempts=attempt))
                return
        except GeneratorExit:
            self._error(call_id, attempt, ModelError("the caller stopped reading the stream"))
            raise
        except BaseException as exc:
            self._error(call_id, attempt, exc)
            raise
