"""``cw eval``: the deterministic measures of two wikis, and a scripted judge (the
OpenAI-compatible test server over real HTTP) that builds a rubric from the repository's
documentation, judges both wikis on it with the spread of two passes, and, on a second
run, reuses the rubric and its judgments from the cache without a request."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from test_incremental import make_shop

from cocowiki.eval import run_eval_command
from cocowiki.eval.measures import prose_paragraphs
from tiffany.models.testing import ScriptedServer

KEY = "sk-test-judge-0123456789abcdef"

WIKI = (
    "# Util\n\n"
    "`clamp` keeps a value between bounds `util/numbers.py:4-6`.\n\n"
    "`slug` makes a slug; `made_up_function` does not exist. See [text](missing.md).\n\n"
    "Nothing cited here, a claim `util/numbers.py:40-41` that does not resolve.\n\n"
    "```mermaid\nflowchart LR\n  a --> b\n```\n"
)
OTHER = "# Shop\n\nA shop with orders. `Order` has a `total`.\n"
RUBRIC = {
    "topics": [
        {"name": "Numbers", "requirements": ["Explains clamp", "Explains bounds"]},
        {"name": "Orders", "requirements": ["Explains Order.total"]},
    ]
}


def verdict(score: str) -> dict[str, Any]:
    return {"text": json.dumps({"score": score, "reason": "scripted"})}


def make_wikis(tmp_path: Path) -> tuple[Path, Path, Path]:
    repo = make_shop(tmp_path)
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / "util.md").write_text(WIKI)
    (two / "shop.md").write_text(OTHER)
    return repo, one, two


def run(repo: Path, wiki: Path, **options: Any) -> tuple[int, dict[str, Any], str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_eval_command(repo, wiki, as_json=True, stdout=out, stderr=err, **options)
    return status, json.loads(out.getvalue()) if status == 0 else {}, err.getvalue()


def test_deterministic_measures_need_no_model(tmp_path: Path) -> None:
    repo, one, two = make_wikis(tmp_path)
    status, report, _ = run(repo, one, compare=two)
    assert status == 0
    wiki = report["measures"]["wiki"]
    assert wiki["pages"] == 1
    assert (wiki["citations"], wiki["citations_valid"]) == (2, 1)
    assert wiki["citation_validity"] == 0.5
    assert wiki["paragraphs"] == 3
    assert wiki["cited_paragraph_share"] == round(1 / 3, 4)
    assert (wiki["links"], wiki["broken_links"]) == (1, 1)
    assert wiki["diagrams"] == 1
    # clamp, slug, made_up_function: two of three name code of the repository
    assert (wiki["identifiers"], wiki["identifiers_found"]) == (3, 2)
    assert wiki["public_api_named"] == 2  # clamp and slug of the shop's public functions
    other = report["measures"]["compare"]
    assert other["citations"] == 0 and other["citation_validity"] is None
    assert (other["identifiers"], other["identifiers_found"]) == (2, 2)  # Order, total
    assert "judged" not in report


def test_prose_paragraphs_leave_out_code_headings_and_tables() -> None:
    text = "# T\n\nprose one\n\n```py\nx = 1\n```\n\n| a | b |\n|---|---|\n\n- [a](b.md)\n\ntwo\n"
    assert prose_paragraphs(text) == ["prose one", "two"]


def test_a_scripted_judge_builds_a_rubric_judges_two_wikis_and_reuses_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, one, two = make_wikis(tmp_path)
    cache = tmp_path / "eval-cache"
    script = [
        {"match": {"system_contains": "evaluation rubrics"}, "text": json.dumps(RUBRIC)},
        # wiki, pass 1 and 2 (three requirements each), then the other wiki's two passes
        *map(verdict, ["covered", "covered", "not", "covered", "partial", "not"]),
        *map(verdict, ["not", "not", "covered", "not", "not", "partial"]),
    ]
    with ScriptedServer(script) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        status, report, err = run(
            repo, one, compare=two, judges=["openai:judge"], repeats=2, cache=cache
        )
        assert status == 0, err
        assert len(server.requests) == 13
        rubric_request = server.bodies()[0]["messages"][1]["content"]
        assert "A tiny shop, to test incremental builds." in rubric_request
    judged = report["judged"]
    assert judged["rubric"] == {
        "judge": "openai:judge",
        "reference_digest": judged["rubric"]["reference_digest"],
        "topics": ["Numbers", "Orders"],
        "requirements": 3,
        "from_cache": False,
    }
    # pass 1: Numbers (1 + 1) / 2 = 1, Orders 0 -> 0.5; pass 2: 0.75 and 0 -> 0.375
    assert judged["wiki"]["score"] == {
        "mean": 0.4375,
        "stdev": 0.0625,
        "min": 0.375,
        "max": 0.5,
        "passes": 2,
    }
    assert judged["wiki"]["topics"]["Numbers"]["mean"] == 0.875
    assert judged["compare"]["score"]["mean"] == 0.375  # (0 + 1)/2 = 0.5 and (0 + 0.5)/2
    assert [p["judged"] for p in judged["compare"]["passes"]] == [3, 3]

    with ScriptedServer([]) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        status, again, err = run(
            repo, one, compare=two, judges=["openai:judge"], repeats=2, cache=cache
        )
        assert status == 0, err
        assert server.requests == []
    assert again["judged"]["rubric"]["from_cache"] is True
    assert again["judged"]["wiki"]["score"] == judged["wiki"]["score"]


def test_an_unusable_judge_reply_is_unjudged_not_guessed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, one, _ = make_wikis(tmp_path)
    script = [
        {"text": "```json\n" + json.dumps(RUBRIC) + "\n```"},
        {"text": "I think it is fine."},
        verdict("covered"),
        verdict("maybe"),
    ]
    with ScriptedServer(script) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        status, report, err = run(repo, one, judges=["openai:judge"], cache=tmp_path / "c")
    assert status == 0, err
    passes = report["judged"]["wiki"]["passes"]
    assert (passes[0]["judged"], passes[0]["unjudged"]) == (1, 2)
    assert report["judged"]["wiki"]["topics"]["Orders"]["mean"] is None
