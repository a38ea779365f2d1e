"""Which files are a suite rather than the product: tests, examples and benchmarks.

Maintainers need test, example and benchmark code documented for what it proves and
how to run it, not as a second product: the planner gives each suite one page, the
ranking puts suite code last, and a code page lists the tests that exercise it. The
conventions are those of each supported language (``tests/`` and ``test_*.py``,
``*_test.go``, ``*.spec.ts``, ``FooTest.java``, ``benches/``, ``examples/``).

Two names are product code more often than not, and are not taken for suites:

* anything under ``src/main/`` (Maven and Gradle keep the product there, and its packages
  may well be called ``test`` or ``example``: ``com.example.app``);
* ``example``, ``sample`` and ``demo`` in the singular below the repository's top level:
  inside the product they are usually a package *about* examples or samples (a sampling
  module, a ``demo`` subcommand); at the top level, and in the plural anywhere, they are
  the examples folder.
"""

from __future__ import annotations

import re

#: Directory names that hold a suite, by kind (compared lower-cased).
SUITE_DIRS: dict[str, frozenset[str]] = {
    "tests": frozenset({"test", "tests", "__tests__", "spec", "specs", "testing", "testdata"}),
    "examples": frozenset({"example", "examples", "demo", "demos", "samples", "sample"}),
    "benchmarks": frozenset({"bench", "benches", "benchmark", "benchmarks"}),
}

#: Suite directory names that count only at the repository's top level.
TOP_LEVEL_ONLY = frozenset({"example", "sample", "demo"})

#: Where a build tool keeps the product, whatever its packages are called.
_PRODUCT_ROOT = ("src", "main")

_TEST_NAME = re.compile(
    r"^test_.+\.py$|_test\.(?:py|go|c|cc|cpp|rs)$|\.(?:test|spec)\.[cm]?[jt]sx?$"
    r"|Tests?\.(?:java|cs|kt)$|^test_.+\.(?:c|cc|cpp)$|^conftest\.py$",
)
_BENCH_NAME = re.compile(r"^bench_.+\.py$|_bench\.(?:py|go|rs)$|\.bench\.[cm]?[jt]sx?$")


def suite_root(path: str) -> tuple[str, str] | None:
    """``(kind, directory)`` of the suite a path belongs to, else None.

    The directory is the outermost suite directory on the path (``src/sync/tests`` for
    ``src/sync/tests/loom_mpsc.rs``), or, for a file that is a suite by its name
    (``cmd_test.go``, ``test_core.py``), the directory it sits in among the code.
    """
    *directories, name = path.split("/")
    if _in_product_root(directories):
        return None
    for depth, directory in enumerate(directories):
        lowered = directory.lower()
        if depth > 0 and lowered in TOP_LEVEL_ONLY:
            continue
        for kind, names in SUITE_DIRS.items():
            if lowered in names:
                return kind, "/".join(directories[: depth + 1])
    if _TEST_NAME.search(name):
        return "tests", "/".join(directories)
    if _BENCH_NAME.search(name):
        return "benchmarks", "/".join(directories)
    return None


def _in_product_root(directories: list[str]) -> bool:
    return any(tuple(directories[i : i + 2]) == _PRODUCT_ROOT for i in range(len(directories) - 1))


def suite_kind(path: str) -> str | None:
    """``tests``, ``examples`` or ``benchmarks`` when the path belongs to such a suite by
    its directories (the outermost suite directory wins) or its file name; else None."""
    found = suite_root(path)
    return found[0] if found is not None else None


def is_test_file(path: str) -> bool:
    """Whether a path looks like test code by the conventions of its language (a test
    folder inside an examples or benchmarks suite included)."""
    *directories, name = path.split("/")
    if _in_product_root(directories):
        return False
    tests = SUITE_DIRS["tests"]
    return bool(_TEST_NAME.search(name)) or any(d.lower() in tests for d in directories)
