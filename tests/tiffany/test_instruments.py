"""Instruments: which hooks the kernel calls, with which task, in which order; a failing
instrument is removed and the kernel keeps going; emit() reaches the event hook."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest

import tiffany
from tiffany import Instrument, Kernel, Task, VirtualClock

Event = tuple[Any, ...]


class Recorder(Instrument):
    """Records every hook with the task's name, id and state, skipping system tasks."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.ids: dict[str, int] = {}

    def _task(self, hook: str, task: Task) -> None:
        if task.system:
            return
        self.ids.setdefault(task.name, task.id)
        assert self.ids[task.name] == task.id
        self.events.append((hook, task.name, task.state.value))

    def before_run(self) -> None:
        self.events.append(("before_run",))

    def after_run(self) -> None:
        self.events.append(("after_run",))

    def task_spawned(self, task: Task) -> None:
        self._task("task_spawned", task)

    def task_scheduled(self, task: Task) -> None:
        self._task("task_scheduled", task)

    def before_task_step(self, task: Task) -> None:
        self._task("before_task_step", task)

    def after_task_step(self, task: Task) -> None:
        self._task("after_task_step", task)

    def task_exited(self, task: Task) -> None:
        self._task("task_exited", task)

    def before_io_wait(self, timeout: float | None) -> None:
        self.events.append(("before_io_wait", timeout))

    def after_io_wait(self, timeout: float | None) -> None:
        self.events.append(("after_io_wait", timeout))

    def event(self, kind: str, data: dict[str, Any]) -> None:
        if not kind.startswith("shutdown."):
            self.events.append(("event", kind, data))


async def _child() -> int:
    await tiffany.sleep(1)
    return 5


async def _small_program() -> int:
    task = await tiffany.spawn(_child, name="child")
    result: int = await task.join()
    return result


def test_every_hook_is_called_with_the_right_task_in_the_right_order() -> None:
    recorder = Recorder()
    assert tiffany.run(_small_program, clock=VirtualClock(), instruments=[recorder]) == 5
    events = recorder.events
    assert events[0] == ("before_run",)
    assert events[-1] == ("after_run",)
    assert [e for e in events if e[0] != "task_scheduled"] == [
        ("before_run",),
        ("task_spawned", "main", "ready"),
        ("before_task_step", "main", "running"),
        ("task_spawned", "child", "ready"),
        ("after_task_step", "main", "blocked"),  # joins the child
        ("before_task_step", "child", "running"),
        ("after_task_step", "child", "blocked"),  # sleeps
        ("before_task_step", "child", "running"),
        ("task_exited", "child", "finished"),
        ("after_task_step", "child", "finished"),
        ("before_task_step", "main", "running"),
        ("task_exited", "main", "finished"),
        ("after_task_step", "main", "finished"),
        ("after_run",),
    ]
    scheduled = [e[1] for e in events if e[0] == "task_scheduled"]
    assert scheduled == ["main", "child", "child", "main"]
    # each time a task is scheduled, it comes after what made it ready and before its step
    for i, event in enumerate(events):
        if event[0] == "task_scheduled":
            name = event[1]
            later = [e for e in events[i + 1 :] if len(e) > 1 and e[1] == name]
            assert later[0][0] == "before_task_step", (i, event, later[:2])
    assert recorder.ids["main"] < recorder.ids["child"]


def test_steps_of_different_tasks_never_interleave() -> None:
    recorder = Recorder()

    async def worker(n: int) -> None:
        for _ in range(n):
            await tiffany.yield_now()
        await tiffany.sleep(n)

    async def main() -> None:
        async with tiffany.TaskGroup() as group:
            for n in range(1, 5):
                await group.spawn(worker, n, name=f"w{n}")

    tiffany.run(main, clock=VirtualClock(), instruments=[recorder])
    running: str | None = None
    steps = 0
    for event in recorder.events:
        if event[0] == "before_task_step":
            assert running is None, f"{event} began inside the step of {running}"
            running = event[1]
            steps += 1
        elif event[0] == "after_task_step":
            assert running == event[1]
            running = None
        elif event[0] == "task_exited":
            assert running == event[1], "a task exits during its own step"
    assert running is None
    assert steps == 2 + sum(n + 2 for n in range(1, 5))  # main: 2 steps; w_n: n yields + 2


