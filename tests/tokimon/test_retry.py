"""Retries are gated: a lesson first, a changed dimension, measured progress, no loops."""

from __future__ import annotations

from pathlib import Path

import pytest
from workflow_fixtures import by_attempt, events, fail, new_run, run, state_changes, step, workflow

from tokimon.lessons import lesson_path, parse_lesson, read_lessons
from tokimon.retry import MAX_RETRIEVAL_STAGE, AttemptResult, RetryPolicy, measure_progress
from tokimon.signatures import Dimensions, call_signature, failure_signature
from tokimon.workflow import StepContext, StepOutcome, load_state


def attempt(number: int, strategy: str = "direct", **progress: object) -> AttemptResult:
    # At the last retrieval stage, so that only what a test changes changes.
    dims = Dimensions(role="Implementer", strategy=strategy, retrieval_stage=MAX_RETRIEVAL_STAGE)
    return AttemptResult(
        number=number,
        dimensions=dims,
        signature=call_signature("goal", "fix", {}, dims),
        state="FAILED",
        progress=progress,
    )


def sign(dims: Dimensions) -> str:
    return call_signature("goal", "fix", {}, dims)


# -- the policy on its own ----------------------------------------------------------------
def test_progress_is_fewer_problems_a_new_milestone_or_a_new_artifact() -> None:
    first = attempt(1, failing_tests=3, reproduced=False)
    assert measure_progress([], first).made is None
    assert measure_progress([first], attempt(2, failing_tests=3)).made is False
    fewer = measure_progress([first], attempt(2, failing_tests=1))
    assert fewer.made and fewer.evidence == ("failing_tests 3 -> 1",)
    assert measure_progress([first], attempt(2, failing_tests=5, reproduced=True)).evidence == (
        "reproduced is now true",
    )
    with_file = AttemptResult(2, first.dimensions, "x", "FAILED", artifacts=["repro.py"])
    assert measure_progress([first], with_file).evidence == ("new artifact(s): repro.py",)


def test_without_a_proposal_the_strategy_escalates_along_the_ladder() -> None:
    policy = RetryPolicy(strategies=("direct", "deeper", "widest"), patience=5)
    decision = policy.decide([attempt(1)], max_attempts=5, proposal={}, sign=sign)
    assert decision.approved and decision.dimensions is not None
    assert decision.changes == {"strategy": ["direct", "deeper"]}
    assert decision.signature == sign(decision.dimensions) != attempt(1).signature
    history = [attempt(1), attempt(2, "deeper"), attempt(3, "widest")]
    refused = policy.decide(history, max_attempts=9, proposal={}, sign=sign)
    assert not refused.approved and "every strategy on the ladder was tried" in refused.reason


def test_a_retry_escalates_the_retrieval_stage_unless_the_worker_chose_one() -> None:
    first = RetryPolicy().first("Implementer")
    assert first.retrieval_stage == 1
    one = AttemptResult(1, first, sign(first), "FAILED")
    decision = RetryPolicy().decide([one], max_attempts=3, proposal={}, sign=sign)
    assert decision.changes == {
        "strategy": ["direct", "reproduce-first"],
        "retrieval_stage": [1, 2],
    }
    assert decision.signature == sign(decision.dimensions) != one.signature  # type: ignore[arg-type]
    pinned = RetryPolicy().decide(
        [one], max_attempts=3, proposal={"retrieval_stage": 1, "hypothesis": "tz"}, sign=sign
    )
    assert pinned.changes == {"hypothesis": [None, "tz"]}


def test_a_proposed_dimension_change_is_taken_instead() -> None:
    decision = RetryPolicy().decide(
        [attempt(1)], max_attempts=3, proposal={"hypothesis": "timezone"}, sign=sign
    )
    assert decision.approved and decision.changes == {"hypothesis": [None, "timezone"]}
    unknown = RetryPolicy().decide([attempt(1)], max_attempts=3, proposal={"mood": "x"}, sign=sign)
    assert not unknown.approved and "unknown retry dimension(s) mood" in unknown.reason


def test_an_identical_signature_needs_progress() -> None:
    history = [attempt(1, failing_tests=2), attempt(2, "reproduce-first", failing_tests=2)]
    back = {"strategy": "direct"}
    refused = RetryPolicy(patience=3).decide(history, max_attempts=5, proposal=back, sign=sign)
    assert not refused.approved
    assert refused.reason.startswith(f"identical call signature {attempt(1).signature}")
    history[-1] = attempt(2, "reproduce-first", failing_tests=1)
    allowed = RetryPolicy(patience=3).decide(history, max_attempts=5, proposal=back, sign=sign)
    assert allowed.approved and allowed.signature == attempt(1).signature


def test_the_budget_and_stalls_end_the_retries() -> None:
    assert (
        "attempt budget spent (2 of 2)"
        in (
            RetryPolicy().decide(
                [attempt(1), attempt(2, "b")], max_attempts=2, proposal={}, sign=sign
            )
        ).reason
    )
    stalled = [attempt(1, failing_tests=2), attempt(2, "b", failing_tests=2)]
    decision = RetryPolicy(patience=0).decide(stalled, max_attempts=9, proposal={}, sign=sign)
    assert not decision.approved and decision.reason.startswith("progress stalled: 1 attempts")
    with pytest.raises(ValueError, match="at least one strategy"):
        RetryPolicy(strategies=())


