"""The scripted provider, and a tool loop in which the model corrects its own bad calls."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tiffany
from tiffany.models import (
    Completion,
    Done,
    Message,
    ProviderError,
    ScriptExhaustedError,
    TextDelta,
    Toolbox,
    client,
)
from tiffany.models.testing import EventRecorder, ScriptedServer

Runner = Callable[..., Any]


def write_script(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    return path


def test_scripted_client_replays_a_jsonl_file(
    tmp_path: Path, run: Runner, recorder: EventRecorder
) -> None:
    script = write_script(
        tmp_path / "demo.jsonl",
        [
            {"match": {"contains": "capital"}, "text": "Paris", "repeat": True},
            {"text": "first", "usage": {"input_tokens": 3, "output_tokens": 1}},
            {"error": {"status": 429, "message": "slow down", "retry_after": 5}},
            {"delay": 7, "text": "second"},
        ],
    )
    llm = client(f"scripted:{script}")

    async def main() -> list[tuple[str, float]]:
        out = []
        for prompt in ["hello", "capital of France?", "again", "capital again?"]:
            completion = await llm.complete(prompt)
            out.append((completion.text, tiffany.current_time()))
        return out

    assert run(main) == [("first", 0.0), ("Paris", 0.0), ("second", 12.0), ("Paris", 12.0)]
    assert [r["delay"] for r in recorder.of("model.call.retry")] == [5.0]
    assert llm.ledger.total().calls == 4


def test_scripted_stream_and_exhaustion(tmp_path: Path, run: Runner) -> None:
    llm = client(f"scripted:{write_script(tmp_path / 's.jsonl', [{'text': 'a streamed reply'}])}")

    async def main() -> list[Any]:
        events = [e async for e in llm.stream("hi")]
        with pytest.raises(ScriptExhaustedError, match="no response left"):
            await llm.complete("more?")
        return events

    events = run(main)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "a streamed reply"
    assert isinstance(events[-1], Done)


def test_scripted_delay_honours_timeouts_on_the_virtual_clock(tmp_path: Path, run: Runner) -> None:
    llm = client(f"scripted:{write_script(tmp_path / 's.jsonl', [{'delay': 60, 'text': 'x'}])}")

    async def main() -> float:
        with tiffany.move_on_after(5):
            await llm.complete("hi")
        return tiffany.current_time()

    assert run(main) == 5.0


def test_model_corrects_its_tool_calls_from_error_results(run: Runner) -> None:
    """Unknown tool, bad JSON and wrong types reach the model as errors, not crashes."""
    box = Toolbox()

    @box.tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    script: list[dict[str, Any]] = [
        {"tool_calls": [{"id": "c1", "name": "sum", "arguments": {"a": 1, "b": 2}}]},
        {
            "match": {"tool_result_for": "sum"},
            "tool_calls": [{"id": "c2", "name": "add", "arguments": '{"a": 1, "b": '}],
        },
        {"match": {"tool_result_for": "add", "contains": "never"}, "text": "unused"},
        {"tool_calls": [{"id": "c3", "name": "add", "arguments": {"a": "one", "b": 2}}]},
        {"tool_calls": [{"id": "c4", "name": "add", "arguments": {"a": 1, "b": 2}}]},
        {"text": "1 + 2 = 3"},
    ]
    with ScriptedServer(script) as server:
        llm = client("openai-compatible:m", base_url=server.base_url)

        async def agent() -> tuple[Completion, list[str]]:
            conversation: list[Message] = [Message.user("What is 1 + 2?")]
            results: list[str] = []
            while True:
                completion = await llm.complete(conversation, tools=box.specs)
                conversation.append(completion.message())
                if not completion.tool_calls:
                    return completion, results
                for call in completion.tool_calls:
                    result = await box.run(call)
                    results.append(result.content)
                    conversation.append(result.to_message())

        final, results = run(agent)
        tool_messages = [m for m in server.requests[-1].body["messages"] if m["role"] == "tool"]
    assert final.text == "1 + 2 = 3"
    assert "no tool named 'sum'" in results[0] and "Available tools: add" in results[0]
    assert "not valid JSON" in results[1]
    assert "arguments.a" in results[2]
    assert results[3] == "3"
    assert [m["tool_call_id"] for m in tool_messages] == ["c1", "c2", "c3", "c4"]


def test_toolbox_reports_a_failing_tool_as_an_error_result(run: Runner) -> None:
    box = Toolbox()

    @box.tool
    async def explode(reason: str) -> str:
        """Always fails."""
        raise RuntimeError(reason)

    from tiffany.models import ToolCall

    async def main() -> Any:
        return await box.run(ToolCall("c", "explode", {"reason": "kaboom"}))

    result = run(main)
    assert result.is_error and "RuntimeError: kaboom" in result.content


def test_scripted_non_retryable_error(tmp_path: Path, run: Runner) -> None:
    path = write_script(tmp_path / "s.jsonl", [{"error": {"status": 401, "message": "no"}}])
    llm = client(f"scripted:{path}")

    async def main() -> None:
        await llm.complete("hi")

    with pytest.raises(ProviderError, match="401"):
        run(main)
