"""Built-in instruments: metrics, a JSON-lines tracer, a slow-step detector, OpenTelemetry.

Each is an ordinary :class:`~tiffany.Instrument`; the kernel knows nothing about them.
"""

from __future__ import annotations

import bisect
import importlib
import json
import logging
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from .debug import suspension_point
from .instruments import Instrument
from .priority import Priority
from .runstate import RUNSTATE
from .task import TaskState

if TYPE_CHECKING:
    from .kernel import Kernel
    from .task import Task

log = logging.getLogger("tiffany.slow")

#: Upper bounds (seconds) of the step-time histogram buckets.
STEP_BUCKETS = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)


class Metrics(Instrument):
    """Counts what the kernel does; read it as a dict or as Prometheus text."""

    def __init__(self, buckets: tuple[float, ...] = STEP_BUCKETS) -> None:
        self.kernel: Kernel | None = None
        self.spawned = self.exited = self.failed = self.cancelled = 0
        self.steps = 0
        self.io_waits = 0
        self.idle_seconds = 0.0
        self.step_seconds = 0.0
        self.buckets = buckets
        self._bucket_counts = [0] * (len(buckets) + 1)  # the last is +Inf
        self._step_started = 0.0
        self._wait_started = 0.0
        self.gauges: dict[str, float] = {}  # set by policies (pressure levels, ...)

    def before_run(self) -> None:
        self.kernel = RUNSTATE.kernel

    def task_spawned(self, task: Task) -> None:
        self.spawned += 1
        if self.kernel is None:
            self.kernel = task._kernel

    def task_exited(self, task: Task) -> None:
        self.exited += 1
        if task.state is TaskState.CANCELLED:
            self.cancelled += 1
        elif task.state is TaskState.FAILED:
            self.failed += 1

    def before_task_step(self, task: Task) -> None:
        self._step_started = time.perf_counter()

    def after_task_step(self, task: Task) -> None:
        elapsed = time.perf_counter() - self._step_started
        self.steps += 1
        self.step_seconds += elapsed
        self._bucket_counts[bisect.bisect_left(self.buckets, elapsed)] += 1

    def before_io_wait(self, timeout: float | None) -> None:
        self._wait_started = time.perf_counter()

    def after_io_wait(self, timeout: float | None) -> None:
        self.io_waits += 1
        if timeout != 0:
            self.idle_seconds += time.perf_counter() - self._wait_started

    # -- reading ----------------------------------------------------------------------
    def _kernel(self) -> Kernel | None:
        """The kernel measured: the one it was installed in, else the running one."""
        if self.kernel is None:
            self.kernel = RUNSTATE.kernel
        return self.kernel

    def ready_depth(self) -> dict[str, int]:
        """Queued task ids per priority level right now."""
        kernel = self._kernel()
        if kernel is None:
            return {level.name: 0 for level in Priority}
        return {level.name: len(kernel._queues[level]) for level in Priority}

    def live_tasks(self) -> int:
        kernel = self._kernel()
        return len(kernel._tasks) if kernel is not None else 0

    def snapshot(self) -> dict[str, Any]:
        """Every metric as plain data (JSON-ready)."""
        cumulative, histogram = 0, {}
        for bound, count in zip((*self.buckets, float("inf")), self._bucket_counts, strict=True):
            cumulative += count
            histogram["+Inf" if bound == float("inf") else repr(bound)] = cumulative
        return {
            "tasks_spawned": self.spawned,
            "tasks_exited": self.exited,
            "tasks_failed": self.failed,
            "tasks_cancelled": self.cancelled,
            "tasks_live": self.live_tasks(),
            "ready_depth": self.ready_depth(),
            "steps": self.steps,
            "step_seconds_sum": self.step_seconds,
            "step_seconds_buckets": histogram,
            "io_waits": self.io_waits,
            "idle_seconds": self.idle_seconds,
            **self._admission_metrics(),
            **self.gauges,
        }

    def _admission_metrics(self) -> dict[str, Any]:
        kernel = self._kernel()
        admission = kernel.admission if kernel is not None else None
        if admission is None:
            return {}
        return {f"admission_{key}": value for key, value in admission.metrics().items()}

    def prometheus(self, prefix: str = "tiffany") -> str:
        """The metrics in the Prometheus text exposition format (version 0.0.4)."""
        snap = self.snapshot()
        out: list[str] = []

        def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, Any]]) -> None:
            out.append(f"# HELP {prefix}_{name} {help_text}")
            out.append(f"# TYPE {prefix}_{name} {kind}")
            out.extend(f"{prefix}_{name}{labels} {value}" for labels, value in samples)

        for key, help_text in (
            ("tasks_spawned", "Tasks spawned."),
            ("tasks_exited", "Tasks that ended, whatever the outcome."),
            ("tasks_failed", "Tasks that ended with an exception."),
            ("tasks_cancelled", "Tasks that ended cancelled."),
            ("io_waits", "Times the kernel waited for I/O."),
        ):
            metric(f"{key}_total", "counter", help_text, [("", snap[key])])
        metric("tasks_live", "gauge", "Tasks alive now.", [("", snap["tasks_live"])])
        metric(
            "ready_depth",
            "gauge",
            "Ready tasks queued, per priority.",
            [(f'{{priority="{k}"}}', v) for k, v in snap["ready_depth"].items()],
        )
        metric(
            "idle_seconds_total",
            "counter",
            "Time spent waiting with nothing ready.",
            [("", snap["idle_seconds"])],
        )
        out.append(f"# HELP {prefix}_step_seconds Time a task held the loop per step.")
        out.append(f"# TYPE {prefix}_step_seconds histogram")
        for bound, count in snap["step_seconds_buckets"].items():
            out.append(f'{prefix}_step_seconds_bucket{{le="{bound}"}} {count}')
        out.append(f"{prefix}_step_seconds_sum {snap['step_seconds_sum']}")
        out.append(f"{prefix}_step_seconds_count {snap['steps']}")
        for name, value in {**self._admission_metrics(), **self.gauges}.items():
            metric(name, "gauge", f"{name} (set by a policy).", [("", value)])
        return "\n".join(out) + "\n"


