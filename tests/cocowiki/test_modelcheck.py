"""The checks a model page passes before it is published, on a real repository in
tmp_path and the real mermaid parser; and its citations linked as the viewer reads them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from build_helpers import checker_fixture, needs_mermaid

from cocowiki.mermaid import MermaidChecker, MermaidUnavailable
from cocowiki.pages.modelcheck import PageProblem, check_model_page, problems_for_model
from cocowiki.pages.modelcites import link_citations, source_lines_link
from cocowiki.pages.sources import SourceReader, span_digest
from cocowiki.viewer.markdown import LinkContext, render_page

checker = checker_fixture

KERNEL = '''"""The kernel."""

class Kernel:
    def run(self, task):
        return task()

def spawn(kernel, task):
    return kernel.run(task)
'''

GOOD = """# Kernel

The `Kernel` class runs one task at a time (`src/kernel.py:3-5`). Its `run()` method
calls the task directly, and `spawn` hands a task to it (`src/kernel.py:7-8`).

*How a task runs:*

```mermaid
sequenceDiagram
  Caller->>Kernel: spawn(task)
  Kernel-->>Caller: result
```

- [Scheduler](scheduler.md)
- [Tasks](tasks.md): what a task is

1. Call `spawn` with a task and the kernel it runs on;
   see [src/kernel.py:7-8](../src/kernel.py#L7-L8).

<!-- cw:keep -->
We never run two kernels in one process: they would share the task queue.
<!-- cw:end -->

```python
print("src/missing.py:1-2 in code is not a citation")
```
"""

PAGES = {"kernel", "scheduler", "tasks"}


@pytest.fixture(name="repo")
def repo_fixture(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "kernel.py").write_text(KERNEL)
    (tmp_path / "secret.py").write_text("x = 1\n")
    return repo


def check(page: str, repo: Path, checker: MermaidChecker) -> list[PageProblem]:
    return check_model_page(
        page, reader=SourceReader(repo), page_ids=PAGES, diagram_checker=checker.check
    )


@needs_mermaid
def test_a_good_page_has_no_problems(repo: Path, checker: MermaidChecker) -> None:
    assert check(GOOD, repo, checker) == []


@needs_mermaid
def test_citations_that_do_not_resolve_are_reported_with_the_reason(
    repo: Path, checker: MermaidChecker
) -> None:
    page = "\n".join(
        [
            "# Kernel (`src/kernel.py:90`)",
            "",
            "Tasks run here (`src/missing.py:1-2`), there (`src/kernel.py:7-80`),",
            "and nowhere (`../secret.py:1`, `src/kernel.py:5-3`).",
        ]
    )
    problems = check(page, repo, checker)
    assert [(p.kind, p.line) for p in problems] == [("citation", 1)] + [("citation", 3)] * 2 + [
        ("citation", 4)
    ] * 2
    messages = [p.message for p in problems][1:]
    assert messages[0] == "`src/missing.py:1-2`: no such file"
    assert messages[1] == "`src/kernel.py:7-80`: the file has 8 lines"
    assert messages[2] == "`../secret.py:1`: not a path inside the repository"
    assert "not a line range" in messages[3]


@needs_mermaid
def test_an_identifier_a_sentence_names_must_be_in_the_lines_it_cites(
    repo: Path, checker: MermaidChecker
) -> None:
    page = (
        "# Kernel\n\nThe `Kernel.run()` method is defined here (`src/kernel.py:1-2`). "
        "The `spawn` function lives below it (`src/kernel.py:7-8`).\n"
    )
    problems = check(page, repo, checker)
    assert len(problems) == 1
    assert problems[0].kind == "citation" and problems[0].line == 3
    assert problems[0].message.startswith(
        "`Kernel.run()` is named but not in the cited lines `src/kernel.py:1-2`"
    )


@needs_mermaid
def test_prose_without_citations_is_reported_but_captions_links_and_kept_blocks_are_not(
    repo: Path, checker: MermaidChecker
) -> None:
    page = GOOD + "\nThe kernel is fast because it never takes a lock.\n"
    page += "\n<!-- cw:keep -->\nOur note cites a file that went away (`src/old.py:1-2`).\n"
    page += "<!-- cw:end -->\n"
    problems = check(page, repo, checker)
    lines = page.split("\n")
    uncited = [p for p in problems if "cites no source" in p.message]
    assert [lines[p.line - 1] for p in uncited if p.line] == [
        "The kernel is fast because it never takes a lock."
    ]
    # a kept block needs no citation, but the ones it has are checked
    assert any(p.message == "`src/old.py:1-2`: no such file" for p in problems)


@needs_mermaid
def test_a_diagram_that_does_not_parse_reports_the_parser_message_at_its_page_line(
    repo: Path, checker: MermaidChecker
) -> None:
    page = GOOD.replace("Caller->>Kernel: spawn(task)", "Caller->>Kernel: spawn(a); run(b)")
    problems = [p for p in check(page, repo, checker) if p.kind == "diagram"]
    assert len(problems) == 1
    assert problems[0].message.startswith("diagram 1 does not parse: Parse error on line 2")
    assert page.split("\n")[problems[0].line - 1 if problems[0].line else 0] == (
        "  Caller->>Kernel: spawn(a); run(b)"
    )


def test_diagrams_that_cannot_be_checked_are_problems_not_passes(repo: Path) -> None:
    def unavailable(texts: object) -> list[str | None]:
        raise MermaidUnavailable("node is not installed")

    problems = check_model_page(
        GOOD, reader=SourceReader(repo), page_ids=PAGES, diagram_checker=unavailable
    )
    [message] = [p.message for p in problems if p.kind == "diagram"]
    assert message.startswith("diagram 1 could not be checked: node is not installed")


@needs_mermaid
def test_links_must_name_pages_of_the_wiki(repo: Path, checker: MermaidChecker) -> None:
    page = (
        "# Kernel\n\nSee [the scheduler](schedular.md), [tasks](../pages/tasks.md), "
        "[the code](../src/kernel.py) and [the site](https://example.org) (`src/kernel.py:1`).\n"
    )
    problems = check(page, repo, checker)
    assert [(p.kind, p.line) for p in problems] == [("link", 3)] * 3
    assert problems[0].message == (
        "link to `schedular.md`: there is no page `schedular` (did you mean `scheduler.md`?)"
    )
    assert "as `tasks.md`" in problems[1].message
    assert "cite code as `path:start-end`" in problems[2].message


@needs_mermaid
def test_unbalanced_markers_are_problems(repo: Path, checker: MermaidChecker) -> None:
    page = GOOD + "\n<!-- cw:keep -->\nunfinished (`src/kernel.py:1`)\n"
    assert [p.kind for p in check(page, repo, checker)] == ["marker"]


def test_the_message_to_the_model_groups_the_exact_errors() -> None:
    problems = [
        PageProblem("link", "link to `x.md`: there is no page `x`", 9),
        PageProblem("citation", "`a.py:1-2`: no such file", 3),
        PageProblem("diagram", "diagram 1 does not parse: Parse error on line 2:\n--^", 12),
    ]
    assert problems_for_model(problems) == "\n".join(
        [
            "The page has 3 problems. Fix each one and answer with the whole corrected page "
            "(Markdown only).",
            "",
            "Citations:",
            "- line 3: `a.py:1-2`: no such file",
            "",
            "Diagrams:",
            "- line 12: diagram 1 does not parse: Parse error on line 2:",
            "    --^",
            "",
            "Links:",
            "- line 9: link to `x.md`: there is no page `x`",
        ]
    )


@needs_mermaid
def test_linked_citations_carry_digests_pass_the_checks_and_read_as_citations_in_the_viewer(
    repo: Path, checker: MermaidChecker
) -> None:
    output = repo.parent / "wiki"
    reader = SourceReader(repo)
    to_file = source_lines_link(
        lambda path: Path(os.path.relpath(repo / path, output / "pages")).as_posix()
    )
    page = GOOD + "\nAlso (`src/kernel.py:4, src/nope.py:1`).\n"
    linked = link_citations(page, reader, to_file)
    assert "[src/kernel.py:3-5](../../repo/src/kernel.py#L3-L5)" in linked.markdown
    assert "[src/kernel.py:4](../../repo/src/kernel.py#L4-L4), `src/nope.py:1`" in linked.markdown
    assert 'print("src/missing.py:1-2 in code is not a citation")' in linked.markdown
    lines = reader.lines("src/kernel.py")
    assert [(c.label, c.digest) for c in linked.citations] == [
        (f"src/kernel.py:{s}-{e}", span_digest(lines, s, e)) for s, e in [(3, 5), (7, 8), (4, 4)]
    ]
    assert link_citations(linked.markdown, reader, to_file) == linked  # linking is idempotent
    problems = check(linked.markdown, repo, checker)
    assert [p.message for p in problems] == ["`src/nope.py:1`: no such file"]
    rendered = render_page(linked.markdown, LinkContext(output / "pages", repo, frozenset(PAGES)))
    assert {(c.path, c.start, c.end) for c in rendered.citations} == {
        ("src/kernel.py", 3, 5),
        ("src/kernel.py", 7, 8),
        ("src/kernel.py", 4, 4),
    }


def test_a_section_the_caller_exempts_needs_no_citations_but_its_citations_must_resolve(
    repo: Path,
) -> None:
    page = (
        "# Kernel\n\n## Summary\n\n<!-- cw:summary -->\nThe kernel runs tasks one at a "
        "time for everyone.\n<!-- /cw:summary -->\n\n## Errors\n\nA task that raises stops "
        "the whole kernel at once.\n\n## summary\n\nSee `src/gone.py:1`.\n"
    )

    def no_diagrams(texts: object) -> list[str | None]:
        raise AssertionError("the page has no diagrams")

    problems = check_model_page(
        page,
        reader=SourceReader(repo),
        page_ids=PAGES,
        diagram_checker=no_diagrams,
        uncited_headings=["Summary"],
    )
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (11, "this paragraph cites no source"),
        (15, "`src/gone.py"),
    ]
