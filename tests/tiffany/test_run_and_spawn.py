"""run, spawn and join: outcomes, panic isolation, unjoined failures, exit and deadlock."""

from __future__ import annotations

import logging

import pytest

import tiffany
from tiffany import Task, TaskState, VirtualClock


class Boom(Exception):
    """The one failure these tests raise on purpose."""


async def _sleep_then_return(seconds: float, value: object) -> object:
    await tiffany.sleep(seconds)
    return value


async def _sleep_then_fail(seconds: float, message: str) -> None:
    await tiffany.sleep(seconds)
    raise Boom(message)


# -- run --------------------------------------------------------------------------------


def test_run_returns_the_result_of_main_and_passes_its_args() -> None:
    async def main(a: int, b: int) -> tuple[int, float]:
        await tiffany.sleep(2)
        return a + b, tiffany.current_time()

    assert tiffany.run(main, 3, 4, clock=VirtualClock()) == (7, 2.0)


def test_run_raises_the_exception_of_main_itself() -> None:
    async def main() -> None:
        await tiffany.sleep(1)
        raise Boom("from main")

    with pytest.raises(Boom, match="from main"):
        tiffany.run(main, clock=VirtualClock())


def test_run_can_be_called_again_after_a_failed_run() -> None:
    async def bad() -> None:
        raise Boom("first")

    async def good() -> str:
        await tiffany.yield_now()
        return "second"

    with pytest.raises(Boom):
        tiffany.run(bad, clock=VirtualClock())
    assert tiffany.run(good, clock=VirtualClock()) == "second"


def test_run_inside_a_running_kernel_is_refused() -> None:
    async def inner() -> None:
        pass

    async def main() -> str:
        with pytest.raises(RuntimeError, match="inside a running kernel"):
            tiffany.run(inner, clock=VirtualClock())
        return "ok"

    assert tiffany.run(main, clock=VirtualClock()) == "ok"


# -- spawn and join ------------------------------------------------------------------------


def test_spawn_and_join_returns_the_result() -> None:
    async def main() -> tuple[object, float, TaskState, str, int]:
        task = await tiffany.spawn(_sleep_then_return, 5, "value", name="worker")
        assert task.state is TaskState.READY
        result = await task.join()
        return result, tiffany.current_time(), task.state, task.name, task.id

    result, now, state, name, task_id = tiffany.run(main, clock=VirtualClock())
    assert result == "value"
    assert now == 5.0
    assert state is TaskState.FINISHED
    assert name == "worker"
    assert task_id > 1, "main is the first task; the worker has a later id"


def test_task_ids_are_unique_and_names_default_to_the_function() -> None:
    async def main() -> list[tuple[int, str]]:
        tasks = [await tiffany.spawn(_sleep_then_return, 1, i) for i in range(3)]
        for task in tasks:
            await task.join()
        return [(t.id, t.name) for t in tasks]

    info = tiffany.run(main, clock=VirtualClock())
    ids = [task_id for task_id, _ in info]
    assert len(set(ids)) == 3
    assert ids == sorted(ids)
    assert {name for _, name in info} == {"_sleep_then_return"}


def test_state_is_blocked_while_sleeping_and_reports_what_it_waits_on() -> None:
    async def main() -> tuple[TaskState, str | None, TaskState]:
        task = await tiffany.spawn(_sleep_then_return, 5, None)
        await tiffany.sleep(1)
        state, waiting_on = task.state, task.waiting_on
        await task.join()
        return state, waiting_on, task.state

    assert tiffany.run(main, clock=VirtualClock()) == (
        TaskState.BLOCKED,
        "sleep",
        TaskState.FINISHED,
    )


def test_join_of_a_finished_task_returns_at_once() -> None:
    async def main() -> tuple[object, float]:
        task = await tiffany.spawn(_sleep_then_return, 1, 42)
        await tiffany.sleep(10)
        assert task.done
        return await task.join(), tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == (42, 10.0)


