"""TaskGroup: structured concurrency, first failure cancels the rest, ExceptionGroups,
outer cancellation, and no spawning after the block."""

from __future__ import annotations

import logging

import pytest

import tiffany
from tiffany import Task, TaskGroup, TaskState, VirtualClock


class Boom(Exception):
    pass


async def _fail_after(seconds: float, message: str) -> None:
    await tiffany.sleep(seconds)
    raise Boom(message)


async def _sleep_logged(seconds: float, name: str, log: list[tuple[str, float]]) -> str:
    try:
        await tiffany.sleep(seconds)
        log.append((f"{name} done", tiffany.current_time()))
        return name
    finally:
        log.append((f"{name} finally", tiffany.current_time()))


def test_the_group_waits_for_every_child_and_children_keep_their_results() -> None:
    async def main() -> tuple[list[object], float, list[Task]]:
        log: list[tuple[str, float]] = []
        async with TaskGroup() as group:
            tasks = [await group.spawn(_sleep_logged, s, f"t{s}", log) for s in (3, 1, 2)]
            running = group.tasks
        return [t.result for t in tasks], tiffany.current_time(), running

    results, now, running = tiffany.run(main, clock=VirtualClock())
    assert results == ["t3", "t1", "t2"]
    assert now == 3.0
    assert len(running) == 3


def test_an_empty_group_exits_at_once() -> None:
    async def main() -> float:
        async with TaskGroup():
            pass
        return tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == 0.0


def test_the_first_failure_cancels_the_siblings_and_the_body() -> None:
    log: list[tuple[str, float]] = []

    async def main() -> float:
        with pytest.raises(ExceptionGroup) as info:
            async with TaskGroup() as group:
                await group.spawn(_sleep_logged, 10, "sibling", log)
                await group.spawn(_fail_after, 2, "first failure")
                try:
                    await tiffany.sleep(100)
                finally:
                    log.append(("body finally", tiffany.current_time()))
        assert [str(e) for e in info.value.exceptions] == ["first failure"]
        return tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == 2.0
    assert sorted(log) == [("body finally", 2.0), ("sibling finally", 2.0)]


def test_cancelled_siblings_end_cancelled_and_are_not_in_the_exception_group() -> None:
    async def main() -> tuple[list[TaskState], list[str]]:
        tasks: list[Task] = []
        try:
            async with TaskGroup() as group:
                tasks.append(await group.spawn(tiffany.sleep, 10))
                tasks.append(await group.spawn(_fail_after, 1, "boom"))
                tasks.append(await group.spawn(tiffany.sleep, 20))
        except ExceptionGroup as group_error:
            return [t.state for t in tasks], [repr(e) for e in group_error.exceptions]
        return [], []

    states, errors = tiffany.run(main, clock=VirtualClock())
    assert states == [TaskState.CANCELLED, TaskState.FAILED, TaskState.CANCELLED]
    assert errors == ["Boom('boom')"]


def test_failures_at_the_same_moment_are_all_in_the_exception_group_in_order() -> None:
    async def main() -> list[str]:
        try:
            async with TaskGroup() as group:
                await group.spawn(_fail_after, 1, "a")
                await group.spawn(_fail_after, 1, "b")
                await group.spawn(_fail_after, 5, "late: cancelled first")
        except ExceptionGroup as error:
            assert all(isinstance(e, Boom) for e in error.exceptions)
            return [str(e) for e in error.exceptions]
        return []

    assert tiffany.run(main, clock=VirtualClock()) == ["a", "b"]


def test_a_body_exception_cancels_the_children_and_is_raised_first() -> None:
    log: list[tuple[str, float]] = []

    async def main() -> list[str]:
        try:
            async with TaskGroup() as group:
                await group.spawn(_sleep_logged, 10, "child", log)
                await tiffany.sleep(2)
                raise KeyError("body")
        except ExceptionGroup as error:
            return [repr(e) for e in error.exceptions]
        return []

    assert tiffany.run(main, clock=VirtualClock()) == ["KeyError('body')"]
    assert log == [("child finally", 2.0)]


