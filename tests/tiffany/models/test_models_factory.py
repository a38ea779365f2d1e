"""client("provider:model", ...): options from arguments, environment and a TOML file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tiffany.models import (
    ConfigError,
    Ledger,
    ModelClient,
    RateLimiter,
    client,
    parse_spec,
)
from tiffany.models.anthropic_provider import AnthropicProvider
from tiffany.models.cli_provider import CLIProvider
from tiffany.models.openai_provider import OpenAIProvider
from tiffany.models.scripted import ScriptedProvider
from tiffany.models.testing import ScriptedServer

Runner = Callable[..., Any]


def test_spec_parsing() -> None:
    assert parse_spec("openai:gpt-4o-mini") == ("openai", "gpt-4o-mini")
    assert parse_spec("cli:claude:opus") == ("cli", "claude:opus")
    assert parse_spec("scripted:/tmp/a:b.jsonl") == ("scripted", "/tmp/a:b.jsonl")
    with pytest.raises(ConfigError, match="must look like provider:model"):
        parse_spec("gpt-4o")
    with pytest.raises(ConfigError, match=r"unknown provider 'opneai'.*known providers"):
        parse_spec("opneai:gpt-4o")


def test_openai_needs_a_key_and_reads_the_environment() -> None:
    with pytest.raises(ConfigError, match="set OPENAI_API_KEY"):
        client("openai:gpt-4o", env={})
    llm = client(
        "openai:gpt-4o",
        env={"OPENAI_API_KEY": "sk-env-key-1234567890", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"},
    )
    assert isinstance(llm, ModelClient)
    assert isinstance(llm.provider, OpenAIProvider)
    assert llm.spec == "openai:gpt-4o"
    assert str(llm.provider._sdk.base_url).startswith("http://127.0.0.1:9/v1")
    # the key is registered for redaction the moment it is used
    assert "sk-env-key-1234567890" not in llm.redactor.text("key sk-env-key-1234567890")


def test_openai_compatible_needs_an_address_and_no_key() -> None:
    with pytest.raises(ConfigError, match="pass base_url="):
        client("openai-compatible:llama3", env={})
    llm = client("openai-compatible:llama3", base_url="http://127.0.0.1:9/v1", env={})
    assert isinstance(llm.provider, OpenAIProvider) and llm.provider.name == "openai-compatible"
    local = client("ollama:llama3", env={})
    assert str(local.provider._sdk.base_url).startswith("http://localhost:11434/v1")  # type: ignore[attr-defined]


def test_unknown_options_are_refused_by_name() -> None:
    with pytest.raises(ConfigError, match=r"unknown option\(s\) \['tiemout'\].*params="):
        client("scripted:x.jsonl", tiemout=3)


def test_toml_config_layers_and_aliases(tmp_path: Path) -> None:
    config = tmp_path / "models.toml"
    config.write_text("""
[defaults]
timeout = 30
max_attempts = 2

[providers.openai-compatible]
base_url = "http://127.0.0.1:9/v1"
api_key_env = "MY_LOCAL_KEY"
requests_per_minute = 100

[models."openai-compatible:big"]
max_concurrent = 2
params = { temperature = 0.2 }

[aliases]
fast = "openai-compatible:big"

[pricing."big"]
input_per_mtok = 1.0
output_per_mtok = 2.0
""")
    env = {"MY_LOCAL_KEY": "local-key-abcdefgh", "TIFFANY_MODELS_CONFIG": str(config)}
    llm = client("fast", env=env)
    assert llm.spec == "openai-compatible:big"
    assert llm.retry.max_attempts == 2
    assert llm.params == {"temperature": 0.2}
    assert isinstance(llm.limiter, RateLimiter)
    assert llm.limiter.limits.requests_per_minute == 100
    assert llm.limiter.limits.max_concurrent == 2
    assert llm.provider._sdk.api_key == "local-key-abcdefgh"  # type: ignore[attr-defined]
    assert llm.provider._sdk.timeout == 30  # type: ignore[attr-defined]
    assert llm.ledger.pricing["big"].input_per_mtok == 1.0
    # arguments beat the file
    assert client("fast", env=env, max_attempts=7).retry.max_attempts == 7


def test_toml_problems_are_explained(tmp_path: Path) -> None:
    config = tmp_path / "models.toml"
    config.write_text('[providers.openai]\napi_key = "sk-oops"\n')
    with pytest.raises(ConfigError, match=r"keep keys out of files.*api_key_env"):
        client("openai:gpt-4o", config=config, env={})
    config.write_text("[defaults]\ntimeuot = 3\n")
    with pytest.raises(ConfigError, match=r"\[defaults\]: unknown key\(s\) \['timeuot'\]"):
        client("openai:gpt-4o", config=config, env={})
    config.write_text("[defaults\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        client("openai:gpt-4o", config=config, env={})
    with pytest.raises(ConfigError, match="does not exist"):
        client("openai:gpt-4o", config=tmp_path / "none.toml", env={})
    config.write_text('[providers.openai]\napi_key_env = "NOPE"\n')
    with pytest.raises(ConfigError, match=r"\$NOPE, which is not set"):
        client("openai:gpt-4o", config=config, env={})


def test_every_provider_kind_builds(tmp_path: Path) -> None:
    script = tmp_path / "demo.jsonl"
    script.write_text('{"text": "hi"}\n')
    scripted = client(f"scripted:{script}")
    assert isinstance(scripted.provider, ScriptedProvider) and scripted.model == "demo"
    cli = client("cli:codex:o3", env={})
    assert isinstance(cli.provider, CLIProvider) and cli.provider.argv()[-3:] == [
        "--model",
        "o3",
        "-",
    ]
    with pytest.raises(ConfigError, match="cli:claude, cli:codex"):
        client("cli:gemini", env={})
    with pytest.raises(ConfigError, match="set ANTHROPIC_API_KEY"):
        client("anthropic:claude-sonnet-4-0", env={})
    pytest.importorskip("anthropic", reason="the anthropic extra is not installed")
    llm = client("anthropic:claude-sonnet-4-0", env={"ANTHROPIC_API_KEY": "sk-ant-x123456789"})
    assert isinstance(llm.provider, AnthropicProvider)


def test_shared_ledger_counts_a_run_across_clients(tmp_path: Path, run: Runner) -> None:
    ledger = Ledger()
    with ScriptedServer(
        default={"text": "ok", "usage": {"input_tokens": 1000, "output_tokens": 500}}
    ) as server:
        a = client("openai-compatible:gpt-4o-mini", base_url=server.base_url, ledger=ledger)
        b = client(
            "openai-compatible:unknown-model",
            base_url=server.base_url,
            ledger=ledger,
            pricing={"unknown": {"input_per_mtok": 1, "output_per_mtok": 2}},
        )

        async def main() -> None:
            await a.complete("x")
            await a.complete("y")
            await b.complete("z")

        run(main)
    total = ledger.total()
    assert total.calls == 3 and total.usage.input_tokens == 3000
    by_model = ledger.by_model()
    mini = by_model["openai-compatible:gpt-4o-mini"].cost
    assert mini == pytest.approx(2 * (1000 * 0.15 + 500 * 0.60) / 1e6)
    assert by_model["openai-compatible:unknown-model"].cost == pytest.approx(
        (1000 * 1 + 500 * 2) / 1e6
    )
    assert list(ledger.by_task()) == [1]  # every call came from the main task