def test_join_of_a_failed_task_raises_task_error_caused_by_its_exception() -> None:
    async def main() -> tuple[BaseException | None, TaskState, str]:
        task = await tiffany.spawn(_sleep_then_fail, 1, "worker broke", name="w")
        with pytest.raises(tiffany.TaskError) as info:
            await task.join()
        assert type(info.value) is tiffany.TaskError, "a failure is not a cancellation"
        return info.value.__cause__, task.state, str(info.value)

    cause, state, message = tiffany.run(main, clock=VirtualClock())
    assert isinstance(cause, Boom)
    assert str(cause) == "worker broke"
    assert state is TaskState.FAILED
    assert "'w'" in message


def test_join_raises_the_same_exception_object_the_task_raised() -> None:
    raised: list[BaseException] = []

    async def fails() -> None:
        error = Boom("identity")
        raised.append(error)
        raise error

    async def main() -> BaseException | None:
        task = await tiffany.spawn(fails)
        try:
            await task.join()
        except tiffany.TaskError as error:
            return error.__cause__
        return None

    assert tiffany.run(main, clock=VirtualClock()) is raised[0]


def test_join_of_a_cancelled_task_raises_task_cancelled() -> None:
    async def main() -> tuple[BaseException | None, TaskState, bool]:
        task = await tiffany.spawn(_sleep_then_return, 100, None)
        await tiffany.sleep(1)
        await task.cancel()
        with pytest.raises(tiffany.TaskCancelled) as info:
            await task.join()
        return info.value.__cause__, task.state, task.cancelled

    cause, state, cancelled = tiffany.run(main, clock=VirtualClock())
    assert isinstance(cause, tiffany.Cancelled)
    assert state is TaskState.CANCELLED
    assert cancelled is True


def test_task_cancelled_is_a_task_error() -> None:
    assert issubclass(tiffany.TaskCancelled, tiffany.TaskError)


def test_every_joiner_is_woken_with_the_result() -> None:
    woken: list[tuple[str, object, float]] = []

    async def joiner(name: str, task: Task) -> None:
        woken.append((name, await task.join(), tiffany.current_time()))

    async def main() -> None:
        target = await tiffany.spawn(_sleep_then_return, 3, "shared")
        joiners = [await tiffany.spawn(joiner, f"j{i}", target) for i in range(4)]
        for j in joiners:
            await j.join()

    tiffany.run(main, clock=VirtualClock())
    assert sorted(woken) == [(f"j{i}", "shared", 3.0) for i in range(4)]


def test_every_joiner_of_a_failed_task_gets_task_error() -> None:
    causes: list[str] = []

    async def joiner(task: Task) -> None:
        try:
            await task.join()
        except tiffany.TaskError as error:
            causes.append(str(error.__cause__))

    async def main() -> None:
        target = await tiffany.spawn(_sleep_then_fail, 2, "shared failure")
        joiners = [await tiffany.spawn(joiner, target) for _ in range(3)]
        for j in joiners:
            await j.join()

    tiffany.run(main, clock=VirtualClock())
    assert causes == ["shared failure"] * 3


def test_a_task_cannot_join_itself() -> None:
    async def main() -> None:
        await tiffany.current_task().join()

    with pytest.raises(RuntimeError, match="cannot join itself"):
        tiffany.run(main, clock=VirtualClock())


def test_spawn_accepts_a_coroutine_object() -> None:
    async def main() -> object:
        task = await tiffany.spawn(_sleep_then_return(1, "from coro"))
        return await task.join()

    assert tiffany.run(main, clock=VirtualClock()) == "from coro"


def test_spawn_of_a_non_async_function_is_a_clear_type_error() -> None:
    def not_async(x: int) -> int:
        return x

    async def main() -> str:
        with pytest.raises(TypeError, match=r"async def") as info:
            await tiffany.spawn(not_async, 1)  # type: ignore[arg-type]
        return str(info.value)

    message = tiffany.run(main, clock=VirtualClock())
    assert "not_async" in message


def test_spawn_of_a_coroutine_object_with_args_is_a_type_error() -> None:
    async def main() -> None:
        coro = _sleep_then_return(1, None)
        try:
            with pytest.raises(TypeError, match="either a coroutine object"):
                await tiffany.spawn(coro, 1)
        finally:
            coro.close()

    tiffany.run(main, clock=VirtualClock())


