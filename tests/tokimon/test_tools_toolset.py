"""The toolset: schemas, role subsets, and every way a call can go wrong coming back as a
tool error the model can read, never as a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from tools_fixtures import call, write_files

import tiffany
from tiffany.models import Message, ToolCall, client
from tiffany.models.testing import EventRecorder, ScriptedServer
from tokimon.tools import (
    ROLE_TOOLS,
    ToolConfig,
    ToolConfigError,
    ToolContext,
    ToolOutput,
    Toolset,
    define_tool,
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_files(tmp_path / "repo", {"README.md": "# Demo\n", "src/a.py": "x = 1\n"})


def test_specs_are_json_schemas_from_the_argument_models(repo: Path) -> None:
    toolset = Toolset(repo)
    assert toolset.names == (
        "read_file",
        "list_dir",
        "grep",
        "write_file",
        "apply_patch",
        "run_tests",
        "wiki_ask",
        "wiki_lookup",
        "wiki_page",
    )
    assert Toolset(repo, ToolConfig(wiki={"enabled": False})).names[-1] == "run_tests"
    read = next(spec for spec in toolset.specs if spec.name == "read_file")
    assert read.description == "Read a text file of the repository, whole or a range of lines."
    assert read.parameters["required"] == ["path"]
    assert read.parameters["additionalProperties"] is False
    assert set(read.parameters["properties"]) == {"path", "start_line", "end_line"}
    assert read.parameters["properties"]["start_line"]["minimum"] == 1


@pytest.mark.parametrize(
    ("tool_call", "message"),
    [
        (
            ToolCall.parse("c1", "read_file", '{"path": "README.md"'),
            "the arguments for 'read_file' could not be used: arguments are not valid JSON",
        ),
        (ToolCall("c1", "delete_repo", {}), "there is no tool named 'delete_repo'"),
        (ToolCall("c1", "read_file", {}), "- arguments.path: Field required"),
        (ToolCall("c1", "read_file", {"path": 3}), "- arguments.path: Input should be a valid"),
        (
            ToolCall("c1", "read_file", {"path": "README.md", "mode": "rb"}),
            "- arguments.mode: Extra inputs are not permitted",
        ),
        (ToolCall("c1", "list_dir", {"depth": 9}), "- arguments.depth: Input should be less"),
    ],
)
def test_malformed_calls_are_error_results(repo: Path, tool_call: ToolCall, message: str) -> None:
    execution = tiffany.run(Toolset(repo).execute, tool_call)
    assert execution.result.is_error
    assert execution.result.call_id == "c1"
    assert message in execution.result.content
    record = execution.to_dict()
    assert record["is_error"] is True
    if tool_call.arguments_error:
        assert record["arguments"] == '{"path": "README.md"'  # the raw text, for the trace


def test_roles_get_subsets(repo: Path) -> None:
    toolset = Toolset(repo)
    reviewer = toolset.for_role("Reviewer")
    assert reviewer.names == (
        "read_file",
        "list_dir",
        "grep",
        "run_tests",
        "wiki_ask",
        "wiki_lookup",
        "wiki_page",
    )
    assert "wiki_lookup" not in toolset.for_role("SkillBuilder").names
    assert toolset.for_role("test_triager").names == reviewer.names
    assert all(not tool.writes for tool in reviewer.tools)
    assert "apply_patch" in toolset.for_role("implementer").names
    refused = call(reviewer, "write_file", path="x.txt", content="x").result
    assert refused.is_error and (
        "Available tools: grep, list_dir, read_file, run_tests, wiki_ask" in refused.content
    )
    assert not (repo / "x.txt").exists()
    assert set(ROLE_TOOLS) == {
        "Planner",
        "Implementer",
        "Debugger",
        "Reviewer",
        "TestTriager",
        "SkillBuilder",
    }
    with pytest.raises(ValueError, match="unknown worker role 'Janitor'"):
        toolset.for_role("Janitor")
    with pytest.raises(ValueError, match="unknown tool name"):
        toolset.subset(["read_file", "rm_rf"])


class Echo(BaseModel):
    """Repeat a text many times."""

    text: str
    times: int = 1


async def echo(args: Echo, context: ToolContext) -> ToolOutput:
    return ToolOutput(args.text * args.times, data={"times": args.times})


async def stall(args: Echo, context: ToolContext) -> ToolOutput:
    await tiffany.sleep(3600)
    return ToolOutput("never")


async def explode(args: Echo, context: ToolContext) -> ToolOutput:
    if args.text == "os":
        raise FileNotFoundError(2, "No such file or directory", str(context.tree.root / "gone"))
    raise KeyError(args.text)


def test_output_is_bounded_by_the_toolset_and_the_cut_marked(repo: Path) -> None:
    toolset = Toolset(
        repo, ToolConfig(max_output_bytes=1000), [define_tool(Echo, echo, name="echo", timeout=5)]
    )
    execution = call(toolset, "echo", text="0123456789", times=500)
    assert execution.result.content == "0123456789" * 100 + "\n[truncated: 4,000 more bytes]"
    assert execution.truncated_bytes == 4000
    assert execution.data == {"times": 500}


def test_a_call_over_its_time_limit_is_an_error_result(repo: Path) -> None:
    slow = define_tool(Echo, stall, name="stall", timeout=600)
    toolset = Toolset(repo, ToolConfig(timeouts={"stall": 0.25}), [slow])
    tool_call = ToolCall("c1", "stall", {"text": "x"})
    execution = tiffany.run(toolset.execute, tool_call, clock=tiffany.VirtualClock())
    assert execution.result.is_error
    assert "stall did not finish within its 0.25 s limit and was stopped" in (
        execution.result.content
    )


def test_exceptions_from_a_tool_are_error_results(repo: Path) -> None:
    toolset = Toolset(repo, tools=[define_tool(Echo, explode, name="explode", timeout=5)])
    assert call(toolset, "explode", text="boom").result.content == (
        "Error: explode failed: KeyError: 'boom'"
    )
    missing = call(toolset, "explode", text="os").result.content
    assert missing == "Error: explode: No such file or directory: gone"  # no absolute path


def test_every_call_is_announced_to_instruments(repo: Path) -> None:
    recorder = EventRecorder()
    toolset = Toolset(repo)

    async def main() -> None:
        await toolset.execute(ToolCall("c1", "read_file", {"path": "README.md"}))
        await toolset.execute(ToolCall("c2", "read_file", {"path": "../x"}))

    tiffany.run(main, instruments=[recorder])
    assert recorder.kinds("tool.") == ["tool.call.start", "tool.call.finish"] * 2
    start, finish = recorder.of("tool.call.start"), recorder.of("tool.call.finish")
    assert start[0]["arguments"] == {"path": "README.md"}
    assert finish[0]["is_error"] is False and finish[0]["content"] == "# Demo\n"
    assert finish[1]["is_error"] is True and finish[1]["duration"] >= 0


def test_settings_are_checked_and_named(repo: Path) -> None:
    with pytest.raises(ToolConfigError) as bad:
        ToolConfig.from_mapping({"max_output_bytes": "lots", "grep_max": 3})
    assert "tools.max_output_bytes: Input should be a valid integer" in str(bad.value)
    assert "tools.grep_max: Extra inputs are not permitted" in str(bad.value)
    with pytest.raises(ToolConfigError, match=r"tools.timeouts names unknown tools \(gerp\)"):
        Toolset(repo, ToolConfig(timeouts={"gerp": 3}))
    config = ToolConfig.from_mapping({"test_command": "npm test --", "web": {"enabled": True}})
    assert config.test_command == ("npm", "test", "--")
    assert config.web.enabled and config.web.allowed_hosts == ()


def test_a_model_corrects_itself_after_a_refused_path(repo: Path) -> None:
    """The loop a worker runs, against a real OpenAI-compatible server on 127.0.0.1."""
    script: list[dict[str, Any]] = [
        {
            "tool_calls": [
                {"id": "t1", "name": "read_file", "arguments": {"path": "../../etc/passwd"}}
            ]
        },
        {"tool_calls": [{"id": "t2", "name": "read_file", "arguments": {"path": "README.md"}}]},
        {"text": "The README is a title."},
    ]
    toolset = Toolset(repo).for_role("Reviewer")

    async def agent(llm_url: str) -> str:
        llm = client("openai-compatible:test", base_url=llm_url, api_key="test-key")
        messages = [Message.user("What does the README say?")]
        while True:
            completion = await llm.complete(messages, tools=list(toolset.specs))
            messages.append(completion.message())
            if not completion.tool_calls:
                return completion.text
            for tool_call in completion.tool_calls:
                messages.append((await toolset.run(tool_call)).to_message())

    with ScriptedServer(script) as server:
        answer = tiffany.run(agent, server.base_url)
        requests = [request.body for request in server.requests]
    assert answer == "The README is a title."
    assert [tool["function"]["name"] for tool in requests[0]["tools"]] == list(toolset.names)
    refused = requests[1]["messages"][-1]
    assert refused["role"] == "tool" and refused["tool_call_id"] == "t1"
    assert "climbs out of the repository root with '..'" in refused["content"]
    assert requests[2]["messages"][-1]["content"] == "# Demo\n"
