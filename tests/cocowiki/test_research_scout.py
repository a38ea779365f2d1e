"""The scout through the scripted OpenAI-compatible server over real HTTP, with the
official SDK: it reads, globs and greps, its answer is frozen with footprints that then
validate; budgets stop a looping scout; paths outside the repository are refused; the
live ``cw explore`` freezes nothing; frozen answers gather into a notebook."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from test_incremental import make_shop

from cocowiki.pages.artifacts import ModuleNotebook, ResearchQuestionArtifact
from cocowiki.pages.researchcommand import run_explore_command, run_notebook_command
from cocowiki.verify.command import run_validate_footprints_command
from tiffany.models.testing import ScriptedServer

KEY = "sk-test-scout-0123456789abcdef"
MODEL = "openai:scout-4b"


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


def turn(*calls: dict[str, Any]) -> dict[str, Any]:
    return {"tool_calls": [dict(c, id=f"call_{i}") for i, c in enumerate(calls)]}


ANSWER = (
    "`clamp` keeps a value between two bounds `util/numbers.py:4-6`.\n\n"
    "It is used when prices are computed, see `shop/pricing.py:3-3`.\n\n"
    "A made-up place `util/numbers.py:90-99` is not kept."
)


@pytest.fixture(name="served")
def served_fixture(monkeypatch: pytest.MonkeyPatch) -> Any:
    def start(script: list[dict[str, Any]]) -> ScriptedServer:
        server = ScriptedServer(script)
        server.__enter__()
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        started.append(server)
        return server

    started: list[ScriptedServer] = []
    yield start
    for server in started:
        server.__exit__(None, None, None)


def explore(repo: Path, *args: Any, **options: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_explore_command(
        *args, repo, repo / ".cocowiki", model=MODEL, stdout=out, stderr=err, **options
    )
    return status, out.getvalue(), err.getvalue()


def tool_results(server: ScriptedServer) -> list[str]:
    last = server.bodies()[-1]["messages"]
    return [m["content"] for m in last if m["role"] == "tool"]


def test_a_scout_reads_globs_and_greps_and_its_frozen_answer_validates(
    tmp_path: Path, served: Any
) -> None:
    repo = make_shop(tmp_path)
    script = [
        turn(
            call("glob", pattern="util/*.py"), call("grep", pattern=r"def clamp", scope="**/*.py")
        ),
        turn(call("read", path="util/numbers.py", start=1, end=6), call("symbol", query="clamp")),
        turn(call("graph", seed="util/numbers.py", relation="in")),
        {"text": ANSWER},
    ]
    server = served(script)
    frozen = tmp_path / "clamp.json"
    status, _out, err = explore(
        repo, "What does clamp do?", module="util", question_id="clamp", artifact_file=frozen
    )
    assert (status, err) == (0, "")
    artifact = ResearchQuestionArtifact.model_validate_json(frozen.read_text())
    assert [f.tool for f in artifact.footprints] == [
        "glob",
        "grep",
        "read",
        "symbol_lookup",
        "graph_lookup",
        "read",
        "read",
    ]
    assert artifact.footprints[0].matches == 3  # __init__, numbers, text
    assert artifact.footprints[1].matches == 1
    assert [len(claim.citations) for claim in artifact.findings] == [1, 1]
    assert artifact.scout is not None
    assert artifact.scout.model == MODEL
    assert (artifact.scout.calls, artifact.scout.tool_calls) == (4, 5)
    assert artifact.scout.stopped == "answered"
    assert artifact.scout.invalid_citations == ["util/numbers.py:90-99: the file has 6 lines"]
    results = tool_results(server)
    assert results[2].startswith("# util/numbers.py:1-6\n1 | ")
    assert "util/numbers.py#clamp (function)" in results[3]
    assert len(server.requests) == 4
    assert server.bodies()[0]["model"] == "scout-4b"
    assert {t["function"]["name"] for t in server.bodies()[0]["tools"]} == {
        "read",
        "glob",
        "grep",
        "symbol",
        "graph",
    }

    checked = io.StringIO()
    assert run_validate_footprints_command(frozen, repo, stdout=checked) == 0
    assert "all 7 footprints hold" in checked.getvalue()
    (repo / "util" / "extra.py").write_text("x = 1\n")  # the glob's path set changes
    checked = io.StringIO()
    assert run_validate_footprints_command(frozen, repo, stdout=checked) == 1
    assert "FAILED: 1 of 7 footprints changed" in checked.getvalue()


def test_budgets_stop_a_looping_scout(tmp_path: Path, served: Any) -> None:
    repo = make_shop(tmp_path)
    (repo / ".cocowiki").mkdir()
    (repo / ".cocowiki" / "config.toml").write_text("[research]\nmax_tool_calls = 5\n")
    looping = dict(turn(call("glob", pattern="**/*.py")), repeat=True)
    server = served([looping])
    status, out, _ = explore(repo, "Loop?", module="util", question_id="loop")
    assert status == 0
    artifact = ResearchQuestionArtifact.model_validate_json(out)
    assert artifact.scout is not None
    assert artifact.scout.stopped == "budget: 5 tool calls"
    assert artifact.scout.tool_calls == 5
    assert len(server.requests) == 6  # the sixth asked for a call past the budget
    assert artifact.answer == "No answer (budget: 5 tool calls)."

    (repo / ".cocowiki" / "config.toml").write_text("[research]\nmax_calls = 3\n")
    server = served([looping])
    _, out, _ = explore(repo, "Loop again?", module="util", question_id="loop")
    assert ResearchQuestionArtifact.model_validate_json(out).scout.stopped == (  # type: ignore[union-attr]
        "budget: 3 model calls"
    )
    assert len(server.requests) == 3


def test_paths_outside_the_repository_are_refused_and_the_model_told(
    tmp_path: Path, served: Any
) -> None:
    repo = make_shop(tmp_path)
    (tmp_path / "secret.txt").write_text("password\n")
    (repo / "escape.txt").symlink_to(tmp_path / "secret.txt")
    script = [
        turn(
            call("read", path="../secret.txt"),
            call("read", path=str(tmp_path / "secret.txt")),
            call("read", path="escape.txt"),
            call("glob", pattern="../*"),
            call("grep", pattern="password", scope="/**/*"),
            call("grep", pattern="(", scope="**/*"),
            call("graph", seed="util/numbers.py", relation="sideways"),
        ),
        {"text": "Nothing outside."},
    ]
    server = served(script)
    status, out, _ = explore(repo, "Read the secret", module="util", question_id="secret")
    assert status == 0
    results = tool_results(server)
    assert len(results) == 7
    assert all(r.startswith("Error: tool ") for r in results), results
    assert "not a path inside the repository" in results[0]
    assert "not a path inside the repository" in results[1]
    assert "escape.txt" in results[2]
    assert "not a valid regular expression" in results[5]
    assert "relation must be" in results[6]
    assert not any("password" in r and "secret.txt" not in r for r in results[:3])
    artifact = ResearchQuestionArtifact.model_validate_json(out)
    assert artifact.footprints == []


def test_live_explore_prints_the_answer_and_footprints_and_freezes_nothing(
    tmp_path: Path, served: Any
) -> None:
    repo = make_shop(tmp_path)
    served([turn(call("grep", pattern="def slug", scope="util/*.py")), {"text": ANSWER}])
    status, out, _ = explore(repo, "Where is slug?", freeze=False)
    assert status == 0
    assert out.startswith("`clamp` keeps a value")
    assert "footprints (3):" in out
    assert "  grep(def slug, util/*.py) -> 1 [" in out
    assert "citation not resolved: util/numbers.py:90-99" in out
    assert not (repo / ".cocowiki" / "artifacts").exists()


def test_frozen_answers_gather_into_a_notebook(tmp_path: Path, served: Any) -> None:
    repo = make_shop(tmp_path)
    served([{"text": ANSWER}, {"text": "Helpers `util/text.py:4-6`."}])
    files = []
    for qid in ("purpose", "flows"):
        frozen = tmp_path / f"{qid}.json"
        assert (
            explore(repo, f"{qid}?", module="util", question_id=qid, artifact_file=frozen)[0] == 0
        )
        files.append(frozen)
    notebook_file = tmp_path / "notebook.json"
    out = io.StringIO()
    assert run_notebook_command(files, "util", notebook_file, stdout=out) == 0
    notebook = ModuleNotebook.model_validate_json(notebook_file.read_text())
    assert [a.id for a in notebook.answers] == ["purpose", "flows"]
    assert notebook.summary.startswith("`clamp` keeps")
    assert len(notebook.purpose) == 2
    assert notebook.answers[1].citations[0].path == "util/text.py"
    err = io.StringIO()
    assert run_notebook_command(files, "shop", None, stdout=io.StringIO(), stderr=err) == 2
    assert "answers about other modules (util)" in err.getvalue()
    assert json.loads(notebook_file.read_text())["kind"] == "notebook"
