"""``cw research validate-footprints ARTIFACT.json``: one research artifact's lookups run
again on today's tree."""

from __future__ import annotations

import json
from pathlib import Path

from verify_helpers import (
    MAIN_GUARD,
    Wiki,
    append,
    built_fixture,  # noqa: F401 (fixture)
    diagrams_fixture,  # noqa: F401 (fixture)
    validate,
    wiki_fixture,  # noqa: F401 (fixture)
)


def test_an_artifact_of_an_unchanged_tree_holds(wiki: Wiki) -> None:
    recorded = json.loads(wiki.research("shapes").read_text())
    total = sum(len(question["footprints"]) for question in recorded["questions"])
    run = validate(wiki.research("shapes"), wiki)
    assert run.status == 0, run.stdout
    assert run.stdout == f"shapes: all {total} footprints hold\n"


def test_a_changed_grep_target_fails_the_artifact_that_looked(wiki: Wiki) -> None:
    append(wiki.repo / "app.py", MAIN_GUARD)
    run = validate(wiki.research("overview"), wiki)
    assert run.status == 1
    lines = run.stdout.splitlines()
    grep = [line for line in lines if " grep " in line]
    assert len(grep) == 1
    assert grep[0].startswith("overview: footprint: question 'entry-points': grep '^if")
    assert grep[0].endswith("in 'app.py': 0 matches then, 1 now (app.py)")
    assert lines[-1].startswith("FAILED: ")
    summary = validate(wiki.research("overview"), wiki, as_json=True).json()
    assert summary["ok"] is False and summary["module"] == "overview"
    assert summary["footprints"]["failed"] == len(summary["failures"]) >= 1


def test_one_question_can_be_checked_alone(wiki: Wiki, tmp_path: Path) -> None:
    recorded = json.loads(wiki.research("shapes").read_text())
    question = next(q for q in recorded["questions"] if q["id"] == "api")
    path = tmp_path / "question.json"
    path.write_text(json.dumps(question))
    assert validate(path, wiki).status == 0
    append(wiki.repo / "app.py", "\n\ndef square(x: float) -> float:\n    return x\n")
    run = validate(path, wiki)
    assert run.status == 1
    assert "shapes: footprint: question 'api': symbol lookup 'square': 1 match then, 2 now" in (
        run.stdout.splitlines()
    )


def test_what_is_not_a_research_artifact_is_bad_input(wiki: Wiki, tmp_path: Path) -> None:
    sections = wiki.output / "artifacts" / "sections" / "shapes.json"
    run = validate(sections, wiki)
    assert run.status == 2
    assert "is not a research artifact" in run.stderr
    assert run.stderr.startswith("cw research validate-footprints: error: ")

    missing = validate(tmp_path / "missing.json", wiki)
    assert missing.status == 2
    assert f"no such artifact: {tmp_path / 'missing.json'}" in missing.stderr

    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert validate(garbage, wiki).status == 2
    assert "is not JSON" in validate(garbage, wiki, as_json=True).json()["error"]
