"""Mermaid the build emits parses, whatever the names in the code, and stays readable."""

from __future__ import annotations

from pathlib import Path

from build_helpers import (
    build,
    check_wiki,
    checker_fixture,  # noqa: F401 (the module's `checker` fixture)
    needs_mermaid,
    sections_of,
)

from cocowiki.index import IndexConfig
from cocowiki.mermaid import MermaidChecker
from cocowiki.pages import BuildConfig, ModuleNotebook
from cocowiki.pages.diagrams import ClassDiagram, Flowchart, label
from cocowiki.pages.figures import MAX_NODES
from cocowiki.pages.markdown import code, escape, link
from cocowiki.plan import Module, ModuleTree

pytestmark = needs_mermaid

HOSTILE = [
    "my-module",
    "a[b]",
    "std::vector<int>",
    "Map<K, V>",
    'say "hi"',
    "`ticks`",
    "C# #1;",
    "a; b",
    "end",
    "graph",
    "class",
    "subgraph",
    "x --> y",
    "(parens) {braces}",
    "ünïcödé ✓",
    "",
    "x" * 200,
]


def test_flowchart_with_hostile_names_parses(checker: MermaidChecker) -> None:
    chart = Flowchart("LR")
    groups = [chart.group(f"g-{i}", name) for i, name in enumerate(HOSTILE)]
    for i, name in enumerate(HOSTILE):
        chart.node(name, name, group=groups[i] if i % 2 else None, style="focus" if i else None)
    for i in range(1, len(HOSTILE)):
        chart.edge(HOSTILE[i - 1], HOSTILE[i], HOSTILE[i], dotted=bool(i % 3))
    assert checker.check([chart.render()]) == [None]


def test_class_diagram_with_hostile_names_parses(checker: MermaidChecker) -> None:
    diagram = ClassDiagram()
    for i, name in enumerate(HOSTILE):
        diagram.type(name, name, ["", "interface", "enum", "trait", "struct"][i % 5])
        diagram.member(name, "operator<<", method=True)
        diagram.member(name, "__init__", method=True, visibility="-")
        diagram.member(name, name, method=False, visibility="#")
    for i in range(1, len(HOSTILE)):
        diagram.inherits(HOSTILE[i], HOSTILE[i - 1], realizes=bool(i % 2))
    assert checker.check([diagram.render()]) == [None]


def test_labels_are_one_bounded_line() -> None:
    assert label("a\nb") == '"a b"'
    assert label('x"<y>`#') == '"x#quot;#lt;y#gt;#96;#35;"'
    assert len(label("x" * 500)) <= 62


def test_markdown_pieces() -> None:
    assert escape("a_b *c* <T> [x] | `keep_this`") == r"a\_b \*c\* \<T\> \[x\] \| `keep_this`"
    assert code("a`b") == "``a`b``"
    assert code("`x") == "`` `x ``"
    assert link("a[1]", "../x y.py#L1-L2") == r"[a\[1\]](<../x y.py#L1-L2>)"


def _big_repository(root: Path) -> Path:
    """40 small packages under ``pkgs/``, one big file of classes and calls in ``core/``."""
    repo = root / "big"
    for i in range(40):
        package = repo / "pkgs" / f"p{i:02d}"
        package.mkdir(parents=True)
        target = f"p{(i + 1) % 40:02d}"
        (package / "__init__.py").write_text(
            f'"""Package {i}."""\n\nfrom pkgs.{target} import f_{target}\n\n\n'
            f"def f_p{i:02d}() -> int:\n    return f_{target}()\n"
        )
    (repo / "pkgs" / "__init__.py").write_text('"""All packages."""\n')
    core = repo / "core"
    core.mkdir()
    lines = ['"""The core: many types and a long chain of calls."""', ""]
    for i in range(45):
        base = f"(T{i - 1})" if i else ""
        lines += [f"class T{i}{base}:", f'    """Type {i}."""', ""]
        lines += [f"    def m{j}(self) -> int:\n        return {j}\n" for j in range(8)]
    for i in range(60):
        body = f"    return g{i + 1}()" if i < 59 else "    return 0"
        lines += [f"def g{i}() -> int:", body, ""]
    (core / "__init__.py").write_text("\n".join(lines) + "\n")
    return repo


def _tree(repo: Path) -> ModuleTree:
    """A hand-made module tree: the root, ``core``, ``pkgs`` with 40 children."""
    packages = [f"p{i:02d}" for i in range(40)]
    modules = [
        Module("overview", "big", "", (), None, ("core", "pkgs")),
        Module("core", "core", "core", ("core/__init__.py",), "overview"),
        Module("pkgs", "pkgs", "pkgs", ("pkgs/__init__.py",), "overview", tuple(packages)),
    ]
    modules += [Module(p, p, f"pkgs/{p}", (f"pkgs/{p}/__init__.py",), "pkgs") for p in packages]
    return ModuleTree({module.id: module for module in modules})


def test_diagrams_are_bounded_and_parse(tmp_path: Path, checker: MermaidChecker) -> None:
    repo = _big_repository(tmp_path)
    output = tmp_path / "out"
    config = BuildConfig(index=IndexConfig(use_git=False))
    result = build(repo, output, checker, config, tree=_tree(repo))
    assert len(result.pages) == 43
    check_wiki(repo, output, checker)
    notebooks = {
        page: ModuleNotebook.model_validate_json(
            (output / "artifacts" / "notebooks" / f"{page}.json").read_text()
        )
        for page in ("core", "pkgs")
    }
    (classes,) = [d for d in notebooks["core"].diagrams if d.kind == "classes"]
    assert (classes.nodes, classes.omitted) == (20, 25)  # 45 types, the top 20 drawn
    (architecture,) = [d for d in notebooks["pkgs"].diagrams if d.kind == "architecture"]
    assert (architecture.nodes, architecture.omitted) == (MAX_NODES, 12)
    assert '["12 more modules"]' in architecture.source  # 40 children: 28 drawn
    for notebook in notebooks.values():
        assert all(diagram.nodes <= MAX_NODES for diagram in notebook.diagrams)
    calls = next(s for s in sections_of(output, "core") if s.id == "calls")
    assert "`g0` → `g1` → `g2` → `g3` → `g4` → `g5`" in calls.markdown
