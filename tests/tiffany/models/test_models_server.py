"""The test server itself, spoken to with the plain OpenAI SDK (no tiffany in between)."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tiffany.models.testing import ScriptedServer


def sdk(server: ScriptedServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="sk-x", max_retries=0, timeout=5)


def test_records_requests_and_reports_an_exhausted_script() -> None:
    with ScriptedServer([{"text": "one"}]) as server:
        api = sdk(server)
        reply = api.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        assert reply.choices[0].message.content == "one"
        with pytest.raises(openai.BadRequestError, match="no response left"):
            api.chat.completions.create(model="m", messages=[{"role": "user", "content": "more"}])
        assert [body["messages"][0]["content"] for body in server.bodies()] == ["hi", "more"]
        assert [m.id for m in api.models.list()] == ["scripted"]
        assert server.in_flight == 0 and server.max_in_flight == 1


def test_faults_look_like_real_failures_to_the_sdk() -> None:
    script: list[dict[str, Any]] = [
        {"error": {"status": 429, "message": "slow", "retry_after": 3}},
        {"fault": "drop"},
        {"fault": "malformed"},
        {"error": {"status": 500}},
    ]
    with ScriptedServer(script) as server:
        api = sdk(server)
        messages: list[openai.types.chat.ChatCompletionMessageParam] = [
            {"role": "user", "content": "x"}
        ]
        with pytest.raises(openai.RateLimitError) as limited:
            api.chat.completions.create(model="m", messages=messages)
        assert limited.value.response.headers["retry-after"] == "3"
        with pytest.raises(openai.APIConnectionError):
            api.chat.completions.create(model="m", messages=messages)
        with pytest.raises(ValueError):  # the SDK cannot decode the body
            api.chat.completions.create(model="m", messages=messages)
        with pytest.raises(openai.InternalServerError):
            api.chat.completions.create(model="m", messages=messages)


def test_stream_helper_accepts_the_chunks() -> None:
    """The SDK's stream helper drops partial chunks; ours are full chunk objects."""
    with ScriptedServer([{"text": "streaming works"}]) as server:
        api = sdk(server)
        with api.chat.completions.stream(
            model="m", messages=[{"role": "user", "content": "x"}]
        ) as stream:
            final = stream.get_final_completion()
    assert final.choices[0].message.content == "streaming works"
