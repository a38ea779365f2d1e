"""A model-written wiki built again: what is asked again, what it costs, what survives.

Through the scripted OpenAI-compatible server over real HTTP with the official SDK: a
clean rerun asks nothing, a one-line edit asks only the page whose pack changed (and not
its parent, whose children's summaries did not change), ``--estimate`` asks nothing,
``--max-calls`` and ``--max-cost`` stop cleanly and a rerun continues, a build killed
with SIGKILL asks no finished page again, a 429's Retry-After is waited out, and the
model's reads become footprints of the page's research.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from build_helpers import checker_fixture, needs_mermaid  # noqa: F401
from test_incremental import make_shop
from test_writer_pack import (
    KEY,
    LEAVES,
    MODEL,
    answers,
    asked,
    build_scripted,
    guide,
    marker,
    model_config,
    serve,
)

from cocowiki.config import WriterConfig
from cocowiki.mermaid import MermaidChecker
from cocowiki.pages import ResearchArtifact, run_build_command
from cocowiki.pages.footprints import ReadFootprint
from cocowiki.pages.writerrun import RunLimits
from tiffany.models.testing import ScriptedServer

pytestmark = needs_mermaid

TESTS = Path(__file__).parent
ALL = [*LEAVES, "overview"]


def built(tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = make_shop(tmp_path)
    server, _ = build_scripted(repo, tmp_path / "out", checker, monkeypatch, answers())
    assert sorted(asked(server)) == sorted(ALL)
    return repo


def test_a_clean_rerun_asks_the_model_nothing(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = built(tmp_path, checker, monkeypatch)
    before = (tmp_path / "out" / "pages" / "shop.md").read_text()
    server, result = build_scripted(repo, tmp_path / "out", checker, monkeypatch, [])
    assert server.requests == []
    assert result.summary()["model"]["calls"] == 0 and result.recomputed == []
    assert (tmp_path / "out" / "pages" / "shop.md").read_text() == before


def test_a_one_line_edit_asks_only_the_page_whose_pack_changed(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = built(tmp_path, checker, monkeypatch)
    text = repo / "util" / "text.py"
    text.write_text(text.read_text().replace('"-".join', '"_".join'))
    server, result = build_scripted(repo, tmp_path / "out", checker, monkeypatch, answers())
    # util's summary is the same, so the overview (its parent) is not asked (early cutoff)
    assert asked(server) == ["util"]
    assert result.summary()["model"]["asked"] == ["util"]
    assert '"_".join' in server.bodies()[0]["messages"][1]["content"]


def test_estimate_counts_pages_calls_tokens_and_calls_nothing(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    config = model_config()
    out = io.StringIO()
    with ScriptedServer([]) as server:
        serve(server, monkeypatch)
        status = run_build_command(
            repo, output, as_json=True, config=config, estimate=True, stdout=out
        )
    assert status == 0 and server.requests == []
    first = json.loads(out.getvalue())
    assert first["pages"] == 4 and sorted(first["pages_to_write"]) == sorted(ALL)
    assert first["calls"] == 4 and first["input_tokens"] > 1000 and first["output_tokens"] > 0
    assert first["cost"] is None  # no price known for this model
    assert not (output / "pages").exists()

    build_scripted(repo, output, checker, monkeypatch, answers())
    out = io.StringIO()
    run_build_command(repo, output, as_json=True, config=config, estimate=True, stdout=out)
    after = json.loads(out.getvalue())
    assert after["pages_to_write"] == [] and sorted(after["pages_up_to_date"]) == sorted(ALL)


def test_max_calls_stops_cleanly_and_a_rerun_continues(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    server, result = build_scripted(
        repo, output, checker, monkeypatch, answers(), model_config(jobs=1, max_calls=2)
    )
    first = asked(server)
    model = result.summary()["model"]
    assert len(first) == 2
    assert model["stopped"] == (
        "the spending limit of 2 model calls is reached (2 made); raise it to go on"
    )
    assert sorted(model["pages_pending"]) == sorted(set(ALL) - set(first))
    pending = model["pages_pending"][0]
    assert (
        "has not written this page yet (the spending limit of 2 model calls"
        in (output / "pages" / f"{pending}.md").read_text()
    )

    server, result = build_scripted(repo, output, checker, monkeypatch, answers())
    assert sorted(asked(server)) == sorted(set(ALL) - set(first))
    assert result.summary()["model"]["pages_pending"] == []
    assert "has not written" not in (output / "pages" / f"{pending}.md").read_text()


def test_max_cost_stops_cleanly_before_a_call_would_cross_it_and_a_rerun_continues(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    prices = tmp_path / "models.toml"
    prices.write_text('[pricing."page-model"]\ninput_per_mtok = 1000.0\noutput_per_mtok = 0.0\n')
    monkeypatch.setenv("TIFFANY_MODELS_CONFIG", str(prices))
    config = dataclasses.replace(
        model_config(jobs=1, max_cost=2.0), writer=WriterConfig(model=MODEL, output_tokens=100)
    )
    server, result = build_scripted(repo, tmp_path / "out", checker, monkeypatch, answers(), config)
    first = asked(server)
    model = result.summary()["model"]
    assert 0 < len(first) < 4  # a page costs about $1 at this price
    assert model["stopped"].startswith("the next model call would cross the spending limit")
    assert model["pages"]["cost"] == pytest.approx(model["cost"]) and 0 < model["cost"] <= 2.0
    assert len(model["pages_pending"]) == 4 - len(first)

    unlimited = dataclasses.replace(config, limits=RunLimits())
    server, result = build_scripted(
        repo, tmp_path / "out", checker, monkeypatch, answers(), unlimited
    )
    assert sorted(asked(server)) == sorted(set(ALL) - set(first))


_KILLED_BUILD = """
import dataclasses, os, signal, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from test_writer_pack import model_config
from cocowiki.pages import build_wiki

