"""The ``cw index`` hook: JSON summary, human summary, clear errors, no tracebacks."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

from cocowiki.index import IndexConfig, run_index_command

FIXTURES = Path(__file__).parent / "fixtures"


def test_json_summary(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "go", repo)
    out = io.StringIO()
    status = run_index_command(
        repo, tmp_path / "out", as_json=True, config=IndexConfig(use_git=False), stdout=out
    )
    assert status == 0
    summary = json.loads(out.getvalue())
    assert summary["files"] == 3
    assert summary["languages"] == {"go": 3}
    assert summary["exclusions"] == {"unsupported": 1}
    assert summary["component_kinds"]["struct"] == 2
    assert summary["catalog_written"] is True
    assert set(summary["timings"]) == {"discover", "parse", "resolve", "store", "total"}


def test_human_summary(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "c", repo)
    out, err = io.StringIO(), io.StringIO()
    status = run_index_command(
        repo, tmp_path / "out", config=IndexConfig(use_git=False), stdout=out, stderr=err
    )
    assert status == 0
    text = out.getvalue()
    assert text.startswith("indexed 3 files (")
    assert "catalog written" in text
    assert err.getvalue() == ""


def test_missing_repository_message(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    status = run_index_command(tmp_path / "missing", None, stdout=out, stderr=err)
    assert status == 2
    assert (
        err.getvalue()
        == f"cw index: error: repository path does not exist: {tmp_path / 'missing'}\n"
    )
    out = io.StringIO()
    status = run_index_command(tmp_path / "missing", None, as_json=True, stdout=out)
    assert status == 2
    assert json.loads(out.getvalue()) == {
        "error": f"repository path does not exist: {tmp_path / 'missing'}"
    }


def test_cw_index_command_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "cocowiki.cli", "index", "--repo", str(tmp_path / "nope"), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["error"].startswith("repository path does not exist")
