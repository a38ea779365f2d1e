"""The manager: a goal in, a finished run with a report out.

:meth:`Manager.run` makes the run folder, asks the model for a plan
(:func:`~tokimon.planning.plan_workflow`: validated, re-asked on invalid output), and
hands the workflow to the engine (:func:`~tokimon.workflow.run_workflow`) with a
:class:`~tokimon.workers.Worker` as the step runner. The engine owns scheduling, retries
(through the :class:`~tokimon.retry.RetryPolicy`: lesson first, a changed dimension,
measured progress) and the durable state; the manager reads the steps' outputs at the
end and writes the report and the final status into ``run.json``.

:meth:`Manager.resume` continues a run after a crash: from ``workflow_state.json`` when
the workflow had started, or from planning again when the process died while planning.

Memory: each session brings cocowiki's index of the repository up to date (the
components lessons concern), promotes the lessons of earlier finished runs that a crash
left unpromoted, gives the worker a :class:`~tokimon.memory.Retriever` over the
workspace's ``memory/``, and promotes this run's lessons and artifact records when the
run ends. Memory never fails a run: a problem with it is traced as ``memory.error``.

With a :class:`~tokimon.skills.SkillRegistry` (the CLI passes the workspace's), workers
are offered the skills their roles may use, and a SkillBuilder step can add one that
later steps call.

The run's :class:`~tokimon.trace.Trace` is opened here and installed as a kernel
instrument for the whole run, planning included, so every model call and tool call lands
in ``trace.jsonl``, redacted with the model client's own redactor (which knows its key).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import tiffany
from cocowiki.index import IndexingError
from tiffany.models import ModelClient, ModelError, Redactor

from .errors import PlanError, TokimonError, WorkspaceError
from .memory import ComponentMap, DiskStore, Retriever, promote_run, sweep
from .planning import plan_workflow
from .report import build_report, write_report
from .retry import RetryPolicy
from .runlog import append_log
from .skills import SkillRegistry
from .tools import Toolset, start_wiki_run
from .trace import Trace
from .workers import ROLE_REQUIREMENTS, StepBudget, Worker
from .workflow import WorkflowReport, resume_workflow, run_workflow
from .workspace import FINAL_STATUSES, RunInfo, RunPaths, Session, Workspace, utc_now

TraceListener = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class ManagerSettings:
    """How a run is planned and executed."""

    max_plan_asks: int = 3
    concurrency: int = 2
    step_timeout: float | None = None
    step_budget: StepBudget = field(default_factory=StepBudget)
    plan_budget: StepBudget = field(default_factory=lambda: StepBudget(max_model_calls=15))
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    memory: bool = True
    """Retrieve lessons of earlier runs into briefs and promote this run's at its end."""


@dataclass(frozen=True)
class RunOutcome:
    """How a run (or a resumed session of it) ended."""

    paths: RunPaths
    status: str
    report_path: Path
    report: dict[str, Any]
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


def check_goal(goal: str) -> None:
    """A goal must say something; :class:`WorkspaceError` otherwise."""
    if not goal.strip():
        raise WorkspaceError("the goal is empty: say what the agent should do")


def resumable(paths: RunPaths) -> RunInfo:
    """The run's record if it can be resumed; a :class:`WorkspaceError` says why not."""
    info = paths.read_info()
    if info.status in FINAL_STATUSES and paths.workflow_state.exists():
        raise WorkspaceError(
            f"run {paths.id} already ended ({info.status}); nothing to resume — "
            f"`tokimon inspect {paths.id}` shows it"
        )
    return info


