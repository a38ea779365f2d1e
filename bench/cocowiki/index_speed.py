"""How fast the index is: files/s, lines/s (per core) and peak memory on a real codebase.

    python bench/cocowiki/index_speed.py                 # the Python standard library
    python bench/cocowiki/index_speed.py PATH --workers 2

The default codebase is this interpreter's standard library (about 1,800 Python files
and 800,000 lines, always available offline). Each run indexes into a fresh temporary
output directory, so nothing is reused from an earlier catalog; ``--again`` adds a second
run over the same catalog to time the incremental path. The goal in issue 5 is at least
20,000 lines of code per second per core. Parser workers (``--workers 2``) are children
of the multiprocessing fork server, so their memory is not in the peak shown.
"""

from __future__ import annotations

import argparse
import os
import resource
import sysconfig
import tempfile
import time
from pathlib import Path

from cocowiki.index import IndexConfig, IndexResult, index_repository


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    default = Path(sysconfig.get_paths()["stdlib"])
    parser.add_argument("path", nargs="?", type=Path, default=default)
    parser.add_argument("--workers", type=int, default=1, help="0 = automatic")
    parser.add_argument("--again", action="store_true", help="time an unchanged re-index too")
    args = parser.parse_args()
    config = IndexConfig(use_git=True, workers=args.workers)
    with tempfile.TemporaryDirectory(prefix="cw-bench-") as scratch:
        output = Path(scratch)
        started = time.perf_counter()
        result = index_repository(args.path, output, config)
        elapsed = time.perf_counter() - started
        report("cold", args.path, result, elapsed, args.workers)
        if args.again:
            started = time.perf_counter()
            again = index_repository(args.path, output, config)
            report("unchanged", args.path, again, time.perf_counter() - started, args.workers)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: {own:.0f} MiB (this process), {children:.0f} MiB (largest child: git)")


def report(label: str, path: Path, result: IndexResult, elapsed: float, workers: int) -> None:
    files = len(result.files)
    lines = result.lines
    cores = workers if workers > 0 else os.cpu_count() or 1
    print(f"== {label}: {path}")
    print(
        f"files {files}, lines {lines}, components {len(result.components)}, "
        f"references {len(result.references)}, parse errors {len(result.errors)}, "
        f"excluded {len(result.exclusions)}"
    )
    print(f"parsed {result.files_parsed}, unchanged {result.files_unchanged}")
    phases = ", ".join(f"{k} {v:.2f}s" for k, v in sorted(result.timings.items()))
    print(f"time {elapsed:.2f}s ({phases})")
    print(
        f"files/s {files / elapsed:,.0f}   lines/s {lines / elapsed:,.0f}   "
        f"lines/s per core {lines / elapsed / cores:,.0f} ({cores} core(s))"
    )


if __name__ == "__main__":
    main()