def test_run_of_a_non_async_function_is_a_clear_type_error() -> None:
    def not_async() -> int:
        return 1

    with pytest.raises(TypeError, match="async def"):
        tiffany.run(not_async, clock=VirtualClock())  # type: ignore[arg-type]


# -- panic isolation ---------------------------------------------------------------------


def test_a_failing_task_never_stops_the_kernel_or_other_tasks() -> None:
    progress: list[tuple[str, float]] = []

    async def steady(name: str) -> int:
        for _ in range(5):
            await tiffany.sleep(1)
            progress.append((name, tiffany.current_time()))
        return 5

    async def main() -> tuple[int, int, TaskState, float]:
        a = await tiffany.spawn(steady, "a")
        failing = [await tiffany.spawn(_sleep_then_fail, t, f"f{t}") for t in (0.5, 2.5, 4.5)]
        b = await tiffany.spawn(steady, "b")
        results = (await a.join(), await b.join())
        for task in failing:
            await task.wait()
        return results[0], results[1], failing[1].state, tiffany.current_time()

    a, b, state, now = tiffany.run(main, clock=VirtualClock())
    assert (a, b) == (5, 5)
    assert state is TaskState.FAILED
    assert now == 5.0
    assert progress == [(n, float(t)) for t in range(1, 6) for n in ("a", "b")]


def test_a_failure_in_a_task_is_kept_in_the_task() -> None:
    async def main() -> tuple[BaseException | None, TaskState]:
        task = await tiffany.spawn(_sleep_then_fail, 1, "kept")
        await task.wait()  # wait never raises the outcome
        return task.exception, task.state

    exc, state = tiffany.run(main, clock=VirtualClock())
    assert isinstance(exc, Boom) and str(exc) == "kept"
    assert state is TaskState.FAILED


def test_a_failure_nobody_joined_is_logged_at_kernel_exit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen_before_exit: list[int] = []

    async def main() -> str:
        task = await tiffany.spawn(_sleep_then_fail, 1, "nobody looked", name="orphan")
        await tiffany.sleep(5)
        assert task.done
        seen_before_exit.append(sum(1 for r in caplog.records if "nobody joined" in r.getMessage()))
        return "main done"

    with caplog.at_level(logging.ERROR, logger="tiffany"):
        assert tiffany.run(main, clock=VirtualClock()) == "main done"
    assert seen_before_exit == [0], "reported when the kernel exits, not when the task fails"
    records = [r for r in caplog.records if "nobody joined" in r.getMessage()]
    assert len(records) == 1
    record = records[0]
    assert record.name == "tiffany"
    assert record.levelno == logging.ERROR
    assert "orphan" in record.getMessage()
    assert record.exc_info is not None and isinstance(record.exc_info[1], Boom)


def test_a_joined_failure_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        task = await tiffany.spawn(_sleep_then_fail, 1, "joined", name="joined-task")
        await tiffany.sleep(5)  # it fails first, and is joined afterwards
        with pytest.raises(tiffany.TaskError):
            await task.join()

    with caplog.at_level(logging.DEBUG, logger="tiffany"):
        tiffany.run(main, clock=VirtualClock())
    assert not [r for r in caplog.records if "nobody joined" in r.getMessage()]


def test_a_cancelled_task_nobody_joined_is_not_logged_as_a_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        task = await tiffany.spawn(_sleep_then_return, 100, None)
        await tiffany.sleep(1)
        await task.cancel()

    with caplog.at_level(logging.DEBUG, logger="tiffany"):
        tiffany.run(main, clock=VirtualClock())
    assert not [r for r in caplog.records if "nobody joined" in r.getMessage()]


def test_only_the_unjoined_failure_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        joined = await tiffany.spawn(_sleep_then_fail, 1, "a", name="joined")
        await tiffany.spawn(_sleep_then_fail, 1, "b", name="unjoined")
        with pytest.raises(tiffany.TaskError):
            await joined.join()
        await tiffany.sleep(1)

    with caplog.at_level(logging.ERROR, logger="tiffany"):
        tiffany.run(main, clock=VirtualClock())
    messages = [r.getMessage() for r in caplog.records if "nobody joined" in r.getMessage()]
    assert len(messages) == 1
    assert "'unjoined'" in messages[0]


