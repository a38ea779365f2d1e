"""Independent jobs, at most ``max_in_flight`` at a time, their results as they finish.

A job is a picklable call, ``fn(*args)``, with an optional timeout. Two executors run
the same jobs with the same results:

- ``local``: a process per job (started with ``spawn``, so nothing of the caller's
  threads or locks is copied), so a job that hangs, crashes or exhausts memory ends on
  its own, never the caller; a job past its timeout is killed. On Linux a job also dies
  with the caller, whatever killed it, so no job outlives the run that wanted it.
- ``ray``: a Ray task per job on the cluster at ``address``, or on a local cluster
  started for the run and stopped after it; a job past its timeout is cancelled with
  force, which ends its worker.

Closing the iterator early (``break``, an exception, Ctrl-C) ends the jobs still
running and starts no more: cancellation is leaving the loop.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, Literal, TypeVar

EXECUTORS = ("local", "ray")
Status = Literal["ok", "failed", "timeout"]


#: What :func:`run_jobs` returns: iterate for results, ``close()`` to cancel the rest.
Results = Generator["JobResult", None, None]


class JobsError(ValueError):
    """The jobs cannot be run as asked (an unknown executor, Ray missing, ...)."""


@dataclass(frozen=True)
class Job:
    """``fn(*args)`` under a unique ``id``; ``fn`` and ``args`` must pickle, and ``fn``
    must be importable by name where the job runs (a module-level function)."""

    id: str
    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    #: Seconds the job may run before it is ended (None: no limit).
    timeout: float | None = None


@dataclass(frozen=True)
class JobResult:
    id: str
    status: Status
    #: What ``fn`` returned (``ok`` only).
    value: Any = None
    #: One line: the exception, the exit code or the timeout (not ``ok``).
    error: str | None = None
    #: The job's traceback, where there is one.
    traceback: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def run_jobs(
    jobs: Iterable[Job],
    *,
    executor: str = "local",
    max_in_flight: int | None = None,
    address: str | None = None,
) -> Results:
    """Run ``jobs`` on ``executor`` (``local`` or ``ray``); yield each result as its job
    ends. ``max_in_flight`` defaults to the CPUs (of this machine, or of the cluster);
    ``address`` names an existing Ray cluster. Raises JobsError before anything runs
    when the request cannot be met."""
    check_executor(executor)
    if max_in_flight is not None and max_in_flight < 1:
        raise JobsError(f"max_in_flight must be at least 1, not {max_in_flight}")
    if address is not None and executor != "ray":
        raise JobsError("a cluster address needs executor='ray'")
    queue = deque(jobs)
    ids = [job.id for job in queue]
    if len(set(ids)) != len(ids):
        raise JobsError("job ids must be unique")
    if executor == "ray":
        return _run_on_ray(queue, max_in_flight, address, _import_ray())
    return _run_locally(queue, max_in_flight or os.cpu_count() or 1)


def check_executor(executor: str) -> None:
    """JobsError unless ``executor`` is known and can run here (Ray installed for ``ray``)."""
    if executor not in EXECUTORS:
        raise JobsError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if executor == "ray":
        _import_ray()


@dataclass
class _Running:
    job: Job
    started: float = field(default_factory=time.monotonic)

    @property
    def deadline(self) -> float | None:
        return None if self.job.timeout is None else self.started + self.job.timeout

    def result(self, status: Status, **details: Any) -> JobResult:
        return JobResult(self.job.id, status, seconds=time.monotonic() - self.started, **details)

    def timed_out(self) -> JobResult:
        return self.result("timeout", error=f"no result within {self.job.timeout:g} s")


def _next_wait(running: Iterable[_Running]) -> float | None:
    """Seconds until the first deadline among ``running`` (None: none has one)."""
    deadlines = [r.deadline for r in running if r.deadline is not None]
    return None if not deadlines else max(0.0, min(deadlines) - time.monotonic())


R = TypeVar("R", bound=_Running)


def _expired(running: Iterable[R]) -> list[R]:
    now = time.monotonic()
    return [r for r in running if r.deadline is not None and r.deadline <= now]


# -- local processes ----------------------------------------------------------------------


@dataclass
class _LocalJob(_Running):
    process: BaseProcess | None = None

    def end(self, kill: bool = True) -> None:
        """Wait for the job's process to exit, killing it first unless it is ending."""
        assert self.process is not None
        if kill and self.process.is_alive():
            self.process.kill()
        self.process.join()


