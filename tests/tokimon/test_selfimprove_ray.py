"""``tokimon self-improve --executor ray``: sessions as Ray tasks on a real local cluster
(sharing this machine's filesystem), with the same outcome as local processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agent_fixtures import clean_env as clean_env
from test_selfimprove import (
    FIX,
    WORSE,
    commits_since,
    entries,
    git,
    master_repo,
    model,
    suite_passes,
)
from test_selfimprove import self_improve as run_self_improve

pytest.importorskip("ray")


def test_sessions_run_as_ray_tasks_and_the_fixer_is_merged(tmp_path: Path) -> None:
    repo = master_repo(tmp_path)
    start = git(repo, "rev-parse", "HEAD")
    fixer = model(tmp_path, "fixer", entries(FIX))
    worse = model(tmp_path, "worse", entries(WORSE))
    ran = run_self_improve(repo, "--model", worse, "--model", fixer, "--executor", "ray")
    assert ran.exit_code == 0, ran.stdout
    report = json.loads(ran.stdout)
    assert report["executor"] == "ray" and report["batches"][0]["winner"] == 2
    assert len(commits_since(repo, start)) == 1 and suite_passes(repo)
