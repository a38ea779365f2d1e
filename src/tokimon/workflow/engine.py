"""The workflow engine: runs a validated DAG of steps as tiffany tasks, durably.

:func:`run_workflow` and :func:`resume_workflow` run inside ``tiffany.run``. The engine

- moves every step NEW -> READY once the workflow is valid, then dispatches the ready
  steps whose dependencies succeeded, most urgent priority first (ties in plan order),
  at most ``concurrency`` at a time (a :class:`tiffany.Semaphore` of slots);
- runs each attempt as a task with the step's priority, under ``fail_after`` when the
  step (or the run) has a timeout; whatever the runner raises fails that step only;
- writes ``workflow_state.json`` atomically after every transition, each attempt's
  outputs as a new versioned file (:class:`~tokimon.artifacts.StepArtifacts`), and
  every state change, attempt and retry decision to ``trace.jsonl``;
- asks the :class:`~tokimon.retry.RetryPolicy` before a FAILED or PARTIAL step runs
  again; an approved retry first writes a lesson, then moves to RETRY_PENDING with the
  new dimensions; a refused one is traced and the step ends where it is;
- registers every attempt in the :class:`~tokimon.delegation.DelegationGraph` (the
  manager's call at the root), so a worker's own delegations are checked against it;
- ends steps that can no longer run (a dependency did not succeed) as SKIPPED.

:func:`resume_workflow` reloads the state after a crash (``kill -9`` included): SUCCEEDED
steps stay done, an attempt left RUNNING is marked interrupted and the step runs again as
a new attempt (an interruption is not a failure, so it neither needs a lesson nor counts
against the step's attempt budget), and a retry decision the crash cut off is taken again.
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import tiffany
from tiffany.models.redact import Redactor

from ..artifacts import StepArtifacts
from ..delegation import Call, DelegationGraph
from ..errors import DelegationBlocked, WorkflowInvalid, WorkspaceError
from ..lessons import Lesson, write_lesson
from ..retry import AttemptResult, RetryDecision, RetryPolicy, measure_progress
from ..signatures import Dimensions, call_signature, failure_signature
from ..trace import Trace, bound
from ..workspace import RunPaths, utc_now
from .spec import InputRef, RoleRequirements, StepSpec, WorkflowSpec, workflow_problems
from .state import AttemptRecord, StepRecord, WorkflowState, load_state, save_state
from .states import RETRYABLE, StepState, check_transition

S = StepState
OutcomeState = Literal["SUCCEEDED", "FAILED", "BLOCKED", "PARTIAL"]
MANAGER_ROLE = "manager"


@dataclass(frozen=True)
class StepContext:
    """Everything one attempt of a step gets to work with."""

    run: RunPaths
    goal: str
    step: StepSpec
    """The step as planned, with ``role`` set to this attempt's role."""
    attempt: int
    inputs: dict[str, Any]
    """The step's inputs, references resolved to the dependencies' outputs."""
    signature: str
    strategy: str
    lesson: str | None
    trace: Trace
    dimensions: Dimensions = field(default_factory=lambda: Dimensions("", ""))
    upstream: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each dependency's outputs record (``summary``, ``outputs``, ``artifacts``, ...)."""
    delegation: DelegationGraph = field(default_factory=DelegationGraph)
    call_id: str = ""
    """This attempt's node in ``delegation``: the parent of any call the worker delegates."""
    log_path: Path | None = None
    failures: tuple[str, ...] = ()
    """Failure signatures of the step's earlier attempts (memory retrieval looks for
    lessons of the same failures)."""

    def delegate(self, role: str, task: str, *, parent: str | None = None) -> Call:
        """Check and record a delegation made under this attempt (or under ``parent``, a
        call made earlier); raises :class:`DelegationBlocked` for a cycle or a fruitless
        repeat, after tracing it. Mark the call done with ``delegation.finish``."""
        try:
            return self.delegation.delegate(
                parent or self.call_id, role, task, step_id=self.step.id
            )
        except DelegationBlocked as exc:
            self.trace.emit(
                "delegation.blocked", step=self.step.id, reason=exc.reason, path=list(exc.path)
            )
            raise


