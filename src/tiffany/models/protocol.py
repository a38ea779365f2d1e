"""The two interfaces of model I/O: what agents call, and what providers implement.

Agents depend on :class:`ModelClient` only, so a scripted client can stand in for a real
one anywhere. Providers implement the smaller :class:`Provider`: one attempt, one
request, no retries, limits, caching or events; :class:`tiffany.models.Client` adds those
once for all providers.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from .types import Completion, Message, Request, StreamEvent, ToolSpec

MessagesInput = str | Sequence[Message] | Sequence[Mapping[str, Any]]
"""A prompt string (one user message), or a conversation of Messages or message dicts."""


@runtime_checkable
class ModelClient(Protocol):
    """Messages and tool schemas in; text, tool calls and usage out."""

    @property
    def model(self) -> str: ...

    async def complete(
        self, messages: MessagesInput, tools: Sequence[ToolSpec] | None = None, **params: Any
    ) -> Completion:
        """One model call; ``params`` are model parameters such as ``temperature``."""
        ...

    def stream(
        self, messages: MessagesInput, tools: Sequence[ToolSpec] | None = None, **params: Any
    ) -> AsyncGenerator[StreamEvent, None]:
        """The same call as deltas; the last event is ``Done`` with the whole completion.

        Wrap it in ``contextlib.aclosing`` when you may stop reading early, so the call's
        capacity is given back at once rather than when the generator is collected.
        """
        ...


@runtime_checkable
class Provider(Protocol):
    """One backend. ``native_tools`` False makes the client use the text tool protocol."""

    name: str
    model: str
    native_tools: bool

    async def complete(self, request: Request) -> Completion: ...

    def stream(self, request: Request) -> AsyncGenerator[StreamEvent, None]: ...
