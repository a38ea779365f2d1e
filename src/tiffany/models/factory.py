"""``client("provider:model", **options)``: one string names a model anywhere in the platform.

Options come from four places, most specific first: keyword arguments, the providers'
usual environment variables (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``ANTHROPIC_API_KEY``,
``ANTHROPIC_BASE_URL``), a TOML file (``config=`` or ``$TIFFANY_MODELS_CONFIG``; tables
``[models."spec"]``, then ``[providers.name]``, then ``[defaults]``), and built-in
defaults. The TOML file may name the variable that holds a key (``api_key_env``) but may
not hold a key itself, because such files end up committed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from .accounting import Ledger, Pricing
from .cache import ResponseCache
from .client import Client
from .errors import ConfigError
from .limits import RateLimiter, RateLimits
from .protocol import Provider
from .redact import Redactor
from .retry import RetryPolicy

CONFIG_ENV = "TIFFANY_MODELS_CONFIG"
OPENAI_COMPATIBLE_DEFAULTS = {
    "openai-compatible": None,
    "ollama": "http://localhost:11434/v1",
    "vllm": "http://localhost:8000/v1",
    "sglang": "http://localhost:30000/v1",
    "llamacpp": "http://localhost:8080/v1",
    "lmstudio": "http://localhost:1234/v1",
}
PROVIDERS = ("openai", "anthropic", "cli", "scripted", *OPENAI_COMPATIBLE_DEFAULTS)
CONFIG_KEYS = {
    "base_url",
    "api_key_env",
    "timeout",
    "organization",
    "headers",
    "max_attempts",
    "requests_per_minute",
    "tokens_per_minute",
    "max_concurrent",
    "cache",
    "cache_mode",
    "tool_protocol",
    "params",
    "executable",
    "extra_args",
    "cwd",
    "stream_usage",
}
OBJECT_KEYS = {
    "api_key",
    "retry",
    "limiter",
    "ledger",
    "pricing",
    "config",
    "env",
    "redactor",
    "spending_limit",
}
OPTION_KEYS = CONFIG_KEYS | OBJECT_KEYS


def parse_spec(spec: str) -> tuple[str, str]:
    """Split ``provider:model``; the model part may itself contain colons (``cli:claude:opus``)."""
    provider, sep, model = spec.partition(":")
    if not sep or not provider or not model:
        raise ConfigError(
            f"model spec {spec!r} must look like provider:model, e.g. openai:gpt-4o-mini, "
            "anthropic:claude-sonnet-4-0, openai-compatible:llama3 (with base_url), cli:claude, "
            "scripted:path/to/script.jsonl"
        )
    if provider not in PROVIDERS:
        raise ConfigError(
            f"unknown provider {provider!r} in {spec!r}; known providers: {', '.join(PROVIDERS)}"
        )
    return provider, model


def load_config(path: str | Path | None, env: Mapping[str, str]) -> dict[str, Any]:
    """The TOML configuration, or ``{}`` when none is named."""
    chosen = path if path is not None else env.get(CONFIG_ENV)
    if not chosen:
        return {}
    file = Path(chosen)
    try:
        with file.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"model config {file} does not exist (named by "
            f"{'config=' if path is not None else '$' + CONFIG_ENV})"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"model config {file} is not valid TOML: {exc}") from None
    unknown = set(data) - {"defaults", "providers", "models", "aliases", "pricing"}
    if unknown:
        raise ConfigError(
            f"{file}: unknown table(s) {sorted(unknown)}; use defaults, "
            "providers, models, aliases and pricing"
        )
    data["__file__"] = str(file)
    return data


def _checked(table: Any, where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    if "api_key" in table:
        raise ConfigError(
            f"{where} holds an api_key; keep keys out of files: put the key "
            "in an environment variable and set api_key_env to its name"
        )
    unknown = set(table) - CONFIG_KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {sorted(unknown)}; "
            f"known keys: {', '.join(sorted(CONFIG_KEYS))}"
        )
    return dict(table)


def resolve_options(
    spec: str, provider: str, config: Mapping[str, Any], options: Mapping[str, Any]
) -> dict[str, Any]:
    """Merge defaults, provider table, model table and keyword arguments (last wins)."""
    file = config.get("__file__", "config")
    merged: dict[str, Any] = {}
    merged.update(_checked(config.get("defaults", {}), f"{file} [defaults]"))
    merged.update(
        _checked(config.get("providers", {}).get(provider, {}), f"{file} [providers.{provider}]")
    )
    merged.update(_checked(config.get("models", {}).get(spec, {}), f'{file} [models."{spec}"]'))
    merged.update({k: v for k, v in options.items() if v is not None})
    return merged


def _api_key(
    provider: str, merged: Mapping[str, Any], env: Mapping[str, str], variable: str | None
) -> str | None:
    if merged.get("api_key"):
        return str(merged["api_key"])
    named = merged.get("api_key_env")
    if named:
        if not env.get(named):
            raise ConfigError(f"api_key_env names ${named}, which is not set; export it")
        return env[named]
    return env.get(variable) if variable else None


def _provider(
    provider: str, model: str, merged: Mapping[str, Any], env: Mapping[str, str], redactor: Redactor
) -> Provider:
    timeout = float(merged.get("timeout", 120.0))
    if provider == "openai" or provider in OPENAI_COMPATIBLE_DEFAULTS:
        from .openai_provider import OpenAIProvider

        compatible = provider != "openai"
        base_url = (
            merged.get("base_url")
            or env.get("OPENAI_BASE_URL")
            or (OPENAI_COMPATIBLE_DEFAULTS.get(provider) if compatible else None)
        )
        if compatible and not base_url:
            raise ConfigError(
                f"{provider}:{model} needs the server's address: pass "
                "base_url='http://host:port/v1' or set OPENAI_BASE_URL"
            )
        key = _api_key(provider, merged, env, "OPENAI_API_KEY")
        if not key:
            if not compatible:
                raise ConfigError("openai:* needs an API key: set OPENAI_API_KEY or pass api_key=")
            key = "not-needed"  # local servers ignore it, the SDK insists on one
        redactor.add(key)
        return OpenAIProvider(
            model,
            api_key=key,
            base_url=base_url,
            timeout=timeout,
            name=provider,
            organization=merged.get("organization"),
            default_headers=merged.get("headers"),
            stream_usage=bool(merged.get("stream_usage", True)),
            redactor=redactor,
        )
    if provider == "anthropic":
        from .anthropic_provider import AnthropicProvider

        key = _api_key(provider, merged, env, "ANTHROPIC_API_KEY")
        if not key:
            raise ConfigError(
                "anthropic:* needs an API key: set ANTHROPIC_API_KEY or pass api_key="
            )
        redactor.add(key)
        base_url = merged.get("base_url") or env.get("ANTHROPIC_BASE_URL")
        return AnthropicProvider(
            model, api_key=key, base_url=base_url, timeout=timeout, redactor=redactor
        )
    if provider == "cli":
        from .cli_provider import KINDS, CLIKind, CLIProvider

        kind, _, cli_model = model.partition(":")
        if kind not in KINDS:
            raise ConfigError(
                f"cli:{model}: the CLI must be one of {', '.join(KINDS)} "
                "(cli:claude, cli:codex, cli:claude:MODEL)"
            )
        extra: Sequence[str] = merged.get("extra_args", ())
        return CLIProvider(
            cast(CLIKind, kind),
            model=cli_model or None,
            executable=merged.get("executable"),
            timeout=float(merged.get("timeout", 600.0)),
            extra_args=extra,
            cwd=merged.get("cwd"),
            redactor=redactor,
        )
    from .scripted import ScriptedProvider

    return ScriptedProvider(model, model=Path(model).stem)


def client(spec: str, **options: Any) -> Client:
    """Build a :class:`Client` for ``spec``; see ``docs/tiffany/models.md`` for options."""
    unknown = set(options) - OPTION_KEYS
    if unknown:
        raise ConfigError(
            f"unknown option(s) {sorted(unknown)} for client({spec!r}); "
            f"known options: {', '.join(sorted(OPTION_KEYS))} (model "
            "parameters such as temperature go in params={...})"
        )
    env: Mapping[str, str] = options.get("env") or os.environ
    config = load_config(options.get("config"), env)
    spec = config.get("aliases", {}).get(spec, spec)
    provider_name, model = parse_spec(spec)
    merged = resolve_options(spec, provider_name, config, options)
    redactor: Redactor = merged.get("redactor") or Redactor()
    provider = _provider(provider_name, model, merged, env, redactor)

    retry = merged.get("retry")
    if retry is None:
        retry = RetryPolicy(max_attempts=int(merged.get("max_attempts", 5)))
    limiter = merged.get("limiter")
    if limiter is None:
        limits = RateLimits(
            merged.get("requests_per_minute"),
            merged.get("tokens_per_minute"),
            merged.get("max_concurrent"),
        )
        limiter = None if limits.unlimited else RateLimiter(limits)
    cache = merged.get("cache")
    if cache is not None and not isinstance(cache, ResponseCache):
        cache = ResponseCache(cache, merged.get("cache_mode", "readwrite"), redactor)
    ledger = merged.get("ledger")
    if ledger is None:
        ledger = Ledger()
    for name, price in {**config.get("pricing", {}), **(merged.get("pricing") or {})}.items():
        ledger.pricing[name] = price if isinstance(price, Pricing) else Pricing.from_dict(price)
    return Client(
        provider,
        retry=retry,
        limiter=limiter,
        cache=cache,
        ledger=ledger,
        redactor=redactor,
        tool_protocol=merged.get("tool_protocol", "auto"),
        params=merged.get("params"),
        spending_limit=merged.get("spending_limit"),
    )
