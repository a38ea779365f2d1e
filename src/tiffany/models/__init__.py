"""Model I/O for every agent on the platform: LLM calls as kernel I/O.

One :class:`ModelClient` protocol (messages and tool schemas in; text, tool calls and
usage out), built from a ``provider:model`` string by :func:`client`. Calls never block
the kernel, honour cancel scopes, wait under rate limits by task priority, retry with
backoff on the kernel clock, can be answered from an on-disk cache, are counted in a
ledger and are reported to instruments as ``model.call.*`` events with secrets redacted.
See ``docs/tiffany/models.md``.

Provider modules (``openai_provider``, ``anthropic_provider``, ``cli_provider``) and the
test server (``testing``) are imported on demand, so importing this package stays cheap
and works without the optional ``anthropic`` SDK.
"""

from __future__ import annotations

from .accounting import CallRecord, Ledger, Pricing, Totals, estimate_tokens
from .cache import ResponseCache, request_key
from .client import Client
from .errors import (
    CacheMissError,
    ConfigError,
    MissingDependencyError,
    ModelError,
    ProviderError,
    ScriptExhaustedError,
)
from .factory import client, parse_spec
from .limits import Permit, RateLimiter, RateLimits
from .protocol import ModelClient, Provider
from .redact import Redactor, redact
from .retry import RetryPolicy
from .scripted import Script, ScriptedProvider, ScriptEntry
from .spending import BudgetExceededError, SpendingLimit
from .tools import Toolbox, ValidCall, tool_from_function, tool_from_model, validate_call
from .types import (
    Completion,
    Done,
    Message,
    Request,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolResult,
    ToolSpec,
    Usage,
)

__all__ = [
    "BudgetExceededError",
    "CacheMissError",
    "CallRecord",
    "Client",
    "Completion",
    "ConfigError",
    "Done",
    "Ledger",
    "Message",
    "MissingDependencyError",
    "ModelClient",
    "ModelError",
    "Permit",
    "Pricing",
    "Provider",
    "ProviderError",
    "RateLimiter",
    "RateLimits",
    "Redactor",
    "Request",
    "ResponseCache",
    "RetryPolicy",
    "Script",
    "ScriptEntry",
    "ScriptExhaustedError",
    "ScriptedProvider",
    "SpendingLimit",
    "StreamEvent",
    "TextDelta",
    "ToolCall",
    "ToolCallDelta",
    "ToolResult",
    "ToolSpec",
    "Toolbox",
    "Totals",
    "Usage",
    "ValidCall",
    "client",
    "estimate_tokens",
    "parse_spec",
    "redact",
    "request_key",
    "tool_from_function",
    "tool_from_model",
    "validate_call",
]
