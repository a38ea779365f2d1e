"""``cw plan --model``: a model's grouping of files into modules, checked, re-asked, cached,
and the directory tree kept when the answer stays unusable; through the scripted
OpenAI-compatible server over real HTTP with the official SDK."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from cocowiki.index import IndexConfig
from cocowiki.plan import PlanConfig, read_module_tree, run_plan_command
from tiffany.models.testing import ScriptedServer

WALK = IndexConfig(use_git=False)
MODEL = "openai-compatible:grouper"
FILES = ["app/api.py", "app/db.py", "app/jobs.py", "lib/auth.py", "lib/cache.py", "lib/log.py"]
GOOD = {
    "Web requests": ["app/api.py", "lib/auth.py"],
    "Storage": ["app/db.py", "lib/cache.py"],
    "Background work": ["app/jobs.py", "lib/log.py"],
}
# Every file is about 100 tokens: 600 in all, above the threshold of 300 set here.
SMALL = PlanConfig(
    min_tokens=50, max_tokens=400, cluster_above_tokens=300, cluster_depth=1, model=MODEL
)


def answer(groups: dict[str, list[str]]) -> dict[str, Any]:
    modules = [{"name": name, "files": files} for name, files in groups.items()]
    return {"text": "Grouped by feature.\n" + json.dumps({"modules": modules})}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    for path in FILES:
        name = Path(path).stem
        body = "".join(f"def {name}_{n}(value):\n    return value + {n}\n\n" for n in range(11))
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(body)
    return root


def plan(
    repo: Path, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch, config: PlanConfig = SMALL
) -> dict[str, Any]:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    out = io.StringIO()
    status = run_plan_command(
        repo, as_json=True, config=config, index_config=WALK, stdout=out, stderr=io.StringIO()
    )
    assert status == 0, out.getvalue()
    return dict(json.loads(out.getvalue()))


def pages(repo: Path) -> dict[str, list[str]]:
    tree = read_module_tree(repo / ".cocowiki")
    return {module.title: list(module.files) for module in tree if module.files}


def user_texts(server: ScriptedServer) -> list[str]:
    return [str(request.body["messages"][-1]["content"]) for request in server.requests]


def test_a_valid_grouping_becomes_the_tree_and_a_rerun_asks_nothing(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ScriptedServer([answer(GOOD)]) as server:
        summary = plan(repo, server, monkeypatch)
        assert len(server.requests) == 1
        prompt = user_texts(server)[0]
        assert "# app/api.py (" in prompt and "api_0" in prompt
        assert summary["grouping"]["status"] == "grouped" and summary["grouping"]["calls"] == 1
        assert pages(repo) == {name: sorted(files) for name, files in GOOD.items()}
        tree = read_module_tree(repo / ".cocowiki")
        # ids come from paths (common directory, largest file's stem), never from titles
        ids = {module.title: module.id for module in tree if module.files}
        assert ids == {"Web requests": "auth", "Storage": "cache", "Background work": "jobs"}

        again = plan(repo, server, monkeypatch)
        assert len(server.requests) == 1
        assert again["grouping"] == {
            "model": MODEL,
            "calls": 0,
            "status": "reused",
            "message": None,
        }
        assert pages(repo) == {name: sorted(files) for name, files in GOOD.items()}


def test_problems_are_sent_back_and_the_corrected_grouping_is_used(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = {
        "Web requests": ["app/api.py", "lib/auth.py", "app/db.py"],
        "Storage": ["app/db.py", "lib/cache.py", "app/ghost.py"],
        "Background work": ["app/jobs.py"],
    }
    with ScriptedServer([answer(bad), answer(GOOD)]) as server:
        summary = plan(repo, server, monkeypatch)
        follow_up = user_texts(server)[1]
    assert summary["grouping"]["calls"] == 2
    assert "lib/log.py in no module" in follow_up
    assert "app/db.py in more than one module" in follow_up
    assert "app/ghost.py not among the files given" in follow_up
    assert pages(repo) == {name: sorted(files) for name, files in GOOD.items()}


def test_a_grouping_still_bad_keeps_the_directory_tree_with_one_line(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = {"Web requests": ["app/api.py", "lib/auth.py"], "Storage": ["app/db.py"]}
    with ScriptedServer([answer(missing)] * 3) as server:
        summary = plan(repo, server, monkeypatch)
        assert len(server.requests) == 3
    grouping = summary["grouping"]
    assert grouping["status"] == "fallback" and "\n" not in grouping["message"]
    assert "kept the deterministic tree" in grouping["message"]
    assert "in no module" in grouping["message"]
    deterministic = run_plan_command(
        repo,
        output=repo / "plain",
        config=PlanConfig(min_tokens=50, max_tokens=400),
        index_config=WALK,
        stdout=io.StringIO(),
    )
    assert deterministic == 0
    plain = read_module_tree(repo / "plain")
    assert read_module_tree(repo / ".cocowiki").dumps() == plain.dumps()


def test_below_the_threshold_no_model_is_asked(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = PlanConfig(min_tokens=50, max_tokens=400, cluster_above_tokens=10_000, model=MODEL)
    with ScriptedServer() as server:
        summary = plan(repo, server, monkeypatch, config)
        assert server.requests == []
    assert summary["grouping"]["status"] == "below threshold"


def test_a_malformed_model_spec_is_one_clear_error(repo: Path) -> None:
    out = io.StringIO()
    err = io.StringIO()
    config = PlanConfig(model="grouper")
    status = run_plan_command(repo, config=config, index_config=WALK, stdout=out, stderr=err)
    assert status == 2
    assert "must look like provider:model" in err.getvalue()
