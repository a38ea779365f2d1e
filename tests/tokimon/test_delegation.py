"""Every delegation is checked: cycles and fruitless repeats are blocked before they run."""

from __future__ import annotations

from pathlib import Path

import pytest
from workflow_fixtures import events, new_run, run, step, succeed, workflow

from tokimon.delegation import DelegationGraph
from tokimon.errors import DelegationBlocked
from tokimon.workflow import StepContext, StepOutcome, load_state


def test_a_role_handed_its_own_task_back_is_a_cycle() -> None:
    graph = DelegationGraph()
    manager = graph.delegate(None, "manager", "fix the dates test")
    implementer = graph.delegate(manager.id, "Implementer", "patch parse_date")
    debugger = graph.delegate(implementer.id, "Debugger", "why does parse_date fail")
    with pytest.raises(DelegationBlocked) as blocked:
        graph.delegate(debugger.id, "Implementer", "patch parse_date")
    assert blocked.value.reason.startswith("cycle: c2:Implementer already has this task")
    assert blocked.value.path == ("c1:manager", "c2:Implementer", "c3:Debugger", "new:Implementer")
    assert "delegation blocked: cycle" in str(blocked.value)
    # Another task for the same role is fine, and so is the same task for another role.
    graph.delegate(debugger.id, "Implementer", "add a regression test")
    graph.delegate(debugger.id, "Reviewer", "patch parse_date")


def test_repeating_a_subtree_that_produced_nothing_new_is_blocked() -> None:
    graph = DelegationGraph()
    root = graph.delegate(None, "manager", "goal").id
    first = graph.delegate(root, "TestTriager", "run the tests")
    with pytest.raises(DelegationBlocked, match="identical call c2:TestTriager is still running"):
        graph.delegate(root, "TestTriager", "run the tests")
    graph.finish(first.id, ["report-1"])
    second = graph.delegate(root, "TestTriager", "run the tests")  # the first one found something
    child = graph.delegate(second.id, "Debugger", "look at report-1")
    graph.finish(child.id, ["report-1"])  # nothing that was not known before
    graph.finish(second.id, [])
    with pytest.raises(DelegationBlocked, match=r"identical call c3:TestTriager and its subtree"):
        graph.delegate(root, "TestTriager", "run the tests")


def test_a_new_artifact_anywhere_in_the_subtree_allows_the_repeat() -> None:
    graph = DelegationGraph()
    root = graph.delegate(None, "manager", "goal").id
    first = graph.delegate(root, "Planner", "plan")
    child = graph.delegate(first.id, "Debugger", "reproduce")
    graph.finish(child.id, ["repro.py"])
    graph.finish(first.id)
    assert graph.produced_new(first.id)
    graph.delegate(root, "Planner", "plan")


def test_interrupted_calls_do_not_count_and_the_graph_survives_a_round_trip() -> None:
    graph = DelegationGraph()
    root = graph.delegate(None, "manager", "goal").id
    graph.delegate(root, "Implementer", "patch")
    restored = DelegationGraph.from_dict(graph.to_dict())
    assert restored.interrupt_running() == ["c1", "c2"]
    assert restored.calls["c2"].state == "interrupted"
    restored.delegate(root, "Implementer", "patch")


def test_a_worker_delegating_in_a_cycle_blocks_its_step(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    spec = workflow(step("fix", role="Implementer"), step("review", "fix", role="Reviewer"))

    async def runner(context: StepContext) -> StepOutcome:
        debugger = context.delegate("Debugger", "why does the test fail")
        context.delegate("Implementer", "fix the bug", parent=debugger.id)
        context.delegate("Debugger", "why does the test fail", parent=debugger.id)
        return succeed()

    report = run(paths, spec, runner)
    assert report.states() == {"fix": "BLOCKED", "review": "SKIPPED"}
    assert report.status == "blocked"
    fix = report.steps[0]
    assert fix.attempts == 1 and fix.summary.startswith("delegation blocked: cycle")
    blocked = events(paths, "delegation.blocked")
    assert len(blocked) == 1 and blocked[0]["step"] == "fix"
    assert blocked[0]["path"][-1] == "new:Debugger"
    saved = load_state(paths).delegation["calls"]
    assert [(c["role"], c["parent"]) for c in saved] == [
        ("manager", None),
        ("Implementer", "c1"),
        ("Debugger", "c2"),
        ("Implementer", "c3"),
    ]
