"""A worker: one attempt of one workflow step, done by a model with its role's tools.

:class:`Worker` is the engine's :data:`~tokimon.workflow.StepRunner`. For each attempt it
writes the role's system prompt and a brief (goal, the step and its inputs, what earlier
steps reported, what memory retrieved for it at the attempt's retrieval stage, the
strategy of this attempt and the lesson of the last one), runs the
:class:`~.loop.ToolLoop` with the role's tool subset under a :class:`~.budget.StepBudget`,
and turns the model's final answer into a :class:`~tokimon.workflow.StepOutcome`.

The outcome is built from evidence as much as from words:

- ``progress`` is the failing-test count of the attempt's last ``run_tests`` call, which
  the retry gate compares across attempts;
- ``artifacts`` are the files the attempt wrote, each with a digest of its content, so a
  retry that writes something different counts as new work and one that writes the same
  bytes does not;
- a worker that reports success while its own last test run failed gets FAILED, with the
  test failures as the failure text;
- a worker whose last ``build_skill`` call did not register its skill (its tests failed)
  gets FAILED, with the skill's test output as the failure text.

With a :class:`~tokimon.skills.SkillRegistry`, every conversation also offers the skills
the role may use (refreshed before each turn, so a skill registered by an earlier step,
or earlier in this one, is there), and the roles that build skills get ``build_skill``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tiffany.models import Message, ModelClient, ModelError, Redactor

from ..errors import DelegationBlocked, TokimonError
from ..memory import Retrieval, Retriever, StepQuery
from ..runlog import append_log
from ..signatures import DIMENSIONS
from ..skills import BUILD_SKILL, SkillRegistry, build_skill_tool
from ..tools import ToolExecution, ToolOutput, Toolset
from ..trace import bound
from ..workflow.engine import StepContext, StepOutcome
from .answer import FinalAnswer, read_final_answer
from .budget import BudgetExhausted, BudgetMeter, StepBudget
from .delegate import DelegateArgs, delegate_tool
from .loop import ToolLoop
from .roles import ROLES, WorkerRole, worker_role

STRATEGIES = {
    "direct": "Do the task directly.",
    "reproduce-first": "Reproduce the problem first (run the failing tests) and change "
    "nothing until you have seen it fail.",
    "alternative-hypothesis": "The last attempt's idea of the cause was wrong: look for a "
    "different root cause before changing code.",
    "decompose": "Work in small steps: one small change, then the tests, then the next.",
}


@dataclass
class Worker:
    """Runs workflow steps with ``model``; ``tools`` is the whole toolset of the repository."""

    model: ModelClient
    tools: Toolset
    budget: StepBudget = field(default_factory=StepBudget)
    redactor: Redactor = field(default_factory=Redactor)
    """Applied to the attempt's log (the trace has its own), so no key reaches the disk."""
    skills: SkillRegistry | None = None
    """Skills offered as tools on top of each role's own (none when None)."""
    memory: Retriever | None = None
    """What earlier runs learnt; every attempt's brief gets what it retrieves."""

    async def __call__(self, context: StepContext) -> StepOutcome:
        role = worker_role(context.step.role)
        attempt = _Attempt(context, BudgetMeter(self.budget), [], self.redactor)
        recalled = self._recall(attempt, role)
        text = brief(context, recalled.brief_section() if recalled else None)
        loop = self._loop(attempt, role, text, context.call_id)
        attempt.emit(
            "worker.start",
            role=role.name,
            tools=list(loop.toolset.names),
            budget=vars(self.budget),
        )
        attempt.log(f"{role.name} starts step {context.step.id} attempt {context.attempt}")
        outcome, stop = await self._conclude(attempt, loop, role)
        attempt.log(f"ends {outcome.state}: {outcome.summary}")
        attempt.emit(
            "worker.end",
            role=role.name,
            state=outcome.state,
            stop=stop,
            spent=attempt.meter.to_dict(),
        )
        return outcome

    def _recall(self, attempt: _Attempt, role: WorkerRole) -> Retrieval | None:
        """Memory's hits for this attempt at its retrieval stage, traced as
        ``memory.retrieve``; a memory that cannot be read is traced and skipped."""
        if self.memory is None:
            return None
        context = attempt.context
        step = context.step
        files = [
            str(path)
            for record in context.upstream.values()
            for path in record.get("outputs", {}).get("changed_files", [])
        ]
        query = StepQuery(
            goal=context.goal,
            step_id=step.id,
            text=" ".join([step.id, step.title, role.name, *map(str, context.inputs.values())]),
            stage=context.dimensions.retrieval_stage,
            files=tuple(files),
            failures=context.failures,
        )
        try:
            found = self.memory.retrieve(query)
        except (sqlite3.Error, OSError, TokimonError) as exc:
            attempt.emit("memory.error", error=f"{type(exc).__name__}: {exc}")
            return None
        attempt.emit("memory.retrieve", **found.trace_fields())
        return found

    def _loop(self, attempt: _Attempt, role: WorkerRole, text: str, parent: str) -> ToolLoop:
        """A conversation for ``role``, whose delegations hang under the call ``parent``."""
        own = self.tools.for_role(role.name)
        targets = [r for r in ROLES if set(self.tools.for_role(r).names) <= set(own.names)]

        async def run(args: DelegateArgs) -> ToolOutput:
            return await self._delegate(attempt, role, targets, args, parent)

        offered = [*own.tools]
        if self.skills is not None and role.builds_skills:
            offered.append(build_skill_tool(self.skills, attempt.context))
        offered.append(delegate_tool(targets, run, self.budget.max_seconds))
        dynamic = self.skills.for_role(role.name) if self.skills is not None else None
        return ToolLoop(
            self.model,
            Toolset(own.tree, own.config, offered, dynamic=dynamic),
            [Message.system(role.system_prompt), Message.user(text)],
            self.budget,
            log=attempt.log,
            meter=attempt.meter,
            executions=attempt.executions,
        )

    async def _conclude(
        self, attempt: _Attempt, loop: ToolLoop, role: WorkerRole, first: int = 0
    ) -> tuple[StepOutcome, str]:
        """Run ``loop`` to its answer and judge it on the tool calls made from ``first`` on;
        also says why it stopped (``answer``, ``budget`` or ``model error``)."""
        try:
            answer, stop = read_final_answer(await loop.answer()), "answer"
        except BudgetExhausted as exc:
            answer, stop = FinalAnswer("FAILED", f"stopped: {exc}", failure=str(exc)), "budget"
        except ModelError as exc:
            message = f"the model call failed: {exc}"
            answer, stop = FinalAnswer("FAILED", message, failure=str(exc)), "model error"
        outcome = judge(
            answer,
            attempt.executions[first:],
            self.tools,
            stopped=stop == "budget",
            tests_must_pass=role.tests_must_pass,
        )
        return outcome, stop

    async def _delegate(
        self,
        attempt: _Attempt,
        role: WorkerRole,
        targets: list[str],
        args: DelegateArgs,
        parent: str,
    ) -> ToolOutput:
        """One checked delegation, run to its answer inside this attempt."""
        context = attempt.context
        if args.role not in targets:
            return ToolOutput.error(
                f"Error: the {role.name} may delegate to {', '.join(targets)} (the roles "
                f"with no tools beyond its own), not to {args.role!r}"
            )
        try:
            call = context.delegate(args.role, args.task, parent=parent)
        except DelegationBlocked as exc:
            return ToolOutput.error(f"Error: {exc}")
        attempt.emit(
            "delegation.start",
            call=call.id,
            parent=parent,
            role=args.role,
            task=bound(args.task, 500),
        )
        attempt.log(f"delegates to {args.role} as {call.id}: {args.task}")
        target = worker_role(args.role)
        first = len(attempt.executions)
        loop = self._loop(attempt, target, delegated_brief(context, role.name, args.task), call.id)
        outcome, _ = await self._conclude(attempt, loop, target, first)
        context.delegation.finish(call.id, outcome.artifacts)
        attempt.emit(
            "delegation.end", call=call.id, state=outcome.state, artifacts=outcome.artifacts
        )
        attempt.log(f"{call.id} ({args.role}) ends {outcome.state}: {outcome.summary}")
        report = [f"{args.role} ({outcome.state}): {outcome.summary}"]
        if outcome.failure:
            report.append(f"failure: {outcome.failure}")
        if outcome.outputs:
            report.append(f"outputs: {json.dumps(outcome.outputs)}")
        data = {"call": call.id, "role": args.role, "state": outcome.state}
        return ToolOutput("\n".join(report), data={**data, "artifacts": outcome.artifacts})


