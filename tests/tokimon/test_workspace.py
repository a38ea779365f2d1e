"""The workspace: run folders laid out as documented, found by any unambiguous id, locked."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pytest

from tokimon.artifacts import StepArtifacts
from tokimon.errors import RunLocked, RunNotFound, WorkspaceError
from tokimon.workspace import RUN_ID, RunPaths, Workspace, display_status


def test_a_new_run_has_the_documented_layout(tmp_path: Path) -> None:
    workspace = Workspace.locate(repo=tmp_path, env={})
    assert workspace.root == (tmp_path / ".tokimon").resolve()
    paths, info = workspace.new_run("fix it", tmp_path, "openai:gpt")
    assert RUN_ID.match(paths.id) and info.status == "planning"
    for folder in ("logs", "artifacts/steps", "lessons", "reports"):
        assert (paths.root / folder).is_dir()
    assert json.loads(paths.run_json.read_text())["goal"] == "fix it"
    assert (workspace.root / ".gitignore").read_text() == "*\n"
    assert paths.worker_log("fix-2") == paths.root / "logs" / "worker-fix-2.log"


def test_the_workspace_can_be_moved_by_flag_or_environment(tmp_path: Path) -> None:
    chosen = tmp_path / "elsewhere"
    assert Workspace.locate(tmp_path, chosen, env={}).root == chosen.resolve()
    env = {"TOKIMON_WORKSPACE": str(tmp_path / "env")}
    assert Workspace.locate(tmp_path, env=env).root == (tmp_path / "env").resolve()


def test_runs_are_found_by_id_suffix_prefix_or_latest(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    with pytest.raises(RunNotFound, match="there are no runs"):
        workspace.find("latest")
    first, _ = workspace.new_run("one", tmp_path, "m")
    second, _ = workspace.new_run("two", tmp_path, "m")
    assert workspace.find(first.id) == first
    assert workspace.find(second.id[-6:]) == second
    assert workspace.find("latest") == second
    with pytest.raises(RunNotFound, match="matches 2 runs"):
        workspace.find("run-")
    with pytest.raises(RunNotFound, match="is not a run id"):
        workspace.find("../../etc")
    with pytest.raises(RunNotFound, match="`tokimon runs` lists the runs"):
        workspace.find("ffffff0")
    (second.run_json).write_text("{broken")
    assert [p.id for p, _ in workspace.runs()] == [first.id]


def test_latest_is_the_run_started_last_even_within_one_second(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    for hex_suffix, created_at in (("ffffff", "00.100Z"), ("000000", "00.900Z")):
        paths, info = workspace.new_run(hex_suffix, tmp_path, "m")
        info.created_at = f"2026-01-01T12:00:{created_at}"
        paths.write_info(info)
        paths.root.rename(workspace.runs_dir / f"run-20260101T120000Z-{hex_suffix}")
    assert workspace.find("latest").id == "run-20260101T120000Z-000000"


def test_names_that_could_leave_the_run_folder_are_refused(tmp_path: Path) -> None:
    paths = RunPaths(tmp_path)
    for bad in ("..", "../x", "a/b", ".hidden", ""):
        with pytest.raises(WorkspaceError, match="cannot name a file"):
            paths.step_artifacts(bad)


def test_outputs_are_versioned_and_never_overwritten(tmp_path: Path) -> None:
    paths = RunPaths(tmp_path)
    outputs = StepArtifacts(paths, "fix")
    assert outputs.latest() is None
    outputs.write_outputs(1, {"n": 1})
    outputs.write_outputs(3, {"n": 3})
    with pytest.raises(WorkspaceError, match="never overwritten"):
        outputs.write_outputs(1, {"n": "again"})
    assert [(n, p.name) for n, p in outputs.versions()] == [
        (1, "outputs.json"),
        (3, "outputs.v3.json"),
    ]
    assert outputs.read(1) == {"n": 1} and outputs.latest() == {"n": 3}


def test_the_lock_is_reentrant_in_one_process_and_frees_on_exit(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    paths, info = workspace.new_run("goal", tmp_path, "m")
    assert display_status(paths, info) == "interrupted"  # nobody executes it
    with paths.locked():
        with paths.locked():
            assert paths.is_live()
        assert paths.is_live()
        assert paths.lock.read_text() == f"{os.getpid()}\n"
        assert display_status(paths, info) == "planning"
    assert not paths.is_live()


def test_a_lock_held_through_another_descriptor_is_refused(tmp_path: Path) -> None:
    paths = RunPaths(tmp_path)
    paths.lock.write_text("4242\n")
    holder = os.open(paths.lock, os.O_RDWR)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        with pytest.raises(RunLocked, match="being executed by process 4242"), paths.locked():
            pass
    finally:
        os.close(holder)
