"""A workflow is checked before it runs, and every problem is named at once."""

from __future__ import annotations

from typing import Any

import pytest

from tokimon.errors import WorkflowInvalid
from tokimon.workflow import InputRef, parse_workflow

ROLES = {"Planner": (), "Implementer": ("plan",), "Reviewer": ()}


def problems(data: Any) -> list[str]:
    with pytest.raises(WorkflowInvalid) as invalid:
        parse_workflow(data, ROLES)
    return list(invalid.value.problems)


def test_a_valid_plan_parses_with_references_resolved_to_models() -> None:
    spec = parse_workflow(
        {
            "steps": [
                {"id": "plan", "role": "Planner"},
                {
                    "id": "fix",
                    "role": "Implementer",
                    "depends_on": ["plan"],
                    "inputs": {"plan": {"step": "plan"}},
                    "priority": "high",
                    "timeout": 60,
                },
            ]
        },
        ROLES,
    )
    fix = spec.step("fix")
    assert fix.inputs["plan"] == InputRef(step="plan", output="summary")
    assert fix.tiffany_priority.name == "HIGH" and spec.ancestors("fix") == {"plan"}


def test_schema_errors_name_the_field() -> None:
    assert problems({"steps": []}) == [
        "steps: List should have at least 1 item after validation, not 0"
    ]
    found = problems({"steps": [{"id": "../x", "role": "Planner", "colour": "red"}]})
    assert any(p.startswith("steps[0].id: String should match pattern") for p in found)
    assert "steps[0].colour: Extra inputs are not permitted" in found


def test_roles_inputs_dependencies_and_cycles_are_all_reported() -> None:
    found = problems(
        {
            "steps": [
                {"id": "a", "role": "Wizard", "depends_on": ["b"]},
                {"id": "b", "role": "Implementer", "depends_on": ["a", "ghost", "b"]},
                {"id": "b", "role": "Reviewer"},
            ]
        }
    )
    assert found == [
        "step id 'b' is used by 2 steps",
        "step 'a': unknown role 'Wizard'; known roles: Implementer, Planner, Reviewer",
        "step 'b' (Implementer): missing input 'plan'",
        "step 'b' depends on unknown step 'ghost'",
        "step 'b' depends on itself",
        "dependency cycle: a -> b -> a",
    ]


def test_a_reference_must_name_a_dependency() -> None:
    found = problems(
        {
            "steps": [
                {"id": "plan", "role": "Planner"},
                {"id": "fix", "role": "Implementer", "inputs": {"plan": {"step": "plan"}}},
            ]
        }
    )
    assert found == [
        "step 'fix': input 'plan' refers to step 'plan', which is not among its dependencies; "
        "add 'plan' to depends_on"
    ]
    assert "1 problem(s)" in str(WorkflowInvalid(found))