@dataclass
class _Attempt:
    """What one attempt's conversations share: its step, budget, evidence and log."""

    context: StepContext
    meter: BudgetMeter
    executions: list[ToolExecution]
    redactor: Redactor

    def log(self, line: str) -> None:
        append_log(self.context.log_path, self.redactor.text(line))

    def emit(self, kind: str, **fields: Any) -> None:
        """A trace event of this attempt (its step and attempt number added)."""
        self.context.trace.emit(
            kind, step=self.context.step.id, attempt=self.context.attempt, **fields
        )


def delegated_brief(context: StepContext, delegator: str, task: str) -> str:
    """The first user message of a delegated worker: the goal and its sub-task only."""
    return (
        f"Goal of the run: {context.goal}\n\n"
        f"The {delegator} working on step {context.step.id} hands you this sub-task:\n"
        f"{task}\n\nDo this sub-task only, then report."
    )


def brief(context: StepContext, memory: str | None = None) -> str:
    """The first user message of an attempt: everything the worker needs to start
    (``memory``: what memory retrieved for it, see :meth:`Retrieval.brief_section`)."""
    step = context.step
    parts = [
        f"Goal of the run: {context.goal}",
        f"Your step: {step.id}" + (f": {step.title}" if step.title else ""),
    ]
    if context.inputs:
        listed = "\n".join(
            f"- {name}: {bound(str(value), 4000)}" for name, value in context.inputs.items()
        )
        parts.append(f"Inputs:\n{listed}")
    if context.upstream:
        reports = []
        for step_id, record in context.upstream.items():
            summary = bound(str(record.get("summary", "")), 2000)
            line = f"- {step_id} ({record.get('state', '?')}): {summary}"
            if record.get("outputs"):
                line += f"\n  outputs: {bound(str(record['outputs']), 2000)}"
            reports.append(line)
        parts.append("What the earlier steps reported:\n" + "\n".join(reports))
    if memory:
        parts.append(memory)
    strategy = STRATEGIES.get(context.strategy, context.strategy)
    parts.append(f"Attempt {context.attempt}, strategy {context.strategy!r}: {strategy}")
    hypothesis = context.dimensions.hypothesis
    if hypothesis:
        parts.append(f"Root-cause hypothesis to pursue: {hypothesis}")
    if context.lesson:
        parts.append(
            f"Lesson from the previous attempt (do not repeat it):\n{bound(context.lesson, 4000)}"
        )
    return "\n\n".join(parts)


