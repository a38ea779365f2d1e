"""Skills in a run, over the scripted OpenAI-compatible server: built, called, refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent_fixtures import MODEL, call, final, model_client, plan, step
from agent_fixtures import clean_env as clean_env
from skills_fixtures import WRONG_TESTS, build_arguments, write_skill

import tiffany
from tiffany.models.testing import ScriptedServer
from tokimon.manager import Manager, ManagerSettings, RunOutcome
from tokimon.skills import SkillRegistry
from tokimon.tools import Toolset
from tokimon.trace import read_trace
from tokimon.workspace import Workspace

GOAL = "count the TODO markers of a.py"
BUILD = step(
    "build",
    "SkillBuilder",
    inputs={"task": "Build a skill that counts TODO markers in a file.", "gap": "repeated greps"},
    max_attempts=1,
)
USE = step("use", "TestTriager", inputs={"task": "Count the TODOs of a.py."}, depends_on=["build"])


def make_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.py").write_text("# TODO first\nx = 1  # TODO second\n")
    return repo


def run_goal(
    repo: Path, script: list[dict[str, Any]], listeners: tuple[Any, ...] = ()
) -> tuple[RunOutcome, ScriptedServer, SkillRegistry]:
    workspace = Workspace.locate(repo)
    registry = SkillRegistry.for_workspace(workspace.root)
    with ScriptedServer(script) as server:
        manager = Manager(
            workspace,
            model_client(server),
            Toolset(repo),
            model_name=MODEL,
            settings=ManagerSettings(concurrency=1),
            skills=registry,
            listeners=listeners,
        )
        outcome = tiffany.run(manager.run, GOAL)
    return outcome, server, registry


def build(**arguments: Any) -> dict[str, Any]:
    """A script entry calling ``build_skill`` (whose arguments include a ``name``)."""
    return {"tool_calls": [{"name": "build_skill", "arguments": build_arguments(**arguments)}]}


def offered(request: Any) -> list[str]:
    return [tool["function"]["name"] for tool in request.body["tools"]]


def test_a_built_skill_is_a_tool_at_once_and_in_later_steps(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    broken: list[Path] = []

    def break_one_skill_when_use_starts(event: dict[str, Any]) -> None:
        if (
            event["kind"] == "step.state"
            and event.get("step") == "use"
            and event["to"] == "RUNNING"
        ):
            generated = repo / ".tokimon" / "skills_generated"
            broken.append(write_skill(generated, "broken_skill", code="def run(:\n"))

    script = [
        plan(BUILD, USE),
        build(),
        call("count_todos", path="a.py"),  # same conversation: hot reload
        final(summary="built count_todos", outputs={"skill": "count_todos"}),
        call("count_todos", path="a.py"),  # a later step
        final(summary="a.py has 2 TODOs"),
    ]
    outcome, server, registry = run_goal(repo, script, (break_one_skill_when_use_starts,))

    assert outcome.status == "succeeded", outcome.report
    requests = server.requests
    # build step: build_skill offered, count_todos not yet; after the build, offered
    assert "build_skill" in offered(requests[1]) and "count_todos" not in offered(requests[1])
    assert "count_todos" in offered(requests[2])
    # the later step (another role) is offered the skill from its first request
    assert "count_todos" in offered(requests[4]) and "build_skill" not in offered(requests[4])
    assert "broken_skill" not in offered(requests[4])

    trace = read_trace(outcome.paths.trace)
    finished = [e for e in trace if e["kind"] == "tool.call.finish"]
    counts = [e for e in finished if e["name"] == "count_todos"]
    assert [(e["is_error"], e["content"]) for e in counts] == [(False, "2 TODO(s) in a.py")] * 2
    assert [e["step"] for e in trace if e["kind"] == "skill.registered"] == ["build"]
    quarantined = [e for e in trace if e["kind"] == "skill.quarantined"]
    assert [e["skill"] for e in quarantined] == ["broken_skill"] and broken
    assert "SyntaxError" in quarantined[0]["error"]

    # files: the skill, its manifest with provenance, the lesson of the run
    folder = repo / ".tokimon" / "skills_generated" / "count_todos"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["origin"] == "generated" and manifest["status"] == "active"
    assert manifest["created_by"] == {"run": outcome.paths.id, "step": "build", "attempt": 1}
    assert manifest["justification"]["gap"].startswith("steps grep for TODO")
    lesson = (outcome.paths.lessons / "skill-count_todos-v1.0.0.md").read_text()
    assert (
        '"skill:count_todos"' in lesson and "## Gap" in lesson and "## Expected benefit" in lesson
    )
    assert not (repo / ".tokimon" / "skills_generated" / ".staging").exists() or not any(
        (repo / ".tokimon" / "skills_generated" / ".staging").iterdir()
    )
    assert registry.get("broken_skill").status == "quarantined"


def test_a_skill_whose_tests_fail_is_never_registered(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    script = [
        plan(BUILD),
        build(tests=WRONG_TESTS),
        call("count_todos", path="a.py"),
        final(summary="built it", outputs={"skill": "count_todos"}),
    ]
    outcome, server, registry = run_goal(repo, script)

    assert outcome.status == "failed"
    step_report = outcome.report["steps"][0]
    assert step_report["state"] == "FAILED"
    assert "not registered" in step_report["failure"]
    assert "assert 2 == 3" in step_report["failure"]  # the test output
    generated = repo / ".tokimon" / "skills_generated"
    assert not (generated / "count_todos").exists()
    assert not any((generated / ".staging").iterdir())
    assert "count_todos" not in [s.name for s in registry.skills()]
    assert "count_todos" not in offered(server.requests[2])
    trace = read_trace(outcome.paths.trace)
    calls = [e for e in trace if e["kind"] == "tool.call.finish" and e["name"] == "count_todos"]
    assert calls[0]["is_error"] and "no tool named 'count_todos'" in calls[0]["content"]
    assert [e["skill"] for e in trace if e["kind"] == "skill.rejected"] == ["count_todos"]
    assert not list(outcome.paths.lessons.glob("skill-*.md"))


def test_the_run_reports_the_skills_it_starts_with(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    generated = repo / ".tokimon" / "skills_generated"
    write_skill(generated, "count_todos")
    write_skill(generated, "bad_manifest", manifest_text="[]")
    script = [plan(USE | {"depends_on": []}), call("count_todos", path="a.py"), final()]
    outcome, _, _ = run_goal(repo, script)
    assert outcome.status == "succeeded"
    available = next(e for e in read_trace(outcome.paths.trace) if e["kind"] == "skills.available")
    assert "count_todos" in available["active"] and "find_symbol" in available["active"]
    assert "invalid manifest" in available["quarantined"]["bad_manifest"]