def test_body_exception_plus_child_failures() -> None:
    async def immediate_failure() -> None:
        raise Boom("child")

    async def main() -> tuple[list[str], str]:
        try:
            async with TaskGroup() as group:
                await group.spawn(immediate_failure)
                await group.spawn(_fail_after, 0, "child after a trap")
                raise KeyError("body")  # before any child has run
        except ExceptionGroup as error:
            return [repr(e) for e in error.exceptions], str(error)
        return [], ""

    errors, message = tiffany.run(main, clock=VirtualClock())
    assert errors[0] == "KeyError('body')", "the body's exception comes first"
    assert errors[1:] == ["Boom('child')"], (
        "the child that failed is in it; the cancelled one is not"
    )
    assert "body" in message


def test_body_exception_while_a_child_already_failed() -> None:
    async def main() -> list[str]:
        try:
            async with TaskGroup() as group:
                await group.spawn(_fail_after, 1, "child")
                with tiffany.CancelScope(shield=True):
                    await tiffany.sleep(2)  # the child fails meanwhile
                raise KeyError("body")
        except ExceptionGroup as error:
            return [repr(e) for e in error.exceptions]
        return []

    assert tiffany.run(main, clock=VirtualClock()) == ["KeyError('body')", "Boom('child')"]


def test_a_child_failing_while_the_body_waits_in_exit_cancels_the_others() -> None:
    log: list[tuple[str, float]] = []

    async def main() -> tuple[list[str], float]:
        try:
            async with TaskGroup() as group:
                await group.spawn(_sleep_logged, 10, "sibling", log)
                await group.spawn(_fail_after, 4, "late failure")
        except ExceptionGroup as error:
            return [str(e) for e in error.exceptions], tiffany.current_time()
        return [], -1.0

    assert tiffany.run(main, clock=VirtualClock()) == (["late failure"], 4.0)
    assert log == [("sibling finally", 4.0)]


def test_group_cancel_cancels_body_and_children_without_an_error() -> None:
    log: list[tuple[str, float]] = []

    async def main() -> tuple[bool, float]:
        async with TaskGroup() as group:
            await group.spawn(_sleep_logged, 10, "child", log)
            await tiffany.sleep(1)
            group.cancel()
            await tiffany.sleep(10)
            log.append(("body not reached", tiffany.current_time()))
        return group.cancel_scope.cancelled_caught, tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == (True, 1.0)
    assert log == [("child finally", 1.0)]


def test_children_can_spawn_siblings_while_the_body_waits() -> None:
    async def main() -> tuple[list[str], float]:
        log: list[str] = []

        async def parent(group: TaskGroup) -> None:
            await tiffany.sleep(1)
            await group.spawn(_note_after, 2, "grandchild", log)
            log.append("parent done")

        async with TaskGroup() as group:
            await group.spawn(parent, group)
        return log, tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == (["parent done", "grandchild"], 3.0)


async def _note_after(seconds: float, name: str, log: list[str]) -> None:
    await tiffany.sleep(seconds)
    log.append(name)


# -- outer cancellation ------------------------------------------------------------------------


def test_outer_cancellation_cancels_children_and_waits_for_them() -> None:
    log: list[tuple[str, float]] = []

    async def slow_cleanup(name: str) -> None:
        try:
            await tiffany.sleep(100)
        finally:
            with tiffany.CancelScope(shield=True):
                await tiffany.sleep(2)
            log.append((f"{name} cleaned up", tiffany.current_time()))

    async def owner() -> None:
        async with TaskGroup() as group:
            await group.spawn(slow_cleanup, "a")
            await group.spawn(slow_cleanup, "b")
            await tiffany.sleep(100)

    async def main() -> float:
        task = await tiffany.spawn(owner)
        await tiffany.sleep(1)
        await task.cancel()
        log.append(("cancel returned", tiffany.current_time()))
        return tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == 3.0
    assert sorted(log[:2]) == [("a cleaned up", 3.0), ("b cleaned up", 3.0)]
    assert log[2:] == [("cancel returned", 3.0)], "cancel returns after every child exited"


def test_outer_cancellation_propagates_out_of_a_group_with_children() -> None:
    log: list[str] = []

    async def owner() -> None:
        async with TaskGroup() as group:
            await group.spawn(tiffany.sleep, 100)
            await tiffany.sleep(100)
        log.append("after the group: must not run")

    async def main() -> TaskState:
        task = await tiffany.spawn(owner)
        await tiffany.sleep(1)
        await task.cancel()
        return task.state

    assert tiffany.run(main, clock=VirtualClock()) is TaskState.CANCELLED
    assert log == []