class JsonTracer(Instrument):
    """Writes one JSON object per task event to a text stream (a JSON-lines trace).

    Times are the kernel's clock, so a trace made on a virtual clock is reproducible.
    """

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.kernel: Kernel | None = None

    def _write(self, event: str, task: Task | None = None, **fields: Any) -> None:
        record: dict[str, Any] = {"event": event}
        kernel = self.kernel or (task._kernel if task is not None else RUNSTATE.kernel)
        if kernel is not None:
            record["time"] = kernel.now()
        if task is not None:
            record.update(task=task.id, name=task.name)
        record.update(fields)
        self.stream.write(json.dumps(record, default=str) + "\n")

    def before_run(self) -> None:
        self.kernel = RUNSTATE.kernel
        self._write("run_started")

    def after_run(self) -> None:
        self._write("run_finished")
        self.stream.flush()

    def task_spawned(self, task: Task) -> None:
        self._write("spawned", task, priority=task.priority.name, system=task.system)

    def task_exited(self, task: Task) -> None:
        error = task._exception
        self._write(
            "exited",
            task,
            state=task.state.value,
            error=None if error is None else f"{type(error).__name__}: {error}",
        )

    def event(self, kind: str, data: dict[str, Any]) -> None:
        self._write(kind, None, **data)


class JsonStepTracer(JsonTracer):
    """A :class:`JsonTracer` that also writes one line per step: for debugging a schedule,
    too much for production (a kernel does hundreds of thousands of steps a second)."""

    def after_task_step(self, task: Task) -> None:
        self._write("step", task, state=task.state.value, waiting_on=task.waiting_on)


class SlowStepDetector(Instrument):
    """Reports any step that holds the loop longer than ``threshold`` seconds.

    A report names the task and the line of its own code where it gave the loop back,
    which is the end of the stretch that ran too long.
    """

    def __init__(
        self,
        threshold: float = 0.1,
        report: Callable[[Task, float, str | None], None] | None = None,
    ) -> None:
        self.threshold = threshold
        self.report = report
        self.slow: list[tuple[int, str, float, str | None]] = []
        self._started = 0.0

    def before_task_step(self, task: Task) -> None:
        self._started = time.perf_counter()

    def after_task_step(self, task: Task) -> None:
        elapsed = time.perf_counter() - self._started
        if elapsed < self.threshold:
            return
        where = suspension_point(task) if not task.done else "(task ended)"
        self.slow.append((task.id, task.name, elapsed, where))
        log.warning("task %r held the loop for %.3f s, until %s", task.name, elapsed, where)
        if self.report is not None:
            self.report(task, elapsed, where)


class OpenTelemetrySpans(Instrument):
    """One OpenTelemetry span per task, from spawn to exit, when ``opentelemetry-api``
    is installed (with an SDK configured, the spans are exported; without, they are no-ops).
    """

    def __init__(self, tracer_name: str = "tiffany") -> None:
        try:
            trace: Any = importlib.import_module("opentelemetry.trace")
        except ImportError as error:
            raise RuntimeError(
                "OpenTelemetrySpans needs the opentelemetry-api package: "
                "pip install opentelemetry-api (and an SDK to export spans)"
            ) from error
        self._trace = trace
        self._tracer = trace.get_tracer(tracer_name)
        self._spans: dict[int, Any] = {}

    def task_spawned(self, task: Task) -> None:
        span = self._tracer.start_span(
            f"task {task.name}",
            attributes={"tiffany.task.id": task.id, "tiffany.task.priority": task.priority.name},
        )
        self._spans[task.id] = span

    def task_exited(self, task: Task) -> None:
        span = self._spans.pop(task.id, None)
        if span is None:
            return
        span.set_attribute("tiffany.task.state", task.state.value)
        error = task._exception
        if error is not None and task.state is TaskState.FAILED:
            span.record_exception(error)
            span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, str(error)))
        span.end()