@dataclass(frozen=True)
class StepOutcome:
    """What a runner reports for one attempt."""

    state: OutcomeState
    outputs: dict[str, Any]
    summary: str
    failure: str | None = None
    """The failure text when not SUCCEEDED (its normalised digest deduplicates failures)."""
    progress: dict[str, Any] = field(default_factory=dict)
    """Counts of what remains (``failing_tests``: lower is better) and milestones
    (``reproduced``: true is better), compared across attempts by the retry gate."""
    artifacts: list[str] = field(default_factory=list)
    retry_with: dict[str, Any] = field(default_factory=dict)
    """Dimensions the worker proposes to change for a retry (``hypothesis``, ``role``...)."""
    lesson: str | None = None
    """The worker's own account of what went wrong, folded into the lesson."""


StepRunner = Callable[[StepContext], Awaitable[StepOutcome]]


@dataclass(frozen=True)
class StepReport:
    id: str
    role: str
    state: str
    attempts: int
    summary: str
    failure: str | None
    reason: str | None


@dataclass(frozen=True)
class WorkflowReport:
    run_id: str
    status: str
    steps: list[StepReport]

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    def states(self) -> dict[str, str]:
        return {step.id: step.state for step in self.steps}

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "steps": [vars(step) for step in self.steps],
        }


def report_from_state(state: WorkflowState) -> WorkflowReport:
    """The report of a workflow as saved (finished or not)."""
    steps = []
    for spec in state.workflow.steps:
        record = state.steps[spec.id]
        last = record.attempts[-1] if record.attempts else None
        steps.append(
            StepReport(
                id=spec.id,
                role=spec.role,
                state=record.state.value,
                attempts=len(record.attempts),
                summary=last.summary if last else "",
                failure=last.failure if last else None,
                reason=record.reason,
            )
        )
    return WorkflowReport(state.run_id, state.status, steps)


def overall_status(
    states: Mapping[str, StepState],
) -> Literal["succeeded", "failed", "partial", "blocked"]:
    values = set(states.values())
    if values <= {S.SUCCEEDED}:
        return "succeeded"
    if S.FAILED in values:
        return "failed"
    if S.BLOCKED in values:
        return "blocked"
    return "partial"


def _document(step: StepSpec, attempt: AttemptRecord, outcome: StepOutcome) -> dict[str, Any]:
    """The contents of an attempt's ``outputs*.json``."""
    return {
        "step": step.id,
        "attempt": attempt.number,
        "state": outcome.state,
        "summary": outcome.summary,
        "outputs": outcome.outputs,
        "failure": outcome.failure,
        "progress": outcome.progress,
        "artifacts": outcome.artifacts,
        "signature": attempt.signature,
        "dimensions": attempt.dimensions,
        "retry_with": outcome.retry_with,
        "lesson": outcome.lesson,
    }


async def run_workflow(
    paths: RunPaths,
    goal: str,
    spec: WorkflowSpec,
    runner: StepRunner,
    *,
    policy: RetryPolicy | None = None,
    concurrency: int = 4,
    step_timeout: float | None = None,
    roles: RoleRequirements | None = None,
    redactor: Redactor | None = None,
    trace: Trace | None = None,
) -> WorkflowReport:
    """Validate ``spec`` and run it to the end in this run folder (inside ``tiffany.run``).

    ``roles`` (role -> required inputs) adds the role checks to the validation; without
    it only the structure is checked. ``trace`` is the run's open trace when the caller
    already has one (the manager traced its planning; a live view subscribed to it);
    otherwise the engine opens ``trace.jsonl`` itself, with ``redactor`` if given. Holds
    the run lock throughout.
    """
    problems = workflow_problems(spec, roles or {step.role: () for step in spec.steps})
    if problems:
        raise WorkflowInvalid(problems)
    paths.create()
    with paths.locked():
        if paths.workflow_state.exists():
            raise WorkspaceError(
                f"run {paths.id} already has a workflow; resume it instead of running it again"
            )
        state = WorkflowState.new(paths.id, goal, spec)
        engine = Engine(paths, state, runner, policy, concurrency, step_timeout)
        return await _execute(engine, trace, redactor, resumed=False)


async def resume_workflow(
    paths: RunPaths,
    runner: StepRunner,
    *,
    policy: RetryPolicy | None = None,
    concurrency: int = 4,
    step_timeout: float | None = None,
    redactor: Redactor | None = None,
    trace: Trace | None = None,
) -> WorkflowReport:
    """Continue a run from its ``workflow_state.json`` (see the module docstring)."""
    with paths.locked():
        state = load_state(paths)
        engine = Engine(paths, state, runner, policy, concurrency, step_timeout)
        return await _execute(engine, trace, redactor, resumed=True)


