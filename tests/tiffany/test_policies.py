"""CPU budgets, cooperative yields and admission (backpressure) policies."""

from __future__ import annotations

import time

import pytest

import tiffany
from tiffany import Admission, CpuBudget, Kernel, Pressure, Priority, VirtualClock


def _burn(seconds: float) -> None:
    """Use real CPU time (what budgets measure), not wall time."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


async def _busy(rounds: int, cpu_per_round: float, log: list[str], name: str) -> int:
    for _ in range(rounds):
        _burn(cpu_per_round)
        log.append(name)
        await tiffany.yield_now()
    return rounds


def test_cancel_action_ends_the_task_with_budget_exceeded() -> None:
    async def main() -> BaseException | None:
        budget = CpuBudget(0.02, per=3600, action="cancel")
        task = await tiffany.spawn(_busy, 100, 0.005, [], "hog", budget=budget)
        with pytest.raises(tiffany.TaskCancelled) as info:
            await task.join()
        assert task.cancelled
        return info.value.__cause__

    cause = tiffany.run(main, clock=VirtualClock())
    assert isinstance(cause, tiffany.BudgetExceeded)
    assert "over its budget" in str(cause)


def test_demote_action_lets_a_fair_task_run_first() -> None:
    log: list[str] = []

    async def main() -> Priority:
        budget = CpuBudget(0.005, per=3600, action="demote")
        hog = await tiffany.spawn(_busy, 4, 0.006, log, "hog", budget=budget)
        await tiffany.yield_now()  # the hog runs once and goes over budget
        demoted = hog.priority
        fair = await tiffany.spawn(_busy, 3, 0.0, log, "fair")
        await hog.join()
        await fair.join()
        return demoted

    demoted = tiffany.run(main, clock=VirtualClock())
    assert demoted == Priority.LOW
    assert log == ["hog", "fair", "fair", "fair", "hog", "hog", "hog"]


def test_demoted_priority_is_restored_in_the_next_window() -> None:
    async def hog() -> list[Priority]:
        seen = [tiffany.current_task().priority]
        _burn(0.006)
        await tiffany.yield_now()
        seen.append(tiffany.current_task().priority)
        await tiffany.sleep(10)  # the 5 s window ends meanwhile
        await tiffany.yield_now()
        seen.append(tiffany.current_task().priority)
        return seen

    async def main() -> list[Priority]:
        budget = CpuBudget(0.005, per=5, action="demote")
        result: list[Priority] = await (await tiffany.spawn(hog, budget=budget)).join()
        return result

    seen = tiffany.run(main, clock=VirtualClock())
    assert seen == [Priority.NORMAL, Priority.LOW, Priority.NORMAL]


def test_throttle_action_holds_the_task_until_its_window_ends() -> None:
    stamps: list[float] = []

    async def stamping() -> None:
        for _ in range(3):
            _burn(0.004)
            stamps.append(tiffany.current_time())
            await tiffany.yield_now()

    async def main() -> None:
        budget = CpuBudget(0.002, per=10.0, action="throttle")
        await (await tiffany.spawn(stamping, budget=budget)).join()

    tiffany.run(main, clock=VirtualClock())
    assert stamps == [0.0, 10.0, 20.0], "one over-budget step per 10 s window"


def test_group_budget_is_shared_by_its_children() -> None:
    async def main() -> float:
        budget = CpuBudget(0.01, per=3600, action="cancel")
        with pytest.raises(ExceptionGroup):
            async with tiffany.TaskGroup(budget=budget) as group:
                for index in range(4):
                    await group.spawn(_busy, 100, 0.002, [], f"child-{index}")
        return budget.used

    used = tiffany.run(main, clock=VirtualClock())
    assert used < 0.05, "the children were stopped soon after they spent the shared budget"


def test_a_task_whose_operations_never_block_still_yields_and_can_be_cancelled() -> None:
    async def spinner(channel: tiffany.Channel[int]) -> None:
        while True:  # a channel with room never blocks the sender
            await channel.send(1)
            channel.recv_nowait()

    async def main() -> tuple[bool, int]:
        channel: tiffany.Channel[int] = tiffany.Channel(10)
        other_ran: list[int] = []

        async def other() -> None:
            other_ran.append(1)

        spin = await tiffany.spawn(spinner, channel)
        await tiffany.spawn(other)
        for _ in range(3):  # the spinner must hand the loop back for these to return
            await tiffany.yield_now()
        await spin.cancel()
        return spin.cancelled, len(other_ran)

    kernel = Kernel(clock=VirtualClock(), cooperative_limit=16)
    cancelled, others = kernel.run(main)
    assert cancelled
    assert others == 1


def test_admission_reject_raises_overloaded_but_critical_is_always_admitted() -> None:
    async def idle() -> None:
        await tiffany.sleep(10)

    async def main() -> tuple[int, bool]:
        for _ in range(3):  # main itself is the first live task
            await tiffany.spawn(idle)
        with pytest.raises(tiffany.Overloaded, match="4/4 live tasks"):
            await tiffany.spawn(idle)
        critical = await tiffany.spawn(idle, priority=Priority.CRITICAL)
        return len(tiffany.current_kernel().tasks), critical.done

    live, _ = tiffany.run(
        main, clock=VirtualClock(), admission=Admission(max_live=4, over_limit="reject")
    )
    assert live == 5


def test_admission_wait_blocks_spawn_until_room_and_serves_urgent_first() -> None:
    admitted: list[str] = []

    async def job(seconds: float) -> None:
        await tiffany.sleep(seconds)

    async def spawner(name: str, priority: Priority) -> None:
        await tiffany.spawn(job, 1, name=name, priority=priority)
        admitted.append(f"{name}@{tiffany.current_time():g}")

    async def main() -> None:
        await tiffany.spawn(job, 5)
        await tiffany.spawn(job, 10)
        # Now 3 live of 3: the spawners below must wait.
        await tiffany.spawn(spawner, "low", Priority.LOW, priority=Priority.CRITICAL)
        await tiffany.spawn(spawner, "high", Priority.HIGH, priority=Priority.CRITICAL)
        await tiffany.sleep(20)

    admission = Admission(max_live=5)  # main, 2 jobs and the 2 (CRITICAL) spawners
    tiffany.run(main, clock=VirtualClock(), admission=admission)
    # When the first job ends, the HIGH spawner goes first although it came second.
    assert admitted == ["high@5", "low@5"]
    assert admission.waited == 2


def test_admission_shed_drops_queued_low_priority_work_for_urgent_work() -> None:
    async def job() -> str:
        return "ran"

    async def main() -> tuple[str | None, str]:
        low = await tiffany.spawn(job, priority=Priority.LOW)
        high = await tiffany.spawn(job, priority=Priority.HIGH)
        with pytest.raises(tiffany.TaskCancelled) as info:
            await low.join()
        return type(info.value.__cause__).__name__, await high.join()

    admission = Admission(max_live=2, over_limit="shed")
    cause, high_result = tiffany.run(main, clock=VirtualClock(), admission=admission)
    assert cause == "Overloaded"
    assert high_result == "ran"
    assert admission.shed == 1


def test_on_pressure_reports_rising_and_falling_levels() -> None:
    levels: list[Pressure] = []

    async def job() -> None:
        await tiffany.sleep(1)

    async def main() -> dict[str, object]:
        tasks = [await tiffany.spawn(job) for _ in range(7)]
        for task in tasks:
            await task.join()
        metrics = tiffany.telemetry.Metrics()
        metrics.kernel = tiffany.current_kernel()
        return metrics.snapshot()

    admission = Admission(
        max_live=10, high_water=0.5, on_pressure=lambda level, _: levels.append(level)
    )
    snapshot = tiffany.run(main, clock=VirtualClock(), admission=admission)
    assert levels[:2] == [Pressure.HIGH, Pressure.NORMAL]
    assert snapshot["admission_pressure_level"] == 0
    assert snapshot["admission_admitted"] == 8


async def _sleep(seconds: float) -> None:
    await tiffany.sleep(seconds)


def test_admission_wait_serves_waiters_of_one_level_in_turn_never_over_the_limit() -> None:
    admitted: list[str] = []
    peak = 0

    async def spawner(name: str) -> None:
        nonlocal peak
        await tiffany.spawn(_sleep, 10, name=f"job-{name}")
        peak = max(peak, len(tiffany.current_kernel().tasks))
        admitted.append(f"{name}@{tiffany.current_time():g}")
        await tiffany.sleep(100)  # keep holding its place so the limit stays tight

    async def main() -> None:
        for name in ("a", "b", "c"):
            await tiffany.spawn(spawner, name)
        await tiffany.spawn(_sleep, 5)
        await tiffany.spawn(_sleep, 7)
        # 6 live of 6: the three spawners wait, at one level, in arrival order.
        await tiffany.sleep(200)

    admission = Admission(max_live=6)
    tiffany.run(main, clock=VirtualClock(), admission=admission)
    # One slot frees at 5, one at 7, then a job of "a" ends at 15: one spawner each time.
    assert admitted == ["a@5", "b@7", "c@15"]
    assert peak <= 6


def test_admission_ready_depth_admits_a_waiter_as_soon_as_the_queue_drains() -> None:
    async def main() -> float:
        await tiffany.spawn(_sleep, 100)
        await tiffany.spawn(_sleep, 100)
        await tiffany.spawn(_sleep, 100)  # 2 ready: waits until they run and block
        return tiffany.current_time()

    admission = Admission(max_ready=2)
    assert tiffany.run(main, clock=VirtualClock(), admission=admission) == 0
    assert admission.waited == 1


def test_a_level_at_its_own_limit_does_not_hold_up_other_levels() -> None:
    admitted: list[str] = []

    async def spawner(priority: Priority) -> None:
        await tiffany.spawn(_sleep, 10, priority=priority)
        admitted.append(f"{priority.name}@{tiffany.current_time():g}")

    async def main() -> None:
        await tiffany.spawn(_sleep, 10, priority=Priority.HIGH)
        await tiffany.spawn(spawner, Priority.HIGH, priority=Priority.CRITICAL)
        await tiffany.sleep(1)  # the HIGH spawner now waits for its level
        await tiffany.spawn(spawner, Priority.LOW, priority=Priority.CRITICAL)
        await tiffany.sleep(30)

    admission = Admission(max_live_per_priority={Priority.HIGH: 1})
    tiffany.run(main, clock=VirtualClock(), admission=admission)
    assert admitted == ["LOW@1", "HIGH@10"]
