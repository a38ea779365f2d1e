"""The skill registry: built-ins by role, quarantine, hot reload, the subprocess sandbox."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from skills_fixtures import COUNT_TODOS, write_skill

import tiffany
from tiffany.models import ToolCall
from tokimon.skills import SkillRegistry, clean_environment, role_capabilities
from tokimon.tools import ToolExecution, Toolset

BUILTINS = [
    "find_symbol",
    "reproduce_failure",
    "bisect_regression",
    "summarize_test_run",
    "change_impact",
    "lint",
    "format_code",
]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "a.py").write_text("# TODO first\nx = 1  # TODO second\n")
    return root


def execute(repo: Path, registry: SkillRegistry, name: str, **arguments: object) -> ToolExecution:
    toolset = Toolset(repo, dynamic=registry.for_role("Implementer"))
    return tiffany.run(toolset.execute, ToolCall("c1", name, arguments))


def test_the_builtins_are_active_and_each_role_gets_what_its_tools_allow() -> None:
    registry = SkillRegistry(None)
    assert [(s.name, s.status) for s in registry.skills()] == [(n, "active") for n in BUILTINS]
    assert role_capabilities("Planner") == {"read"}
    assert role_capabilities("Reviewer") == {"read", "run"}
    assert [t.name for t in registry.tools_for("Planner")] == ["find_symbol", "change_impact"]
    assert "format_code" not in [t.name for t in registry.tools_for("Reviewer")]
    assert [t.name for t in registry.tools_for("Implementer")] == BUILTINS
    format_code = next(t for t in registry.tools_for("Debugger") if t.name == "format_code")
    assert format_code.writes and format_code.spec.parameters["type"] == "object"


@pytest.mark.parametrize("name", [n for n in BUILTINS if n != "format_code"])
def test_each_builtin_passes_its_own_tests_on_a_real_repository(name: str) -> None:
    passed, output = SkillRegistry(None).test(name)
    assert passed, output
    assert " passed" in output


def test_broken_skills_are_quarantined_with_their_error_and_reload_when_fixed(
    workspace: Path, repo: Path
) -> None:
    generated = workspace / "skills_generated"
    write_skill(generated, "syntax_error", code="def run(args, ctx):\n    return (\n")
    bad_schema = {"type": "object", "properties": {"path": {"type": "strnig"}}}
    write_skill(generated, "bad_schema", input_schema=bad_schema)
    write_skill(generated, "not_json", manifest_text="{not json")
    write_skill(generated, "no_entry", code="def other(args, ctx):\n    return 'x'\n")
    write_skill(generated, "lint", code=COUNT_TODOS)  # a built-in's name
    write_skill(generated, "good_one")

    registry = SkillRegistry.for_workspace(workspace)  # never raises
    states = {s.name: (s.status, s.error or "") for s in registry.skills() if s.origin != "builtin"}
    assert states["good_one"] == ("active", "")
    assert states["syntax_error"][0] == "quarantined"
    assert "does not import" in states["syntax_error"][1]
    assert "SyntaxError" in states["syntax_error"][1]
    assert "unknown type 'strnig'" in states["bad_schema"][1]
    assert "not JSON" in states["not_json"][1]
    assert "no function 'run'" in states["no_entry"][1]
    assert "taken by a tool or a built-in" in states["lint"][1]
    offered = [t.name for t in registry.tools_for("Implementer")]
    assert "good_one" in offered and "syntax_error" not in offered

    # calling a quarantined skill is an error result, not a crash
    failed = execute(repo, registry, "syntax_error", path="a.py")
    assert (
        failed.result.is_error and "there is no tool named 'syntax_error'" in failed.result.content
    )

    # fixed on disk: the next refresh loads it; unchanged skills are not probed again
    (generated / "syntax_error" / "skill.py").write_text(COUNT_TODOS)
    changes = registry.refresh()
    assert [(c.kind, c.skill.name) for c in changes] == [("loaded", "syntax_error")]
    assert registry.get("syntax_error").active
    assert registry.refresh() == []


def test_a_generated_skill_runs_apart_without_credentials_inside_the_tree(
    workspace: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("MY_SERVICE_TOKEN", "t0k3n")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("HARMLESS_SETTING", "kept")
    write_skill(workspace / "skills_generated", "count_todos")
    registry = SkillRegistry.for_workspace(workspace)

    done = execute(repo, registry, "count_todos", path="a.py")
    assert not done.result.is_error, done.result.content
    assert done.result.content == "2 TODO(s) in a.py"
    assert done.data["count"] == 2 and done.data["pid"] != os.getpid()
    env = set(done.data["env"])
    assert "HARMLESS_SETTING" in env
    assert not env & {"OPENAI_API_KEY", "MY_SERVICE_TOKEN", "AWS_REGION"}
    assert clean_environment({"GITHUB_TOKEN": "x", "PATH": "/bin"}).keys() >= {"PATH"}

    outside = execute(repo, registry, "count_todos", path="../secrets.txt")
    assert outside.result.is_error and "climbs out of the repository" in outside.result.content
    wrong = execute(repo, registry, "count_todos", file="a.py")
    assert wrong.result.is_error and "arguments.path: required" in wrong.result.content


def test_a_generated_skill_is_stopped_at_its_time_limit(workspace: Path, repo: Path) -> None:
    slow = "import time\n\n\ndef run(args, ctx):\n    time.sleep(60)\n    return 'late'\n"
    write_skill(workspace / "skills_generated", "slow_skill", code=slow, timeout=1)
    done = execute(repo, SkillRegistry.for_workspace(workspace), "slow_skill", path="a.py")
    assert done.result.is_error and "stopped after its 1 s limit" in done.result.content
    assert done.duration < 30


def test_a_skill_added_while_a_toolset_lives_is_callable_at_the_next_call(
    workspace: Path, repo: Path
) -> None:
    registry = SkillRegistry.for_workspace(workspace)
    toolset = Toolset(repo, dynamic=registry.for_role("Implementer"))
    recorded: list[str] = []

    class Recorder:
        def event(self, kind: str, data: dict[str, object]) -> None:
            recorded.append(f"{kind}:{data.get('skill', '')}")

    async def main() -> tuple[ToolExecution, ToolExecution, list[str]]:
        before = await toolset.execute(ToolCall("c1", "count_todos", {"path": "a.py"}))
        write_skill(workspace / "skills_generated", "count_todos")
        after = await toolset.execute(ToolCall("c2", "count_todos", {"path": "a.py"}))
        return before, after, list(toolset.names)

    before, after, names = tiffany.run(main, instruments=[Recorder()])
    assert before.result.is_error and "no tool named 'count_todos'" in before.result.content
    assert not after.result.is_error and after.result.content == "2 TODO(s) in a.py"
    assert names[-1] == "count_todos"
    assert "skill.loaded:count_todos" in recorded


def test_a_manifest_on_disk_round_trips(workspace: Path) -> None:
    folder = write_skill(workspace / "skills_generated", "count_todos")
    data = json.loads((folder / "manifest.json").read_text())
    skill = SkillRegistry.for_workspace(workspace).get("count_todos")
    assert (
        skill.manifest is not None
        and skill.manifest.to_json()["input_schema"] == data["input_schema"]
    )
    assert skill.manifest.path_arguments() == [("path", False)]
