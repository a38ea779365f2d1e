"""Rate limits as backpressure: callers wait, by priority, and never fail for being many."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import tiffany
from tiffany import Priority
from tiffany.models import Completion, RateLimiter, RateLimits, client
from tiffany.models.testing import ScriptedServer

Runner = Callable[..., Any]


def test_fifty_concurrent_callers_wait_their_turn(run: Runner) -> None:
    # Each answer takes 20 ms of real time, so admitted calls really overlap at the server.
    with ScriptedServer(default={"text": "ok", "delay": 0.02}) as server:
        llm = client(
            "openai-compatible:m",
            base_url=server.base_url,
            requests_per_minute=20,
            max_concurrent=5,
        )
        done_at: list[float] = []
        results: list[Completion] = []

        async def one(i: int) -> None:
            results.append(await llm.complete(f"question {i}"))
            done_at.append(tiffany.current_time())

        async def main() -> None:
            async with tiffany.TaskGroup() as group:
                for i in range(50):
                    await group.spawn(one, i)

        run(main)
        assert len(server.requests) == 50
        assert server.max_in_flight <= 5
        assert server.max_in_flight >= 2  # really concurrent, not serialised by accident
    assert len(results) == 50 and all(r.text == "ok" for r in results)
    # Virtual time stands still during HTTP, so a call ends when it was admitted: a burst
    # of one minute's allowance (20), then one request every 60/20 = 3 seconds.
    expected = [0.0] * 20 + [3.0 * k for k in range(1, 31)]
    assert sorted(done_at) == pytest.approx(expected, abs=1e-6)
    assert llm.limiter is not None and llm.limiter.active == 0 and llm.limiter.waiting == 0
    assert len(llm.ledger.by_task()) == 50  # accounting per task: one entry per caller


def test_waiters_are_served_by_priority_then_arrival(run: Runner) -> None:
    limiter = RateLimiter(RateLimits(max_concurrent=1))
    order: list[str] = []

    async def caller(name: str) -> None:
        permit = await limiter.acquire()
        order.append(name)
        await tiffany.sleep(1)
        permit.release()

    async def main() -> None:
        holder = await limiter.acquire()
        tasks = []
        for name, priority in [
            ("low", Priority.LOW),
            ("normal-1", Priority.NORMAL),
            ("high", Priority.HIGH),
            ("normal-2", Priority.NORMAL),
            ("critical", Priority.CRITICAL),
            ("idle", Priority.IDLE),
        ]:
            tasks.append(await tiffany.spawn(caller, name, name=name, priority=priority))
            await tiffany.sleep(0)
        await tiffany.sleep(1)
        assert limiter.waiting == 6
        holder.release()
        for task in tasks:
            await task.join()

    run(main)
    assert order == ["critical", "high", "normal-1", "normal-2", "low", "idle"]


def test_tokens_per_minute_with_settled_estimates(run: Runner) -> None:
    limiter = RateLimiter(RateLimits(tokens_per_minute=1200))  # 20 tokens a second

    async def main() -> list[float]:
        times = []
        first = await limiter.acquire(600)
        times.append(tiffany.current_time())
        first.release(actual_tokens=1000)  # 400 more than reserved: a debt of 400
        second = await limiter.acquire(600)  # level 200 -> needs 400 more: 20 s
        times.append(tiffany.current_time())
        second.release(actual_tokens=600)
        huge = await limiter.acquire(5000)  # above a minute's worth: waits for a full bucket
        times.append(tiffany.current_time())
        huge.release()
        return times

    assert run(main) == pytest.approx([0.0, 20.0, 80.0])


def test_cancelled_waiter_leaves_the_queue(run: Runner) -> None:
    limiter = RateLimiter(RateLimits(max_concurrent=1))
    got: list[str] = []

    async def caller(name: str) -> None:
        async with await limiter.acquire():
            got.append(name)

    async def main() -> None:
        holder = await limiter.acquire()
        impatient = await tiffany.spawn(caller, "impatient", priority=Priority.HIGH)
        patient = await tiffany.spawn(caller, "patient")
        await tiffany.sleep(1)
        await impatient.cancel()
        assert limiter.waiting == 1
        holder.release()
        await patient.join()

    run(main)
    assert got == ["patient"]


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="requests_per_minute must be positive"):
        RateLimits(requests_per_minute=0)


def test_a_429_pauses_every_caller_of_the_endpoint(run: Runner) -> None:
    script = [{"error": {"status": 429, "message": "slow down", "retry_after": 10}}]
    with ScriptedServer(script, default={"text": "ok"}) as server:
        limiter = RateLimiter(RateLimits(max_concurrent=10))
        llm = client("openai-compatible:m", base_url=server.base_url, limiter=limiter)

        async def first() -> float:
            await llm.complete("first")
            return tiffany.current_time()

        async def main() -> tuple[float, float]:
            task = await tiffany.spawn(first)
            await tiffany.sleep(1)  # by now the first caller has its 429 and backs off
            await llm.complete("second")
            second_done = tiffany.current_time()
            return await task.join(), second_done

        assert run(main) == (10.0, 10.0)
        assert len(server.requests) == 3
