"""``cw verify`` on a real built wiki: it passes as built, and each way the tree or the
pages can drift is reported as a failure naming the page and the place."""

from __future__ import annotations

import io
from pathlib import Path

from build_helpers import file_times, needs_mermaid
from verify_helpers import (
    MAIN_GUARD,
    Wiki,
    append,
    built_fixture,  # noqa: F401 (fixture)
    diagrams_fixture,  # noqa: F401 (fixture)
    failures,
    verify,
    wiki_fixture,  # noqa: F401 (fixture)
)

from cocowiki.pages.verification import DiagramChecker
from cocowiki.verify.command import run_verify_command


class _Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr is when a person runs ``cw``."""

    def isatty(self) -> bool:
        return True


@needs_mermaid
def test_a_wiki_as_built_verifies(wiki: Wiki, diagrams: DiagramChecker | None) -> None:
    run = verify(wiki, diagrams)
    assert run.status == 0, run.stdout
    summary = run.json()
    assert summary["ok"] is True
    assert summary["failures"] == [] and summary["pages_failed"] == []
    checks = summary["checks"]
    assert checks["page"] == {"checked": 2, "failed": 0}
    for kind in ("citation", "link", "diagram", "footprint"):
        assert checks[kind]["checked"] > 0 and checks[kind]["failed"] == 0, kind


@needs_mermaid
def test_the_report_lists_what_was_checked_and_the_verdict(
    wiki: Wiki, diagrams: DiagramChecker | None
) -> None:
    run = verify(wiki, diagrams, as_json=False)
    assert run.status == 0
    checked, verdict = run.stdout.splitlines()
    assert checked.startswith("checked 2 pages, ") and "diagrams" in checked
    assert verdict.startswith("verified: every check holds")


def test_an_edited_cited_line_fails_its_citation(
    wiki: Wiki, diagrams: DiagramChecker | None
) -> None:
    circle = wiki.repo / "shapes" / "circle.py"
    circle.write_text(circle.read_text().replace('"""Circles."""', '"""Round shapes."""'))
    run = verify(wiki, diagrams, as_json=False)
    assert run.status == 1
    lines = run.stdout.splitlines()
    assert "shapes: citation: the cited lines changed (shapes/circle.py:1-1)" in lines
    assert (
        "shapes: footprint: question 'purpose': read: the lines read changed "
        "(shapes/circle.py:1-1)" in lines
    )
    assert lines[-1].startswith("FAILED: ")
    unrelated = [line for line in lines if ": citation: " in line and "circle.py" not in line]
    assert unrelated == []


def test_a_deleted_cited_file_fails_every_citation_of_it(
    wiki: Wiki, diagrams: DiagramChecker | None
) -> None:
    (wiki.repo / "shapes" / "circle.py").unlink()
    run = verify(wiki, diagrams)
    assert run.status == 1
    cited = failures(run, "citation")
    assert cited and {f["page"] for f in cited} >= {"shapes"}
    for failure in cited:
        assert failure["where"].startswith("shapes/circle.py:"), failure
        assert failure["detail"] == "no such file"
    read = [f for f in failures(run, "footprint") if f["where"] == "shapes/circle.py:1-1"]
    assert [f["detail"] for f in read] == [
        "question 'purpose': read: unreadable: shapes/circle.py: no such file"
    ]


def test_a_changed_grep_target_fails_the_footprint(
    wiki: Wiki, diagrams: DiagramChecker | None
) -> None:
    append(wiki.repo / "app.py", MAIN_GUARD)
    run = verify(wiki, diagrams)
    assert run.status == 1
    assert failures(run, "citation") == []  # the lines cited before are as they were
    grep = [f for f in failures(run, "footprint") if " grep " in f["detail"]]
    assert len(grep) == 1
    assert grep[0]["page"] == "overview" and grep[0]["where"] == "app.py"
    assert grep[0]["detail"].startswith("question 'entry-points': grep '^if")
    assert grep[0]["detail"].endswith("in 'app.py': 0 matches then, 1 now")


def test_a_new_symbol_of_a_looked_up_name_fails_the_lookup(
    wiki: Wiki, diagrams: DiagramChecker | None
) -> None:
    """Symbol lookups replay on the index of the tree as it is now, not as it was built."""
    append(wiki.repo / "app.py", "\n\ndef square(x: float) -> float:\n    return x\n")
    run = verify(wiki, diagrams)
    assert run.status == 1
    found = {(f["page"], f["detail"]) for f in failures(run, "footprint")}
    assert ("shapes", "question 'api': symbol lookup 'square': 1 match then, 2 now") in found


def test_verify_writes_nothing_into_the_wiki(wiki: Wiki, diagrams: DiagramChecker | None) -> None:
    append(wiki.repo / "app.py", "\n\ndef square(x: float) -> float:\n    return x\n")
    before = file_times(wiki.output)
    assert verify(wiki, diagrams).status == 1
    assert file_times(wiki.output) == before


@needs_mermaid
def test_a_corrupt_mermaid_block_fails_with_its_page_lines(
    wiki: Wiki, diagrams: DiagramChecker | None
) -> None:
    page = wiki.page("shapes")
    text = page.read_text()
    fence = "```mermaid\nflowchart LR\n"
    assert fence in text
    page.write_text(text.replace(fence, fence + "    broken[[ -->\n", 1))
    lines = page.read_text().splitlines()
    start = lines.index("```mermaid") + 1
    end = lines.index("```", start) + 1
    run = verify(wiki, diagrams)
    assert run.status == 1
    [failure] = failures(run, "diagram")
    assert failure["page"] == "shapes"
    assert failure["detail"].startswith("does not parse: ")
    assert failure["where"] == f"pages/shapes.md:{start}-{end}"
    assert run.json()["checks"]["diagram"]["failed"] == 1


def test_broken_internal_links_fail_with_their_line(
    wiki: Wiki, diagrams: DiagramChecker | None
) -> None:
    page = wiki.page("shapes")
    text = page.read_text().replace("[repo](overview.md)", "[repo](gone.md)", 1)
    links = (
        "See [the purpose](#purpose), [nowhere](#no-such-heading), "
        "[a heading](overview.md#no-such-heading), [the app](../../repo/app.py), "
        "[a lost file](../../repo/lost.py), [outside](../../../outside.txt) "
        "and [the web](https://example.org/x.md)."
    )
    page.write_text(text + "\n" + links + "\n")
    lines = page.read_text().splitlines()
    broken = lines.index(next(line for line in lines if "[repo](gone.md)" in line)) + 1
    added = lines.index(links) + 1
    run = verify(wiki, diagrams)
    assert run.status == 1
    found = {(f["page"], f["detail"], f["where"]) for f in failures(run, "link")}
    assert found == {
        ("shapes", "no such page in the wiki: gone.md", f"pages/shapes.md:{broken}"),
        (
            "shapes",
            "no heading has this anchor on the page: #no-such-heading",
            f"pages/shapes.md:{added}",
        ),
        (
            "shapes",
            "no heading of that page has this anchor: overview.md#no-such-heading",
            f"pages/shapes.md:{added}",
        ),
        ("shapes", "no such file: ../../repo/lost.py", f"pages/shapes.md:{added}"),
        ("shapes", "leads out of the repository: ../../../outside.txt", f"pages/shapes.md:{added}"),
    }


def test_a_missing_artifact_fails_its_page(wiki: Wiki, diagrams: DiagramChecker | None) -> None:
    (wiki.output / "artifacts" / "sections" / "shapes.json").unlink()
    run = verify(wiki, diagrams)
    assert run.status == 1
    [failure] = failures(run, "page")
    assert failure["page"] == "shapes"
    assert failure["detail"].startswith("artifacts/sections/shapes.json cannot be read")
    unrecorded = failures(run, "citation")
    assert unrecorded, "the page's citation links have no recorded digest left"
    assert all(f["detail"].startswith("not recorded by the build") for f in unrecorded)


def test_without_a_wiki_verify_says_to_build_first(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    nothing = Wiki(repo, tmp_path / "out")
    run = verify(nothing, None, as_json=False)
    assert run.status == 2
    assert run.stdout == ""
    assert run.stderr == f"cw verify: error: no wiki in {tmp_path / 'out'}: run `cw build` first\n"
    as_json = verify(nothing, None)
    assert as_json.status == 2
    assert "run `cw build` first" in as_json.json()["error"]


def test_a_manifest_that_is_not_ours_is_bad_input(wiki: Wiki) -> None:
    manifest = wiki.output / "manifest.json"
    manifest.write_text("{not json")
    run = verify(wiki, None, as_json=False)
    assert run.status == 2
    assert run.stderr == (
        f"cw verify: error: {manifest} is not a cocowiki manifest; run `cw build` again\n"
    )


def test_a_repository_that_is_not_there_is_bad_input(built: Wiki, tmp_path: Path) -> None:
    run = verify(Wiki(tmp_path / "nowhere", built.output), None, as_json=False)
    assert run.status == 2
    assert run.stderr.startswith("cw verify: error: repository path does not exist")


def test_a_terminal_gets_a_progress_bar_and_the_report_stays_plain(
    wiki: Wiki, diagrams: DiagramChecker | None
) -> None:
    out, err = io.StringIO(), _Terminal()
    run_verify_command(wiki.repo, wiki.output, diagram_checker=diagrams, stdout=out, stderr=err)
    assert "footprints" in err.getvalue() and "evidence" in err.getvalue()
    assert "\x1b" not in out.getvalue()
    assert out.getvalue().splitlines()[-2].startswith("checked 2 pages, ")
