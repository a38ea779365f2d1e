"""Mermaid's known traps are fixed mechanically: each fails the real parser before the
repair and parses after it; diagrams without traps come back unchanged."""

from __future__ import annotations

import pytest
from build_helpers import checker_fixture, needs_mermaid
from hypothesis import given, settings
from hypothesis import strategies as st

from cocowiki.mermaid import MermaidChecker
from cocowiki.pages.diagrams import ClassDiagram, Flowchart
from cocowiki.pages.mermaid_repair import MERMAID_TRAPS, repair_mermaid

pytestmark = needs_mermaid
checker = checker_fixture

TRAPS = {
    "hyphens in a subgraph id": (
        "flowchart TD\n  subgraph src--cocowiki\n    A --> B\n  end\n  src--cocowiki --> C\n"
    ),
    "hyphens in a labelled subgraph id": (
        "flowchart LR\n  subgraph core--io [Core I/O]\n    A --> B\n  end\n"
    ),
    "brackets in a subgraph label": "flowchart TD\n  subgraph g [run [main]]\n    A --> B\n  end\n",
    "parentheses in a subgraph label": (
        "flowchart TD\n  subgraph g [run (main)]\n    A --> B\n  end\n"
    ),
    ":: in a state transition label": "stateDiagram-v2\n  A --> B : Kernel::run\n",
    "several :: in a state transition label": "stateDiagram-v2\n  A --> B : a::b::c\n",
    "a semicolon in a sequence message": "sequenceDiagram\n  A->>B: open(path); read()\n",
    "a semicolon in a sequence note": "sequenceDiagram\n  A->>B: go\n  Note over A: x; y\n",
    "raw <Generic> in a class name": "classDiagram\n  class List<Generic>\n",
    "raw <Generic> in a class relation": "classDiagram\n  List<T> <|-- Foo\n",
    "raw <Generic> in a flowchart node": "flowchart TD\n  A --> List<Generic>\n",
}

VALID = [
    "flowchart TD\n  subgraph cocowiki_index [cocowiki.index]\n"
    "    files[files.py] --> indexer[indexer.py]\n  end\n  indexer --> store[(catalog.sqlite)]\n",
    "flowchart LR\n  subgraph my-group\n    A[Map of List<T>] -->|Vec<u8>| B(Option<T>)\n  end\n",
    'flowchart LR\n  subgraph g0["pages #lt;T#gt;"]\n    n0["a"]\n  end\n',
    "classDiagram\n  class Store~T~ {\n    +items: List<int>\n    +read(key) T\n  }\n"
    "  class Catalog\n  Store <|-- Catalog\n",
    "sequenceDiagram\n  participant CLI\n  CLI->>Indexer: index(repo)#59; then store\n"
    "  Indexer-->>CLI: IndexResult\n",
    "stateDiagram-v2\n  [*] --> Ready\n  Ready --> Running : spawn\n  Running --> [*]\n",
    "%% a comment; with :: and <T>\nflowchart TD\n  A --> B\n",
]


@pytest.mark.parametrize("trap", list(TRAPS))
def test_each_trap_fails_before_the_repair_and_parses_after(
    trap: str, checker: MermaidChecker
) -> None:
    broken = TRAPS[trap]
    repaired = repair_mermaid(broken)
    before, after = checker.check([broken, repaired])
    assert before is not None and "Parse error" in before
    assert after is None, f"{trap}: {repaired!r} still fails: {after}"
    assert repair_mermaid(repaired) == repaired  # idempotent


def test_diagrams_without_traps_come_back_unchanged(checker: MermaidChecker) -> None:
    assert checker.check(VALID) == [None] * len(VALID)
    assert [repair_mermaid(text) for text in VALID] == VALID


def test_repairs_keep_what_the_diagram_shows() -> None:
    subgraph = repair_mermaid(TRAPS["hyphens in a subgraph id"])
    assert 'subgraph src_cocowiki ["src--cocowiki"]' in subgraph
    assert "src_cocowiki --> C" in subgraph  # the edge follows the renamed subgraph
    assert 'subgraph core_io ["Core I/O"]' in repair_mermaid(
        TRAPS["hyphens in a labelled subgraph id"]
    )
    assert 'subgraph g ["run [main]"]' in repair_mermaid(TRAPS["brackets in a subgraph label"])
    assert "Kernel#58;#58;run" in repair_mermaid(TRAPS[":: in a state transition label"])
    assert "open(path)#59; read()" in repair_mermaid(TRAPS["a semicolon in a sequence message"])
    assert "class List~Generic~" in repair_mermaid(TRAPS["raw <Generic> in a class name"])
    node = repair_mermaid(TRAPS["raw <Generic> in a flowchart node"])
    assert 'A --> List_Generic["List#lt;Generic#gt;"]' in node


def test_the_prompt_names_every_trap() -> None:
    for words in ("subgraph ids", "[brackets]", "`::`", "`;`", "class List~T~", "#lt;"):
        assert words in MERMAID_TRAPS


HOSTILE = ["List<T>", "src--core", "Kernel::run", "run [main]", "open(); read()", 'say "hi"']


def test_the_deterministic_pages_diagrams_need_no_repair(checker: MermaidChecker) -> None:
    flow = Flowchart("TD")
    classes = ClassDiagram()
    for n, name in enumerate(HOSTILE):
        flow.group(f"g{n}", name)
        flow.node(name, name, group=f"g{n}")
        classes.type(name, name, "interface")
        classes.member(name, name, method=True)
    flow.edge(HOSTILE[0], HOSTILE[1], HOSTILE[2])
    classes.inherits(HOSTILE[0], HOSTILE[1])
    texts = [flow.render(), classes.render()]
    assert checker.check(texts) == [None, None]
    assert [repair_mermaid(text) for text in texts] == texts


FRAGMENTS = [
    "flowchart TD",
    "stateDiagram-v2",
    "sequenceDiagram",
    "classDiagram",
    "  subgraph a--b",
    "  subgraph g [x [y]]",
    '  subgraph g ["q"]',
    "  end",
    "  A --> B : k::v",
    "  A->>B: a; b",
    "  Note over A: x;y",
    "  class L<T>",
    "  L<T> <|-- M",
    "  A --> V<u8>",
    "  A[V<u8>] --> B",
    "  a--b --> C",
    "%% c; d::e",
]


@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12))
@settings(max_examples=300, deadline=None)
def test_repairing_twice_changes_nothing_more(lines: list[str]) -> None:
    once = repair_mermaid("\n".join(lines) + "\n")
    assert repair_mermaid(once) == once
