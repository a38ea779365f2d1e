"""The errors of model I/O, split by what a caller can do about them.

A :class:`ProviderError` carries whether retrying could help, so the retry policy never has
to know which SDK raised it; a :class:`ConfigError` is a mistake only the user can fix, so
its message says what to change.
"""

from __future__ import annotations

import json

from .redact import Redactor


class ModelError(Exception):
    """Base class of every error raised by :mod:`tiffany.models`."""


class ConfigError(ModelError):
    """A client was asked for something it cannot be built with (bad spec, missing key)."""


class MissingDependencyError(ConfigError):
    """An optional package a provider needs is not installed."""


class ProviderError(ModelError):
    """A model call failed; ``retryable`` says whether the same call may succeed later.

    ``message`` is the provider's own words (secrets redacted), because a non-retryable
    error is raised at once and the user has to act on it.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        kind: str = "api",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        self.kind = kind

    def __str__(self) -> str:
        status = f" {self.status}" if self.status is not None else ""
        return f"{self.provider}{status} ({self.kind}): {self.message}"


class ScriptExhaustedError(ModelError):
    """A scripted provider was asked for more responses than its script holds."""


class CacheMissError(ModelError):
    """A cache in replay mode has no answer for a request, and replay forbids calling out."""


def is_transport_error(exc: BaseException) -> bool:
    """An exception from the HTTP stack under an SDK (connection reset, broken chunking).

    SDKs wrap these while sending a request but not always while a stream is read, and
    their HTTP stacks differ by version (httpx, httpx2), hence the check by module name.
    """
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    module = type(exc).__module__.split(".", 1)[0]
    return module in {"httpx", "httpx2", "httpcore", "httpcore2", "h11", "urllib3"}


def unwrapped_error(exc: BaseException, provider: str, redactor: Redactor) -> ProviderError | None:
    """``exc`` as a retryable :class:`ProviderError` when an SDK let it through unwrapped: a
    body that is not JSON, or a failure of the HTTP stack under it; None for anything else.

    OpenAI's SDK and Anthropic's both let these through, so their providers report them
    alike; each maps the errors of its own SDK first.
    """
    if isinstance(exc, json.JSONDecodeError):
        return ProviderError(
            f"the server sent invalid JSON: {exc}",
            provider=provider,
            retryable=True,
            kind="malformed",
        )
    if is_transport_error(exc):
        return ProviderError(
            redactor.text(f"{type(exc).__name__}: {exc}"),
            provider=provider,
            retryable=True,
            kind="connection",
        )
    return None
