"""trace.jsonl: every state change, model call and tool call, in order, secrets redacted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workflow_fixtures import GOAL, new_run, step, workflow

import tiffany
from tiffany.models import Message, client
from tiffany.models.testing import ScriptedServer
from tokimon.tools import Toolset
from tokimon.trace import Trace, format_event, read_trace
from tokimon.workflow import StepContext, StepOutcome, WorkflowReport, run_workflow

SECRET = "sk-test0123456789abcdefghij"


def test_a_step_with_a_model_call_and_a_tool_call_is_traced_in_order(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").write_text("# Dates\n" + "x" * 6000)
    paths = new_run(tmp_path)
    toolset = Toolset(repo).for_role("Reviewer")
    script: list[dict[str, Any]] = [
        {"tool_calls": [{"id": "t1", "name": "read_file", "arguments": {"path": "README.md"}}]},
    ]

    async def runner(context: StepContext) -> StepOutcome:
        llm = client("openai-compatible:test", base_url=server.base_url, api_key=SECRET)
        question = Message.user(f"Read the README. (my key is {SECRET})")
        completion = await llm.complete([question], tools=list(toolset.specs))
        execution = await toolset.execute(completion.tool_calls[0])
        context.trace.emit("worker.note", step=context.step.id, api_key=SECRET)
        return StepOutcome("SUCCEEDED", {}, execution.result.content[:8])

    async def main() -> WorkflowReport:
        return await run_workflow(paths, GOAL, workflow(step("read", role="Reviewer")), runner)

    with ScriptedServer(script) as server:
        assert tiffany.run(main).status == "succeeded"

    text = paths.trace.read_text()
    assert SECRET not in text and "[REDACTED]" in text
    records = read_trace(paths.trace)
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    kinds = [r["kind"] for r in records]
    running = kinds.index("step.state", kinds.index("workflow.start") + 2)
    assert kinds[running:] == [
        "step.state",  # RUNNING
        "model.call.start",
        "model.call.finish",
        "tool.call.start",
        "tool.call.finish",
        "worker.note",
        "attempt.end",
        "step.state",  # SUCCEEDED
        "workflow.end",
    ]
    start, finish, tool_start, tool_finish = records[running + 1 : running + 5]
    assert start["messages"] == 1 and len(start["messages_digest"]) == 16
    assert start["tools"] == list(toolset.names) and "request" not in start
    assert finish["tool_calls"] == [{"name": "read_file", "arguments": '{"path": "README.md"}'}]
    assert set(finish["usage"]) == {"input_tokens", "output_tokens", "cached_tokens"}
    assert finish["latency"] > 0 and finish["task_name"] == "step:read"
    assert tool_start["arguments"] == '{"path": "README.md"}'
    assert tool_start["task_name"] == "step:read"
    assert tool_finish["content"].endswith("chars]") and "[truncated" in tool_finish["content"]
    assert tool_finish["duration"] >= 0
    assert records[running + 5]["api_key"] == "[REDACTED]"


def test_a_torn_last_line_is_skipped_and_numbering_continues(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    with Trace(path) as trace:
        trace.emit("one")
        trace.emit("two", note="Authorization: Bearer abcdefghijklmnop")
    with path.open("a") as damaged:
        damaged.write('{"seq": 3, "kind": "thr')  # the process died mid-write
    with Trace(path) as trace:
        assert trace.emit("three")["seq"] == 3
    records = read_trace(path)
    assert [r["kind"] for r in records] == ["one", "two", "three"]
    assert records[1]["note"] == "Authorization: [REDACTED]"


def test_events_read_as_one_line_each() -> None:
    change = {"seq": 4, "ts": "2026-11-25T10:04:01.000Z", "kind": "step.state", "step": "fix"}
    change.update({"from": "READY", "to": "RUNNING", "attempt": 1})
    assert format_event(change) == "#4 10:04:01 step.state fix READY -> RUNNING attempt=1"
    refused = {"seq": 9, "ts": "2026-11-25T10:04:02.000Z", "kind": "retry.refused", "step": "fix"}
    refused["reason"] = "identical call signature"
    assert format_event(refused) == (
        '#9 10:04:02 retry.refused fix reason="identical call signature"'
    )


def test_a_callers_trace_is_used_and_left_open(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    seen: list[str] = []

    async def runner(context: StepContext) -> StepOutcome:
        return StepOutcome("SUCCEEDED", {}, "ok")

    async def main() -> None:
        with Trace(paths.trace) as trace:
            trace.subscribe(lambda record: seen.append(record["kind"]))
            trace.emit("plan.accepted", steps=1)
            await run_workflow(paths, GOAL, workflow(step("only")), runner, trace=trace)
            trace.emit("run.report")

    tiffany.run(main)
    assert seen[0] == "plan.accepted" and seen[-1] == "run.report"
    assert [r["kind"] for r in read_trace(paths.trace)] == seen


def test_a_trace_records_its_runs_tasks_not_the_rest_of_the_kernel(tmp_path: Path) -> None:
    """A chat and a run in one server share a kernel: each run's trace keeps its own."""
    trace = Trace(tmp_path / "trace.jsonl")

    async def stranger() -> None:
        tiffany.emit("tool.call.end", name="stranger")

    async def child() -> None:
        tiffany.emit("tool.call.end", name="child")

    async def run() -> None:
        trace.follow(tiffany.current_task())
        tiffany.current_kernel().add_instrument(trace)
        tiffany.emit("tool.call.end", name="run")
        await (await tiffany.spawn(child)).join()

    async def main() -> None:
        await (await tiffany.spawn(run)).join()
        await (await tiffany.spawn(stranger)).join()

    with trace:
        tiffany.run(main)
    assert [r["name"] for r in read_trace(trace.path)] == ["run", "child"]
