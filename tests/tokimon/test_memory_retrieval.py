"""Staged retrieval over the in-memory store, components from cocowiki's index, and the
deterministic embedder."""

from __future__ import annotations

from pathlib import Path

from agent_fixtures import copy_repo

from tokimon.lessons import Lesson
from tokimon.memory import (
    ArtifactRecord,
    ComponentMap,
    HashingEmbedder,
    InMemoryStore,
    MemoryLesson,
    Retriever,
    StepQuery,
    cosine,
)

COMPONENTS = ComponentMap(
    modules={
        "app/parse.py": "app.parse",
        "app/render.py": "app.render",
        "app/store.py": "app.store",
        "tests/test_parse.py": "test_parse",
    },
    edges={
        "app.parse": frozenset({"test_parse", "app.render"}),
        "test_parse": frozenset({"app.parse"}),
        "app.render": frozenset({"app.parse", "app.store"}),
        "app.store": frozenset({"app.render"}),
    },
)


def lesson(
    n: int,
    text: str,
    components: tuple[str, ...] = (),
    *,
    tags: tuple[str, ...] = ("retry",),
    failure: str = "",
    harmful: bool = False,
) -> MemoryLesson:
    body = f"# Lesson: step s{n}, attempt 1\n\n{text}\n"
    record = Lesson(
        f"run-{n}-s-1", f"2026-01-01T00:00:{n:02d}Z", f"run-{n}", "s", 1, failure, "direct",
        list(tags), body,
    )  # fmt: skip
    return MemoryLesson(record, components, goal=f"goal {n}", harmful=harmful)


def store_with(*lessons: MemoryLesson, embedder: HashingEmbedder | None = None) -> InMemoryStore:
    store = InMemoryStore(embedder)
    store.promote(lessons, {})
    return store


def ids(retriever: Retriever, query: StepQuery) -> list[str]:
    return [hit.id for hit in retriever.retrieve(query).lessons]


def test_each_stage_widens_the_one_before() -> None:
    store = store_with(
        lesson(1, "tokeniser drops trailing commas", ("app.parse",), tags=("tokeniser",)),
        lesson(2, "unrelated words entirely", ("app.render",), failure="fs-render"),
        lesson(3, "odd story", ("app.store",), tags=("storage",)),
        lesson(4, "nothing in common", (), failure="fs-render"),
        lesson(5, "harmful advice about the tokeniser", ("app.parse",), harmful=True),
    )
    retriever = Retriever(store, COMPONENTS)
    query = StepQuery("fix app/parse.py", "fix", "the tokeniser in app.parse", stage=1)

    first = retriever.retrieve(query)
    assert first.components == ("app.parse",) and first.adjacent == ()
    assert [h.id for h in first.lessons] == ["run-1-s-1"]
    assert any("component" in r for r in first.lessons[0].reasons)
    # stage 2: adjacent components (app.render) and their failure signature's kin
    second = ids(retriever, StepQuery(query.goal, "fix", query.text, stage=2))
    assert second[0] == "run-1-s-1" and "run-2-s-1" in second
    assert "run-3-s-1" not in second and "run-4-s-1" not in second
    # stage 3: two references away (app.store) and lessons sharing a failure with stage
    # 2's (fs-render), across tasks
    third = ids(retriever, StepQuery(query.goal, "fix", query.text, stage=3))
    assert {"run-1-s-1", "run-2-s-1", "run-3-s-1", "run-4-s-1"} <= set(third)
    assert "run-5-s-1" not in third + second  # harmful: never retrieved
    fields = retriever.retrieve(query).trace_fields()
    assert fields["stage"] == 1 and fields["hits"][0]["id"] == "run-1-s-1"
    assert "tokeniser" in fields["query"] and fields["ms"] >= 0


def test_the_step_failures_find_lessons_of_the_same_failure_at_stage_2() -> None:
    store = store_with(lesson(1, "flaky network in CI", failure="fs-net"))
    retriever = Retriever(store)
    query = StepQuery("deploy", "ship", "push the release", stage=2, failures=("fs-net",))
    assert ids(retriever, query) == ["run-1-s-1"]
    assert ids(retriever, StepQuery("deploy", "ship", "push the release", stage=1)) == []


def test_key_artifacts_are_the_last_changes_of_the_step_files() -> None:
    store = store_with()
    record = ArtifactRecord(
        "app/parse.py", "abc", "run-9", "fix", 2, "SUCCEEDED", "2026-01-02T00:00:00Z", "why"
    )
    older = ArtifactRecord(
        "app/parse.py", "abb", "run-8", "fix", 1, "FAILED", "2026-01-01T00:00:00Z", "older"
    )
    store.promote([], {"run-9": [record], "run-8": [older]})
    retrieval = Retriever(store, COMPONENTS).retrieve(StepQuery("g", "s", "edit app/parse.py"))
    [hit] = [h for h in retrieval.hits if h.kind == "artifact"]
    assert hit.id == "app/parse.py" and "run run-9" in hit.excerpt
    with store.reading() as index:
        assert [r.run_id for r in index.history("app/parse.py")] == ["run-9", "run-8"]
    section = retrieval.brief_section()
    assert section is not None and "File app/parse.py: last changed by run run-9" in section


def test_the_hashing_embedder_is_deterministic_and_adds_semantic_scores() -> None:
    embedder = HashingEmbedder(32)
    [a, b] = embedder.embed(["parse dates", "parse dates"])
    assert a == b and abs(sum(v * v for v in a) - 1.0) < 1e-9
    [c] = embedder.embed(["render widgets"])
    assert cosine(a, a) > 0.99 and cosine(a, c) < cosine(a, a)
    store = store_with(lesson(1, "parsing dated strings"), embedder=embedder)
    query = StepQuery("dates", "s", "parse dates", stage=3)
    [hit] = Retriever(store, embedder=embedder).retrieve(query).lessons
    assert any(reason.startswith("semantic") for reason in hit.reasons)


def test_components_come_from_cocowiki_index_incrementally(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    workspace = repo / ".tokimon"
    (workspace / "runs").mkdir(parents=True)
    (workspace / "runs" / "noise.py").write_text("import dates\n")
    output = ComponentMap.output_for(workspace / "memory", repo)
    first = ComponentMap.build(repo, output, workspace)
    assert first.modules == {"dates.py": "dates", "tests/test_dates.py": "test_dates"}
    assert first.adjacent(["dates"]) == ["test_dates"] and first.stats["parsed"] == 2
    again = ComponentMap.build(repo, output, workspace)
    assert again.stats["parsed"] == 0 and again.stats["written"] is False
    (repo / "calendar_util.py").write_text("from dates import parse\n")
    third = ComponentMap.build(repo, output, workspace)
    assert third.stats["parsed"] == 1 and "calendar_util" in third.adjacent(["dates"])
    named = third.files_in(["Fix dates.parse so tests/test_dates.py passes", "x@1"])
    assert named == ["dates.py", "tests/test_dates.py"]
