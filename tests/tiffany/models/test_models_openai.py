"""OpenAI-compatible calls through the official SDK, over real HTTP to the scripted server."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import aclosing
from typing import Any

import pytest

import tiffany
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

KEY = "sk-test-0123456789abcdefghij"
WEATHER = ToolSpec(
    "weather",
    "Weather for a city",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


def make(server: ScriptedServer, **options: Any) -> Client:
    options.setdefault("retry", RetryPolicy(max_attempts=5, base_delay=1.0, jitter=0.0))
    return client("openai-compatible:test-model", base_url=server.base_url, api_key=KEY, **options)


def test_request_and_response_mapping(run: Runner) -> None:
    script = [
        {
            "text": "Let me check.",
            "tool_calls": [{"id": "call_9", "name": "weather", "arguments": {"city": "Paris"}}],
            "usage": {"input_tokens": 21, "output_tokens": 7},
        }
    ]
    with ScriptedServer(script) as server:
        llm = make(server, params={"temperature": 0.0})
        conversation = [
            Message.system("You are terse."),
            Message.user("Weather in Oslo and Paris?"),
            Message.assistant("", (ToolCall("call_1", "weather", {"city": "Oslo"}),)),
            ToolResult("call_1", "weather", "rain").to_message(),
        ]

        async def main() -> Completion:
            return await llm.complete(conversation, tools=[WEATHER], max_tokens=50)

        completion = run(main)
        [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body == {
        "model": "test-model",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Weather in Oslo and Paris?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "rain"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "weather",
                    "description": "Weather for a city",
                    "parameters": WEATHER.parameters,
                },
            }
        ],
        "temperature": 0.0,
        "max_tokens": 50,
    }
    assert completion.text == "Let me check."
    assert completion.tool_calls == (
        ToolCall("call_9", "weather", {"city": "Paris"}, '{"city": "Paris"}'),
    )
    assert completion.finish_reason == "tool_calls"
    assert (completion.usage.input_tokens, completion.usage.output_tokens) == (21, 7)
    assert completion.model == "test-model" and completion.provider == "openai-compatible"
    assert completion.latency > 0 and not completion.cached


def test_streaming_yields_deltas_then_the_whole_completion(run: Runner) -> None:
    script = [
        {
            "text": "It is sunny in Paris today.",
            "tool_calls": [{"id": "call_2", "name": "weather", "arguments": {"city": "Rome"}}],
            "usage": {"input_tokens": 5, "output_tokens": 9},
        }
    ]
    with ScriptedServer(script) as server:
        llm = make(server)

        async def main() -> list[Any]:
            return [event async for event in llm.stream("weather?", tools=[WEATHER])]

        events = run(main)
        body = server.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    texts = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(texts) > 1 and "".join(texts) == "It is sunny in Paris today."
    assert any(isinstance(e, ToolCallDelta) and e.name == "weather" for e in events)
    done = events[-1]
    assert isinstance(done, Done)
    assert done.completion.text == "It is sunny in Paris today."
    assert done.completion.tool_calls[0].arguments == {"city": "Rome"}
    assert done.completion.usage.output_tokens == 9
    assert done.completion.finish_reason == "tool_calls"


def test_retries_transient_failures_honouring_retry_after(
    run: Runner, recorder: EventRecorder
) -> None:
    script: list[dict[str, Any]] = [
        {"error": {"status": 429, "message": "slow down", "retry_after": 30}},
        {"error": {"status": 500, "message": "boom"}},
        {"fault": "drop"},
        {"fault": "malformed"},
        {"error": {"status": 503}},
        {"text": "finally"},
    ]
    with ScriptedServer(script) as server:
        llm = make(server, retry=RetryPolicy(max_attempts=6, base_delay=1.0, jitter=0.0))

        async def main() -> tuple[Completion, float]:
            started = tiffany.current_time()
            completion = await llm.complete("hi")
            return completion, tiffany.current_time() - started

        completion, elapsed = run(main)
        assert len(server.requests) == 6
    assert completion.text == "finally"
    retries = recorder.of("model.call.retry")
    assert [r["delay"] for r in retries] == [30.0, 2.0, 4.0, 8.0, 16.0]
    assert [r["status"] for r in retries] == [429, 500, None, None, 503]
    assert [r["error_kind"] for r in retries] == ["api", "api", "connection", "malformed", "api"]
    assert retries[0]["error"] == "slow down"
    assert elapsed == pytest.approx(60.0)  # on the virtual clock: no real waiting
    [finish] = recorder.of("model.call.finish")
    assert finish["attempts"] == 6


def test_non_retryable_error_raises_at_once_with_the_providers_message(
    run: Runner, recorder: EventRecorder
) -> None:
    script = [{"error": {"status": 400, "message": "messages[0].content is too long"}}]
    with ScriptedServer(script) as server:
        llm = make(server)

        async def main() -> None:
            await llm.complete("hi")

        with pytest.raises(ProviderError) as caught:
            run(main)
        assert len(server.requests) == 1
    assert caught.value.status == 400 and not caught.value.retryable
    assert caught.value.message == "messages[0].content is too long"
    assert recorder.kinds() == ["model.call.start", "model.call.error"]


def test_attempts_are_bounded(run: Runner, recorder: EventRecorder) -> None:
    with ScriptedServer([{"error": {"status": 502}}] * 5) as server:
        llm = make(server, retry=RetryPolicy(max_attempts=3, base_delay=0.5, jitter=0.0))

        async def main() -> None:
            await llm.complete("hi")

        with pytest.raises(ProviderError, match="502"):
            run(main)
        assert len(server.requests) == 3
    assert recorder.of("model.call.error")[0]["attempts"] == 3


def test_slow_response_times_out_and_is_retried(run: Runner, recorder: EventRecorder) -> None:
    with ScriptedServer([{"delay": 2.0, "text": "late"}, {"text": "quick"}]) as server:
        llm = client(
            "openai-compatible:m",
            base_url=server.base_url,
            timeout=0.2,
            retry=RetryPolicy(base_delay=0.1, jitter=0.0),
        )

        async def main() -> Completion:
            return await llm.complete("hi")

        assert run(main).text == "quick"
    assert recorder.of("model.call.retry")[0]["error_kind"] == "timeout"


def test_stream_cut_after_output_is_raised_not_retried(run: Runner) -> None:
    script: list[dict[str, Any]] = [
        {"text": "a long answer that is cut", "drop_after_chunks": 3},
        {"text": "never"},
    ]
    with ScriptedServer(script) as server:
        llm = make(server)
        seen: list[str] = []

        async def main() -> None:
            async for event in llm.stream("hi"):
                if isinstance(event, TextDelta):
                    seen.append(event.text)

        with pytest.raises(ProviderError) as caught:
            run(main)
        assert len(server.requests) == 1
    assert seen and caught.value.kind == "connection"


def test_stream_dropped_before_output_is_retried(run: Runner) -> None:
    with ScriptedServer([{"text": "x", "drop_after_chunks": 0}, {"text": "ok"}]) as server:
        llm = make(server)

        async def main() -> Any:
            return [e async for e in llm.stream("hi")][-1]

        done = run(main)
        assert len(server.requests) == 2
    assert isinstance(done, Done) and done.completion.text == "ok"


def test_cancellation_mid_call_returns_at_once(run: Runner, recorder: EventRecorder) -> None:
    with ScriptedServer([{"fault": "hang"}]) as server:
        llm = make(server)

        async def main() -> tuple[bool, float]:
            task = await tiffany.spawn(llm.complete, "hang please")
            await tiffany.to_thread(server.wait_for_requests, 1)
            started = time.monotonic()
            await task.cancel()
            took = time.monotonic() - started
            server.release()
            return task.cancelled, took

        cancelled, took = run(main)
    assert cancelled and took < 1.0
    [error] = recorder.of("model.call.error")
    assert error["error_kind"] == "cancelled"


def test_timeout_scope_cancels_a_waiting_call(run: Runner) -> None:
    # A call waiting for a retry sleeps on the kernel clock, so fail_after reaches it.
    with ScriptedServer([{"error": {"status": 429, "retry_after": 100}}]) as server:
        llm = make(server)

        async def main() -> float:
            with pytest.raises(tiffany.TooSlowError), tiffany.fail_after(10):
                await llm.complete("hi")
            return tiffany.current_time()

        assert run(main) == pytest.approx(10.0)


def test_secrets_never_reach_events_or_errors(run: Runner, recorder: EventRecorder) -> None:
    script = [{"error": {"status": 401, "message": f"Incorrect API key provided: {KEY}"}}]
    with ScriptedServer([{"text": "ok"}, *script]) as server:
        llm = make(server)
        prompt = "debug this: curl -H 'Authorization: Bearer live-token-123456789' api"

        async def main() -> ProviderError:
            await llm.complete(prompt)
            with pytest.raises(ProviderError) as caught:
                await llm.complete(f"my key is {KEY}")
            return caught.value

        error = run(main)
        assert server.requests[1].headers["authorization"] == f"Bearer {KEY}"
    dumped = json.dumps(recorder.events)
    assert KEY not in dumped and "live-token-123456789" not in dumped
    assert "[REDACTED]" in dumped
    assert KEY not in str(error) and "Incorrect API key provided" in str(error)


def test_text_tool_protocol_over_a_plain_chat_model(run: Runner) -> None:
    reply = (
        'Checking.\n<tool_call>\n{"name": "weather", "arguments": {"city": "Oslo"}}\n</tool_call>'
    )
    with ScriptedServer([{"text": reply}]) as server:
        llm = make(server, tool_protocol="text")

        async def main() -> Completion:
            return await llm.complete("Weather in Oslo?", tools=[WEATHER])

        completion = run(main)
        body = server.requests[0].body
    assert "tools" not in body
    assert body["messages"][0]["role"] == "system"
    assert "<tool_call>" in body["messages"][0]["content"]
    assert completion.text == "Checking."
    assert completion.tool_calls == (
        ToolCall("call-0-0", "weather", {"city": "Oslo"}, '{"city": "Oslo"}'),
    )
    assert completion.finish_reason == "tool_calls"


def test_leaving_a_stream_early_releases_its_capacity(run: Runner, recorder: EventRecorder) -> None:
    with ScriptedServer([{"text": "a long story that nobody reads"}, {"text": "next"}]) as server:
        llm = make(server, max_concurrent=1)

        async def main() -> str:
            async with aclosing(llm.stream("story")) as events:
                async for event in events:
                    if isinstance(event, TextDelta):
                        break
            return (await llm.complete("next")).text  # would wait forever on a leaked slot

        assert run(main) == "next"
    assert "the caller stopped reading" in recorder.of("model.call.error")[0]["error"]
