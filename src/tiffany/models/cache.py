"""A response cache on disk: same request, same answer, no model call.

The key is the SHA-256 of the whole request in canonical JSON (provider, model,
messages, tools, model parameters), so any change to what the model would see is a miss,
and nothing outside it (timeouts, keys, limits) is. Each entry is one small, pretty JSON
file under ``<dir>/<key[:2]>/<key>.json``: diffable, mergeable and fine to commit next to
the artifact it produced, which makes a build that used a model reproducible. Files are
written to a temporary name and moved into place with ``os.replace``, so a reader (or a
crash) never sees half an entry. Secrets are redacted before anything is written.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from ..atomic import write_atomic
from .errors import CacheMissError, ConfigError
from .redact import Redactor
from .types import Completion, Request

CacheMode = Literal["readwrite", "read", "write", "replay"]
MODES: tuple[str, ...] = ("readwrite", "read", "write", "replay")
FORMAT = 1


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def request_key(request: Request) -> str:
    """The digest that names a request's cache entry."""
    payload = {"format": FORMAT, **request.to_dict()}
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


class ResponseCache:
    """A directory of cached completions.

    Modes: ``readwrite`` (default) answers hits and stores misses; ``read`` only answers;
    ``write`` only stores (to refresh a cache); ``replay`` answers and raises
    :class:`CacheMissError` on a miss, for builds that must not call a model.
    """

    def __init__(
        self, directory: str | Path, mode: CacheMode = "readwrite", redactor: Redactor | None = None
    ) -> None:
        if mode not in MODES:
            raise ConfigError(f"cache mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.directory = Path(directory)
        self.mode: CacheMode = mode
        self.redactor = redactor or Redactor()
        self.hits = 0
        self.misses = 0

    def path_for(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, request: Request) -> Completion | None:
        """The cached answer, marked ``cached``; None on a miss (or in ``write`` mode)."""
        if self.mode == "write":
            return None
        key = request_key(request)
        path = self.path_for(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = None
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"cache entry {path} is unreadable ({exc}); delete it to call the model again"
            ) from exc
        if data is None or data.get("key") != key:
            self.misses += 1
            if self.mode == "replay":
                raise CacheMissError(
                    f"replay cache {self.directory} has no entry {key[:16]}... for a "
                    f"{request.provider}:{request.model} request; run once with the cache in "
                    "readwrite mode to record it"
                )
            return None
        self.hits += 1
        completion = Completion.from_dict(data["completion"])
        return Completion(
            text=completion.text,
            tool_calls=completion.tool_calls,
            finish_reason=completion.finish_reason,
            usage=completion.usage,
            model=completion.model,
            provider=completion.provider,
            latency=0.0,
            cached=True,
        )

    def put(self, request: Request, completion: Completion) -> Path | None:
        """Store an answer (redacted); returns where, or None if this mode never writes."""
        if self.mode in ("read", "replay"):
            return None
        key = request_key(request)
        entry = {
            "format": FORMAT,
            "key": key,
            "request": self.redactor(request.to_dict()),
            "completion": self.redactor(completion.to_dict()),
        }
        path = self.path_for(key)
        write_atomic(path, json.dumps(entry, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        return path
