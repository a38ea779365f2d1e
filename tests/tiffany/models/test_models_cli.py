"""Agent CLIs as models, with small fake ``claude`` and ``codex`` executables on PATH."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tiffany
from tiffany.models import Completion, ConfigError, ProviderError, RetryPolicy, ToolSpec, client
from tiffany.models.testing import EventRecorder

Runner = Callable[..., Any]

FAKE = """#!{python}
import json, os, sys, time
name = os.path.basename(sys.argv[0])
prompt = sys.stdin.read()
with open(os.environ["FAKE_CLI_LOG"], "a") as log:
    log.write(json.dumps({{"name": name, "argv": sys.argv[1:], "stdin": prompt,
                          "pid": os.getpid()}}) + "\\n")
mode = os.environ.get("FAKE_CLI_MODE", "ok")
if mode == "hang":
    time.sleep(60)
if mode == "fail":
    print("Error: not logged in; token sk-live-abcdefghijklmnopqrstu", file=sys.stderr)
    sys.exit(2)
reply = os.environ.get("FAKE_CLI_REPLY", "hello from " + name)
if name == "claude":
    print(json.dumps({{"type": "result", "subtype": "success", "is_error": False,
                      "result": reply, "total_cost_usd": 0.01,
                      "usage": {{"input_tokens": 10, "cache_read_input_tokens": 5,
                                "output_tokens": 7}},
                      "modelUsage": {{"claude-fake-1": {{}}}}}}))
else:
    print("a human line codex prints")
    for event in [{{"type": "thread.started", "thread_id": "t1"}}, {{"type": "turn.started"}},
                  {{"type": "item.completed", "item": {{"id": "i0", "type": "reasoning",
                                                       "text": "thinking"}}}},
                  {{"type": "item.completed", "item": {{"id": "i1", "type": "agent_message",
                                                       "text": "draft"}}}},
                  {{"type": "item.completed", "item": {{"id": "i2", "type": "agent_message",
                                                       "text": reply}}}},
                  {{"type": "turn.completed", "usage": {{"input_tokens": 20,
                   "cached_input_tokens": 3, "output_tokens": 4}}}}]:
        print(json.dumps(event))
"""


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory with fake claude and codex first on PATH; returns the call log path."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("claude", "codex"):
        path = bin_dir / name
        path.write_text(FAKE.format(python=sys.executable))
        path.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_CLI_LOG", str(log))
    return log


def calls(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_claude_request_and_response_mapping(fake_bin: Path, run: Runner) -> None:
    llm = client("cli:claude:sonnet")

    async def main() -> Completion:
        return await llm.complete(
            [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."}]
        )

    completion = run(main)
    [call] = calls(fake_bin)
    assert call["argv"] == ["-p", "--output-format", "json", "--model", "sonnet"]
    assert call["stdin"] == "Be brief.\n\nSay hello."  # the prompt goes through stdin
    assert completion.text == "hello from claude"
    assert completion.usage.input_tokens == 15 and completion.usage.cached_tokens == 5
    assert completion.usage.output_tokens == 7
    assert completion.model == "claude-fake-1" and completion.provider == "cli"


def test_codex_request_and_response_mapping(fake_bin: Path, run: Runner) -> None:
    llm = client("cli:codex")

    async def main() -> Completion:
        return await llm.complete("Fix the bug.")

    completion = run(main)
    [call] = calls(fake_bin)
    assert call["argv"] == ["exec", "--json", "-"]
    assert call["stdin"] == "Fix the bug."
    assert completion.text == "hello from codex"  # the last agent message
    assert completion.usage.input_tokens == 20 and completion.usage.output_tokens == 4
    assert completion.model == "codex"


def test_cli_uses_the_text_tool_protocol(
    fake_bin: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "FAKE_CLI_REPLY",
        'On it.\n<tool_call>\n{"name": "grep", "arguments": {"pattern": "TODO"}}\n</tool_call>',
    )
    grep = ToolSpec(
        "grep", "Search the code", {"type": "object", "properties": {"pattern": {"type": "string"}}}
    )
    llm = client("cli:claude")

    async def main() -> Completion:
        return await llm.complete("Find TODOs", tools=[grep])

    completion = run(main)
    stdin = calls(fake_bin)[0]["stdin"]
    assert "<tool_call>" in stdin and "- grep: Search the code" in stdin
    assert completion.text == "On it."
    assert completion.tool_calls[0].name == "grep"
    assert completion.tool_calls[0].arguments == {"pattern": "TODO"}


def test_failing_cli_raises_its_stderr_redacted(
    fake_bin: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CLI_MODE", "fail")
    llm = client("cli:claude")

    async def main() -> None:
        await llm.complete("hi")

    with pytest.raises(ProviderError, match="status 2: Error: not logged in") as caught:
        run(main)
    assert "sk-live" not in str(caught.value)
    assert len(calls(fake_bin)) == 1  # not retried


def test_timeout_kills_the_process(
    fake_bin: Path, run: Runner, recorder: EventRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CLI_MODE", "hang")
    llm = client("cli:codex", timeout=0.3, retry=RetryPolicy(max_attempts=1))

    async def main() -> None:
        await llm.complete("hi")

    with pytest.raises(ProviderError, match=r"did not finish within 0\.3 s") as caught:
        run(main)
    assert caught.value.kind == "timeout" and caught.value.retryable
    assert _gone(calls(fake_bin)[0]["pid"])


def test_cancellation_kills_the_process(
    fake_bin: Path, run: Runner, recorder: EventRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CLI_MODE", "hang")
    llm = client("cli:claude")

    def started() -> int:
        deadline = time.monotonic() + 10
        while not calls(fake_bin) and time.monotonic() < deadline:
            time.sleep(0.01)
        return int(calls(fake_bin)[0]["pid"])

    async def main() -> tuple[int, bool]:
        task = await tiffany.spawn(llm.complete, "hi")
        pid = await tiffany.to_thread(started)
        await task.cancel()
        return pid, task.cancelled

    pid, cancelled = run(main)
    assert cancelled and _gone(pid)
    assert recorder.of("model.call.error")[0]["error_kind"] == "cancelled"


def test_missing_cli_says_how_to_fix(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    llm = client("cli:claude")

    async def main() -> None:
        await llm.complete("hi")

    with pytest.raises(ConfigError, match="not on PATH; install it or pass executable="):
        run(main)


def _gone(pid: int) -> bool:
    """True once ``pid`` has exited and been reaped (a zombie still answers signal 0)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.01)
    return False