def test_failure_signatures_ignore_what_changes_between_runs() -> None:
    one = "AssertionError at line 12: 3 failed in 0.42s (object at 0x7f3a2c)"
    two = "AssertionError at line 14: 2 failed in 1.03s (object at 0x7f11ee)"
    assert failure_signature(one) == failure_signature(two)
    assert failure_signature(one) != failure_signature("ImportError: no module named dates")


# -- the gate in the engine ---------------------------------------------------------------
def test_a_retry_writes_a_lesson_and_changes_the_strategy(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    seen: list[StepContext] = []

    async def runner(context: StepContext) -> StepOutcome:
        seen.append(context)
        if context.attempt == 1:
            return StepOutcome(
                "FAILED",
                {},
                "2 tests still fail",
                failure="AssertionError: expected 2026-01-01",
                progress={"failing_tests": 2},
                lesson="the parser ignores the timezone",
            )
        return StepOutcome("SUCCEEDED", {"patch": "diff"}, "fixed", progress={"failing_tests": 0})

    report = run(paths, workflow(step("fix")), runner)
    assert report.status == "succeeded"
    assert state_changes(paths, "fix") == [
        "READY",
        "RUNNING",
        "FAILED",
        "RETRY_PENDING",
        "RUNNING",
        "SUCCEEDED",
    ]
    first, second = seen
    assert (first.strategy, second.strategy) == ("direct", "reproduce-first")
    assert first.signature != second.signature and first.lesson is None
    lesson = parse_lesson(lesson_path(paths, "fix", 1).read_text())
    assert lesson.task_id == paths.id and lesson.step_id == "fix"
    assert lesson.strategy_id == "direct"
    assert lesson.failure_signature == failure_signature("AssertionError: expected 2026-01-01")
    assert lesson.changes == {
        "strategy": ["direct", "reproduce-first"],
        "retrieval_stage": [1, 2],
    }
    assert {"fix", "retry", "FAILED", "Implementer"} <= set(lesson.tags)
    assert "the parser ignores the timezone" in lesson.body
    assert second.lesson == lesson.body
    assert read_lessons(paths) == [lesson]
    # The lesson is on disk before the step may be retried.
    kinds = [e["kind"] for e in events(paths, "lesson.written") + events(paths, "step.state")]
    written = events(paths, "lesson.written")[0]["seq"]
    pending = next(e for e in events(paths, "step.state") if e["to"] == "RETRY_PENDING")
    assert written < pending["seq"] and "lesson.written" in kinds
    assert (paths.step_artifacts("fix") / "outputs.json").is_file()
    assert (paths.step_artifacts("fix") / "outputs.v2.json").is_file()


def test_an_identical_retry_without_progress_is_refused_and_traced(tmp_path: Path) -> None:
    paths = new_run(tmp_path)
    runner = by_attempt(
        [
            fail("same error", progress={"failing_tests": 1}),
            fail(
                "same error",
                progress={"failing_tests": 1},
                retry_with={"strategy": "direct", "retrieval_stage": 1},
            ),
        ]
    )
    report = run(
        paths, workflow(step("fix", max_attempts=5)), runner, policy=RetryPolicy(patience=3)
    )
    assert report.states() == {"fix": "FAILED"}
    refused = events(paths, "retry.refused")
    assert len(refused) == 1 and refused[0]["reason"].startswith("identical call signature")
    assert refused[0]["progress"] == "no progress"
    assert str(load_state(paths).steps["fix"].reason).startswith("retry refused: identical")
    assert len(load_state(paths).steps["fix"].attempts) == 2


def test_stalled_progress_ends_the_step_partial(tmp_path: Path) -> None:
    paths = new_run(tmp_path)

    async def runner(context: StepContext) -> StepOutcome:
        return StepOutcome(
            "PARTIAL", {"done": 3}, "3 of 5 fixed", failure="2 left", progress={"failing_tests": 2}
        )

    report = run(paths, workflow(step("fix", max_attempts=9)), runner)
    assert report.states() == {"fix": "PARTIAL"} and report.status == "partial"
    assert len(load_state(paths).steps["fix"].attempts) == 3  # baseline + 1 tolerated stall
    assert events(paths, "retry.refused")[0]["reason"].startswith("progress stalled: 2 attempts")


def test_progress_keeps_a_step_going_and_repeated_failures_are_deduplicated(
    tmp_path: Path,
) -> None:
    paths = new_run(tmp_path)
    back = {"strategy": "direct", "retrieval_stage": 1}
    runner = by_attempt(
        [
            fail("boom", progress={"failing_tests": 3}),
            fail("boom", progress={"failing_tests": 2}, retry_with=back),
            fail("boom", progress={"failing_tests": 1}),
            StepOutcome("SUCCEEDED", {}, "ok"),
        ]
    )
    report = run(paths, workflow(step("fix", max_attempts=4)), runner)
    assert report.states() == {"fix": "SUCCEEDED"}
    attempts = load_state(paths).steps["fix"].attempts
    assert attempts[2].signature == attempts[0].signature  # allowed: attempt 2 progressed
    duplicate = events(paths, "failure.duplicate")
    assert [(e["attempt"], e["count"]) for e in duplicate] == [(3, 2)]
    assert len(load_state(paths).failures) == 2
