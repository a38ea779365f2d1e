"""The parts of model I/O that need no kernel: types, tool checks, text protocol, redaction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pydantic
import pytest

from tiffany.models import (
    Completion,
    ConfigError,
    Message,
    Request,
    Script,
    ScriptExhaustedError,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
    text_protocol,
    tool_from_function,
    tool_from_model,
    validate_call,
)
from tiffany.models.errors import ProviderError
from tiffany.models.redact import REDACTED, Redactor
from tiffany.models.retry import RetryPolicy, parse_retry_after

# == types ===============================================================================


def test_tool_call_keeps_bad_arguments_instead_of_raising() -> None:
    good = ToolCall.parse("c1", "f", '{"x": 1}')
    assert good.arguments == {"x": 1} and good.arguments_error is None
    broken = ToolCall.parse("c2", "f", '{"x": 1')
    assert broken.arguments == {} and "not valid JSON" in (broken.arguments_error or "")
    assert broken.arguments_json() == '{"x": 1'
    listed = ToolCall.parse("c3", "f", "[1, 2]")
    assert "must be a JSON object" in (listed.arguments_error or "")
    assert ToolCall.parse("c4", "f", "").arguments == {}


def test_completion_and_messages_round_trip_through_dicts() -> None:
    call = ToolCall("c1", "read", {"path": "a.py"})
    completion = Completion("hi", (call,), "tool_calls", Usage(3, 4, 1), "m", "p", 0.5)
    again = Completion.from_dict(json.loads(json.dumps(completion.to_dict())))
    assert again == completion
    conversation = [
        Message.system("s"),
        Message.user("u"),
        completion.message(),
        ToolResult("c1", "read", "text", is_error=True).to_message(),
    ]
    assert [Message.from_dict(m.to_dict()) for m in conversation] == conversation


def test_bad_messages_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="role must be one of"):
        Message(role="robot", content="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tool_call_id"):
        Message(role="tool", content="x")
    with pytest.raises(ValueError, match="only assistant"):
        Message(role="user", content="x", tool_calls=(ToolCall("c", "f"),))
    with pytest.raises(ValueError, match="letters, digits"):
        ToolSpec("bad name", "", {"type": "object"})


def test_usage_adds_up() -> None:
    assert Usage(1, 2, 0) + Usage(10, 20, 5) == Usage(11, 22, 5)
    assert Usage(3, 4).total_tokens == 7


# == tool specs and validation ===========================================================


class ReadFile(pydantic.BaseModel):
    """Read a file of the workspace.

    Implementation notes the model does not need.
    """

    path: str
    max_lines: int = 200


def grep(pattern: str, paths: list[str], mode: Literal["regex", "fixed"] = "fixed") -> str:
    """Search files for a pattern."""
    return pattern


def test_tool_spec_from_pydantic_model_and_function() -> None:
    spec = tool_from_model(ReadFile, name="read_file")
    assert spec.name == "read_file"
    assert spec.description == "Read a file of the workspace."
    assert spec.parameters["required"] == ["path"]
    assert spec.parameters["properties"]["max_lines"] == {"default": 200, "type": "integer"}
    fn_spec = tool_from_function(grep)
    assert fn_spec.name == "grep" and fn_spec.description == "Search files for a pattern."
    assert fn_spec.parameters["properties"]["mode"]["enum"] == ["regex", "fixed"]
    assert sorted(fn_spec.parameters["required"]) == ["paths", "pattern"]


def test_untyped_function_is_refused() -> None:
    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    with pytest.raises(TypeError, match="needs a type hint"):
        tool_from_function(untyped)


def test_validation_turns_every_mistake_into_an_error_result() -> None:
    tools = [tool_from_model(ReadFile, name="read_file"), tool_from_function(grep)]
    ok = validate_call(ToolCall("c1", "read_file", {"path": "a.py"}), tools)
    assert not isinstance(ok, ToolResult)
    assert ok.value == ReadFile(path="a.py")

    unknown = validate_call(ToolCall("c2", "delete_everything", {}), tools)
    assert isinstance(unknown, ToolResult) and unknown.is_error and unknown.call_id == "c2"
    assert "no tool named 'delete_everything'" in unknown.content
    assert "grep, read_file" in unknown.content

    bad_json = validate_call(ToolCall.parse("c3", "read_file", '{"path": '), tools)
    assert isinstance(bad_json, ToolResult) and "not valid JSON" in bad_json.content

    mismatch = validate_call(ToolCall("c4", "grep", {"pattern": 3, "mode": "glob"}), tools)
    assert isinstance(mismatch, ToolResult)
    assert "arguments.paths" in mismatch.content and "arguments.mode" in mismatch.content


def test_raw_json_schema_subset_is_checked_without_pydantic() -> None:
    spec = ToolSpec(
        "move",
        "Move a file",
        {
            "type": "object",
            "properties": {
                "src": {"type": "string"},
                "n": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "kind": {"enum": ["a", "b"]},
            },
            "required": ["src"],
            "additionalProperties": False,
        },
    )
    assert not isinstance(
        validate_call(ToolCall("c", "move", {"src": "x", "n": 2}), [spec]), ToolResult
    )
    result = validate_call(
        ToolCall("c", "move", {"n": True, "tags": ["a", 1], "kind": "c", "extra": 1}), [spec]
    )
    assert isinstance(result, ToolResult)
    for problem in (
        "arguments.src: required",
        "arguments.n: expected integer",
        "arguments.tags[1]: expected string",
        "arguments.kind: must be one of",
        "arguments.extra: unknown parameter",
    ):
        assert problem in result.content


# == the text tool protocol ==============================================================


def test_text_protocol_encodes_tool_turns_and_decodes_calls() -> None:
    spec = tool_from_function(grep)
    conversation = [
        Message.system("Be brief."),
        Message.user("find foo"),
        Message.assistant(
            "Searching.", (ToolCall("call-1-0", "grep", {"pattern": "foo", "paths": ["."]}),)
        ),
        ToolResult("call-1-0", "grep", "a.py:1: foo").to_message(),
        ToolResult("call-1-1", "grep", "boom", is_error=True).to_message(),
    ]
    encoded = text_protocol.encode(conversation, [spec])
    assert [m.role for m in encoded] == ["system", "user", "assistant", "user"]
    assert encoded[0].content.startswith("Be brief.\n\nYou can call tools.")
    assert '"name": "grep"' in encoded[2].content and "<tool_call>" in encoded[2].content
    assert '<tool_result id="call-1-0" name="grep">a.py:1: foo</tool_result>' in encoded[3].content
    assert 'status="error">boom' in encoded[3].content
    assert not any(m.tool_calls for m in encoded)

    reply = (
        'I will look.\n<tool_call>\n{"name": "grep", "arguments": {"pattern": "x", '
        '"paths": ["src"]}}\n</tool_call>\n<tool_call>```json\n{"name": "grep", '
        '"arguments": "{\\"pattern\\": \\"y\\", \\"paths\\": []}"}\n```</tool_call>'
        '<tool_call>{"name": "grep", "arguments": {oops}</tool_call>'
    )
    prose, calls = text_protocol.decode(reply, turn=2)
    assert prose == "I will look."
    assert [c.id for c in calls] == ["call-2-0", "call-2-1", "call-2-2"]
    assert calls[0].arguments == {"pattern": "x", "paths": ["src"]}
    assert calls[1].arguments == {"pattern": "y", "paths": []}
    assert calls[2].name == "grep" and calls[2].arguments_error is not None
    feedback = validate_call(calls[2], [spec])
    assert isinstance(feedback, ToolResult) and feedback.is_error


# == redaction ===========================================================================


def test_redactor_removes_keys_headers_and_configured_secrets() -> None:
    redactor = Redactor(["my-very-private-value"])
    event = {
        "headers": {"Authorization": "Bearer abc", "X-Api-Key": "k", "accept": "json"},
        "text": "key sk-proj-ABCDEFGHIJKLMNOPQRSTUV, header Authorization: Bearer tok123456789"
        ' and my-very-private-value; api_key="abcdefghijkl"',
        "nested": [("ghp_" + "a" * 36,)],
        "tokens": 12,
    }
    clean = redactor(event)
    dumped = json.dumps(clean)
    for secret in (
        'abc"',
        "sk-proj-ABC",
        "tok123456789",
        "my-very-private-value",
        "abcdefghijkl",
        "ghp_aaa",
    ):
        assert secret not in dumped
    assert clean["headers"]["accept"] == "json" and clean["tokens"] == 12
    assert clean["headers"]["Authorization"] == REDACTED
    assert "Authorization: [REDACTED]" in clean["text"]
    assert isinstance(clean["nested"][0], tuple)


@pytest.mark.parametrize(
    "secret_text",
    [
        "PROXY-AUTHORIZATION=Basic dXNlcjpwYXNzd29yZA",
        "BEARER eyJhbGciOiJIUzI1NiJ9",
        "x-API-KEY: 0123456789abcdef",
        '"Access-Token": "0123456789abcdef"',
        "SECRET=0123456789abcdef",
        "(sk-ant-0123456789abcdefghij)",
        "github_pat_" + "A1" * 15,
        "xoxp-0123456789-abc",
        "=AKIA0123456789ABCDEF",
        "AIza" + "x" * 35,
    ],
)
def test_every_pattern_fires_whatever_the_case_and_surroundings(secret_text: str) -> None:
    """Patterns run only on text holding a trigger; no spelling of a secret may slip past."""
    clean = Redactor()(f"line one\n  got {secret_text} here\n")
    assert REDACTED in clean
    assert secret_text not in clean


def test_redactor_leaves_ordinary_text_alone() -> None:
    text = "The tokenizer splits 'basic' words; see sk-short and the bearer of news."
    assert Redactor()(text) == text


# == retry policy ========================================================================


def test_retry_policy_backoff_jitter_and_retry_after() -> None:
    import random

    policy = RetryPolicy(
        max_attempts=4, base_delay=1.0, max_delay=3.0, jitter=0.5, rng=random.Random(7)
    )
    retryable = ProviderError("x", provider="p", status=500, retryable=True)
    delays = [policy.delay(n, retryable) or -1.0 for n in (1, 2, 3)]
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0 and 1.5 <= delays[2] <= 3.0
    assert policy.delay(4, retryable) is None  # attempts are bounded
    assert policy.delay(1, ProviderError("x", provider="p", status=400)) is None
    assert policy.delay(1, ValueError("not a provider error")) is None
    told = ProviderError("x", provider="p", status=429, retryable=True, retry_after=9)
    assert policy.delay(1, told) == 9
    too_long = ProviderError("x", provider="p", status=429, retryable=True, retry_after=999)
    assert policy.delay(1, too_long) is None


def test_retry_after_header_forms() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None


# == scripts =============================================================================


def _request(text: str, *, tools: tuple[ToolSpec, ...] = ()) -> Request:
    return Request("scripted", "m", (Message.user(text),), tools)


def test_script_answers_in_order_and_by_predicate(tmp_path: Path) -> None:
    path = tmp_path / "script.jsonl"
    path.write_text(
        "\n".join(
            [
                "# a comment line",
                json.dumps({"text": "first"}),
                json.dumps({"match": {"contains": "weather"}, "text": "sunny", "repeat": True}),
                "",
                json.dumps({"tool_calls": [{"name": "f", "arguments": {"a": 1}}]}),
            ]
        )
    )
    script = Script.load(path)
    assert script.next_for(_request("hello")).text == "first"
    assert script.next_for(_request("the weather?")).text == "sunny"
    assert script.next_for(_request("weather again")).text == "sunny"
    entry = script.next_for(_request("go"))
    assert entry.tool_calls[0].name == "f" and entry.tool_calls[0].arguments == {"a": 1}
    assert entry.line == 5
    completion = entry.completion(_request("go"), "scripted")
    assert completion.finish_reason == "tool_calls" and completion.usage.input_tokens == 1
    with pytest.raises(ScriptExhaustedError, match=r"no response left.*'go'"):
        script.next_for(_request("go"))


def test_script_errors_name_the_line_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok"}\n{"txt": "typo"}\n')
    with pytest.raises(ConfigError, match=r"bad.jsonl:2: unknown key\(s\) \['txt'\]"):
        Script.load(path)
    path.write_text('{"text": "ok"}\nnot json\n')
    with pytest.raises(ConfigError, match=r"bad\.jsonl:2: not valid JSON"):
        Script.load(path)
    path.write_text('{"match": {"contain": "x"}, "text": "ok"}\n')
    with pytest.raises(ConfigError, match="unknown match key"):
        Script.load(path)
    with pytest.raises(ConfigError, match="cannot read script"):
        Script.load(tmp_path / "missing.jsonl")


def test_script_match_keys() -> None:
    spec = ToolSpec("grep", "", {"type": "object"})
    script = Script(
        [
            {"match": {"has_tool": "grep"}, "text": "tools"},
            {"match": {"regex": "^count \\d+$"}, "text": "counted"},
            {"match": {"tool_result_for": "grep"}, "text": "after grep"},
        ]
    )
    assert script.next_for(_request("count 12")).text == "counted"
    assert script.next_for(_request("x", tools=(spec,))).text == "tools"
    follow_up = Request(
        "s",
        "m",
        (
            Message.user("x"),
            Message.assistant("", (ToolCall("c", "grep"),)),
            ToolResult("c", "grep", "r").to_message(),
        ),
    )
    assert script.next_for(follow_up).text == "after grep"
    assert script.remaining == 0
