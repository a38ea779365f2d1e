"""Starvation freedom as a bound: a task ready at level ``l`` runs within ``l * A + R`` steps.

``A`` is the kernel's ``aging_interval`` and ``R`` the number of other tasks ready once the
task has waited ``l * A`` steps (the guarantee stated at ``Kernel._pop_ready``). The bound
is checked over random workloads on the virtual clock: tasks of every level that yield,
sleep, spin and contend for a lock, each one's longest wait recorded in steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

import tiffany
from tiffany import Instrument, Priority, Task, VirtualClock
from tiffany.kernel import AGING_INTERVAL, Kernel


@dataclass
class WaitMeter(Instrument):
    """Counts steps as the kernel does and, for each wait, the bound it must meet."""

    aging_interval: int
    steps: int = 0
    ready_since: dict[int, tuple[int, int]] = field(default_factory=dict)  # id: (step, level)
    others_at_threshold: dict[int, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    waits: int = 0

    def task_scheduled(self, task: Task) -> None:
        self.ready_since[task.id] = (self.steps, int(task.priority))

    def before_task_step(self, task: Task) -> None:
        now = self.steps
        for waiting, (since, level) in self.ready_since.items():
            if now - since == level * self.aging_interval:
                self.others_at_threshold[waiting] = len(self.ready_since) - 1
        since, level = self.ready_since.pop(task.id)
        wait = now - since
        if wait >= level * self.aging_interval:
            bound = level * self.aging_interval + self.others_at_threshold[task.id]
            if wait > bound:
                self.violations.append(f"{task.name} at level {level} waited {wait} > {bound}")
        self.others_at_threshold.pop(task.id, None)
        self.waits += 1
        self.steps = now + 1


ACTIONS = st.one_of(
    st.tuples(st.just("yield"), st.integers(1, 3)),
    st.tuples(st.just("spin"), st.integers(20, 400)),  # a busy task re-queueing every step
    st.tuples(st.just("sleep"), st.integers(0, 5)),
    st.tuples(st.just("lock"), st.integers(0, 3)),  # blocks while another holds it
)
TASKS = st.lists(
    st.tuples(st.sampled_from(list(Priority)), st.lists(ACTIONS, min_size=1, max_size=6)),
    min_size=2,
    max_size=14,
)


async def _worker(actions: list[tuple[str, int]], lock: tiffany.Lock) -> None:
    for action, amount in actions:
        if action in ("yield", "spin"):
            for _ in range(amount):
                await tiffany.yield_now()
        elif action == "sleep":
            await tiffany.sleep(amount / 1000)
        else:
            async with lock:
                for _ in range(amount):
                    await tiffany.yield_now()


@settings(max_examples=60, deadline=None)
@given(workload=TASKS, aging_interval=st.integers(1, 24))
def test_every_ready_task_runs_within_the_stated_bound(
    workload: list[tuple[Priority, list[tuple[str, int]]]], aging_interval: int
) -> None:
    meter = WaitMeter(aging_interval)

    async def main() -> None:
        lock = tiffany.Lock()
        tasks = [
            await tiffany.spawn(_worker, actions, lock, priority=priority, name=f"t{n}")
            for n, (priority, actions) in enumerate(workload)
        ]
        for task in tasks:
            await task.join()

    kernel = Kernel(clock=VirtualClock(), instruments=[meter], aging_interval=aging_interval)
    kernel.run(main)
    assert meter.waits > len(workload)
    assert not meter.violations, meter.violations[:3]


def test_one_busy_high_task_does_not_hold_back_a_low_one() -> None:
    """The case that starved before: the running task is in no queue at the aging tick."""
    high_iterations = 0
    low_ran_at: list[int] = []

    async def busy() -> None:
        nonlocal high_iterations
        for _ in range(20_000):
            high_iterations += 1
            await tiffany.yield_now()

    async def low() -> None:
        low_ran_at.append(high_iterations)

    async def main() -> None:
        high = await tiffany.spawn(busy, priority=Priority.HIGH)
        quiet = await tiffany.spawn(low, priority=Priority.LOW)
        await high.join()
        await quiet.join()

    tiffany.run(main, clock=VirtualClock())
    # LOW is two levels below HIGH: it overtakes once it has waited 2 * A steps at most.
    assert low_ran_at and low_ran_at[0] <= 3 * AGING_INTERVAL, low_ran_at
