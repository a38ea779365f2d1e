"""The shape of real repositories' trees: no holder level, one page per suite, titles a
person would give; planned with the real indexer and planner."""

from __future__ import annotations

from pathlib import Path

from cocowiki.index import IndexConfig, index_repository
from cocowiki.plan import ROOT_ID, ModuleTree, PlanConfig, plan_modules

FINE = PlanConfig(min_tokens=0, max_tokens=400)


def write(repo: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    return repo


def plan(repo: Path, tmp_path: Path) -> ModuleTree:
    index = index_repository(repo, tmp_path / "out", IndexConfig(use_git=False))
    return plan_modules(index, FINE)


def assert_suites_are_single_pages(tree: ModuleTree) -> None:
    for module in tree:
        assert "+" not in module.title and "top level" not in module.title
        if module.kind != "code":
            assert module.children == ()
    assert len({module.title for module in tree}) == len(tree)


def test_a_rust_crate(tmp_path: Path) -> None:
    body = "pub struct {0};\nimpl {0} {{ pub fn new() -> Self {{ {0} }} }}\n" * 3
    repo = write(
        tmp_path / "repo",
        {
            "Cargo.toml": '[package]\nname = "mycrate"\nversion = "0.1.0"\n',
            "src/lib.rs": "pub mod runtime;\npub mod sync;\n",
            "src/runtime/mod.rs": body.format("Runtime"),
            "src/runtime/scheduler/mod.rs": body.format("Scheduler"),
            "src/sync/mod.rs": "use crate::runtime::Runtime;\n" + body.format("Mutex"),
            "src/sync/tests/loom_mutex.rs": "fn t() { let _ = crate::sync::Mutex::new(); }\n",
            "tests/it.rs": "use mycrate::sync::Mutex;\nfn t() { Mutex::new(); }\n",
            "benches/speed.rs": "fn bench() {}\n",
        },
    )
    tree = plan(repo, tmp_path)
    assert tree[ROOT_ID].title == "mycrate"
    top = {tree[child].title: tree[child] for child in tree[ROOT_ID].children}
    assert set(top) == {"runtime", "sync", "tests", "benchmarks"}
    assert top["tests"].kind == "tests" and top["benchmarks"].kind == "benchmarks"
    assert "src" not in tree.modules
    assert tree["src_runtime_scheduler"].title == "runtime::scheduler"
    sync_tests = tree["src_sync_tests"]
    assert sync_tests.kind == "tests" and sync_tests.parent == "src_sync"
    assert tree[ROOT_ID].files == ("src/lib.rs",)
    assert_suites_are_single_pages(tree)


def test_a_python_package_under_src(tmp_path: Path) -> None:
    repo = write(
        tmp_path / "repo",
        {
            "pyproject.toml": '[project]\nname = "mypkg"\n',
            "src/mypkg/__init__.py": '"""My package."""\n',
            "src/mypkg/core.py": "class Command:\n    pass\n" * 20,
            "src/mypkg/shell/__init__.py": "from ..core import Command\n" * 20,
            "tests/test_core.py": "from mypkg.core import Command\n",
            "tests/conftest.py": "",
            "examples/hello/hello.py": "import mypkg\n",
        },
    )
    tree = plan(repo, tmp_path)
    assert tree[ROOT_ID].title == "mypkg"
    assert "src/mypkg/core.py" in tree[ROOT_ID].files  # src/ and its lone package: no level
    titles = {tree[child].title: tree[child] for child in tree[ROOT_ID].children}
    assert set(titles) == {"mypkg.shell", "tests", "examples"}
    assert titles["examples"].files == ("examples/hello/hello.py",)
    assert_suites_are_single_pages(tree)


def test_go_test_files_join_their_top_modules_suite(tmp_path: Path) -> None:
    repo = write(
        tmp_path / "repo",
        {
            "go.mod": "module github.com/me/tool/v2\n",
            "cmd.go": "package tool\n\nfunc Run() {}\n" * 10,
            "cmd_test.go": "package tool\n\nfunc TestRun(t *T) { Run() }\n",
            "doc/man.go": "package doc\n\nfunc Man() {}\n" * 10,
            "doc/man_test.go": "package doc\n\nfunc TestMan(t *T) { Man() }\n",
        },
    )
    tree = plan(repo, tmp_path)
    assert tree[ROOT_ID].title == "tool"
    assert tree["tests"].files == ("cmd_test.go",) and tree["tests"].parent == ROOT_ID
    assert tree["doc_tests"].files == ("doc/man_test.go",)
    assert tree["doc_tests"].parent == "doc" and tree["doc_tests"].title == "doc tests"
    assert tree["doc"].files == ("doc/man.go",)
    assert_suites_are_single_pages(tree)
