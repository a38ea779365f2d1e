"""Workers: the model/tool loop hands every mistake back to the model and stops on budget."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from agent_fixtures import (
    FIX_STEP,
    FIXING_TURNS,
    GOAL,
    MODEL,
    call,
    copy_repo,
    final,
    model_client,
    plan,
    step,
)
from agent_fixtures import clean_env as clean_env

import tiffany
from tiffany.models import Message
from tiffany.models.testing import ScriptedServer
from tokimon.manager import Manager
from tokimon.tools import ROLE_TOOLS, Toolset
from tokimon.trace import read_trace
from tokimon.workers import (
    ROLE_REQUIREMENTS,
    ROLES,
    BudgetExhausted,
    FinalAnswer,
    StepBudget,
    ToolLoop,
    find_json_object,
    judge,
    read_final_answer,
)
from tokimon.workflow import load_state
from tokimon.workspace import Workspace


def loop_run(
    repo: Path, script: list[dict[str, Any]], role: str = "Reviewer", **budget: Any
) -> tuple[ToolLoop, ScriptedServer, str | BudgetExhausted]:
    """Run one loop for ``role`` on ``repo`` against the scripted server."""
    with ScriptedServer(script, default=script[-1] if budget else None) as server:
        loop = ToolLoop(
            model_client(server),
            Toolset(repo).for_role(role),
            [Message.system(ROLES[role].system_prompt), Message.user("check the dates")],
            StepBudget(**budget),
        )

        async def main() -> str | BudgetExhausted:
            try:
                return await loop.answer()
            except BudgetExhausted as exc:
                return exc

        answer = tiffany.run(main)
    return loop, server, answer


def tool_messages(server: ScriptedServer, request: int) -> list[str]:
    messages = server.requests[request].body["messages"]
    return [m["content"] for m in messages if m["role"] == "tool"]


def test_bad_tool_calls_go_back_to_the_model_which_corrects_them(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    outside = tmp_path / "secret.txt"
    outside.write_text("the launch codes\n")
    os.symlink(outside, repo / "leak.txt")
    script = [
        call("write_file", path="dates.py", content="x = 1\n"),  # not a Reviewer tool
        call("read_file"),  # a required argument missing
        call("read_file", path="../secret.txt"),  # climbs out of the repository
        call("read_file", path="leak.txt"),  # a link that points out of it
        {"tool_calls": [{"name": "read_file", "arguments": '{"path": "dates.py"'}]},
        call("read_file", path="dates.py"),
        final(summary="dates.parse ignores month lengths"),
    ]
    loop, server, answer = loop_run(repo, script)

    assert isinstance(answer, str) and "ignores month lengths" in answer
    results = [(e.call.name, e.result.is_error) for e in loop.executions]
    assert results == [("write_file", True), *[("read_file", True)] * 4, ("read_file", False)]
    errors = tool_messages(server, 5)
    assert errors[0].startswith("Error: there is no tool named 'write_file'")
    assert "Available tools: grep, list_dir, read_file, run_tests" in errors[0]
    assert "invalid arguments for 'read_file'" in errors[1] and "path" in errors[1]
    assert "climbs out of the repository" in errors[2]
    assert "outside" in errors[3] and "launch codes" not in "".join(errors)
    assert "not valid JSON" in errors[4]
    assert "def parse(text):" in tool_messages(server, 6)[-1]
    assert (repo / "dates.py").read_text().startswith('"""Calendar dates')  # nothing written
    assert loop.meter.model_calls == 7 and loop.meter.tool_calls == 6