def test_a_timeout_around_a_group_is_caught_by_its_own_scope() -> None:
    async def main() -> tuple[bool, bool, float, list[str]]:
        log: list[str] = []
        with tiffany.move_on_after(2) as timeout:
            async with TaskGroup() as group:
                await group.spawn(tiffany.sleep, 100)
                await tiffany.sleep(100)
            log.append("after the group: must not run")
        return (
            timeout.cancelled_caught,
            group.cancel_scope.cancelled_caught,
            tiffany.current_time(),
            log,
        )

    assert tiffany.run(main, clock=VirtualClock()) == (True, False, 2.0, [])


def test_fail_after_around_a_group_with_children_raises_too_slow_error() -> None:
    async def main() -> tuple[str, float, list[str]]:
        log: list[str] = []
        try:
            with tiffany.fail_after(2):
                async with TaskGroup() as group:
                    await group.spawn(tiffany.sleep, 100)
                    await tiffany.sleep(100)
                log.append("after the group: must not run")
        except tiffany.TooSlowError:
            return "TooSlowError", tiffany.current_time(), log
        return "no error", tiffany.current_time(), log

    assert tiffany.run(main, clock=VirtualClock()) == ("TooSlowError", 2.0, [])


def test_a_timeout_while_the_group_waits_in_exit_is_caught_by_the_timeout() -> None:
    async def main() -> tuple[bool, float, list[str]]:
        log: list[str] = []
        with tiffany.move_on_after(2) as timeout:
            async with TaskGroup() as group:
                await group.spawn(tiffany.sleep, 100)
            log.append("after the group: must not run")
        return timeout.cancelled_caught, tiffany.current_time(), log

    assert tiffany.run(main, clock=VirtualClock()) == (True, 2.0, [])


def test_a_group_without_children_lets_outer_cancellation_through() -> None:
    async def main() -> tuple[bool, float, list[str]]:
        log: list[str] = []
        with tiffany.move_on_after(2) as timeout:
            async with TaskGroup():
                await tiffany.sleep(100)
            log.append("after the group: must not run")
        return timeout.cancelled_caught, tiffany.current_time(), log

    assert tiffany.run(main, clock=VirtualClock()) == (True, 2.0, [])


# -- spawn rules ----------------------------------------------------------------------------


def test_spawn_after_the_block_has_exited_is_refused() -> None:
    async def main() -> str:
        async with TaskGroup() as group:
            pass
        with pytest.raises(RuntimeError, match="async with") as info:
            await group.spawn(tiffany.sleep, 1)
        return str(info.value)

    assert "TaskGroup" in tiffany.run(main, clock=VirtualClock())


def test_spawn_before_the_block_is_entered_is_refused() -> None:
    async def main() -> None:
        group = TaskGroup()
        with pytest.raises(RuntimeError, match="async with"):
            await group.spawn(tiffany.sleep, 1)

    tiffany.run(main, clock=VirtualClock())


def test_a_child_that_spawns_into_a_failed_and_finished_group_is_refused() -> None:
    async def main() -> str:
        holder: list[TaskGroup] = []
        outcome: list[str] = []

        async def late_spawner() -> None:
            await tiffany.sleep(5)
            try:
                await holder[0].spawn(tiffany.sleep, 1)
                outcome.append("spawned")
            except RuntimeError:
                outcome.append("refused")

        try:
            async with TaskGroup() as group:
                holder.append(group)
                await group.spawn(_fail_after, 1, "x")
        except ExceptionGroup:
            pass
        spawner = await tiffany.spawn(late_spawner)
        await spawner.join()
        return outcome[0]

    assert tiffany.run(main, clock=VirtualClock()) == "refused"


def test_failures_in_a_group_are_not_reported_as_unjoined(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        with pytest.raises(ExceptionGroup):
            async with TaskGroup() as group:
                await group.spawn(_fail_after, 1, "reported by the group")

    with caplog.at_level(logging.ERROR, logger="tiffany"):
        tiffany.run(main, clock=VirtualClock())
    assert not [r for r in caplog.records if "nobody joined" in r.getMessage()]
