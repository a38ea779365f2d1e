"""The step state machine: the only edges a step may move along.

::

    NEW -> READY                 after the workflow is validated
    READY -> RUNNING             when the engine schedules the step
    RUNNING -> SUCCEEDED | FAILED | BLOCKED | PARTIAL
    NEW | READY -> SKIPPED       when the workflow ends early
    FAILED | PARTIAL -> RETRY_PENDING   when a retry is approved
    RETRY_PENDING -> RUNNING     with a new attempt and its own call signature

Anything else is a bug in tokimon and raises :class:`~tokimon.errors.IllegalTransition`.
"""

from __future__ import annotations

from enum import StrEnum

from ..errors import IllegalTransition


class StepState(StrEnum):
    NEW = "NEW"
    READY = "READY"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    BLOCKED = "BLOCKED"
    PARTIAL = "PARTIAL"
    SKIPPED = "SKIPPED"
    RETRY_PENDING = "RETRY_PENDING"


S = StepState
TRANSITIONS: dict[StepState, frozenset[StepState]] = {
    S.NEW: frozenset({S.READY, S.SKIPPED}),
    S.READY: frozenset({S.RUNNING, S.SKIPPED}),
    S.RUNNING: frozenset({S.SUCCEEDED, S.FAILED, S.BLOCKED, S.PARTIAL}),
    S.FAILED: frozenset({S.RETRY_PENDING}),
    S.PARTIAL: frozenset({S.RETRY_PENDING}),
    S.RETRY_PENDING: frozenset({S.RUNNING}),
    S.SUCCEEDED: frozenset(),
    S.BLOCKED: frozenset(),
    S.SKIPPED: frozenset(),
}
ATTEMPT_ENDINGS = frozenset({S.SUCCEEDED, S.FAILED, S.BLOCKED, S.PARTIAL})
RETRYABLE = frozenset({S.FAILED, S.PARTIAL})


def check_transition(step_id: str, current: StepState, target: StepState) -> None:
    """Raise :class:`IllegalTransition` unless ``current -> target`` is an edge above."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(step_id, current.value, target.value)
