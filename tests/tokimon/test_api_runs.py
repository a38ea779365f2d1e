"""tokimon as a library: run, resume, list_runs and inspect_run on a real repository with
the scripted model (a JSONL file, no network), results as the ``--json`` of the CLI, errors
as TokimonError, nothing printed."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest
from agent_fixtures import FIX_STEP, FIXING_TURNS, GOAL, copy_repo, plan
from agent_fixtures import clean_env as clean_env

import tokimon
from tokimon.commands import CommandOptions, runs_command


def script(tmp_path: Path, *entries: dict[str, object]) -> str:
    path = tmp_path / "script.jsonl"
    path.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    return f"scripted:{path}"


def test_run_fixes_the_repository_and_is_listed_and_inspected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_repo(tmp_path)
    model = script(tmp_path, plan(FIX_STEP), *FIXING_TURNS)
    result = tokimon.run(GOAL, repo, model=model, test_command="python -m pytest -q")
    assert result.succeeded, result
    assert result.changed_files == ("dates.py",) and result.steps[0].state == "SUCCEEDED"
    assert Path(result.report).is_file()
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = "failed"  # type: ignore[misc]
    assert capsys.readouterr() == ("", "")

    (listed,) = tokimon.list_runs(repo=repo)
    assert listed.id == result.run_id and listed.status == "succeeded"
    out = io.StringIO()
    runs_command(CommandOptions(repo=repo, as_json=True, stdout=out))
    assert json.loads(out.getvalue())["runs"] == [tokimon.to_json(listed)]

    details = tokimon.inspect_run("latest", repo=repo)
    assert details.id == result.run_id and [s.id for s in details.steps] == ["fix"]
    with pytest.raises(tokimon.TokimonError, match="already ended"):
        tokimon.resume(result.run_id, repo=repo)


def test_the_result_has_the_keys_of_run_json(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    model = script(tmp_path, plan(FIX_STEP), *FIXING_TURNS)
    result = tokimon.run(GOAL, repo, model=model, test_command="python -m pytest -q")
    report = json.loads((Path(result.report).parent / "report.json").read_text())
    assert set(tokimon.to_json(result)) == {*report, "report"}


def test_errors_are_tokimon_errors(tmp_path: Path) -> None:
    with pytest.raises(tokimon.TokimonError, match="goal is empty"):
        tokimon.run("  ", tmp_path, model="scripted:x.jsonl")
    with pytest.raises(tokimon.TokimonError, match="not a directory"):
        tokimon.run("fix it", tmp_path / "missing", model="scripted:x.jsonl")
    with pytest.raises(tokimon.TokimonError):
        tokimon.run("fix it", tmp_path, model="nosuchprovider:x")
    with pytest.raises(tokimon.RunNotFound):
        tokimon.inspect_run("latest", repo=tmp_path)
    assert tokimon.list_runs(repo=tmp_path) == ()