repo, output, at = Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])

def progress(name: str, done: int, total: int) -> None:
    if name == "pages" and done == at:
        os.kill(os.getpid(), signal.SIGKILL)

build_wiki(repo, output, model_config(jobs=1), progress=progress)
"""


def test_a_build_killed_mid_way_asks_no_finished_page_again(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    with ScriptedServer(answers()) as server:
        env = {**os.environ, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": KEY}
        killed = subprocess.run(
            [sys.executable, "-c", _KILLED_BUILD, str(TESTS), str(repo), str(output), "2"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    assert killed.returncode == -9, killed.stderr
    finished = asked(server)
    assert len(finished) == 2
    assert sorted(p.stem for p in (output / "model" / "pages").glob("*.json")) == sorted(finished)

    server, result = build_scripted(repo, output, checker, monkeypatch, answers())
    assert sorted(asked(server)) == sorted(set(ALL) - set(finished))
    # the finished pages are taken from their records, not even replayed from the cache
    assert sorted(result.summary()["model"]["asked"]) == sorted(set(ALL) - set(finished))
    assert result.verified == 4


def test_a_429_with_retry_after_is_waited_out(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    slow_down = {
        "match": {"contains": marker("report")},
        "error": {"status": 429, "message": "slow down", "retry_after": 1},
    }
    server, result = build_scripted(
        repo, tmp_path / "out", checker, monkeypatch, [slow_down, *answers()]
    )
    report = [r for r in server.requests if marker("report") in r.body["messages"][1]["content"]]
    assert len(report) == 2
    assert report[1].received_at - report[0].received_at >= 1.0
    assert result.verified == 4 and result.summary()["model"]["calls"] == 4


def test_the_models_reads_become_footprints_of_the_pages_research(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    reads = {
        "match": {"contains": marker("shop")},
        "tool_calls": [
            {
                "id": "r1",
                "name": "read_file",
                "arguments": {"path": "util/numbers.py", "start": 4, "end": 6},
            },
            {
                "id": "r2",
                "name": "read_code_components",
                "arguments": {"ids": ["report/render.py#render"]},
            },
        ],
    }
    server, _ = build_scripted(repo, output, checker, monkeypatch, [reads, *answers()])
    [_, answer] = [b for b in server.bodies() if marker("shop") in b["messages"][1]["content"]]
    results = [m["content"] for m in answer["messages"] if m["role"] == "tool"]
    assert results[0].startswith("# File: util/numbers.py\n4 | def clamp(")
    assert "6 | def render(name: str) -> str:" in results[1]
    research = ResearchArtifact.model_validate_json(
        (output / "artifacts" / "research" / "shop.json").read_text()
    )
    [model_reads] = [q for q in research.questions if q.id == "model-reads"]
    assert [
        (f.path, f.start, f.end) for f in model_reads.footprints if isinstance(f, ReadFootprint)
    ] == [
        ("util/numbers.py", 4, 6),
        ("report/render.py", 6, 8),
    ]


def test_a_build_replays_from_the_response_cache_with_no_model(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = built(tmp_path, checker, monkeypatch)
    fresh = tmp_path / "fresh"
    shutil.copytree(tmp_path / "out" / "model" / "responses", fresh / "model" / "responses")
    server, result = build_scripted(repo, fresh, checker, monkeypatch, [])
    assert server.requests == []
    model = result.summary()["model"]
    assert sorted(model["asked"]) == sorted(ALL) and model["calls"] == 0
    for page in ALL:
        assert (fresh / "pages" / f"{page}.md").read_bytes() == (
            tmp_path / "out" / "pages" / f"{page}.md"
        ).read_bytes()


def test_a_parent_is_asked_again_when_a_childs_summary_changes(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = built(tmp_path, checker, monkeypatch)
    text = repo / "util" / "text.py"
    text.write_text(text.read_text().replace('"-".join', '"_".join'))
    script = answers({"util": guide("util", "Clamps numbers, slugs text.")})
    server, _ = build_scripted(repo, tmp_path / "out", checker, monkeypatch, script)
    assert asked(server) == ["util", "overview"]
    assert (
        "- [util](util.md): Clamps numbers, slugs text.\n"
        in (server.bodies()[1]["messages"][1]["content"])
    )


def test_pages_asks_only_for_the_pages_named(
    tmp_path: Path, checker: MermaidChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    config = model_config(pages=frozenset({"util", "shop"}))
    server, result = build_scripted(repo, output, checker, monkeypatch, answers(), config)
    assert sorted(asked(server)) == ["shop", "util"]
    assert sorted(result.summary()["model"]["pages_pending"]) == ["overview", "report"]
    assert "not among --pages" in (output / "pages" / "report.md").read_text()
