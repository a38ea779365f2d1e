"""Secret redaction for everything model I/O lets out: events, errors, cache files.

Two nets, because either alone leaks: the exact values a client was configured with (its
API key, whatever the caller registers), and patterns that look like credentials wherever
they come from (a key pasted into a prompt, a header echoed in a provider's error).
Mapping keys that name credentials (``authorization``, ``api_key``, ...) have their values
replaced whatever they look like.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[REDACTED]"

SECRET_KEYS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "api_key",
        "apikey",
        "openai-api-key",
        "anthropic-api-key",
        "cookie",
        "set-cookie",
        "password",
        "secret",
        "client_secret",
        "access_token",
        "refresh_token",
        "token",
        "x-goog-api-key",
    }
)

_KEEP_LABEL = r"\1\2\3" + REDACTED
#: (triggers, pattern, replacement). A pattern runs only on text that contains one of its
#: triggers (lowercase substrings every match must contain): a substring test is a fast
#: scan, a regex is not, and most text (source code, test output) has no trigger at all.
#: A pattern that starts with a literal checks its word boundary after it (``sk-(?<=\bsk-)``)
#: so that ``re`` can skip ahead to the literal instead of trying every position.
PATTERNS: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    # "Authorization: Bearer abc", "authorization=Basic abc": keep the label, drop the value.
    (
        ("authorization",),
        re.compile(
            r"(?i)\b(authorization|proxy-authorization)(\"?\s*[:=]\s*)(\"?)"
            r"(?:(?:bearer|basic|token)\s+)?[^\s\",}]+"
        ),
        _KEEP_LABEL,
    ),
    (
        ("bearer", "basic"),
        re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
        r"\1 " + REDACTED,
    ),
    # OpenAI and Anthropic style keys: sk-..., sk-proj-..., sk-ant-...
    (("sk-",), re.compile(r"sk-(?<=\bsk-)[A-Za-z0-9_-]{16,}"), REDACTED),
    # api_key=..., "x-api-key": "..."
    (
        ("apikey", "api_key", "api-key", "access_token", "access-token", "accesstoken", "secret"),
        re.compile(
            r"(?i)\b(api[_-]?key|x-api-key|access[_-]?token|secret)(\"?\s*[:=]\s*)(\"?)"
            r"[A-Za-z0-9._~+/=-]{8,}"
        ),
        _KEEP_LABEL,
    ),
    # GitHub, Slack, AWS, Google tokens.
    (
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        re.compile(r"\b(ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}"),
        REDACTED,
    ),
    (("xox",), re.compile(r"xox(?<=\bxox)[abposr]-[A-Za-z0-9-]{10,}"), REDACTED),
    (("akia",), re.compile(r"AKIA(?<=\bAKIA)[0-9A-Z]{16}\b"), REDACTED),
    (("aiza",), re.compile(r"AIza(?<=\bAIza)[0-9A-Za-z_-]{35}\b"), REDACTED),
)


class Redactor:
    """Replaces secrets in strings and nested containers; cheap enough for every event."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Redact this exact value from now on (short values would redact ordinary text)."""
        if secret and len(secret) >= 6:
            self._secrets.add(secret)

    def text(self, value: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, REDACTED)
        lowered = value.lower()
        for triggers, pattern, replacement in PATTERNS:
            if any(trigger in lowered for trigger in triggers):
                value = pattern.sub(replacement, value)
        return value

    def __call__(self, value: Any) -> Any:
        """A redacted copy of ``value``: str, mapping, list or tuple, recursively."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                if isinstance(key, str) and key.lower() in SECRET_KEYS and item:
                    out[key] = REDACTED
                else:
                    out[key] = self(item)
            return out
        if isinstance(value, list | tuple):
            return type(value)(self(item) for item in value)
        return value


DEFAULT = Redactor()


def redact(value: Any) -> Any:
    """Redact by pattern only, for code that has no configured client at hand."""
    return DEFAULT(value)
