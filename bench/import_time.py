"""How long ``import cocowiki`` and ``import tokimon`` take in a fresh interpreter.

Each import runs in its own ``python -X importtime`` process, several times; the median
of the cumulative time of the package's own line is printed (goal: under 150 ms each).
Run: ``python bench/import_time.py [--repeat N] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

PACKAGES = ("tiffany", "cocowiki", "tokimon")
GOAL_MS = 150.0


def import_ms(package: str) -> float:
    """Milliseconds ``import package`` takes in a new interpreter (cumulative)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {package}"],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in reversed(done.stderr.splitlines()):
        parts = [part.strip() for part in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == package:
            return int(parts[1]) / 1000
    raise RuntimeError(f"no import time for {package} in:\n{done.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {
        package: statistics.median(import_ms(package) for _ in range(args.repeat))
        for package in PACKAGES
    }
    if args.json:
        print(json.dumps({"goal_ms": GOAL_MS, "median_ms": results}))
        return
    for package, ms in results.items():
        verdict = "ok" if ms < GOAL_MS else f"over the {GOAL_MS:.0f} ms goal"
        print(f"import {package}: {ms:.1f} ms ({verdict})")


if __name__ == "__main__":
    main()
