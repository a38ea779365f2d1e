"""The scout in ``cw build``, through the scripted OpenAI-compatible server over real HTTP:
each module's questions answered before the writer, the answers frozen into the research
artifacts (footprints that validate), the notebook and the model writer's pack; a clean
rerun asks nothing; an edit that breaks one footprint asks exactly that question again;
a gap closes only when an answer to it cites lines."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest
from build_helpers import SMALL_PAGES, build, checker_fixture, needs_mermaid  # noqa: F401
from test_incremental import make_shop

from cocowiki.config import ResearchConfig
from cocowiki.mermaid import MermaidChecker
from cocowiki.pages import BuildConfig
from cocowiki.pages.artifacts import ModuleNotebook, ResearchArtifact
from cocowiki.verify.command import run_validate_footprints_command
from tiffany.models.testing import ScriptedServer

pytestmark = needs_mermaid

KEY = "sk-test-scout-0123456789abcdef"
QUESTIONS = ("purpose: PURPOSE of {module}", "flows: FLOWS of {module}")


def config(**research: Any) -> BuildConfig:
    settings = ResearchConfig(model="openai:scout-4b", questions=QUESTIONS, gaps=False)
    return dataclasses.replace(SMALL_PAGES, research=dataclasses.replace(settings, **research))


def asking(module: str, question: str, tool: dict[str, Any], answer: str) -> list[dict[str, Any]]:
    """A tool turn, then the answer, for one question of one module (repeatable)."""
    match = {"contains": f"(id {module})", "regex": question}
    return [
        {
            "match": {**match, "last_role": "user"},
            "tool_calls": [dict(tool, id="c1")],
            "repeat": True,
        },
        {"match": {**match, "last_role": "tool"}, "text": answer, "repeat": True},
    ]


SCRIPT = [
    *asking(
        "util",
        "PURPOSE",
        {"name": "read", "arguments": {"path": "util/numbers.py", "start": 1, "end": 6}},
        "Numbers are clamped `util/numbers.py:4-6`.",
    ),
    *asking(
        "util",
        "FLOWS",
        {"name": "grep", "arguments": {"pattern": "def slug", "scope": "util/*.py"}},
        "Text becomes a slug `util/text.py:4-6`.",
    ),
    {"match": {"regex": "PURPOSE|FLOWS|Which tests"}, "text": "Nothing cited.", "repeat": True},
]


@pytest.fixture(name="serve")
def serve_fixture(monkeypatch: pytest.MonkeyPatch) -> Any:
    def start(script: list[dict[str, Any]]) -> ScriptedServer:
        server = ScriptedServer(script)
        server.__enter__()
        started.append(server)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        return server

    started: list[ScriptedServer] = []
    yield start
    for server in started:
        server.__exit__(None, None, None)


def research(output: Path, module: str) -> ResearchArtifact:
    return ResearchArtifact.model_validate_json(
        (output / f"artifacts/research/{module}.json").read_text()
    )


def test_the_scout_answers_before_the_writer_and_is_asked_again_only_when_a_footprint_breaks(
    tmp_path: Path, checker: MermaidChecker, serve: Any
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    serve(SCRIPT)
    first = build(repo, output, checker, config())
    run = first.summary()["research"]
    modules = [page.id for page in first.pages]
    assert sorted(run["asked"]) == sorted(f"{m}/{q}" for m in modules for q in ("purpose", "flows"))
    assert run["reused"] == 0

    util = research(output, "util")
    answers = {q.id: q for q in util.questions if q.scout is not None}
    assert set(answers) == {"purpose", "flows"}
    assert answers["purpose"].findings[0].citations[0].label == "util/numbers.py:4-6"
    assert [f.tool for f in answers["flows"].footprints] == ["grep", "read"]
    checked = io.StringIO()
    assert (
        run_validate_footprints_command(
            output / "artifacts/research/util.json", repo, output, stdout=checked
        )
        == 0
    ), checked.getvalue()
    notebook = ModuleNotebook.model_validate_json(
        (output / "artifacts/notebooks/util.json").read_text()
    )
    assert [a.id for a in notebook.answers] == ["purpose", "flows"]
    assert notebook.answers[1].citations[0].path == "util/text.py"

    server = serve([])
    again = build(repo, output, checker, config())
    assert again.summary()["research"]["asked"] == []
    assert again.recomputed == []
    assert server.requests == []

    numbers = repo / "util" / "numbers.py"  # the lines purpose read, not the slug grep's
    numbers.write_text(
        numbers.read_text().replace("max(low, min(value, high))", "min(max(value, low), high)")
    )
    server = serve(SCRIPT)
    edited = build(repo, output, checker, config())
    assert edited.summary()["research"]["asked"] == ["util/purpose"]
    assert "util" in edited.recomputed
    # its first turn is the same request as before (answered from the response cache);
    # the read's result changed, so the model is asked for the answer again
    assert len(server.requests) == 1

    assert build(repo, output, checker, config()).summary()["research"]["asked"] == []


def test_a_gap_closes_only_when_its_answer_cites_lines(
    tmp_path: Path, checker: MermaidChecker, serve: Any
) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    serve(
        [
            *asking(
                "util",
                "Which tests exercise",
                {"name": "glob", "arguments": {"pattern": "**/test_*.py"}},
                "No test exercises it; `app.py:1-1` is the only caller's file.",
            ),
            {"match": {"regex": "Which tests|Who uses"}, "text": "Unknown.", "repeat": True},
        ]
    )
    summary = build(repo, output, checker, config(questions=(), gaps=True)).summary()
    util = {gap["kind"]: gap for gap in summary["gaps"]["util"]}
    assert util["untested"]["closed_by"] == "gap-untested"
    shop = {gap["kind"]: gap for gap in summary["gaps"]["shop"]}
    assert shop["untested"]["closed_by"] is None  # answered, but citing nothing
    assert summary["gaps_closed"] == 1
    manifest = json.loads((output / "manifest.json").read_text())
    entry = next(page for page in manifest["pages"] if page["id"] == "util")
    assert entry["gaps"][[g["kind"] for g in entry["gaps"]].index("untested")]["closed_by"]


def test_the_model_writers_pack_includes_the_notebooks_answers(
    tmp_path: Path, checker: MermaidChecker, serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cocowiki.config import WriterConfig

    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    page = "# p\n\n## Summary\n\n<!-- cw:summary -->\nS\n<!-- /cw:summary -->\n"
    server = serve(
        [
            *SCRIPT[:-1],
            {"match": {"regex": "PURPOSE|FLOWS"}, "text": "None.", "repeat": True},
            {"match": {"system_contains": "module guide"}, "text": page, "repeat": True},
            {"text": page, "repeat": True},
        ]
    )
    settings = dataclasses.replace(config(), writer=WriterConfig(model="openai:page-model"))
    build(repo, output, checker, settings)
    packs = [b["messages"][1]["content"] for b in server.bodies() if b["model"] == "page-model"]
    util_pack = next(p for p in packs if "[id util] (util)  <- this page" in p)
    assert "## Research notebook" in util_pack
    assert "Numbers are clamped `util/numbers.py:4-6`." in util_pack