class Manager:
    """Runs goals on one repository with one model; call its methods inside ``tiffany.run``."""

    def __init__(
        self,
        workspace: Workspace,
        model: ModelClient,
        tools: Toolset,
        *,
        model_name: str,
        settings: ManagerSettings | None = None,
        redactor: Redactor | None = None,
        listeners: Sequence[TraceListener] = (),
        skills: SkillRegistry | None = None,
    ) -> None:
        self.workspace = workspace
        self.model = model
        self.tools = tools
        self.model_name = model_name
        self.settings = settings or ManagerSettings()
        self.redactor = redactor or getattr(model, "redactor", None) or Redactor()
        self.listeners = tuple(listeners)
        self.skills = skills
        self.worker = Worker(model, tools, self.settings.step_budget, self.redactor, skills)
        self.memory = DiskStore(workspace.root / "memory")

    async def run(self, goal: str) -> RunOutcome:
        """Make a run folder for ``goal``, plan it, execute it and report."""
        check_goal(goal)
        paths, _ = self.workspace.new_run(goal, self.tools.tree.root, self.model_name)
        return await self._session(paths, "run")

    async def resume(self, run_id: str) -> RunOutcome:
        """Continue the run ``run_id`` (an id, its suffix or ``latest``) from disk."""
        paths = self.workspace.find(run_id)
        resumable(paths)
        return await self._session(paths, "resume")

    # -- one session -----------------------------------------------------------------------
    async def _session(self, paths: RunPaths, kind: Literal["run", "resume"]) -> RunOutcome:
        with paths.locked(), Trace(paths.trace, self.redactor) as trace:
            for listener in self.listeners:
                trace.subscribe(listener)
            trace.follow(tiffany.current_task())  # this session's tasks, not the kernel's
            kernel = tiffany.current_kernel()
            kernel.add_instrument(trace)
            try:
                return await self._execute(paths, kind, trace)
            finally:
                kernel.remove_instrument(trace)

    async def _execute(
        self, paths: RunPaths, kind: Literal["run", "resume"], trace: Trace
    ) -> RunOutcome:
        info = paths.read_info()
        if kind == "run":  # what run_tests runs, so that a resume runs the same
            info = info.model_copy(update={"test_command": list(self.tools.config.test_command)})
        start_wiki_run(self.tools.tree)  # the wiki's index is refreshed once per run
        session = Session(kind=kind, pid=os.getpid(), started_at=utc_now())
        info.sessions.append(session)
        self._status(paths, info, "planning" if not paths.workflow_state.exists() else "running")
        trace.emit(f"run.{kind}", run_id=paths.id, goal=info.goal, model=self.model_name)
        if self.skills is not None:
            skills = self.skills.skills()
            trace.emit(
                "skills.available",
                active=[s.name for s in skills if s.active],
                quarantined={s.name: s.error for s in skills if s.status == "quarantined"},
            )
        self._log(paths, f"{kind} session of {paths.id} (pid {session.pid}): {info.goal}")
        components = await self._remember(trace)
        workflow: WorkflowReport | None = None
        error: str | None = None
        try:
            workflow = await self._workflow(paths, info, trace)
        except (PlanError, ModelError) as exc:
            error = str(exc)
            trace.emit("run.error", error=error)
            self._log(paths, f"error: {error}")
        report = build_report(paths, info, workflow, error)
        report_path = write_report(paths, report)
        session.ended_at = utc_now()
        info.report = str(report_path.relative_to(paths.root))
        info.error = error
        self._status(paths, info, report["status"])
        if components is not None:
            await self._memory_step(trace, "promote", promote_run, self.memory, paths, components)
        trace.emit("run.end", status=report["status"], report=info.report)
        self._log(paths, f"ended {report['status']}; report: {report_path}")
        return RunOutcome(paths, report["status"], report_path, report, error)

    async def _workflow(self, paths: RunPaths, info: RunInfo, trace: Trace) -> WorkflowReport:
        settings = self.settings
        options: dict[str, Any] = {
            "policy": settings.policy,
            "concurrency": settings.concurrency,
            "step_timeout": settings.step_timeout,
            "trace": trace,
        }
        if paths.workflow_state.exists():
            return await resume_workflow(paths, self.worker, **options)
        spec = await plan_workflow(
            self.model,
            self.tools,
            info.goal,
            budget=settings.plan_budget,
            max_asks=settings.max_plan_asks,
            trace=trace,
        )
        steps = ", ".join(f"{step.id} ({step.role})" for step in spec.steps)
        self._log(paths, f"planned {len(spec.steps)} step(s): {steps}")
        self._status(paths, info, "running")
        return await run_workflow(
            paths, info.goal, spec, self.worker, roles=ROLE_REQUIREMENTS, **options
        )

    async def _remember(self, trace: Trace) -> ComponentMap | None:
        """Bring the repository's components up to date, promote what earlier runs left
        unpromoted and hand the worker a retriever; None when memory is off."""
        if not self.settings.memory:
            return None
        repo = self.tools.tree.root
        output = ComponentMap.output_for(self.memory.root, repo)
        built = await self._memory_step(
            trace, "components", ComponentMap.build, repo, output, self.workspace.root
        )
        components = built if isinstance(built, ComponentMap) else ComponentMap()
        await self._memory_step(trace, "sweep", sweep, self.memory, self.workspace, components)
        self.worker.memory = Retriever(self.memory, components)
        return components

    async def _memory_step(
        self, trace: Trace, what: str, function: Callable[..., Any], *args: Any
    ) -> Any:
        """``function(*args)`` in a thread, traced as ``memory.<what>``; a failure is
        traced as ``memory.error`` and returns None."""
        try:
            result = await tiffany.to_thread(function, *args)
        except (OSError, sqlite3.Error, TokimonError, IndexingError) as exc:
            trace.emit("memory.error", during=what, error=f"{type(exc).__name__}: {exc}")
            return None
        if isinstance(result, ComponentMap):
            trace.emit(
                "memory.components", modules=len(set(result.modules.values())), **result.stats
            )
        elif result is not None and (what != "sweep" or result.runs):
            trace.emit(f"memory.{what}", **result.to_dict())
        return result

    @staticmethod
    def _status(paths: RunPaths, info: RunInfo, status: Any) -> None:
        info.status = status
        paths.write_info(info)

    def _log(self, paths: RunPaths, line: str) -> None:
        append_log(paths.manager_log, self.redactor.text(line))
