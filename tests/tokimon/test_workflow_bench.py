"""The orchestration benchmark still runs (tiny sizes); it asserts nothing about speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "tokimon" / "orchestration_overhead.py"


def test_the_benchmark_reports_every_number(tmp_path: Path) -> None:
    command = [sys.executable, str(BENCH), "--steps", "3", "--events", "50", "--repeats", "1"]
    done = subprocess.run(
        [*command, "--dir", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    (row,) = result["rows"]
    assert row["steps"] == 3 and row["engine_us_per_step"] > 0 and row["ratio_to_asyncio"] > 0
    assert result["trace_event_us"] > 0 and result["tool_call_traced_us"] > 0
    assert list(tmp_path.iterdir()) == []  # run files went to a temporary folder and away
