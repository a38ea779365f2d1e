"""The kernel: one loop that owns the ready queues, the timers, the I/O registry and tasks.

The loop takes the next ready task (most urgent priority first, FIFO within a level),
runs it until it traps, and acts on the trap. When nothing is ready it waits for I/O
until the next timer is due, or jumps a virtual clock straight to that timer.

The hot path is kept free of work nobody asked for: instruments are called only when
installed, cancellation is checked only while some scope is cancelled, and the selector is
polled only when a task waits for I/O or a thread.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import signal
from collections import deque
from collections.abc import Callable, Coroutine, Iterable
from inspect import CO_COROUTINE as _CO_COROUTINE
from inspect import CO_ITERABLE_COROUTINE as _CO_ITERABLE_COROUTINE
from time import thread_time
from types import FunctionType, GeneratorType
from typing import Any, cast

from .admission import Admission
from .budget import CpuBudget, Resume
from .cancel import CancelScope
from .clock import Clock, MonotonicClock, VirtualClock
from .errors import Cancelled, Deadlock, ShuttingDown
from .graceful import Cleanup, ShutdownCoordinator, ShutdownReport
from .instruments import overridden_hooks
from .io import IORegistry
from .priority import LEVELS, Priority
from .runstate import RUNSTATE
from .signals import SignalRouter
from .task import BLOCKED, READY, RUNNING, Task
from .threads import WorkerThreads
from .traps import BLOCK, SLEEP, YIELD

log = logging.getLogger("tiffany")

#: A ready task gains one level of urgency for every this many steps it waits, so LOW and
#: IDLE tasks make progress even under a steady stream of more urgent work (the bound is
#: stated at :meth:`Kernel._most_urgent_level`).
AGING_INTERVAL = 64

#: Non-blocking operations a task may do in one step before it is made to yield.
COOPERATIVE_LIMIT = 64

MAIN_ENDED = "the main task ended"

CoroutineFunction = Callable[..., Coroutine[Any, Any, Any]]


class Kernel:
    """Runs tasks. Most programs use :func:`tiffany.run`, which builds one."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        instruments: Iterable[object] = (),
        aging_interval: int = AGING_INTERVAL,
        max_threads: int | None = None,
        handle_signals: bool = False,
        shutdown_grace: float = 10.0,
        cooperative_limit: int = COOPERATIVE_LIMIT,
        admission: Admission | None = None,
    ) -> None:
        self.clock: Clock = clock if clock is not None else MonotonicClock()
        self.now: Callable[[], float] = self.clock.now
        self._virtual = isinstance(self.clock, VirtualClock)
        self._queues: list[deque[int]] = [deque() for _ in range(LEVELS)]
        self._tasks: dict[int, Task] = {}
        self._ids = itertools.count(1)
        self._current: Task | None = None
        self._timers: list[tuple[float, int, Any, int]] = []
        self._timer_seq = itertools.count()
        self._stale_timers = 0
        self._ncancelled = 0  # active scopes whose cancel was called
        self._aging_interval = aging_interval
        #: Operations that could have blocked but did not, allowed in one step before the
        #: task is made to yield (see ``turns.turn_used_up``).
        self.cooperative_limit = cooperative_limit
        self._coop_left = cooperative_limit
        self._steps = 0  # tasks stepped so far: the clock that aging counts in
        self._unjoined: dict[int, Task] = {}
        self._running = False
        self._main: Task | None = None
        # shutdown and signals
        self._user_tasks = 0  # live tasks that are not system tasks
        self._accepting = True
        self._shutdown: ShutdownCoordinator | None = None
        self._cleanups: list[Cleanup] = []
        self._closeables: list[Any] = []
        self.shutdown_grace = shutdown_grace
        self._handle_signals = handle_signals
        self.admission = admission
        if admission is not None:
            admission.bind(self)
        # the world outside: descriptors, threads, signals
        self.io = IORegistry(self.reschedule, self._woken)
        self.threads = WorkerThreads(self.io.wake, max_threads)
        self.signals = SignalRouter(self.io.wake, self._unrouted_signal, self.io.wakeup_fd)
        # instruments
        self._instruments: list[object] = []
        self._hooks: dict[str, list[Callable[..., None]]] = {}
        self._rebuild_hooks()
        for instrument in instruments:
            self.add_instrument(instrument)

    # == instruments ====================================================================
    def add_instrument(self, instrument: object) -> None:
        """Install ``instrument``; its overridden hooks are called from now on."""
        if instrument in self._instruments:
            return
        self._instruments.append(instrument)
        self._rebuild_hooks()

    def remove_instrument(self, instrument: object) -> None:
        self._instruments.remove(instrument)
        self._rebuild_hooks()

    @property
    def tasks(self) -> list[Task]:
        """The tasks alive now, in spawn order."""
        return list(self._tasks.values())

    @property
    def instruments(self) -> tuple[object, ...]:
        return tuple(self._instruments)

    def _rebuild_hooks(self) -> None:
        hooks: dict[str, list[Callable[..., None]]] = {}
        for instrument in self._instruments:
            for name in overridden_hooks(instrument):
                hooks.setdefault(name, []).append(getattr(instrument, name))
        self._hooks = hooks
        self._h_scheduled = hooks.get("task_scheduled")
        self._h_before_step = hooks.get("before_task_step")
        self._h_after_step = hooks.get("after_task_step")

    def _call_hook(self, name: str, *args: Any) -> None:
        for hook in self._hooks.get(name, ()):
            try:
                hook(*args)
            except Exception:
                self._instrument_failed(hook, name)

    def _instrument_failed(self, hook: Callable[..., None], name: str) -> None:
        instrument = getattr(hook, "__self__", hook)
        log.exception("instrument %r failed in %s; removing it", instrument, name)
        if instrument in self._instruments:
            self.remove_instrument(instrument)

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        """Pass a named event to every instrument with an ``event`` hook."""
        if "event" in self._hooks:
            self._call_hook("event", kind, data)

    # == tasks ==========================================================================
    def spawn_task(
        self,
        fn: CoroutineFunction | Coroutine[Any, Any, Any],
        args: tuple[Any, ...] = (),
        *,
        name: str | None = None,
        priority: Priority | int = Priority.NORMAL,
        parent_scope: CancelScope | None = None,
        system: bool = False,
        budget: CpuBudget | None = None,
    ) -> Task:
        """Create a task and queue its first step; the building block of every spawn."""
        if not self._accepting and not system:
            raise ShuttingDown("the kernel is shutting down and accepts no new tasks")
        if type(fn) is FunctionType and not args and fn.__code__.co_flags & _CO_COROUTINE:
            coro = fn()  # the common case, checked cheaply
        else:
            coro = _as_coroutine(fn, args)
        task_id = next(self._ids)
        if type(priority) is not Priority:
            priority = Priority(priority)
        task = Task(self, task_id, coro, name, priority, system)
        task._budget = budget
        if parent_scope is not None:  # a task-group child: cancelled through the group
            task._scope = task._root_scope = CancelScope._for_task(self, task, parent_scope)
        self._tasks[task_id] = task
        if not system:
            self._user_tasks += 1
            if self.admission is not None:
                self.admission.task_started(task)
        if "task_spawned" in self._hooks:
            self._call_hook("task_spawned", task)
        self._schedule(task)
        return task

    def _schedule(self, task: Task) -> None:
        if task._queued:
            return
        task._queued = True
        task._state = READY
        task._ready_step = self._steps
        self._queues[task._priority].append(task.id)
        if self._h_scheduled:
            self._call_hook("task_scheduled", task)

    def reschedule(self, task: Task, value: Any = None, exc: BaseException | None = None) -> None:
        """Wake a blocked task; it resumes with ``value`` or with ``exc`` raised."""
        if task._state is not BLOCKED:
            raise RuntimeError(f"cannot wake {task!r}: it is not blocked")
        task._gen += 1
        task._abort = None
        task._next_value = value
        task._next_exc = exc
        self._schedule(task)

    def _reprioritise(self, task: Task, priority: Priority) -> None:
        old = task._priority
        task._priority = priority
        if task._queued and old != priority:
            # Ready afresh at its new level: each level's queue stays ordered by readiness,
            # which is what lets ``_most_urgent_level`` look at queue heads only.
            self._queues[old].remove(task.id)
            task._ready_step = self._steps
            self._queues[priority].append(task.id)

    def _unqueue(self, task: Task) -> None:
        """Take a ready task out of its queue (admission sheds it before it ever ran)."""
        if task._queued:
            self._queues[task._priority].remove(task.id)
            task._queued = False

    def _most_urgent_level(self) -> int:
        """The level whose head runs next when more than one level has ready tasks.

        Each task's urgency is its level less one for every ``aging_interval`` steps it has
        waited; the most urgent runs, ties going to the task ready first (then to the more
        urgent level). Waiting is counted for every ready task, whichever task is running,
        so one busy task that re-queues itself every step cannot hold back the levels below
        it. The guarantee: a task that becomes ready at level ``l`` runs within
        ``l * aging_interval + R`` steps, where ``R`` is the number of other tasks ready
        once it has waited ``l * aging_interval`` steps. By then its urgency is at most
        ``0``, no task that becomes ready later can be more urgent, and each task ready
        at that moment can run at most once before it (it comes back as a later one).
        Within a level the queue is in order of readiness, so only heads need comparing;
        a queue holds only live tasks (a task leaves it by being stepped, by
        ``_reprioritise`` or by ``_unqueue``).
        """
        steps = self._steps
        interval = self._aging_interval
        tasks = self._tasks
        best_level = -1
        best_key = (0, 0)
        for level, queue in enumerate(self._queues):
            if queue:
                since = tasks[queue[0]]._ready_step
                key = (level - (steps - since) // interval, since)
                if best_level < 0 or key < best_key:
                    best_level, best_key = level, key
        return best_level

    def _task_exited(self, task: Task, result: Any, exc: BaseException | None) -> None:
        task._finish(result, exc)
        del self._tasks[task.id]
        if not task.system:
            self._user_tasks -= 1
            if self.admission is not None:
                self.admission.task_ended(task)
        root = task._root_scope
        if root is not None:
            root._detach()
            root._task = None  # break the task <-> scope cycle: no GC needed
        if task._joiners:
            for joiner in task._joiners:
                self.reschedule(joiner)
            task._joiners = None
        if task._exit_callbacks:
            for callback in task._exit_callbacks:
                callback(task)
        elif exc is not None and not task._observed and not isinstance(exc, Cancelled):
            self._unjoined[task.id] = task  # reported at exit unless joined by then
        if "task_exited" in self._hooks:
            self._call_hook("task_exited", task)

    # == cancellation ===================================================================
    def _cancel_pending(self, task: Task) -> bool:
        scope: CancelScope | None = task._scope
        while scope is not None:
            if scope._cancel_called:
                return True
            if scope._shield:
                return False
            scope = scope._parent
        return False

    def _deliver_cancel(self, scope: CancelScope) -> None:
        """Wake every blocked task inside ``scope`` (not behind a shield) with Cancelled."""
        tasks: dict[Task, None] = {}
        pending = deque([scope])  # breadth first: children are woken in spawn order
        while pending:
            current = pending.popleft()
            if current._task is not None:
                tasks[current._task] = None
            if current._children:
                pending.extend(child for child in current._children if not child._shield)
        for task in tasks:
            if task._state is BLOCKED and self._cancel_pending(task):
                abort = task._abort
                if abort is not None and abort(task):
                    self.reschedule(task, exc=Cancelled())

    # == timers =========================================================================
    def _add_deadline(self, scope: CancelScope) -> None:
        heapq.heappush(
            self._timers, (scope.deadline, next(self._timer_seq), scope, scope._deadline_gen)
        )

    def _fire_timers(self, now: float) -> None:
        timers = self._timers
        while timers and timers[0][0] <= now:
            _, _, target, gen = heapq.heappop(timers)
            if type(target) is Task:
                if target._gen == gen and target._state is BLOCKED:
                    self.reschedule(target)
            else:
                target._deadline_passed(gen)

    # == the world outside =============================================================
    def _woken(self) -> None:
        """The wake-up pipe fired: threads finished or signals arrived."""
        self.threads.deliver(self.reschedule)

    def _poll(self, timeout: float | None) -> None:
        hooks = self._hooks
        if "before_io_wait" in hooks:
            self._call_hook("before_io_wait", timeout)
        self.io.poll(timeout)
        if "after_io_wait" in hooks:
            self._call_hook("after_io_wait", timeout)

    # == the loop =======================================================================
    def run(self, fn: CoroutineFunction | Coroutine[Any, Any, Any], *args: Any) -> Any:
        """Run ``fn(*args)`` as the main task until it ends; return or raise its outcome.

        When the main task ends, the tasks still alive are cancelled and awaited, so
        every ``finally`` runs; failures nobody joined are logged.
        """
        if RUNSTATE.kernel is not None:
            raise RuntimeError("tiffany.run() cannot be called from inside a running kernel")
        if self._running:
            raise RuntimeError("this kernel is already running")
        RUNSTATE.kernel = self
        self._running = True
        try:
            if "before_run" in self._hooks:
                self._call_hook("before_run")
            if self._handle_signals:
                self.signals.install((signal.SIGINT, signal.SIGTERM))
            main = self._main = self.spawn_task(fn, args, name="main")
            main._observed = True  # its outcome is ours to return or raise
            self._loop(lambda: not main._done)
            # Main has ended: stop the rest as a shutdown with no grace would.
            self.request_shutdown(0.0, reason=MAIN_ENDED)
            self._loop(lambda: bool(self._tasks))
            self._report_unjoined()
            if "after_run" in self._hooks:
                self._call_hook("after_run")
            error = main._exception
            if isinstance(error, Cancelled) and self._shutdown_reason_external():
                return None  # stopped by a shutdown from outside: see shutdown_report
            if error is not None:
                raise error
            return main._result
        finally:
            RUNSTATE.kernel = None
            self._running = False
            self.signals.restore_all()
            self.threads.close()
            self.io.close()

    # == shutdown =======================================================================
    def request_shutdown(
        self, grace: float | None = None, *, force: bool = False, reason: str = "requested"
    ) -> ShutdownCoordinator:
        """Begin a graceful shutdown (safe from any task); calling again with ``force``
        cancels what is left at once. Returns the coordinator, whose ``report`` fills in.
        """
        if self._shutdown is None:
            grace = self.shutdown_grace if grace is None else grace
            self._accepting = False
            self._shutdown = ShutdownCoordinator(self, grace, reason)
            self.spawn_task(
                self._shutdown.run, name="shutdown", priority=Priority.CRITICAL, system=True
            )
            log.info("shutdown requested (%s), grace %.1f s", reason, grace)
            self.emit("shutdown.requested", {"reason": reason, "grace": grace})
        elif grace is not None and not force:
            # A later, shorter deadline wins (main ending during a drain means: now).
            scope = self._shutdown._drain_scope
            scope.deadline = min(scope.deadline, self.now() + grace)
        if force:
            self._shutdown.force()
        return self._shutdown

    async def shutdown(
        self, grace: float | None = None, *, reason: str = "requested"
    ) -> ShutdownReport:
        """Shut the kernel down gracefully and return the report once it is done.

        The calling task is not drained or cancelled: it waits for the report.
        """
        coordinator = self.request_shutdown(grace, reason=reason)
        if self._current is not None:
            coordinator.exempt.add(self._current)
        await coordinator.done.wait()
        return coordinator.report

    def _shutdown_reason_external(self) -> bool:
        return self._shutdown is not None and self._shutdown.report.reason != MAIN_ENDED

    @property
    def shutting_down(self) -> bool:
        return not self._accepting

    @property
    def shutdown_report(self) -> ShutdownReport | None:
        return self._shutdown.report if self._shutdown is not None else None

    def add_cleanup(self, cleanup: Cleanup) -> None:
        """Run ``cleanup()`` (sync or async) at shutdown, after the tasks, newest first."""
        self._cleanups.append(cleanup)

    def register_closeable(self, resource: Any) -> None:
        """Call ``resource.close()`` at shutdown, after the cleanups."""
        self._closeables.append(resource)

    # == signals ======================================================================
    def _wants_signal(self, signum: int) -> bool:
        return self._handle_signals and signum in (signal.SIGINT, signal.SIGTERM)

    def _unrouted_signal(self, signum: int) -> None:
        """SIGINT and SIGTERM with no receiver: graceful shutdown; a second SIGINT forces."""
        if not self._wants_signal(signum):
            return
        if self._shutdown is not None and signum == signal.SIGINT:
            log.warning("second SIGINT: cancelling every task now")
            self.request_shutdown(force=True)
        else:
            self.request_shutdown(reason=signal.Signals(signum).name)

    def _report_unjoined(self) -> None:
        for task in self._unjoined.values():
            if not task._observed:
                log.error(
                    "task %r failed and nobody joined it",
                    task.name,
                    exc_info=task._exception,
                )
        self._unjoined.clear()

    def _loop(self, keep_going: Callable[[], bool]) -> None:
        queues = self._queues
        levels = list(enumerate(queues))
        tasks = self._tasks
        timers = self._timers
        now = self.now
        admission = self.admission
        while keep_going():
            # One batch: as many steps as there were ready tasks at its start, so I/O
            # and timers are looked at between batches even when work never runs out.
            batch = sum(map(len, queues))
            while batch:
                batch -= 1
                chosen = -1
                for level, queue in levels:
                    if queue:
                        if chosen < 0:
                            chosen = level  # alone, the first level with work runs
                        else:
                            chosen = self._most_urgent_level()  # levels compete by age
                            break
                if chosen < 0:
                    break
                task = tasks[queues[chosen].popleft()]
                task._queued = False
                self._steps += 1
                self._step(task)
            # Between batches: signals, timers, then I/O and threads.
            if self.signals.pending:
                self.signals.deliver()
            if timers and timers[0][0] <= now():
                self._fire_timers(now())
            if admission is not None and admission.waiting:
                admission.recheck()  # a limit on ready depth frees room as tasks block
            if any(queues):
                if self.io.waiting or self.threads.pending:
                    self._poll(0)
            elif keep_going():
                self._idle()

    def _idle(self) -> None:
        """Nothing is ready: wait for I/O, a thread or the next timer."""
        timers = self._timers
        if self._stale_timers > 64 and self._stale_timers > len(timers) // 2:
            self._compact_timers()
        while timers and not self._timer_live(timers[0]):
            heapq.heappop(timers)  # never jump the clock to a deadline that is gone
        external = self.io.waiting or self.threads.pending or self.signals.receivers
        if not timers and not external:
            if self._tasks:
                self._deadlocked()
            return
        if not timers:
            self._poll(None)
            return
        deadline = timers[0][0]
        if self._virtual:
            clock = self.clock
            assert isinstance(clock, VirtualClock)
            if self.threads.pending:
                self._poll(None)  # virtual time stands still while a thread works
            elif clock.autojump:
                if self.io.waiting:
                    self._poll(0)
                if not any(self._queues):
                    clock.jump_to(deadline)
            elif external:
                self._poll(None)
            else:
                self._deadlocked(
                    " (the VirtualClock has autojump off: call clock.advance() from a "
                    "running task, or turn autojump on)"
                )
                return
        else:
            self._poll(max(0.0, deadline - self.now()))
        self._fire_timers(self.now())

    def _deadlocked(self, hint: str = "") -> None:
        """Nothing can ever wake a task: raise ``Deadlock`` in the main task, if it waits,
        so the program sees where it is stuck; otherwise out of ``run``."""
        waits = ", ".join(f"{t.name!r} waits on {t.waiting_on}" for t in self._tasks.values())
        error = Deadlock(f"every task is blocked and nothing can wake one: {waits}{hint}")
        main = self._main
        abort = main._abort if main is not None and main._state is BLOCKED else None
        if main is not None and abort is not None and abort(main):
            self.reschedule(main, exc=error)
            return
        raise error

    @staticmethod
    def _timer_live(entry: tuple[float, int, Any, int]) -> bool:
        """False for an entry left by a cancelled sleep or a scope that is gone."""
        target, gen = entry[2], entry[3]
        if type(target) is Task:
            return target._gen == gen and target._state is BLOCKED
        return bool(gen == target._deadline_gen)

    def _compact_timers(self) -> None:
        live = [entry for entry in self._timers if self._timer_live(entry)]
        heapq.heapify(live)
        self._timers[:] = live
        self._stale_timers = 0

    def _step(self, task: Task) -> None:
        """Run ``task`` until it blocks, yields or exits."""
        budget = task._budget
        if budget is not None:
            if budget.throttled_until > self.now():
                Resume(self, task).hold_until(budget.throttled_until)
                return
            cpu_started = thread_time()
        self._current = task
        task._state = RUNNING
        self._coop_left = self.cooperative_limit
        if self._h_before_step:
            for hook in self._h_before_step:  # called directly: this is the hottest hook
                try:
                    hook(task)
                except Exception:
                    self._instrument_failed(hook, "before_task_step")
        value = task._next_value
        exc = task._next_exc
        task._next_value = task._next_exc = None
        coro = task._coro
        try:
            trap = coro.send(value) if exc is None else coro.throw(exc)
            if self._ncancelled and self._cancel_pending(task):
                self._throw_cancelled(task)
            elif trap[0] == YIELD:
                self._schedule(task)
            elif trap[0] == SLEEP:
                seconds, absolute = trap[1], trap[2]
                deadline = seconds if absolute else self.now() + seconds
                task._state = BLOCKED
                task._waiting_on = "sleep"
                task._abort = self._abort_sleep
                heapq.heappush(self._timers, (deadline, next(self._timer_seq), task, task._gen))
            elif trap[0] == BLOCK:
                task._state = BLOCKED
                task._waiting_on = trap[1]
                try:
                    task._abort = trap[2](task)
                except BaseException as error:  # the setup refused: raise it in the task
                    self.reschedule(task, exc=error)
            else:
                raise RuntimeError(f"unknown trap {trap!r}")
        except StopIteration as stop:
            self._task_exited(task, stop.value, None)
        except BaseException as error:
            self._task_exited(task, None, error)
        if budget is not None:
            budget.charge(self, task, thread_time() - cpu_started)
        if self._h_after_step:
            for hook in self._h_after_step:
                try:
                    hook(task)
                except Exception:
                    self._instrument_failed(hook, "after_task_step")
        self._current = None

    def _throw_cancelled(self, task: Task) -> None:
        """The trap was a checkpoint inside a cancelled scope: answer it with Cancelled."""
        task._state = BLOCKED
        self.reschedule(task, exc=Cancelled())

    def _abort_sleep(self, task: Task) -> bool:
        self._stale_timers += 1
        return True


def _as_coroutine(
    fn: CoroutineFunction | Coroutine[Any, Any, Any], args: tuple[Any, ...]
) -> Coroutine[Any, Any, Any]:
    if isinstance(fn, Coroutine):
        if args:
            raise TypeError("pass either a coroutine object or an async function with args")
        return fn
    coro: Any = fn(*args)
    if isinstance(coro, GeneratorType) and coro.gi_code.co_flags & _CO_ITERABLE_COROUTINE:
        return cast(Coroutine[Any, Any, Any], coro)  # a @types.coroutine generator (yield_now)
    if not isinstance(coro, Coroutine):
        raise TypeError(
            f"{getattr(fn, '__qualname__', fn)!r} did not return a coroutine: "
            "spawn and run take an async function (async def) and its arguments"
        )
    return coro