def _run_locally(queue: deque[Job], limit: int) -> Results:
    context = multiprocessing.get_context("spawn")
    running: dict[Connection, _LocalJob] = {}
    try:
        while queue or running:
            while queue and len(running) < limit:
                job = queue.popleft()
                receiver, sender = context.Pipe(duplex=False)
                entry = _LocalJob(job)
                entry.process = context.Process(
                    target=_local_job, args=(sender, job.fn, job.args), name=f"job {job.id}"
                )
                entry.process.start()
                sender.close()  # the child holds the only writer: its end is our EOF
                running[receiver] = entry
            for ready in wait(list(running), timeout=_next_wait(running.values())):
                assert isinstance(ready, Connection)
                yield _received(ready, running.pop(ready))
            for late in _expired(running.values()):
                receiver = next(c for c, e in running.items() if e is late)
                del running[receiver]
                late.end()
                receiver.close()
                yield late.timed_out()
    finally:
        for receiver, entry in running.items():
            entry.end()
            receiver.close()


def _received(receiver: Connection, entry: _LocalJob) -> JobResult:
    try:
        status, payload = receiver.recv()
    except EOFError:
        entry.end(kill=False)
        assert entry.process is not None
        code = entry.process.exitcode
        return entry.result("failed", error=f"the job's process ended with exit code {code}")
    finally:
        receiver.close()
    entry.end(kill=False)  # it exits once it has sent its value
    if status == "ok":
        return entry.result("ok", value=payload)
    error, trace = payload
    return entry.result("failed", error=error, traceback=trace)


def _local_job(sender: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """The body of a job's process: run it and send back its value or its exception."""
    _die_with_parent()
    try:
        message: tuple[str, Any] = ("ok", fn(*args))
    except BaseException as exc:
        message = ("failed", (_one_line(exc), traceback.format_exc()))
    try:
        sender.send(message)
    except Exception as exc:  # a value that does not pickle
        sender.send(("failed", (f"the job's value cannot be sent back: {exc}", None)))
    finally:
        sender.close()


def _die_with_parent() -> None:
    """On Linux, ask the kernel to kill this process when its parent dies."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


def _one_line(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(exc)).strip().splitlines()[-1]


# -- Ray --------------------------------------------------------------------------------


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise JobsError("executor 'ray' needs Ray: pip install 'tiffany-platform[ray]'") from None
    return ray


def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    return fn(*args)


def _run_on_ray(queue: deque[Job], limit: int | None, address: str | None, ray: Any) -> Results:
    started = not ray.is_initialized()
    # ray.init installs its own SIGTERM handler in the caller; the caller's comes back
    # when the cluster started for this run is stopped.
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    if started:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # Ray sends nothing out
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    remote = ray.remote(num_cpus=1, max_retries=0)(_call)
    limit = limit or max(1, int(ray.cluster_resources().get("CPU", 1)))
    running: dict[Any, _Running] = {}
    try:
        while queue or running:
            while queue and len(running) < limit:
                job = queue.popleft()
                running[remote.remote(job.fn, job.args)] = _Running(job)
            timeout = _next_wait(running.values())
            ready, _ = ray.wait(list(running), num_returns=1, timeout=timeout)
            for ref in ready:
                yield _ray_result(ray, ref, running.pop(ref))
            for entry in _expired(running.values()):
                ref = next(r for r, e in running.items() if e is entry)
                del running[ref]
                ray.cancel(ref, force=True)
                yield entry.timed_out()
    finally:
        for ref in running:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
        if started:
            ray.shutdown()
            _restore(handlers)


def _restore(handlers: dict[signal.Signals, Any]) -> None:
    if threading.current_thread() is threading.main_thread():
        for signum, handler in handlers.items():
            if handler is not None:
                signal.signal(signum, handler)


def _ray_result(ray: Any, ref: Any, entry: _Running) -> JobResult:
    try:
        return entry.result("ok", value=ray.get(ref))
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        error = _one_line(cause) if isinstance(cause, BaseException) else str(exc)
        return entry.result("failed", error=error, traceback=str(exc))
    except ray.exceptions.RayError as exc:  # the worker died, the node was lost, ...
        return entry.result("failed", error=_one_line(exc))