def test_a_model_that_never_stops_calling_tools_is_stopped_by_its_budget(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    loop, server, answer = loop_run(repo, [call("list_dir")], max_model_calls=3)

    assert isinstance(answer, BudgetExhausted)
    assert "3 model calls" in str(answer)
    assert len(server.requests) == 3 and loop.meter.tool_calls == 3


def test_a_token_budget_stops_the_loop(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    script = [{**call("list_dir"), "usage": {"input_tokens": 600, "output_tokens": 10}}]
    _, server, answer = loop_run(repo, script, max_tokens=1000)

    assert isinstance(answer, BudgetExhausted) and "1000 tokens" in str(answer)
    assert len(server.requests) == 2


def test_the_json_of_a_reply_is_found_in_prose_and_fences() -> None:
    assert find_json_object('{"a": 1}') == {"a": 1}
    assert find_json_object('Done.\n```json\n{"a": [1, 2]}\n```\nBye') == {"a": [1, 2]}
    assert find_json_object('I did it. {"status": "failed"} and more') == {"status": "failed"}
    with pytest.raises(ValueError, match="does not parse"):
        find_json_object('{"steps": [oops')
    with pytest.raises(ValueError, match="no JSON object"):
        find_json_object("no plan today")


def test_a_final_answer_maps_to_a_step_outcome() -> None:
    answer = read_final_answer(
        'Stuck.\n{"status": "failed", "summary": "s", "failure": "f", '
        '"retry_with": {"hypothesis": "leap years"}, "outputs": {"k": 1}}'
    )
    assert (answer.state, answer.summary, answer.failure) == ("FAILED", "s", "f")
    assert answer.retry_with == {"hypothesis": "leap years"} and answer.outputs == {"k": 1}
    plain = read_final_answer("Fixed the parser.")
    assert (plain.state, plain.summary) == ("SUCCEEDED", "Fixed the parser.")
    odd = read_final_answer('{"status": "maybe", "summary": "hm"}')
    assert odd.state == "FAILED" and "unknown status 'maybe'" in str(odd.failure)


def test_every_role_has_a_prompt_and_the_tools_of_its_kind() -> None:
    assert set(ROLES) == set(ROLE_TOOLS)
    assert ROLE_REQUIREMENTS["Implementer"] == ("task",)
    assert ROLE_REQUIREMENTS["TestTriager"] == ()
    for role in ROLES.values():
        assert f"You are the {role.name}" in role.system_prompt
        assert '"status"' in role.system_prompt
    assert "write_file" not in Toolset(".").for_role("Reviewer").names


def test_an_attempt_cut_off_after_writing_files_is_partial(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    writing = call("write_file", path="notes/plan.md", content="# plan\n")
    loop, _, answer = loop_run(repo, [writing], role="Implementer", max_model_calls=2)
    assert isinstance(answer, BudgetExhausted)

    stopped = FinalAnswer("FAILED", f"stopped: {answer}", failure=str(answer))
    outcome = judge(stopped, loop.executions, Toolset(repo), stopped=True)
    assert outcome.state == "PARTIAL"
    digest = hashlib.sha256(b"# plan\n").hexdigest()[:12]
    assert outcome.artifacts == [f"notes/plan.md@{digest}"]
    assert outcome.outputs == {"changed_files": ["notes/plan.md"]}
    assert judge(stopped, [], Toolset(repo), stopped=True).state == "FAILED"


def test_delegations_are_checked_for_cycles_repeats_and_wider_tools(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    why = "Find why test_parse_knows_month_lengths fails."
    review = step("review", role="Reviewer", inputs={"task": "Review the fix."}, depends_on=["fix"])
    script = [
        plan(FIX_STEP, review),
        call("delegate", role="Debugger", task=why),  # Implementer -> Debugger
        call("delegate", role="Debugger", task=why),  # the Debugger hands itself its task
        final(summary="the day is never checked against the month's length"),
        call("delegate", role="Debugger", task=why),  # again, after it produced nothing
        *FIXING_TURNS,
        call("delegate", role="Implementer", task="Rewrite dates.py."),  # from a Reviewer
        final(summary="the fix is right"),
    ]
    with ScriptedServer(script) as server:
        manager = Manager(
            Workspace.locate(repo), model_client(server), Toolset(repo), model_name=MODEL
        )
        outcome = tiffany.run(manager.run, GOAL)

    assert outcome.status == "succeeded"
    last_message = [request.body["messages"][-1]["content"] for request in server.requests]
    assert "hands you this sub-task:\n" + why in server.requests[2].body["messages"][1]["content"]
    assert last_message[3].startswith("Error: delegation blocked: cycle")
    assert last_message[4].startswith("Debugger (SUCCEEDED): the day is never checked")
    assert last_message[5].startswith("Error: delegation blocked: repeat")
    assert "produced no new artifact" in last_message[5]
    assert last_message[10] == (
        "Error: the Reviewer may delegate to Planner, Reviewer, TestTriager (the roles with "
        "no tools beyond its own), not to 'Implementer'"
    )
    trace = read_trace(outcome.paths.trace)
    blocked = [e["reason"].split(":")[0] for e in trace if e["kind"] == "delegation.blocked"]
    assert blocked == ["cycle", "repeat"]
    [started] = [e for e in trace if e["kind"] == "delegation.start"]
    calls = load_state(outcome.paths).delegation["calls"]
    by_id = {c["id"]: c for c in calls}
    debugger = by_id[started["call"]]
    assert debugger["role"] == "Debugger" and debugger["state"] == "finished"
    assert by_id[debugger["parent"]]["step_id"] == "fix"
