"""The module tree on synthetic indexes: shape, bounds, communities, ids, determinism."""

from __future__ import annotations

import os
import pickle
import random
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from cocowiki.index import IndexResult, Reference, ReferenceKind, SourceFile
from cocowiki.index.store import catalog_path, edge_weights, read_edge_weights, write_catalog
from cocowiki.plan import (
    ROOT_ID,
    ModuleTree,
    PlanConfig,
    estimate_tokens,
    plan_modules,
    plan_with_report,
)

SMALL = PlanConfig(min_tokens=100, max_tokens=1_000)
Edge = tuple[str, str, int]


def make_index(sizes: dict[str, int], edges: Sequence[Edge] = ()) -> IndexResult:
    """An index of files with the given sizes (bytes) and resolved file-to-file references."""
    files = [
        SourceFile(path, "python", size, f"digest-{path}", max(1, size // 40), path)
        for path, size in sizes.items()
    ]
    references = [
        Reference(
            kind=ReferenceKind.CALL,
            source_id=f"{source}#f",
            target_name="g",
            path=source,
            line=1,
            count=count,
            target_id=f"{target}#g",
            target_path=target,
            confidence=0.8,
        )
        for source, target, count in edges
    ]
    return IndexResult(repo="/repos/demo", files=files, references=references)


def synthetic_index(seed: int = 7) -> IndexResult:
    """A repository of nested packages, big flat directories and clustered references."""
    rng = random.Random(seed)
    sizes: dict[str, int] = {"setup.py": 300}
    for package in ("core", "net", "util"):
        for index in range(rng.randint(3, 12)):
            sizes[f"src/{package}/m{index}.py"] = rng.randint(100, 1_500)
    for index in range(40):
        sizes[f"src/big/f{index:02}.py"] = rng.randint(200, 700)
    sizes["src/big/huge.py"] = 9_000
    sizes["src/tiny/a.py"] = 50
    sizes["deep/only/chain/x.py"] = 2_000
    sizes["deep/only/chain/y.py"] = 2_000
    paths = sorted(sizes)
    edges = [(rng.choice(paths), rng.choice(paths), rng.randint(1, 5)) for _ in range(150)]
    edges += [(f"src/big/f{i:02}.py", f"src/big/f{(i + 1) % 10:02}.py", 9) for i in range(10)]
    return make_index(sizes, edges)


def tokens_of(sizes: dict[str, int], files: tuple[str, ...]) -> int:
    return sum(estimate_tokens(sizes[path]) for path in files)


def subtree_files(tree: ModuleTree, module_id: str) -> list[str]:
    module = tree[module_id]
    return [*module.files, *(f for child in module.children for f in subtree_files(tree, child))]


def test_every_file_is_on_exactly_one_page() -> None:
    index = synthetic_index()
    tree = plan_modules(index, SMALL)
    placed = [path for module in tree for path in module.files]
    assert sorted(placed) == sorted(source.path for source in index.files)
    assert len(placed) == len(set(placed))
    assert tree.module_of_file()["src/big/huge.py"] in tree.modules


def test_tree_links_and_build_order() -> None:
    tree = plan_modules(synthetic_index(), SMALL)
    assert tree.root == ROOT_ID
    assert tree[ROOT_ID].parent is None
    for module in tree:
        for child in module.children:
            assert tree[child].parent == module.id
    order = [module.id for module in tree.build_order()]
    assert order[-1] == ROOT_ID
    assert sorted(order) == sorted(tree.modules)
    position = {module_id: n for n, module_id in enumerate(order)}
    for module in tree:
        assert all(position[child] < position[module.id] for child in module.children)


def test_pages_respect_the_token_bounds() -> None:
    index = synthetic_index()
    sizes = {source.path: source.size for source in index.files}
    tree, report = plan_with_report(index, SMALL)
    for module in tree:
        assert module.tokens == tokens_of(sizes, module.files)
        if len(module.files) > 1:
            assert module.tokens <= SMALL.max_tokens, module
    huge = tree[tree.module_of_file()["src/big/huge.py"]]
    assert huge.files == ("src/big/huge.py",)
    assert huge.path == "src/big/huge.py"
    assert report.split >= 1 and report.parts >= 2 and report.merged >= 1
    # a directory too small for a page is on its parent's page
    assert "src/tiny/a.py" in tree[tree.module_of_file()["src/tiny/a.py"]].files
    assert tree.module_of_file()["src/tiny/a.py"] == ROOT_ID  # src/ only holds the code


def test_small_directories_merge_into_their_parent() -> None:
    sizes = {"setup.py": 800, "core/a.py": 2_000, "core/small/b.py": 100, "core/large/c.py": 2_000}
    tree, report = plan_with_report(make_index(sizes), SMALL)
    assert tree["core"].files == ("core/a.py", "core/small/b.py")
    assert tree["core"].children == ("core_large",)
    assert "core_small" not in tree.modules
    assert report.merged == 1


def test_a_small_repository_is_one_overview_page() -> None:
    tree = plan_modules(make_index({"a.py": 100, "lib/b.py": 200}))
    assert list(tree.modules) == [ROOT_ID]
    assert tree[ROOT_ID].files == ("a.py", "lib/b.py")
    assert tree.depth() == 0


def test_chains_of_single_directories_collapse() -> None:
    sizes = {
        "setup.py": 1_000,
        "deep/only/chain/x.py": 1_000,
        "deep/only/chain/shapes/Circle.py": 1_000,
        "deep/only/chain/shapes/Square.py": 1_000,
    }
    tree = plan_modules(make_index(sizes), SMALL)
    chain = tree["deep_only_chain"]
    assert chain.title == "deep/only/chain"
    assert chain.parent == ROOT_ID
    assert chain.children == ("deep_only_chain_shapes",)
    assert tree["deep_only_chain_shapes"].title == "deep/only/chain/shapes"
    assert set(tree.modules) == {ROOT_ID, chain.id, "deep_only_chain_shapes"}


def test_a_holder_chain_is_no_level_of_its_own() -> None:
    sizes = {
        "src/main/java/com/example/App.java": 1_000,
        "src/main/java/com/example/shapes/Circle.java": 1_000,
        "src/main/java/com/example/shapes/Square.java": 1_000,
    }
    tree = plan_modules(make_index(sizes), SMALL)
    assert tree[ROOT_ID].files == ("src/main/java/com/example/App.java",)
    assert tree[ROOT_ID].children == ("src_main_java_com_example_shapes",)


def test_a_file_named_like_a_sibling_directory_starts_on_its_page() -> None:
    sizes = {"src/lib.rs": 400, "src/net.rs": 400, "src/net/tcp.rs": 800, "src/io.rs": 800}
    tree = plan_modules(make_index(sizes), SMALL)
    assert tree["src_net"].files == ("src/net.rs", "src/net/tcp.rs")
    assert tree[ROOT_ID].files == ("src/io.rs", "src/lib.rs")


def test_split_keeps_tightly_coupled_files_together() -> None:
    left = [f"core/left{i}.py" for i in range(6)]
    right = [f"core/right{i}.py" for i in range(6)]
    # interleave the names so that path order alone would mix the clusters
    sizes = {path: 1_000 for path in left + right} | {"setup.py": 1_000}
    edges: list[Edge] = []
    for cluster in (left, right):
        edges += [(a, b, 5) for a in cluster for b in cluster if a < b]
    edges.append((left[0], right[0], 1))
    config = PlanConfig(min_tokens=100, max_tokens=2_000)
    tree, report = plan_with_report(make_index(sizes, edges), config)
    parts = [tree[child] for child in tree["core"].children]
    assert report.split == 1
    assert sorted(part.files for part in parts) == [tuple(sorted(left)), tuple(sorted(right))]
    assert tree["core"].files == ()
    # no components declared: named after the largest files, never "+N more"
    assert [part.title for part in parts] == ["left0 and left1", "right0 and right1"]
    assert [part.id for part in parts] == ["core_left0", "core_right0"]


def test_a_split_uses_few_pages_for_loosely_coupled_files() -> None:
    sizes = {f"flat/f{i:02}.py": 400 for i in range(30)}  # 3,000 tokens, no references
    sizes["setup.py"] = 1_000
    tree = plan_modules(make_index(sizes), SMALL)
    parts = [tree[child] for child in tree["flat"].children]
    assert 3 <= len(parts) <= 4
    assert all(part.tokens <= SMALL.max_tokens for part in parts)
    # without references, neighbours in path order share a page
    assert all(list(part.files) == sorted(part.files) for part in parts)
    assert [path for part in parts for path in part.files] == sorted(sizes)[:-1]


def test_ids_derive_from_paths_and_are_unique() -> None:
    sizes = {
        "Tokio/Runtime/Scheduler/Multi-Thread/worker.rs": 4_000,
        "Tokio/Runtime/Scheduler/Multi-Thread/queue.rs": 4_000,
        "Tokio/Runtime/Scheduler/current.rs": 4_000,
        "a-b/x.py": 4_000,
        "a_b/y.py": 4_000,
        "overview/z.py": 4_000,
    }
    tree = plan_modules(make_index(sizes), PlanConfig(min_tokens=100, max_tokens=10_000))
    assert "tokio_runtime_scheduler_multi_thread" in tree.modules
    assert tree["a_b"].path == "a-b" and tree["a_b_2"].path == "a_b"
    assert tree["overview_2"].path == "overview"
    assert tree[ROOT_ID].title == "demo"


def test_ids_stay_when_an_unrelated_file_is_added() -> None:
    index = synthetic_index()
    before = plan_modules(index, SMALL)
    extra = SourceFile("docs/examples/demo.py", "python", 3_000, "d", 70, "demo")
    after = plan_modules(
        IndexResult(repo=index.repo, files=[*index.files, extra], references=index.references),
        SMALL,
    )
    assert after.module_of_file()["docs/examples/demo.py"] not in before.modules
    for module in before:
        if module.id != ROOT_ID:
            assert after[module.id].files == module.files


def test_empty_repository_is_a_root_page_without_files() -> None:
    tree, report = plan_with_report(IndexResult(repo="/repos/empty"))
    assert list(tree.modules) == [ROOT_ID]
    assert tree[ROOT_ID].files == () and tree[ROOT_ID].children == ()
    assert report.merged == report.split == 0
    assert ModuleTree.from_json(tree.to_json()).dumps() == tree.dumps()


def test_same_index_same_bytes_whatever_the_input_order() -> None:
    index = synthetic_index()
    first = plan_modules(index, SMALL).dumps()
    assert plan_modules(index, SMALL).dumps() == first
    rng = random.Random(3)
    files, references = list(index.files), list(index.references)
    rng.shuffle(files)
    rng.shuffle(references)
    shuffled = IndexResult(repo=index.repo, files=files, references=references)
    assert plan_modules(shuffled, SMALL).dumps() == first


def test_same_bytes_under_any_hash_seed(tmp_path: Path) -> None:
    pickled = tmp_path / "index.pickle"
    pickled.write_bytes(pickle.dumps(synthetic_index()))
    script = (
        "import pickle, sys\n"
        "from cocowiki.plan import PlanConfig, plan_modules\n"
        "index = pickle.loads(open(sys.argv[1], 'rb').read())\n"
        "config = PlanConfig(min_tokens=100, max_tokens=1000)\n"
        "sys.stdout.write(plan_modules(index, config).dumps())\n"
    )
    outputs = set()
    for seed in ("0", "1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", script, str(pickled)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        outputs.add(proc.stdout)
    assert outputs == {plan_modules(synthetic_index(), SMALL).dumps()}


@pytest.mark.parametrize(("min_tokens", "max_tokens"), [(-1, 10), (10, 10), (20, 10), (0, 0)])
def test_bad_bounds_are_refused(min_tokens: int, max_tokens: int) -> None:
    with pytest.raises(ValueError, match="tokens"):
        PlanConfig(min_tokens=min_tokens, max_tokens=max_tokens)


def test_modules_named_alike_are_titled_by_their_paths() -> None:
    sizes = {f"x/{top}/util/m{i}.py": 800 for top in ("src", "lib") for i in range(3)}
    sizes |= {"x/src/a.py": 800, "x/lib/b.py": 800, "setup.py": 800, "y/c.py": 800}
    tree = plan_modules(make_index(sizes), SMALL)
    titles = {module.path: module.title for module in tree}
    assert titles["x/src/util"] == "x/util (x/src/util)"
    assert titles["x/lib/util"] == "x/util (x/lib/util)"
    assert len({module.title for module in tree}) == len(tree)


def test_a_plan_from_the_catalogs_weights_is_the_plan_from_the_references(
    tmp_path: Path,
) -> None:
    """A build plans a lazy index from the catalog's weights between files
    (``file_edges``), not its references: the same tree, split modules included."""
    index = synthetic_index()
    out = tmp_path / "out"
    out.mkdir()
    write_catalog(out, index, {}, "fingerprint", "test")
    weights = read_edge_weights(catalog_path(out))
    assert weights == edge_weights(index.references)
    tree, report = plan_with_report(index, SMALL, weights)
    assert report.split > 0
    assert tree.dumps() == plan_modules(index, SMALL).dumps()