# -- exit and deadlock ---------------------------------------------------------------------


def test_tasks_alive_when_main_returns_are_cancelled_and_their_finally_runs() -> None:
    log: list[str] = []
    tasks: list[Task] = []

    async def lingering(name: str) -> None:
        try:
            await tiffany.sleep(1000)
            log.append(f"{name} finished")  # never reached
        except tiffany.Cancelled:
            log.append(f"{name} cancelled at {tiffany.current_time()}")
            raise
        finally:
            log.append(f"{name} finally")

    async def main() -> str:
        for name in ("x", "y"):
            tasks.append(await tiffany.spawn(lingering, name))
        await tiffany.sleep(3)
        return "main result"

    assert tiffany.run(main, clock=VirtualClock()) == "main result"
    assert log == ["x cancelled at 3.0", "x finally", "y cancelled at 3.0", "y finally"]
    assert [t.state for t in tasks] == [TaskState.CANCELLED, TaskState.CANCELLED]


def test_a_lingering_task_may_finish_shielded_cleanup_before_run_returns() -> None:
    log: list[tuple[str, float]] = []

    async def lingering() -> None:
        try:
            await tiffany.sleep(1000)
        finally:
            with tiffany.CancelScope(shield=True):
                await tiffany.sleep(2)
            log.append(("cleaned up", tiffany.current_time()))

    async def main() -> None:
        await tiffany.spawn(lingering)
        await tiffany.sleep(1)

    clock = VirtualClock()
    tiffany.run(main, clock=clock)
    assert log == [("cleaned up", 3.0)]
    assert clock.now() == 3.0


def test_lingering_tasks_are_cancelled_when_main_fails_too() -> None:
    log: list[str] = []

    async def lingering() -> None:
        try:
            await tiffany.sleep(1000)
        finally:
            log.append("finally")

    async def main() -> None:
        await tiffany.spawn(lingering)
        await tiffany.sleep(1)
        raise Boom("main failed")

    with pytest.raises(Boom, match="main failed"):
        tiffany.run(main, clock=VirtualClock())
    assert log == ["finally"]


def test_deadlock_is_raised_when_every_task_blocks_forever() -> None:
    async def main() -> None:
        await tiffany.Event().wait()

    with pytest.raises(tiffany.Deadlock) as info:
        tiffany.run(main, clock=VirtualClock())
    assert "'main'" in str(info.value)
    assert "event" in str(info.value)


def test_deadlock_through_a_join_names_every_stuck_task() -> None:
    log: list[str] = []

    async def stuck() -> None:
        try:
            await tiffany.Event().wait()
        finally:
            log.append("stuck cleaned up")

    async def main() -> None:
        task = await tiffany.spawn(stuck, name="stuck-one")
        await task.join()

    with pytest.raises(tiffany.Deadlock) as info:
        tiffany.run(main, clock=VirtualClock())
    message = str(info.value)
    assert "'stuck-one' waits on event" in message
    assert "'main' waits on join" in message
    assert log == ["stuck cleaned up"], "the stuck task is still cancelled and cleaned up"


def test_deadlock_is_raised_in_main_so_main_can_see_it() -> None:
    async def main() -> str:
        try:
            await tiffany.Event().wait()
        except tiffany.Deadlock:
            return "caught in main"
        return "not reached"

    assert tiffany.run(main, clock=VirtualClock()) == "caught in main"


def test_no_deadlock_while_a_timer_can_still_wake_someone() -> None:
    async def main() -> float:
        event = tiffany.Event()

        async def setter() -> None:
            await tiffany.sleep(7)
            event.set()

        await tiffany.spawn(setter)
        await event.wait()
        return tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == 7.0


def test_a_cancelled_joiner_leaves_the_wait_map_and_the_others_are_still_woken() -> None:
    async def main() -> tuple[TaskState, object, float]:
        target = await tiffany.spawn(_sleep_then_return, 5, "late")
        quitter = await tiffany.spawn(target.join)
        stayer = await tiffany.spawn(target.join)
        await tiffany.sleep(1)
        await quitter.cancel()
        return quitter.state, await stayer.join(), tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == (TaskState.CANCELLED, "late", 5.0)