def test_io_wait_hooks_surround_the_wait_that_wakes_a_task() -> None:
    recorder = Recorder()
    a, b = socket.socketpair()

    async def writer() -> None:
        await tiffany.sleep(1)
        b.send(b"x")

    async def main() -> bytes:
        await tiffany.spawn(writer, name="writer")
        await tiffany.wait_readable(a)
        return a.recv(1)

    with a, b:
        assert tiffany.run(main, clock=VirtualClock(), instruments=[recorder]) == b"x"
    io = [e for e in recorder.events if e[0] in ("before_io_wait", "after_io_wait")]
    assert io, "waiting for a socket calls the I/O hooks"
    assert [e[0] for e in io] == ["before_io_wait", "after_io_wait"] * (len(io) // 2)
    assert all(before[1] == after[1] for before, after in zip(io[::2], io[1::2], strict=True))
    # main is woken by the socket: its task_scheduled happens inside an I/O wait
    first = recorder.events.index(("task_scheduled", "main", "ready"))
    wake = recorder.events.index(("task_scheduled", "main", "ready"), first + 1)
    before = max(i for i, e in enumerate(recorder.events[:wake]) if e[0] == "before_io_wait")
    after = wake + next(i for i, e in enumerate(recorder.events[wake:]) if e[0] == "after_io_wait")
    assert recorder.events[before][1] == recorder.events[after][1], "one wait brackets it"
    assert [e[0] for e in recorder.events[before : after + 1]] == [
        "before_io_wait",
        "task_scheduled",
        "after_io_wait",
    ]


def test_a_kernel_without_io_waits_calls_no_io_hooks() -> None:
    recorder = Recorder()
    tiffany.run(_small_program, clock=VirtualClock(), instruments=[recorder])
    assert not [e for e in recorder.events if e[0] in ("before_io_wait", "after_io_wait")]


def test_emit_reaches_the_event_hook_with_its_data() -> None:
    recorder = Recorder()

    async def main() -> None:
        tiffany.emit("model.call", model="m1", tokens=12)
        await tiffany.sleep(1)
        tiffany.emit("tool.call", name="grep")

    tiffany.run(main, clock=VirtualClock(), instruments=[recorder])
    events = [e for e in recorder.events if e[0] == "event"]
    assert events == [
        ("event", "model.call", {"model": "m1", "tokens": 12}),
        ("event", "tool.call", {"name": "grep"}),
    ]


def test_emit_without_instruments_is_a_no_op() -> None:
    async def main() -> str:
        tiffany.emit("nobody.listens", x=1)
        return "ok"

    assert tiffany.run(main, clock=VirtualClock()) == "ok"


def test_a_duck_typed_instrument_gets_only_the_hooks_it_has() -> None:
    class OnlyExits:
        def __init__(self) -> None:
            self.names: list[str] = []

        def task_exited(self, task: Task) -> None:
            self.names.append(task.name)

    watcher = OnlyExits()
    tiffany.run(_small_program, clock=VirtualClock(), instruments=[watcher])
    assert watcher.names[:2] == ["child", "main"]


def test_an_instrument_added_and_removed_while_running() -> None:
    recorder = Recorder()

    async def main() -> None:
        kernel = tiffany.current_kernel()
        await tiffany.spawn(tiffany.sleep, 1, name="before")
        kernel.add_instrument(recorder)
        kernel.add_instrument(recorder)  # twice is once
        await tiffany.spawn(tiffany.sleep, 1, name="during")
        await tiffany.sleep(2)
        kernel.remove_instrument(recorder)
        await tiffany.spawn(tiffany.sleep, 1, name="after")
        await tiffany.sleep(2)

    tiffany.run(main, clock=VirtualClock())
    spawned = [e[1] for e in recorder.events if e[0] == "task_spawned"]
    assert spawned == ["during"]
    names = {e[1] for e in recorder.events if len(e) > 1 and isinstance(e[1], str)}
    assert "after" not in names
    assert len([e for e in recorder.events if e == ("task_exited", "during", "finished")]) == 1


# -- failing instruments ----------------------------------------------------------------------

HOOKS_TO_BREAK = [
    "before_run",
    "task_spawned",
    "task_scheduled",
    "before_task_step",
    "after_task_step",
    "task_exited",
    "before_io_wait",
    "after_io_wait",
    "event",
    "after_run",
]


class _Broken(Instrument):
    """Raises in one hook; counts every call it receives."""

    def __init__(self, broken: str) -> None:
        self.broken = broken
        self.calls: dict[str, int] = {}
        self.sequence: list[str] = []

    def _hit(self, hook: str) -> None:
        self.calls[hook] = self.calls.get(hook, 0) + 1
        self.sequence.append(hook)
        if hook == self.broken:
            raise RuntimeError(f"instrument broke in {hook}")

    def before_run(self) -> None:
        self._hit("before_run")

    def after_run(self) -> None:
        self._hit("after_run")

    def task_spawned(self, task: Task) -> None:
        self._hit("task_spawned")

    def task_scheduled(self, task: Task) -> None:
        self._hit("task_scheduled")

    def before_task_step(self, task: Task) -> None:
        self._hit("before_task_step")

    def after_task_step(self, task: Task) -> None:
        self._hit("after_task_step")

    def task_exited(self, task: Task) -> None:
        self._hit("task_exited")

    def before_io_wait(self, timeout: float | None) -> None:
        self._hit("before_io_wait")

    def after_io_wait(self, timeout: float | None) -> None:
        self._hit("after_io_wait")

    def event(self, kind: str, data: dict[str, Any]) -> None:
        self._hit("event")


async def _program_touching_every_hook() -> int:
    tiffany.emit("hello")
    task = await tiffany.spawn(_child, name="child")
    await tiffany.to_thread(int, "7")  # an I/O wait: the thread wakes the kernel
    tiffany.emit("again")
    result: int = await task.join()
    return result + 1


@pytest.mark.parametrize("hook", HOOKS_TO_BREAK)
def test_a_raising_instrument_is_removed_and_the_kernel_keeps_running(
    hook: str, caplog: pytest.LogCaptureFixture
) -> None:
    broken = _Broken(hook)
    recorder = Recorder()
    kernel = Kernel(clock=VirtualClock(), instruments=[broken, recorder])
    with caplog.at_level(logging.ERROR, logger="tiffany"):
        assert kernel.run(_program_touching_every_hook) == 6
    assert broken.calls[hook] == 1, "called once, then removed"
    assert broken not in kernel.instruments
    assert recorder in kernel.instruments
    assert recorder.events[-1] == ("after_run",), "the other instrument saw the whole run"
    assert ("task_exited", "child", "finished") in recorder.events
    failures = [r for r in caplog.records if "removing it" in r.getMessage()]
    assert len(failures) == 1
    assert hook in failures[0].getMessage()
    assert broken.sequence[-1] == hook, "after its removal it hears nothing more, in any hook"


def test_a_task_failure_is_reported_to_instruments_with_its_exception() -> None:
    seen: list[tuple[str, str, str]] = []

    class Exits(Instrument):
        def task_exited(self, task: Task) -> None:
            if not task.system:
                seen.append((task.name, task.state.value, repr(task.exception)))

    async def fails() -> None:
        await tiffany.sleep(1)
        raise KeyError("lost")

    async def main() -> None:
        task = await tiffany.spawn(fails, name="fails")
        await task.wait()

    tiffany.run(main, clock=VirtualClock(), instruments=[Exits()])
    assert seen == [("fails", "failed", "KeyError('lost')"), ("main", "finished", "None")]


def test_a_task_is_queued_at_most_once_and_every_queued_task_steps_once() -> None:
    recorder = Recorder()

    async def waiter(event: tiffany.Event, lock: tiffany.Lock) -> None:
        await event.wait()
        async with lock:
            await tiffany.sleep(1)

    async def main() -> None:
        event = tiffany.Event()
        lock = tiffany.Lock()
        tasks = [await tiffany.spawn(waiter, event, lock, name=f"w{i}") for i in range(6)]
        await tiffany.sleep(1)
        event.set()  # wakes all six ...
        await tasks[0].cancel(wait=False)  # ... while one is cancelled ...
        tasks[1].priority = tiffany.Priority.HIGH  # ... and one moves level while queued
        tasks[1].priority = tiffany.Priority.LOW
        await tasks[2].cancel(wait=False)
        for task in tasks:
            await task.wait()

    tiffany.run(main, clock=VirtualClock(), instruments=[recorder])
    queued: set[str] = set()
    for event in recorder.events:
        if event[0] == "task_scheduled":
            assert event[1] not in queued, f"{event[1]} queued twice"
            queued.add(event[1])
        elif event[0] == "before_task_step":
            assert event[1] in queued, f"{event[1]} stepped without being queued"
            queued.remove(event[1])
    assert not queued
    steps = sum(1 for e in recorder.events if e[0] == "before_task_step")
    assert steps == sum(1 for e in recorder.events if e[0] == "task_scheduled")