def judge(
    answer: FinalAnswer,
    executions: Iterable[ToolExecution],
    tools: Toolset,
    *,
    stopped: bool = False,
    tests_must_pass: bool = True,
) -> StepOutcome:
    """The step outcome: the worker's answer checked against what its tool calls show;
    ``stopped`` says the budget ended the attempt before the model answered, and
    ``tests_must_pass`` that a success claim needs the last test run to pass."""
    executions = list(executions)
    tests = [e.data for e in executions if e.call.name == "run_tests" and "status" in e.data]
    artifacts = changed_files(executions, tools)
    progress: dict[str, Any] = {}
    state, summary, failure = answer.state, answer.summary, answer.failure
    if tests:
        last = tests[-1]
        failing = int(last.get("failed") or 0) + int(last.get("errors") or 0)
        progress["failing_tests"] = failing
        if (
            tests_must_pass
            and state == "SUCCEEDED"
            and last.get("status") not in ("passed", "no tests")
        ):
            state = "FAILED"
            failure = (
                "the worker reported success, but its last test run did not pass:\n"
                + failing_tests_text(last)
            )
            summary = f"claimed success, but the last run_tests was {last.get('status')}: {summary}"
    builds = [e for e in executions if e.call.name == BUILD_SKILL]
    if builds and not builds[-1].data.get("registered"):
        output = str(builds[-1].data.get("test_output") or builds[-1].result.content)
        if state == "SUCCEEDED":
            state = "FAILED"
            summary = f"claimed success, but the skill was not registered: {summary}"
        failure = f"the skill was not registered; its tests failed:\n{output}"
    if stopped and artifacts:
        state = "PARTIAL"  # cut off by its budget after changing files: work to build on
    outputs = dict(answer.outputs)
    if artifacts:
        outputs.setdefault("changed_files", sorted({a.partition("@")[0] for a in artifacts}))
    return StepOutcome(
        state=state,
        outputs=outputs,
        summary=summary,
        failure=failure if state != "SUCCEEDED" else None,
        progress=progress,
        artifacts=artifacts,
        retry_with={k: v for k, v in answer.retry_with.items() if k in DIMENSIONS},
        lesson=answer.lesson,
    )


def failing_tests_text(report: Mapping[str, Any]) -> str:
    """The failing tests of a ``run_tests`` report, one a line with its message."""
    lines = [f"{f.get('name')}: {f.get('message')}" for f in report.get("failures") or []]
    return "\n".join(lines) or bound(str(report.get("output", "")), 2000)


def changed_files(executions: Iterable[ToolExecution], tools: Toolset) -> list[str]:
    """``path@digest`` of every file the attempt wrote, as it is now (``@deleted`` if gone)."""
    paths: list[str] = []
    for execution in executions:
        if execution.result.is_error:
            continue
        if execution.call.name == "write_file" and "path" in execution.data:
            paths.append(str(execution.data["path"]))
        elif execution.call.name == "apply_patch":
            paths.extend(str(f["path"]) for f in execution.data.get("files", ()) if "path" in f)
    artifacts = []
    for path in dict.fromkeys(paths):
        target = tools.tree.root / path
        content = target.read_bytes() if target.is_file() else None
        digest = hashlib.sha256(content).hexdigest()[:12] if content is not None else "deleted"
        artifacts.append(f"{path}@{digest}")
    return artifacts
