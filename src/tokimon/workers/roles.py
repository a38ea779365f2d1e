"""The six worker roles: what each is for, what it is told, what a plan must give it.

A role is a system prompt plus the tool subset :data:`tokimon.tools.ROLE_TOOLS` grants it
(a Reviewer reads and runs tests but never writes). The manager shows the planning model
each role's ``purpose`` and ``required_inputs``; :data:`ROLE_REQUIREMENTS` is what
:func:`tokimon.workflow.parse_workflow` checks plans against, so a step naming an unknown
role or missing an input its role needs is sent back to the model before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..workflow.spec import RoleRequirements

FINAL_ANSWER = """\
When the work is done (or you cannot go further), reply WITHOUT tool calls. End that
reply with one JSON object, for example:
{"status": "succeeded", "summary": "what you did and how you checked it", "outputs": {}}
- "status" is one of "succeeded", "partial", "failed", "blocked".
- "outputs" holds facts later steps need (short strings, lists, numbers).
- When it is not "succeeded", give "failure" (what went wrong, with the evidence) and
  "retry_with": {"hypothesis": "the root cause to try next"} if you know a better route."""

CHECKED_CLAIMS = """Your claim is checked: "succeeded" counts only if your last run_tests passed."""

COMMON = """\
You work inside one repository; every path is relative to its root and you cannot leave
it. Use the tools; do not guess at file contents you have not read. Tool errors are
messages for you: read them and correct the call. Keep changes minimal and focused on
your step."""


@dataclass(frozen=True)
class WorkerRole:
    """One role: its name in plans, a one-line purpose for the planner, its instructions."""

    name: str
    purpose: str
    instructions: str
    required_inputs: tuple[str, ...] = ("task",)
    tests_must_pass: bool = False
    """Whether reporting success needs the attempt's last test run to pass: true for the
    roles that change code or judge it, false for the triager, whose job is failures."""
    builds_skills: bool = False
    """Whether the role gets ``build_skill`` (when the run has a skill registry)."""

    @property
    def system_prompt(self) -> str:
        intro = f"You are the {self.name} of a coding agent."
        parts = [intro, self.instructions, COMMON, FINAL_ANSWER]
        if self.tests_must_pass:
            parts.append(CHECKED_CLAIMS)
        return "\n\n".join(parts)


ROLES: Mapping[str, WorkerRole] = {
    role.name: role
    for role in (
        WorkerRole(
            "Planner",
            "investigates the repository and writes a concrete approach for later steps",
            "Read the code the task concerns and produce a short, concrete plan: which files "
            "change, how, and how to check it. Put the plan in outputs.plan.",
        ),
        WorkerRole(
            "Implementer",
            "changes code to do the task and checks it with the tests",
            "Make the change the task asks for. Read the relevant files first, prefer "
            "apply_patch (a unified diff) for edits and write_file for new files, then run "
            "the tests that cover the change and fix what they report.",
            tests_must_pass=True,
        ),
        WorkerRole(
            "Debugger",
            "finds the root cause of a failure and fixes it",
            "Reproduce the failure first (run_tests on the failing test), form a hypothesis "
            "about the root cause from the evidence, fix it, and run the tests again. Say "
            "which hypothesis the evidence confirmed.",
            tests_must_pass=True,
        ),
        WorkerRole(
            "Reviewer",
            "reviews the changes made so far and runs the tests; does not edit",
            "Review the work of the earlier steps against the goal: read the changed code, "
            "run the tests, and report problems precisely (file, line, why). Report "
            '"failed" when the goal is not met.',
            tests_must_pass=True,
        ),
        WorkerRole(
            "TestTriager",
            "runs the tests and explains which fail and why; does not edit",
            "Run the tests (or the targets given), and for each failure say what it checks, "
            "where the fault most likely is, and what evidence points there. Put the failing "
            "test ids in outputs.failing.",
            required_inputs=(),
        ),
        WorkerRole(
            "SkillBuilder",
            "builds a reusable skill (a tested Python tool later steps can call) for a gap "
            "the manager justifies: a repeated tool sequence or a failure a tool prevents",
            "Build the skill the task describes with build_skill: a small Python module "
            "(`run(args, ctx)`), its input schema and its pytest unit tests, plus the gap, "
            "design and expected benefit. It is registered only if its tests pass; read the "
            "test output and fix the module or the tests when they fail. Put the skill's "
            "name in outputs.skill. (Without build_skill, write a small documented script "
            "and give its path in outputs.path.)",
            required_inputs=("task", "gap"),
            builds_skills=True,
        ),
    )
}

ROLE_REQUIREMENTS: RoleRequirements = {name: role.required_inputs for name, role in ROLES.items()}
"""Role name -> inputs a step of that role must have: what plans are validated against."""


def worker_role(name: str) -> WorkerRole:
    """The role called ``name``; a ``ValueError`` lists the roles otherwise."""
    try:
        return ROLES[name]
    except KeyError:
        raise ValueError(
            f"unknown worker role {name!r}; the roles are: {', '.join(ROLES)}"
        ) from None