async def _execute(
    engine: Engine, trace: Trace | None, redactor: Redactor | None, *, resumed: bool
) -> WorkflowReport:
    """Run ``engine`` with the caller's trace, or with one of its own that it closes."""
    if trace is not None:
        return await engine.run(trace, resumed=resumed)
    with Trace(engine.paths.trace, redactor) as own:
        return await engine.run(own, resumed=resumed)


class Engine:
    """One execution (first run or resume) of a workflow; use the functions above."""

    def __init__(
        self,
        paths: RunPaths,
        state: WorkflowState,
        runner: StepRunner,
        policy: RetryPolicy | None,
        concurrency: int,
        step_timeout: float | None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency is 1 or more, got {concurrency}")
        self.paths = paths
        self.state = state
        self.runner = runner
        self.policy = policy or RetryPolicy()
        self.concurrency = concurrency
        self.step_timeout = step_timeout
        self.spec = state.workflow
        self.order = {step.id: index for index, step in enumerate(self.spec.steps)}
        self.graph = DelegationGraph.from_dict(state.delegation)
        self.trace: Trace
        self._root_id = ""
        self._in_flight: set[str] = set()
        self._changed = tiffany.Event()
        self._slots = tiffany.Semaphore(concurrency)

    # == the run ========================================================================
    async def run(self, trace: Trace, *, resumed: bool) -> WorkflowReport:
        """Run to the end, with ``trace`` installed as a kernel instrument meanwhile."""
        self.trace = trace
        kernel = tiffany.current_kernel()
        installed = trace in kernel.instruments
        if not installed:
            kernel.add_instrument(trace)
        try:
            self.trace.emit(
                "workflow.resume" if resumed else "workflow.start",
                run_id=self.state.run_id,
                goal=self.state.goal,
                steps=[step.id for step in self.spec.steps],
            )
            self.state.status = "running"
            self._save()
            if resumed:
                self._recover()
            self._root_id = self._root()
            for step in self.spec.steps:
                if self._record(step.id).state is S.NEW:
                    self._transition(step.id, S.READY)
            await self._dispatch()
            self._skip_unreachable()
            self.graph.finish(self._root_id)
            self.state.status = overall_status({i: r.state for i, r in self.state.steps.items()})
            self._save()
            report = report_from_state(self.state)
            self.trace.emit("workflow.end", status=report.status, states=report.states())
            return report
        except BaseException as exc:
            # Cancelled, interrupted, or an engine error: the state on disk stays resumable.
            self.trace.emit("workflow.stopped", error=f"{type(exc).__name__}: {exc}")
            raise
        finally:
            if not installed:
                kernel.remove_instrument(trace)

    def _root(self) -> str:
        """The manager's node in the delegation graph (made once per run)."""
        for call in self.graph.calls.values():
            if call.parent is None and call.role == MANAGER_ROLE:
                return call.id
        return self.graph.delegate(None, MANAGER_ROLE, self.state.goal).id

    # == scheduling =====================================================================
    def _runnable(self) -> list[StepSpec]:
        ready = []
        for step in self.spec.steps:
            record = self._record(step.id)
            if record.state not in (S.READY, S.RETRY_PENDING) or step.id in self._in_flight:
                continue
            if all(self._record(d).state is S.SUCCEEDED for d in step.depends_on):
                ready.append(step)
        return sorted(ready, key=lambda s: (s.tiffany_priority, self.order[s.id]))

    async def _dispatch(self) -> None:
        try:
            async with tiffany.TaskGroup() as group:
                while True:
                    self._changed.clear()
                    if self._runnable():
                        await self._slots.acquire()
                        step = self._runnable()[0]
                        self._in_flight.add(step.id)
                        await group.spawn(
                            self._run_step,
                            step,
                            name=f"step:{step.id}",
                            priority=step.tiffany_priority,
                        )
                    elif self._in_flight:
                        await self._changed.wait()
                    else:
                        return
        except BaseExceptionGroup as failures:
            # An engine bug or a disk error in one step task: show it, not a wrapper.
            if len(failures.exceptions) == 1:
                raise failures.exceptions[0] from None
            raise

    async def _run_step(self, step: StepSpec) -> None:
        try:
            await self._attempt(step)
        finally:
            self._in_flight.discard(step.id)
            self._slots.release()
            self._changed.set()

    def _skip_unreachable(self) -> None:
        for step in self.spec.steps:
            record = self._record(step.id)
            if record.state in (S.NEW, S.READY):
                blockers = [
                    f"{d} ({self._record(d).state.value})"
                    for d in sorted(self.spec.ancestors(step.id))
                    if self._record(d).state not in (S.SUCCEEDED, S.NEW, S.READY, S.SKIPPED)
                ]
                record.reason = "the workflow ended early; " + (
                    f"dependency {', '.join(blockers)} did not succeed"
                    if blockers
                    else "a dependency did not succeed"
                )
                self._transition(step.id, S.SKIPPED, reason=record.reason)

    # == one attempt ====================================================================
    async def _attempt(self, step: StepSpec) -> None:
        record = self._record(step.id)
        if record.next_dimensions:
            dimensions = Dimensions(**record.next_dimensions)
        else:
            dimensions = self.policy.first(step.role)
        inputs, upstream, input_problem = self._resolve(step)
        signature = call_signature(self.state.goal, step.id, inputs, dimensions)
        number = len(record.attempts) + 1
        attempt = AttemptRecord(
            number=number,
            signature=signature,
            dimensions=dimensions.to_dict(),
            started_at=utc_now(),
        )
        # Each attempt is its own node: whether a step may run again is the retry gate's
        # call; the graph guards the delegations the worker makes under this node.
        call = self.graph.delegate(
            self._root_id,
            dimensions.role,
            f"step {step.id} attempt {number} ({signature})",
            step_id=step.id,
        )
        attempt.call_id = call.id
        record.attempts.append(attempt)
        record.next_dimensions = None
        self._transition(
            step.id,
            S.RUNNING,
            attempt=number,
            signature=signature,
            strategy=dimensions.strategy,
            role=dimensions.role,
        )
        context = StepContext(
            run=self.paths,
            goal=self.state.goal,
            step=step.model_copy(update={"role": dimensions.role}),
            attempt=number,
            inputs=inputs,
            signature=signature,
            strategy=dimensions.strategy,
            lesson=record.lesson,
            trace=self.trace,
            dimensions=dimensions,
            upstream=upstream,
            delegation=self.graph,
            call_id=call.id,
            log_path=self.paths.worker_log(f"{step.id}-{number}"),
            failures=tuple(
                dict.fromkeys(a.failure_signature for a in record.attempts if a.failure_signature)
            ),
        )
        started = tiffany.current_time()
        if input_problem is not None:
            outcome = StepOutcome("FAILED", {}, input_problem, failure=input_problem)
        else:
            outcome = await self._call_runner(step, context)
        outcome = self._finish_attempt(step, attempt, outcome, tiffany.current_time() - started)
        if outcome.state in RETRYABLE:
            self._after_failure(step, outcome.retry_with, outcome.lesson)

    async def _call_runner(self, step: StepSpec, context: StepContext) -> StepOutcome:
        """The runner's outcome; a timeout, an exception or a malformed outcome is FAILED."""
        timeout = step.timeout or self.step_timeout
        scope = tiffany.fail_after(timeout) if timeout is not None else None
        try:
            if scope is None:
                outcome = await self.runner(context)
            else:
                with scope:
                    outcome = await self.runner(context)
        except tiffany.TooSlowError:
            if scope is None or not scope.cancelled_caught:
                raise
            message = f"timeout: the step did not finish within {timeout:g} s"
            return StepOutcome("FAILED", {}, message, failure=message)
        except DelegationBlocked as exc:
            return StepOutcome("BLOCKED", {}, str(exc), failure=str(exc))
        except Exception as exc:
            message = f"the worker raised {type(exc).__name__}: {exc}"
            if context.log_path is not None:
                context.log_path.parent.mkdir(parents=True, exist_ok=True)
                with context.log_path.open("a", encoding="utf-8") as log:
                    log.write(f"{utc_now()} attempt {context.attempt} raised:\n")
                    log.write("".join(traceback.format_exception(exc)))
            return StepOutcome("FAILED", {}, bound(message, 2000), failure=message)
        if not isinstance(outcome, StepOutcome) or outcome.state not in RETRYABLE | {
            S.SUCCEEDED,
            S.BLOCKED,
        }:
            message = f"the worker returned {bound(repr(outcome), 300)}, not a StepOutcome"
            return StepOutcome("FAILED", {}, message, failure=message)
        return outcome

    def _finish_attempt(
        self, step: StepSpec, attempt: AttemptRecord, outcome: StepOutcome, duration: float
    ) -> StepOutcome:
        """Store the outputs file and the attempt's record, trace it, move the step on;
        returns the outcome as stored (outputs that are not JSON turn it into a failure)."""
        record = self._record(step.id)
        outputs = StepArtifacts(self.paths, step.id)
        try:
            path = outputs.write_outputs(attempt.number, _document(step, attempt, outcome))
        except (TypeError, ValueError) as exc:
            message = f"the worker's outputs are not JSON: {exc}"
            outcome = StepOutcome("FAILED", {}, message, failure=message)
            path = outputs.write_outputs(attempt.number, _document(step, attempt, outcome))
        target = StepState(outcome.state)
        failed = target is not S.SUCCEEDED
        earlier = [self._result(a) for a in record.attempts[:-1] if not a.interrupted]
        attempt.ended_at = utc_now()
        attempt.duration = round(duration, 6)
        attempt.state = target.value
        attempt.summary = outcome.summary
        attempt.progress = dict(outcome.progress)
        attempt.artifacts = list(outcome.artifacts)
        attempt.outputs_file = str(path.relative_to(self.paths.root))
        attempt.progress_evidence = list(measure_progress(earlier, self._result(attempt)).evidence)
        if failed:
            attempt.failure = bound(outcome.failure or outcome.summary or "no reason given", 4000)
            attempt.failure_signature = failure_signature(attempt.failure)
            self._count_failure(step.id, attempt)
        if attempt.call_id is not None:
            self.graph.finish(attempt.call_id, attempt.artifacts)
        self.trace.emit(
            "attempt.end",
            step=step.id,
            attempt=attempt.number,
            state=target.value,
            summary=bound(outcome.summary, 1000),
            failure_signature=attempt.failure_signature,
            progress=attempt.progress,
            artifacts=attempt.artifacts,
            duration=attempt.duration,
        )
        self._transition(step.id, target, attempt=attempt.number)
        return outcome

    def _count_failure(self, step_id: str, attempt: AttemptRecord) -> None:
        key = f"{self.state.run_id}|{attempt.signature}|{attempt.failure_signature}"
        count = self.state.failures.get(key, 0) + 1
        self.state.failures[key] = count
        if count > 1:
            self.trace.emit(
                "failure.duplicate",
                step=step_id,
                attempt=attempt.number,
                signature=attempt.signature,
                failure_signature=attempt.failure_signature,
                count=count,
            )

    # == retries ========================================================================
    def _after_failure(
        self, step: StepSpec, proposal: Mapping[str, Any], worker_lesson: str | None
    ) -> None:
        """Ask the retry gate; on approval write the lesson and move to RETRY_PENDING."""
        record = self._record(step.id)
        finished = [self._result(a) for a in record.attempts if not a.interrupted]
        if not finished:
            return
        inputs = self._resolve(step)[0]
        decision = self.policy.decide(
            finished,
            max_attempts=step.max_attempts,
            proposal=proposal,
            sign=lambda dims: call_signature(self.state.goal, step.id, inputs, dims),
        )
        last = record.attempts[-1]
        if not decision.approved or decision.dimensions is None:
            last.decision = f"refused: {decision.reason}"
            record.reason = f"retry refused: {decision.reason}"
            self._save()
            self.trace.emit(
                "retry.refused",
                step=step.id,
                attempt=last.number,
                signature=last.signature,
                reason=decision.reason,
                progress=decision.progress.describe(),
            )
            return
        lesson = self._lesson(step, last, decision, worker_lesson)
        path = write_lesson(self.paths, lesson)
        last.lesson_file = str(path.relative_to(self.paths.root))
        last.decision = f"approved: {decision.reason}"
        record.lesson = lesson.body
        record.next_dimensions = decision.dimensions.to_dict()
        self.trace.emit(
            "lesson.written",
            step=step.id,
            attempt=last.number,
            lesson=lesson.id,
            path=last.lesson_file,
        )
        self.trace.emit(
            "retry.approved",
            step=step.id,
            attempt=last.number,
            next_signature=decision.signature,
            changes=decision.changes,
            progress=decision.progress.describe(),
        )
        self._transition(step.id, S.RETRY_PENDING, next_signature=decision.signature)

    def _lesson(
        self,
        step: StepSpec,
        last: AttemptRecord,
        decision: RetryDecision,
        worker_lesson: str | None,
    ) -> Lesson:
        changes = "\n".join(
            f"- {name}: {before!r} -> {after!r}"
            for name, (before, after) in decision.changes.items()
        )
        body = (
            f"# Lesson: step {step.id}, attempt {last.number}\n\n"
            f"## What failed\n\n{last.state}: {last.summary}\n\n"
            f"```\n{bound(last.failure or '', 2000)}\n```\n\n"
            f"## What the worker concluded\n\n{worker_lesson or '(nothing reported)'}\n\n"
            f"## Progress\n\n{decision.progress.describe()}\n\n"
            f"## What changes next\n\n{changes}\n"
        )
        return Lesson(
            id=f"{self.state.run_id}-{step.id}-{last.number}",
            timestamp=utc_now(),
            task_id=self.state.run_id,
            step_id=step.id,
            attempt=last.number,
            failure_signature=last.failure_signature or "",
            strategy_id=str(last.dimensions.get("strategy", "")),
            tags=sorted({step.id, str(last.dimensions.get("role")), str(last.state), "retry"}),
            body=body,
            changes=decision.changes,
        )

    # == resume =========================================================================
    def _recover(self) -> None:
        """Bring a state saved by a dead process back to one the dispatcher can continue."""
        for call_id in self.graph.interrupt_running():
            self.trace.emit("delegation.interrupted", call_id=call_id)
        for step in self.spec.steps:
            record = self._record(step.id)
            if record.state is S.RUNNING:
                last = record.attempts[-1]
                last.state = "INTERRUPTED"
                last.ended_at = utc_now()
                last.summary = "interrupted: the process running this attempt stopped"
                last.decision = "approved: rerun of an interrupted attempt"
                self.trace.emit("attempt.interrupted", step=step.id, attempt=last.number)
                self._transition(step.id, S.FAILED, attempt=last.number, interrupted=True)
                record.next_dimensions = dict(last.dimensions)
                self._transition(step.id, S.RETRY_PENDING, reason="resume after interruption")
            elif record.state in RETRYABLE and record.attempts and not record.attempts[-1].decision:
                # The crash came between the attempt's end and the retry decision: take it
                # now, with what the worker proposed (kept in its outputs file).
                reported = StepArtifacts(self.paths, step.id).read(record.attempts[-1].number)
                self._after_failure(step, reported.get("retry_with") or {}, reported.get("lesson"))

    # == bookkeeping ====================================================================
    def _record(self, step_id: str) -> StepRecord:
        return self.state.steps[step_id]

    def _result(self, attempt: AttemptRecord) -> AttemptResult:
        return AttemptResult(
            number=attempt.number,
            dimensions=Dimensions(**attempt.dimensions),
            signature=attempt.signature,
            state=attempt.state or "",
            failure_signature=attempt.failure_signature,
            progress=attempt.progress,
            artifacts=attempt.artifacts,
        )

    def _resolve(
        self, step: StepSpec
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]], str | None]:
        """The step's inputs with references resolved, its dependencies' outputs, a problem."""
        upstream: dict[str, dict[str, Any]] = {}
        for dependency in step.depends_on:
            attempts = self._record(dependency).attempts
            if attempts:
                upstream[dependency] = StepArtifacts(self.paths, dependency).read(
                    attempts[-1].number
                )
        inputs: dict[str, Any] = {}
        for name, value in step.inputs.items():
            if not isinstance(value, InputRef):
                inputs[name] = value
                continue
            source = upstream.get(value.step, {})
            if value.output == "summary":
                inputs[name] = source.get("summary", "")
            elif value.output in source.get("outputs", {}):
                inputs[name] = source["outputs"][value.output]
            else:
                produced = ", ".join(sorted(source.get("outputs", {}))) or "nothing"
                return (
                    inputs,
                    upstream,
                    f"input {name!r} needs output {value.output!r} of step {value.step!r}, "
                    f"which produced: {produced}",
                )
        return inputs, upstream, None

    def _save(self) -> None:
        self.state.delegation = self.graph.to_dict()
        save_state(self.paths, self.state)

    def _transition(self, step_id: str, target: StepState, **fields: Any) -> None:
        """Move a step along one edge (or raise), save the state, then trace the change."""
        record = self._record(step_id)
        previous = record.state
        check_transition(step_id, previous, target)
        record.state = target
        self._save()
        self.trace.emit(
            "step.state", step=step_id, **{"from": previous.value, "to": target.value}, **fields
        )
