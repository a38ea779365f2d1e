"""Which files are a suite rather than the product: tests, examples and benchmarks.

Maintainers need test, example and benchmark code documented for what it proves and
how to run it, not as a second product: the planner gives each suite one page, the
ranking puts suite code last, and a code page lists the tests that exercise it. The
conventions are those of each supported language (``tests/`` and ``test_*.py``,
``*_test.go``, ``*.spec.ts``, ``FooTest.java``, ``benches/``, ``examples/``).
"""

from __future__ import annotations

import re

#: Directory names that hold a suite, by kind (compared lower-cased).
SUITE_DIRS: dict[str, frozenset[str]] = {
    "tests": frozenset({"test", "tests", "__tests__", "spec", "specs", "testing", "testdata"}),
    "examples": frozenset({"example", "examples", "demo", "demos", "samples", "sample"}),
    "benchmarks": frozenset({"bench", "benches", "benchmark", "benchmarks"}),
}

_TEST_NAME = re.compile(
    r"^test_.+\.py$|_test\.(?:py|go|c|cc|cpp|rs)$|\.(?:test|spec)\.[cm]?[jt]sx?$"
    r"|Tests?\.(?:java|cs|kt)$|^test_.+\.(?:c|cc|cpp)$|^conftest\.py$",
)
_BENCH_NAME = re.compile(r"^bench_.+\.py$|_bench\.(?:py|go|rs)$|\.bench\.[cm]?[jt]sx?$")


def suite_kind(path: str) -> str | None:
    """``tests``, ``examples`` or ``benchmarks`` when the path belongs to such a suite by
    its directories (the outermost suite directory wins) or its file name; else None."""
    *directories, name = path.split("/")
    for directory in directories:
        for kind, names in SUITE_DIRS.items():
            if directory.lower() in names:
                return kind
    if _TEST_NAME.search(name):
        return "tests"
    if _BENCH_NAME.search(name):
        return "benchmarks"
    return None


def is_test_file(path: str) -> bool:
    """Whether a path looks like test code by the conventions of its language."""
    *directories, name = path.split("/")
    tests = SUITE_DIRS["tests"]
    return bool(_TEST_NAME.search(name)) or any(d.lower() in tests for d in directories)
