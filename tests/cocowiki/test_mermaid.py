"""The Mermaid checker against the real mermaid package under node (run `npm ci` first)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cocowiki.mermaid import (
    NODE_MODULES_VARIABLE,
    MermaidChecker,
    MermaidCheckerFailed,
    MermaidPool,
    MermaidUnavailable,
    check_diagrams,
    find_node_modules,
    mermaid_available,
)

pytestmark = pytest.mark.skipif(
    not mermaid_available() and not os.environ.get("CI"),
    reason="the mermaid npm package is not installed (run `npm ci` at the repository root)",
)

FLOWCHART = """flowchart TD
  subgraph cocowiki_index [cocowiki.index]
    files[files.py] --> indexer[indexer.py]
  end
  indexer --> store[(catalog.sqlite)]
"""
CLASS_DIAGRAM = """classDiagram
  class Store~T~ {
    +path: Path
    +read(key) T
  }
  class Catalog
  Store <|-- Catalog
"""
SEQUENCE = """sequenceDiagram
  participant CLI
  participant Indexer
  CLI->>Indexer: index_repository(repo)
  Indexer-->>CLI: IndexResult
"""
STATE = """stateDiagram-v2
  [*] --> Ready
  Ready --> Running : spawn
  Running --> [*]
"""

# The pitfalls seen on real pages, each as a model would write it.
PITFALLS = {
    # Mermaid 11 accepts one hyphen in an id; two read as the start of an arrow.
    "hyphens in a subgraph id": "flowchart TD\n  subgraph src--cocowiki\n    A --> B\n  end\n",
    "brackets in a subgraph label": (
        "flowchart TD\n  subgraph g [run [main]]\n    A --> B\n  end\n"
    ),
    ":: in a state transition label": "stateDiagram-v2\n  A --> B : Kernel::run\n",
    "a semicolon in a sequence message": ("sequenceDiagram\n  A->>B: open(path); read()\n"),
    "raw <Generic> in a class name": "classDiagram\n  class List<Generic>\n",
    "raw <Generic> in a flowchart node": "flowchart TD\n  A --> List<Generic>\n",
}


def test_valid_diagrams_of_each_kind_parse() -> None:
    assert check_diagrams([FLOWCHART, CLASS_DIAGRAM, SEQUENCE, STATE]) == [None] * 4


def test_each_known_pitfall_is_reported_with_the_parser_message() -> None:
    results = check_diagrams(list(PITFALLS.values()))
    for (pitfall, _), error in zip(PITFALLS.items(), results, strict=True):
        assert error is not None, f"{pitfall} was accepted"
        assert "Parse error on line 2" in error, (pitfall, error)


def test_a_batch_of_200_runs_in_one_process_at_a_few_ms_a_diagram() -> None:
    texts = [f"flowchart LR\n  A{i} --> B{i}\n" for i in range(199)] + [
        PITFALLS[":: in a state transition label"]
    ]
    with MermaidChecker() as checker:
        assert checker.version.startswith("11.")
        checker.check([FLOWCHART])  # warm up
        started = time.perf_counter()
        results = checker.check(texts)
        elapsed = time.perf_counter() - started
        pid = checker._process.pid
        assert checker.check([SEQUENCE]) == [None]  # still the same process afterwards
        assert checker._process.pid == pid
        checker._process.kill()  # a checker that dies mid-batch is an error, not a verdict
        with pytest.raises(MermaidCheckerFailed, match="exited with status"):
            checker.check([FLOWCHART])
    assert results[:199] == [None] * 199
    assert results[199] is not None
    assert elapsed / len(texts) < 0.05, f"{elapsed / len(texts) * 1000:.1f} ms a diagram"


def test_a_pool_spreads_a_list_over_its_processes_and_answers_in_order() -> None:
    broken = PITFALLS["hyphens in a subgraph id"]
    texts = [f"flowchart LR\n  A{i} --> B{i}\n" for i in range(30)] + [broken, CLASS_DIAGRAM]
    with MermaidPool(2) as pool:
        results = pool.check(texts)
        pids = {checker._process.pid for checker in pool._checkers}
        assert len(pids) == 2  # 4 requests of 8 went to both processes
        for checker in pool._checkers:
            checker._process.kill()
        with pytest.raises(MermaidCheckerFailed):  # a dead process fails its request...
            pool.check(texts[:16])
        assert pool.check(texts[:16]) == [None] * 16  # ...and is replaced by the next one
    assert results[:30] == [None] * 30 and results[31] is None
    assert results[30] is not None and "Parse error on line 2" in results[30]


def test_a_pool_without_mermaid_fails_each_request_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(NODE_MODULES_VARIABLE, str(tmp_path))
    with MermaidPool(2) as pool:
        for _ in range(2):
            with pytest.raises(MermaidUnavailable, match=r"npm ci"):
                pool.check([FLOWCHART])
        assert pool._checkers == []


def test_empty_batch_starts_no_process() -> None:
    assert check_diagrams([]) == []


def test_missing_node_modules_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(NODE_MODULES_VARIABLE, str(tmp_path))
    assert not mermaid_available()
    with pytest.raises(MermaidUnavailable, match=r"npm ci") as raised:
        check_diagrams([FLOWCHART])
    assert str(tmp_path) in str(raised.value)


def test_node_modules_without_jsdom_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A half-installed node_modules (mermaid only) fails at start-up, not mid-build."""
    (tmp_path / "mermaid").mkdir()
    (tmp_path / "mermaid" / "package.json").write_text('{"name": "mermaid"}')
    monkeypatch.setenv(NODE_MODULES_VARIABLE, str(tmp_path))
    with pytest.raises(MermaidUnavailable, match=r"could not be loaded.*jsdom.*npm ci"):
        check_diagrams([FLOWCHART])


def test_the_repository_node_modules_is_found_without_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(NODE_MODULES_VARIABLE, raising=False)
    assert (find_node_modules() / "mermaid" / "package.json").is_file()
