"""``cw build --estimate`` with a scout (``[research] model``), through the scripted
OpenAI-compatible server over real HTTP: with no frozen answers every question of every
module is counted and bounded by the scout's budgets; after a real build a clean rerun's
estimate counts no question (and no page: the packs hold the kept answers, as the
build's do); an edit that breaks one answer's footprint counts exactly that question,
the one the next build asks. The estimate itself calls no model. Its text names ten
modules at most."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

from build_helpers import build, checker_fixture, needs_mermaid  # noqa: F401
from test_incremental import make_shop
from test_research_build import SCRIPT, config, serve_fixture  # noqa: F401
from test_writer_pack import answers

from cocowiki.config import WriterConfig
from cocowiki.mermaid import MermaidChecker
from cocowiki.pages import BuildConfig, run_build_command
from cocowiki.pages.estimate import Estimate, PageEstimate, ScoutEstimate

pytestmark = needs_mermaid

#: The shop's pages (every directory its own page).
PAGES = ["overview", "report", "shop", "util"]
#: Any scout question the script does not answer otherwise (the gaps' questions).
ANY_QUESTION = {"match": {"system_contains": "code scout"}, "text": "Unknown.", "repeat": True}


def with_writer(**research: Any) -> BuildConfig:
    """The scout of ``test_research_build`` and a model writer (``--estimate`` needs one)."""
    return dataclasses.replace(config(**research), writer=WriterConfig(model="openai:page-model"))


def estimate(repo: Path, output: Path, settings: BuildConfig) -> tuple[dict[str, Any], str]:
    """``--estimate --json`` and the text, for the same wiki."""
    data, text = io.StringIO(), io.StringIO()
    status = run_build_command(
        repo, output, as_json=True, config=settings, estimate=True, stdout=data
    )
    assert status == 0, data.getvalue()
    assert run_build_command(repo, output, config=settings, estimate=True, stdout=text) == 0
    return json.loads(data.getvalue()), text.getvalue()


def test_with_no_frozen_answers_every_question_is_counted_within_the_budgets(
    tmp_path: Path, serve: Any
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    server = serve([])
    settings = with_writer(max_calls=3, max_tokens=5_000)
    data, text = estimate(repo, output, settings)
    assert server.requests == []
    scout = data["scout"]
    assert scout["model"] == "openai:scout-4b" and scout["budgets_not_predictions"] is True
    assert scout["questions_by_module"] == {page: ["purpose", "flows"] for page in PAGES}
    assert scout["questions"] == 8 and scout["answers_kept"] == 0
    assert (scout["max_calls_per_question"], scout["max_tokens_per_question"]) == (3, 5_000)
    assert (scout["max_calls"], scout["max_tokens"]) == (24, 40_000)
    # the writer's figures are as they were; the totals add the scout's budgets
    assert data["calls"] == 4 and sorted(data["pages_to_write"]) == PAGES
    assert data["total_calls"] == 4 + 24
    assert data["total_tokens"] == data["input_tokens"] + data["output_tokens"] + 40_000
    assert data["not_foreseen"][-1].startswith("the scout's token budget is checked")
    assert "scout openai:scout-4b: 8 questions to ask in 4 modules, 0 frozen answers" in text
    assert "  util: purpose, flows\n" in text
    assert (
        "scout budgets, upper bounds and not predictions: at most 24 calls and 40000 tokens "
        "(3 calls and 5000 tokens a question" in text
    )
    assert f"in all: 28 model calls and {data['total_tokens']} tokens" in text

    without = dataclasses.replace(
        settings, research=dataclasses.replace(settings.research, model="")
    )
    plain, text = estimate(repo, output, without)
    assert plain["scout"] is None and plain["total_calls"] == plain["calls"] == 4
    assert "scout" not in text and "in all" not in text


def test_a_clean_rerun_counts_no_question_and_an_edit_exactly_the_one_it_breaks(
    tmp_path: Path, checker: MermaidChecker, serve: Any
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    settings = with_writer(gaps=True)  # the gaps' questions too
    script = [*answers(), *SCRIPT[:-1], ANY_QUESTION]
    serve([])
    before, _ = estimate(repo, output, settings)
    serve(script)
    first = build(repo, output, checker, settings).summary()["research"]
    # the estimate counted the questions the build asked, no more, no fewer
    counted = before["scout"]["questions_by_module"]
    assert sorted(first["asked"]) == sorted(f"{m}/{q}" for m, ids in counted.items() for q in ids)
    assert any(q.startswith("gap-") for ids in counted.values() for q in ids)

    server = serve([])
    clean, text = estimate(repo, output, settings)
    assert server.requests == []
    assert clean["scout"]["questions"] == 0 and clean["scout"]["questions_by_module"] == {}
    assert clean["scout"]["answers_kept"] == len(first["asked"])
    assert clean["scout"]["max_calls"] == 0 and clean["scout"]["max_tokens"] == 0
    assert clean["pages_to_write"] == [] and clean["total_calls"] == 0
    kept = len(first["asked"])
    assert f"0 questions to ask in 0 modules, {kept} frozen answers still hold" in text

    numbers = repo / "util" / "numbers.py"  # the lines util's purpose answer read
    numbers.write_text(
        numbers.read_text().replace("max(low, min(value, high))", "min(max(value, low), high)")
    )
    edited, text = estimate(repo, output, settings)
    scout = edited["scout"]
    assert scout["questions_by_module"] == {"util": ["purpose"]}
    assert scout["answers_kept"] == len(first["asked"]) - 1
    assert (scout["max_calls"], scout["max_tokens"]) == (16, 400_000)
    assert "util" in edited["pages_to_write"]
    assert "scout openai:scout-4b: 1 question to ask in 1 module, " in text
    assert "  util: purpose\n" in text

    serve(script)
    again = build(repo, output, checker, settings).summary()["research"]
    assert again["asked"] == ["util/purpose"]


def test_the_text_names_ten_modules_and_counts_the_rest() -> None:
    pages = [
        PageEstimate(f"m{n}", False, 100, 0, scout_questions=("purpose", "flows"))
        for n in range(12)
    ]
    found = Estimate("openai:page-model", pages, 3_000, None, ScoutEstimate("openai:s", 2, 10))
    text = found.format()
    assert "24 questions to ask in 12 modules, 0 frozen answers still hold" in text
    assert "  m9: purpose, flows\n  ... and 2 more modules (--json lists them)\n" in text
    assert len(found.summary()["scout"]["questions_by_module"]) == 12
    assert found.summary()["total_calls"] == 12 + 24 * 2
