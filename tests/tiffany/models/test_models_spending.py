"""A spending limit refuses the call that would cross it, before it is made and paid."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tiffany.models import BudgetExceededError, SpendingLimit, client
from tiffany.models.testing import ScriptedServer

Runner = Callable[..., Any]
ANSWER = {"text": "ok", "usage": {"input_tokens": 100, "output_tokens": 50}, "repeat": True}


def test_the_call_past_max_calls_is_refused_and_never_reaches_the_server(run: Runner) -> None:
    with ScriptedServer(default=ANSWER) as server:
        llm = client(
            "openai-compatible:m",
            base_url=server.base_url,
            spending_limit=SpendingLimit(max_calls=2),
        )

        async def main() -> str:
            await llm.complete("one")
            await llm.complete("two")
            with pytest.raises(BudgetExceededError, match="limit of 2 model calls is reached"):
                await llm.complete("three")
            return "refused"

        assert run(main) == "refused"
        assert len(server.requests) == 2


def test_a_call_whose_input_would_cross_max_tokens_is_refused(run: Runner) -> None:
    with ScriptedServer(default=ANSWER) as server:
        llm = client(
            "openai-compatible:m",
            base_url=server.base_url,
            spending_limit=SpendingLimit(max_tokens=400),
        )

        async def main() -> None:
            await llm.complete("short")  # 150 tokens spent
            await llm.complete("short")  # 300
            with pytest.raises(BudgetExceededError, match="would cross the spending limit of 400"):
                await llm.complete("x" * 800)  # about 200 more input tokens: over

        run(main)
        assert len(server.requests) == 2


def test_a_cost_limit_uses_the_price_and_a_limit_must_be_positive(run: Runner) -> None:
    with ScriptedServer(default=ANSWER) as server:
        llm = client(
            "openai-compatible:m",
            base_url=server.base_url,
            pricing={"m": {"input_per_mtok": 1000.0, "output_per_mtok": 1000.0}},
            spending_limit=SpendingLimit(max_cost=0.2),
        )

        async def main() -> None:
            await llm.complete("a")  # 150 tokens at $1000/Mtok: $0.15
            with pytest.raises(BudgetExceededError, match=r"\$0\.2000 \(\$0\.1500 spent\)"):
                await llm.complete("b" * 400)

        run(main)
    with pytest.raises(ValueError, match="max_calls must be positive"):
        SpendingLimit(max_calls=0)
