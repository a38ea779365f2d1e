"""The step state machine has exactly the issue's edges; every other move raises."""

from __future__ import annotations

import itertools

import pytest

from tokimon.errors import IllegalTransition
from tokimon.workflow import TRANSITIONS, StepState, check_transition

S = StepState
EDGES = {
    (S.NEW, S.READY),
    (S.READY, S.RUNNING),
    (S.RUNNING, S.SUCCEEDED),
    (S.RUNNING, S.FAILED),
    (S.RUNNING, S.BLOCKED),
    (S.RUNNING, S.PARTIAL),
    (S.NEW, S.SKIPPED),
    (S.READY, S.SKIPPED),
    (S.FAILED, S.RETRY_PENDING),
    (S.PARTIAL, S.RETRY_PENDING),
    (S.RETRY_PENDING, S.RUNNING),
}


def test_the_table_is_exactly_the_specified_edges() -> None:
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == EDGES
    assert set(TRANSITIONS) == set(StepState)


@pytest.mark.parametrize("current,target", sorted(itertools.product(S, S)))
def test_every_pair_is_allowed_exactly_when_it_is_an_edge(
    current: StepState, target: StepState
) -> None:
    if (current, target) in EDGES:
        check_transition("s", current, target)
        return
    with pytest.raises(IllegalTransition) as raised:
        check_transition("fix", current, target)
    assert str(raised.value) == f"step 'fix': illegal transition {current} -> {target}"
    assert isinstance(raised.value, RuntimeError)  # a bug in tokimon, not a user error
