"""``tokimon bench run --executor ray``: attempts as Ray tasks on a real local cluster,
with the same reports as the local executor."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from agent_fixtures import clean_env as clean_env
from test_bench import SHIPPED, tokimon

pytest.importorskip("ray")


def test_attempts_run_as_ray_tasks_with_the_same_report(tmp_path: Path) -> None:
    tasks = tmp_path / "mine"
    shutil.copytree(SHIPPED / "py-windows-off-by-one", tasks / "windows")
    args = ["bench", "run", "mine", "--oracle", "--repeat", "2", "--tasks", str(tasks)]
    ran = tokimon(*args, "--executor", "ray", "--out", str(tmp_path / "runs"), "--json")
    assert ran.exit_code == 0, ran.stdout
    report = json.loads(Path(json.loads(ran.stdout)["report"]).read_text())
    attempts = report["tasks"]["mine/windows"]["attempts"]
    assert [a["status"] for a in attempts] == ["solved", "solved"]
    assert report["totals"]["pass@1"] == 1.0 and report["totals"]["model_calls"] > 0


def test_an_address_without_ray_is_refused_before_a_run_starts(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    args = ["bench", "run", "core", "--oracle", "--ray-address", "127.0.0.1:1", "--out", str(out)]
    ran = tokimon(*args)
    assert ran.exit_code == 2 and "--ray-address needs --executor ray" in ran.stderr
    assert not out.exists()
