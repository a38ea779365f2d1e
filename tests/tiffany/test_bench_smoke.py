"""The runtime benchmark still runs: a quick, tiny pass over two workloads and two runtimes.

It checks that the driver starts its children, collects their results and reports every
requested row. It never asserts anything about speed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "bench" / "tiffany" / "run.py"
RUNTIMES = ("tiffany", "asyncio")
WORKLOADS = ("spawn_join", "pingpong")


@pytest.mark.timeout(20)
def test_quick_benchmark_reports_every_requested_row() -> None:
    command = [
        sys.executable,
        str(RUN),
        "--quick",
        "--runtimes",
        ",".join(RUNTIMES),
        "--only",
        ",".join(WORKLOADS),
        "--json",
    ]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=18, check=False
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)

    rows = {(r["runtime"], r["workload"]): r for r in document["results"]}
    assert set(rows) == {(rt, wl) for rt in RUNTIMES for wl in WORKLOADS}
    for row in rows.values():
        assert "error" not in row, row
        assert row["ops"] > 0
        assert row["seconds"] > 0
        assert row["ops_per_sec"] > 0
    for workload in WORKLOADS:
        assert document["ratios"][workload]["asyncio"] > 0
    assert document["meta"]["python"] == ".".join(map(str, sys.version_info[:3]))
