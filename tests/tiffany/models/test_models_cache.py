"""The response cache: a repeated run makes no model call, and the files are safe to commit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tiffany.models import (
    CacheMissError,
    Completion,
    Done,
    Message,
    Request,
    ResponseCache,
    TextDelta,
    client,
    request_key,
)
from tiffany.models.testing import EventRecorder, ScriptedServer

Runner = Callable[..., Any]

KEY = "sk-cache-test-abcdefghijklmnop"


def test_second_run_is_answered_from_disk(
    tmp_path: Path, run: Runner, recorder: EventRecorder
) -> None:
    cache_dir = tmp_path / "cache"
    prompt = f"summarise; my key is {KEY}"

    with ScriptedServer(
        [{"text": "summary", "usage": {"input_tokens": 9, "output_tokens": 2}}]
    ) as server:
        first = client(
            "openai-compatible:m",
            base_url=server.base_url,
            api_key=KEY,
            cache=cache_dir,
            params={"temperature": 0},
        )

        async def call_first() -> Completion:
            return await first.complete(prompt)

        original = run(call_first)
        assert len(server.requests) == 1
    assert not original.cached

    with ScriptedServer([]) as server:  # an empty script: any request would fail
        second = client(
            "openai-compatible:m",
            base_url=server.base_url,
            api_key=KEY,
            cache=cache_dir,
            params={"temperature": 0},
        )

        async def call_second() -> Completion:
            return await second.complete(prompt)

        again = run(call_second)
        assert server.requests == []
    assert again.cached and again.text == "summary" and again.usage == original.usage
    assert second.ledger.total().cost == 0.0 and second.ledger.total().cached_calls == 1
    finishes = recorder.of("model.call.finish")
    assert [f["cached"] for f in finishes] == [False, True]

    files = [p for p in cache_dir.rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].suffix == ".json"
    entry = json.loads(files[0].read_text())
    assert files[0].stem == entry["key"] and files[0].parent.name == entry["key"][:2]
    assert entry["completion"]["text"] == "summary"
    assert KEY not in files[0].read_text()


def test_key_covers_the_whole_request() -> None:
    base = Request("openai", "m", (Message.user("hi"),), (), {"temperature": 0})
    same = Request("openai", "m", (Message.user("hi"),), (), {"temperature": 0})
    assert request_key(base) == request_key(same)
    variants = [
        Request("openai", "m2", base.messages, (), base.params),
        Request("anthropic", "m", base.messages, (), base.params),
        Request("openai", "m", (Message.user("hi!"),), (), base.params),
        Request("openai", "m", base.messages, (), {"temperature": 1}),
    ]
    assert len({request_key(v) for v in variants} | {request_key(base)}) == 5


def test_replay_mode_refuses_to_call_out(tmp_path: Path, run: Runner) -> None:
    with ScriptedServer([{"text": "never"}]) as server:
        llm = client(
            "openai-compatible:m", base_url=server.base_url, cache=tmp_path, cache_mode="replay"
        )

        async def main() -> None:
            await llm.complete("hi")

        with pytest.raises(CacheMissError, match="run once with the cache in readwrite mode"):
            run(main)
        assert server.requests == []


def test_streaming_hit_replays_deltas(tmp_path: Path, run: Runner) -> None:
    with ScriptedServer([{"text": "streamed once"}]) as server:
        llm = client("openai-compatible:m", base_url=server.base_url, cache=tmp_path)

        async def main() -> tuple[list[Any], list[Any]]:
            first = [e async for e in llm.stream("hi")]
            second = [e async for e in llm.stream("hi")]
            return first, second

        first, second = run(main)
        assert len(server.requests) == 1
    assert second == [TextDelta("streamed once"), Done(second[-1].completion)]
    assert second[-1].completion.cached and not first[-1].completion.cached


def test_corrupt_entry_is_reported_with_the_fix(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    request = Request("openai", "m", (Message.user("hi"),))
    path = cache.path_for(request_key(request))
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(Exception, match="delete it to call the model again"):
        cache.get(request)
