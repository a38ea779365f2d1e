"""Memory across runs, end to end: the scripted OpenAI-compatible server, real files, real
pytest, and the ``tokimon memory`` commands on what the runs left."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
from typer.testing import CliRunner

import tiffany
from tiffany.models.testing import ScriptedServer
from tokimon.cli import app
from tokimon.manager import Manager, ManagerSettings, RunOutcome
from tokimon.memory import DiskStore, Retriever, StepQuery
from tokimon.tools import Toolset
from tokimon.trace import read_trace
from tokimon.workflow import load_state
from tokimon.workspace import Workspace

LESSON_HINT = "dates.parse ignores DAYS_IN_MONTH: check each month's length, leap years too"
SECOND_GOAL = "dates.parse still accepts 2023-02-30; make parse reject impossible days"


def run_goal(
    repo: Path, space: Workspace, script: list[dict[str, Any]], goal: str
) -> tuple[RunOutcome, ScriptedServer]:
    with ScriptedServer(script) as server:
        manager = Manager(
            space, model_client(server), Toolset(repo), model_name=MODEL, settings=ManagerSettings()
        )
        outcome = tiffany.run(manager.run, goal)
    return outcome, server


def events(outcome: RunOutcome, kind: str) -> list[dict[str, Any]]:
    return [e for e in read_trace(outcome.paths.trace) if e["kind"] == kind]


def first_run(tmp_path: Path) -> tuple[Workspace, RunOutcome, str]:
    """A run whose step fails once (a lesson), then succeeds; returns the lesson id."""
    space = Workspace(tmp_path / "workspace")
    script = [
        plan(FIX_STEP),
        call("read_file", path="dates.py"),
        final(
            "failed", "could not find the cause", failure="February 30 parses", lesson=LESSON_HINT
        ),
        *FIXING_TURNS,
    ]
    outcome, _ = run_goal(copy_repo(tmp_path / "first"), space, script, GOAL)
    assert outcome.status == "succeeded"
    return space, outcome, f"{outcome.paths.id}-fix-1"


def memory(*args: str, space: Workspace) -> Any:
    result = CliRunner().invoke(
        app, ["memory", *args, "--workspace", str(space.root), "--json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_failed_step_is_promoted_and_a_related_run_retrieves_it(tmp_path: Path) -> None:
    space, first, lesson_id = first_run(tmp_path)

    # promoted when the run ended: the lesson with its components, the files with their run
    store = DiskStore(space.root / "memory")
    promoted = store.lesson_file(lesson_id)
    assert promoted.is_file() and LESSON_HINT in promoted.read_text()
    [promotion] = events(first, "memory.promote")
    assert promotion["added"] == [lesson_id] and promotion["artifacts"] == 1
    [listed] = memory("list", space=space)["lessons"]
    assert listed["id"] == lesson_id and {"dates", "test_dates"} <= set(listed["components"])
    [last] = memory("blame", "dates.py", space=space)["changes"]
    assert (last["run_id"], last["step_id"], last["attempt"], last["state"]) == (
        first.paths.id,
        "fix",
        2,
        "SUCCEEDED",
    )
    assert "parse now checks each month's length" in last["why"]

    # a second run on a related goal, in another copy of the repository: stage 1 finds it
    task = step("reject", inputs={"task": "Make dates.parse reject days past the month's end."})
    script = [
        plan(task),
        final("failed", "not yet", failure="2023-02-30 still parses"),
        final("failed", "still not", failure="2023-02-30 still parses, again"),
        final("failed", "no", failure="gave up"),
    ]
    second, server = run_goal(copy_repo(tmp_path / "second"), space, script, SECOND_GOAL)

    retrievals = events(second, "memory.retrieve")
    assert [(e["step"], e["attempt"], e["stage"]) for e in retrievals] == [
        ("reject", 1, 1),
        ("reject", 2, 2),
        ("reject", 3, 3),
    ]
    stage1 = retrievals[0]
    lesson_hits = [h for h in stage1["hits"] if h["kind"] == "lesson"]
    assert lesson_hits[0]["id"] == lesson_id and lesson_hits[0]["score"] > 0
    assert "dates" in stage1["components"] and stage1["query"]
    assert any(h["kind"] == "artifact" and h["id"] == "dates.py" for h in stage1["hits"])
    assert "test_dates" in retrievals[1]["adjacent"] or "dates" in retrievals[1]["adjacent"]
    # the worker's prompt shows it
    worker_brief = server.requests[1].body["messages"][1]["content"]
    assert "From memory (retrieval stage 1)" in worker_brief
    assert lesson_id in worker_brief and "DAYS_IN_MONTH" in worker_brief
    assert "File dates.py: last changed by run " + first.paths.id in worker_brief
    assert "From memory (retrieval stage 2)" in server.requests[2].body["messages"][1]["content"]

    # the stage is a dimension of the attempt: the retry's call signature changes with it
    attempts = load_state(second.paths).steps["reject"].attempts
    assert [a.dimensions["retrieval_stage"] for a in attempts] == [1, 2, 3]
    assert len({a.signature for a in attempts}) == 3
    [approved, *_] = events(second, "retry.approved")
    assert approved["changes"]["retrieval_stage"] == [1, 2]
    running = [e for e in events(second, "step.state") if e["to"] == "RUNNING"]
    assert running[1]["signature"] == approved["next_signature"] != running[0]["signature"]

    # the second run's lessons joined the first's
    ids = [item["id"] for item in memory("list", space=space)["lessons"]]
    assert ids[0] == lesson_id and len(ids) == 3


def test_memory_commands_search_show_mark_harmful_and_forget(tmp_path: Path) -> None:
    space, _, lesson_id = first_run(tmp_path)

    [hit] = memory("search", "DAYS_IN_MONTH leap", space=space)["hits"]
    assert hit["id"] == lesson_id and hit["score"] >= 0  # bm25 of the only lesson: ~0
    shown = memory("show", lesson_id, space=space)
    assert shown["id"] == lesson_id and LESSON_HINT in shown["body"] and not shown["harmful"]

    store = DiskStore(space.root / "memory")
    retriever = Retriever(store)
    query = StepQuery(GOAL, "fix", "Fix dates.parse DAYS_IN_MONTH")
    assert [h.id for h in retriever.retrieve(query).lessons] == [lesson_id]

    assert memory("harmful", lesson_id, space=space) == {"id": lesson_id, "harmful": True}
    assert memory("list", space=space)["lessons"][0]["harmful"] is True
    assert '"harmful": true' in store.lesson_file(lesson_id).read_text()
    assert retriever.retrieve(query).lessons == []
    assert memory("search", "DAYS_IN_MONTH", space=space)["hits"] == []
    assert memory("harmful", lesson_id, "--undo", space=space)["harmful"] is False
    assert [h.id for h in retriever.retrieve(query).lessons] == [lesson_id]

    assert memory("forget", lesson_id, space=space) == {"forgotten": lesson_id}
    assert not store.lesson_file(lesson_id).exists()
    assert memory("list", space=space)["lessons"] == []
    # a reindex rebuilds from the files and does not bring a forgotten lesson back
    reindexed = memory("reindex", space=space)
    assert reindexed["lessons"] == 0 and reindexed["promoted"]["added"] == []
    assert reindexed["index"]["rebuilt"] is True

    result = CliRunner().invoke(
        app, ["memory", "show", "nope", "--workspace", str(space.root), "--json"]
    )
    assert result.exit_code == 2 and "no lesson 'nope'" in json.loads(result.stdout)["error"]
