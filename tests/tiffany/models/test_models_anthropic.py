"""Anthropic messages through the official SDK, against the test server's /v1/messages route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tiffany.models import (
    Completion,
    Done,
    Message,
    ProviderError,
    RetryPolicy,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolResult,
    ToolSpec,
    client,
)
from tiffany.models.client import Client
from tiffany.models.testing import EventRecorder, ScriptedServer

Runner = Callable[..., Any]

pytest.importorskip(
    "anthropic",
    reason="the optional 'anthropic' SDK is not installed "
    "(pip install 'tiffany-platform[anthropic]')",
)

KEY = "sk-ant-test-0123456789abcdef"
WEATHER = ToolSpec(
    "weather", "Weather for a city", {"type": "object", "properties": {"city": {"type": "string"}}}
)


def make(server: ScriptedServer) -> Client:
    return client(
        "anthropic:claude-test",
        base_url=server.url,
        api_key=KEY,
        retry=RetryPolicy(base_delay=1.0, jitter=0.0),
        params={"max_tokens": 99},
    )


def test_request_and_response_mapping(run: Runner) -> None:
    script = [
        {
            "text": "Checking Rome.",
            "tool_calls": [{"id": "toolu_2", "name": "weather", "arguments": {"city": "Rome"}}],
            "usage": {"input_tokens": 30, "output_tokens": 12},
        }
    ]
    with ScriptedServer(script) as server:
        llm = make(server)
        conversation = [
            Message.system("Be terse."),
            Message.user("Weather in Oslo, then Rome?"),
            Message.assistant("Oslo first.", (ToolCall("toolu_1", "weather", {"city": "Oslo"}),)),
            ToolResult("toolu_1", "weather", "rain", is_error=False).to_message(),
            Message.user("And Rome?"),
        ]

        async def main() -> Completion:
            return await llm.complete(conversation, tools=[WEATHER])

        completion = run(main)
        [request] = server.requests
    assert request.path == "/v1/messages"
    # SDK versions differ in how they send the key; either way it is this one.
    assert KEY in (request.headers.get("x-api-key"), request.headers.get("authorization", "")[7:])
    assert request.body == {
        "model": "claude-test",
        "max_tokens": 99,
        "system": "Be terse.",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Weather in Oslo, then Rome?"}]},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Oslo first."},
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "weather",
                        "input": {"city": "Oslo"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "rain"},
                    {"type": "text", "text": "And Rome?"},
                ],
            },
        ],
        "tools": [
            {
                "name": "weather",
                "description": "Weather for a city",
                "input_schema": WEATHER.parameters,
            }
        ],
    }
    assert completion.text == "Checking Rome."
    assert completion.tool_calls[0].id == "toolu_2"
    assert completion.tool_calls[0].arguments == {"city": "Rome"}
    assert completion.finish_reason == "tool_calls"
    assert (completion.usage.input_tokens, completion.usage.output_tokens) == (30, 12)
    assert completion.provider == "anthropic" and completion.model == "claude-test"


def test_streaming(run: Runner) -> None:
    script = [
        {
            "text": "Sunny all week in Rome.",
            "tool_calls": [{"id": "toolu_3", "name": "weather", "arguments": {"city": "Bern"}}],
            "usage": {"input_tokens": 4, "output_tokens": 8},
        }
    ]
    with ScriptedServer(script) as server:
        llm = make(server)

        async def main() -> list[Any]:
            return [e async for e in llm.stream("weather?", tools=[WEATHER])]

        events = run(main)
        assert server.requests[0].body["stream"] is True
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == "Sunny all week in Rome."
    assert any(isinstance(e, ToolCallDelta) and e.name == "weather" for e in events)
    done = events[-1]
    assert isinstance(done, Done)
    assert done.completion.tool_calls == (
        ToolCall("toolu_3", "weather", {"city": "Bern"}, '{"city": "Bern"}'),
    )
    assert done.completion.usage.output_tokens == 8 and done.completion.usage.input_tokens == 4
    assert done.completion.finish_reason == "tool_calls"


def test_errors_map_to_retry_decisions(run: Runner, recorder: EventRecorder) -> None:
    script: list[dict[str, Any]] = [
        {"error": {"status": 429, "message": "rate limited", "retry_after": 12}},
        {"error": {"status": 529, "message": "overloaded"}},
        {"text": "ok"},
        {"error": {"status": 400, "message": "max_tokens: too large"}},
    ]
    with ScriptedServer(script) as server:
        llm = make(server)

        async def main() -> ProviderError:
            assert (await llm.complete("a")).text == "ok"
            with pytest.raises(ProviderError) as caught:
                await llm.complete("b")
            return caught.value

        error = run(main)
        assert len(server.requests) == 4
    assert [r["delay"] for r in recorder.of("model.call.retry")] == [12.0, 2.0]
    assert error.status == 400 and error.message == "max_tokens: too large"
