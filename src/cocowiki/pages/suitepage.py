"""What a maintainer needs from a suite page: how to run it, what it tests where, and the
fixtures and helpers its files share.

A test, example or benchmark suite is one page (:mod:`cocowiki.plan.suite_pages`), and
it is not a second product: its Purpose says what it covers and how to run it, then

* **How to run**: the command (:mod:`.runners`), citing the build file line it comes from;
* **What is tested where** (*What the examples use*, *What is benchmarked*): per code
  page, the suite files whose references reach it; then, folded, per file, the pages and
  the names it exercises (from the index's references, confident ones only);
* **Fixtures and helpers**: the suite's files that its other files use (``conftest.py``,
  ``tests/support/mod.rs``, ``helpers.ts``, a ``testdata`` folder's code), with what
  they are used for.

:func:`study_suite` gathers this once per page as a research question whose lookups (the
globs and reads of build files, the graph lookups of the files' references) are recorded,
so ``cw verify`` re-checks them and an edit to a build file rebuilds the page.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field

from ..index.model import Reference
from ..plan.model import Module
from .artifacts import Citation, Claim, ResearchQuestionArtifact
from .dossier import is_file_module
from .facts import RepositoryFacts, is_confident
from .footprints import Footprint
from .markdown import and_more, code, count, fence
from .runners import Repository, Runner, suite_runner
from .sections import MAX_NAMES_LISTED, SectionWriter

#: Files listed per code page on a suite page.
MAX_FILES_LISTED = 6
#: Folders whose files serve the suite rather than test anything themselves.
_HELPER_DIRS = frozenset(
    {"support", "helpers", "helper", "common", "fixtures", "fixture", "testdata", "mocks", "utils"}
)
_HELPER_NAMES = re.compile(r"^(?:conftest\.py|setup_?tests?\.[cm]?[jt]s|.*helpers?\.\w+)$")
_COVERAGE_TITLE = {
    "tests": "What is tested where",
    "examples": "What the examples use",
    "benchmarks": "What is benchmarked",
}


@dataclass(frozen=True, slots=True)
class FileCoverage:
    """One suite file: the code pages it reaches and the names it uses there, most used
    first (``{page id: names}``), and where its first such reference is."""

    path: str
    pages: dict[str, list[str]]
    site: Citation | None


@dataclass(frozen=True, slots=True)
class Helper:
    """A file of the suite that serves its other files: who uses it and for what."""

    path: str
    users: int
    names: list[str]
    site: Citation


@dataclass(slots=True)
class SuiteStudy:
    """What a suite page says, gathered by :func:`study_suite`."""

    kind: str
    runner: Runner
    runner_site: Citation | None
    files: list[FileCoverage] = field(default_factory=list)
    helpers: list[Helper] = field(default_factory=list)

    def by_page(self) -> list[tuple[str, list[str]]]:
        """Per code page, the suite files that reach it; the most reached first."""
        pages: dict[str, list[str]] = {}
        for covered in self.files:
            for page in covered.pages:
                pages.setdefault(page, []).append(covered.path)
        return sorted(pages.items(), key=lambda item: (-len(item[1]), item[0]))

    def unreached(self) -> list[str]:
        return [f.path for f in self.files if not f.pages]


def study_suite(
    facts: RepositoryFacts, module: Module
) -> tuple[SuiteStudy, ResearchQuestionArtifact]:
    """The suite's runner, coverage and helpers, with the lookups that found them."""
    footprints: list[Footprint] = []

    def names(directory: str) -> list[str]:
        matches, footprint = facts.explorer.glob(f"{directory}/*" if directory else "*")
        footprints.append(footprint)
        return [posixpath.basename(path) for path in matches]

    def lines(path: str) -> list[str]:
        return list(facts.reader.lines(path))

    languages = Counter(facts.files[p].language for p in module.files if p in facts.files)
    language = languages.most_common(1)[0][0] if languages else ""
    home = _home(module)
    runner = suite_runner(Repository(names, lines), module.kind, home, module.files, language)
    site = None
    if runner.path is not None and runner.line is not None:
        site = facts.cite(runner.path, runner.line)
        footprints.append(facts.explorer.read(runner.path, site.start, site.end)[1])
    study = SuiteStudy(module.kind, runner, site)
    for path in module.files:
        footprints.append(facts.explorer.graph_lookup(path, "out")[1])
        study.files.append(_coverage(facts, module, path))
    study.helpers = _helpers(facts, module)
    findings = [Claim(text=f"run with `{runner.command}`", citations=[site] if site else [])]
    findings += [
        Claim(text=f"`{f.path}` exercises {', '.join(sorted(f.pages))}", citations=[f.site])
        for f in study.files
        if f.site is not None
    ]
    answer = f"Run with `{runner.command}`; " + (
        f"{count(len(study.files) - len(study.unreached()), 'file')} reach "
        f"{count(len(study.by_page()), 'code page')}."
    )
    artifact = ResearchQuestionArtifact(
        module=module.id,
        id="suite",
        question=f"How is {module.title} run, and what does it exercise?",
        answer=answer,
        findings=findings,
        footprints=footprints,
    )
    return study, artifact


def _home(module: Module) -> str:
    """The folder the suite is run from: its path, or the folder holding its one file."""
    if not module.files or any(path.startswith(f"{module.path}/") for path in module.files):
        return module.path
    return posixpath.commonpath([posixpath.dirname(path) for path in module.files])


def _coverage(facts: RepositoryFacts, module: Module, path: str) -> FileCoverage:
    names: dict[str, Counter[str]] = {}
    site: Citation | None = None
    for ref in facts.refs_from_file.get(path, []):
        page = _code_page(facts, module, ref)
        if page is None:
            continue
        component = facts.components.get(ref.target_id or "")
        used = names.setdefault(page, Counter())
        if component is not None and not is_file_module(component):
            used[component.name] += ref.count
        if site is None:
            site = facts.cite(ref.path, ref.line)
    pages = {page: [n for n, _ in used.most_common()] for page, used in names.items()}
    return FileCoverage(path, pages, site)


def _code_page(facts: RepositoryFacts, module: Module, ref: Reference) -> str | None:
    """The code page a reference of the suite reaches, if any."""
    if ref.target_path is None or not is_confident(ref.confidence):
        return None
    page = facts.module_of_file.get(ref.target_path)
    if page is None or page == module.id or facts.tree[page].kind != "code":
        return None
    return page


def _helpers(facts: RepositoryFacts, module: Module) -> list[Helper]:
    files = set(module.files)
    helpers = []
    for path in module.files:
        users: set[str] = set()
        names: Counter[str] = Counter()
        for ref in facts.refs_into_file.get(path, []):
            if ref.path in files and ref.path != path and is_confident(ref.confidence):
                users.add(ref.path)
                component = facts.components.get(ref.target_id or "")
                if component is not None and not is_file_module(component):
                    names[component.name] += ref.count
        if not users and not _looks_like_helper(path):
            continue
        top = [c.name for c in facts.top_level(path)] if not names else []
        listed = [n for n, _ in names.most_common()] or top
        whole = facts.cite_file(path)
        if whole:
            helpers.append(Helper(path, len(users), listed, whole[0]))
    return sorted(helpers, key=lambda h: (-h.users, h.path))


def _looks_like_helper(path: str) -> bool:
    *directories, name = path.split("/")
    return bool(_HELPER_NAMES.match(name)) or any(d in _HELPER_DIRS for d in directories)


def suite_summary(study: SuiteStudy, facts: RepositoryFacts, module: Module) -> str:
    """One line on the suite: its files, what they exercise, how to run them."""
    what = f"{count(len(module.files), 'file')} of {study.kind}"
    pages = [facts.tree[page].title for page, _ in study.by_page()]
    reach = ""
    if pages:
        shown = ", ".join(pages[:3]) + and_more(len(pages), 3)
        reach = f" exercising {shown}"
    return f"{what}{reach}; run with `{study.runner.command}`."


# sections -----------------------------------------------------------------------------------


def suite_purpose_section(
    facts: RepositoryFacts, module: Module, study: SuiteStudy, documented: list[Claim]
) -> SectionWriter:
    """The suite's own documentation (a README in its folder) if any, and always what it
    covers and how it runs."""
    writer = SectionWriter(facts, module.id, "purpose", "Purpose")
    for claim in documented:
        writer.add(f"{claim.text} ({writer.cites(claim.citations)})", "")
    what = suite_summary(study, facts, module)
    writer.add(what + (f" ({writer.cite(study.runner_site)})" if study.runner_site else ""), "")
    return writer


def run_section(facts: RepositoryFacts, module: Module, study: SuiteStudy) -> SectionWriter:
    writer = SectionWriter(facts, module.id, "run", "How to run")
    writer.add("From the top of the repository:", "", fence("sh", study.runner.command), "")
    if study.kind == "examples" and len(module.files) > 1:
        writer.add("Each of the other examples runs the same way.", "")
    if study.runner_site is not None and study.runner.path is not None:
        writer.add(f"From {code(study.runner.path)} ({writer.cite(study.runner_site)}).")
    else:
        writer.add("No build file names a runner; this is the usual command for these files.")
    return writer


def coverage_section(facts: RepositoryFacts, module: Module, study: SuiteStudy) -> SectionWriter:
    """Per code page, the suite files that reach it."""
    title = _COVERAGE_TITLE.get(study.kind, "What it exercises")
    writer = SectionWriter(facts, module.id, "coverage", title)
    by_page = study.by_page()
    for page, paths in by_page:
        shown = ", ".join(code(p) for p in paths[:MAX_FILES_LISTED])
        writer.add(
            f"- {writer.page(page)}: {count(len(paths), 'file')} ({shown}"
            f"{and_more(len(paths), MAX_FILES_LISTED)})"
        )
    unreached = study.unreached()
    if by_page:
        writer.add("")
    if unreached:
        shown = ", ".join(code(p) for p in unreached[:MAX_FILES_LISTED])
        shown += and_more(len(unreached), MAX_FILES_LISTED)
        writer.add(
            f"No reference to the code's components was resolved from "
            f"{count(len(unreached), 'file')}: {shown}.",
            "",
        )
    return writer


def files_section(
    facts: RepositoryFacts, module: Module, study: SuiteStudy
) -> SectionWriter | None:
    """Per suite file, the pages and names it exercises, folded."""
    reached = [f for f in study.files if f.pages]
    if not reached:
        return None
    writer = SectionWriter(facts, module.id, "suite-files", "File by file")
    writer.collapse(f"What each of {count(len(reached), 'file')} exercises")
    for covered in reached:
        parts = []
        for page, names in sorted(covered.pages.items(), key=lambda item: -len(item[1])):
            shown = ", ".join(code(n) for n in names[:MAX_NAMES_LISTED])
            more = and_more(len(names), MAX_NAMES_LISTED)
            parts.append(f"{writer.page(page)}" + (f" ({shown}{more})" if names else ""))
        site = f" ({writer.cite(covered.site)})" if covered.site is not None else ""
        writer.add(f"- {code(covered.path)}: {'; '.join(parts)}{site}")
    return writer


def helpers_section(
    facts: RepositoryFacts, module: Module, study: SuiteStudy
) -> SectionWriter | None:
    if not study.helpers:
        return None
    writer = SectionWriter(facts, module.id, "helpers", "Fixtures and helpers")
    for helper in study.helpers:
        users = f"used by {count(helper.users, 'file')} of the suite" if helper.users else "shared"
        names = ", ".join(code(n) for n in helper.names[:MAX_NAMES_LISTED])
        more = and_more(len(helper.names), MAX_NAMES_LISTED)
        what = f" for {names}{more}" if names else ""
        writer.add(f"- {code(helper.path)}: {users}{what} ({writer.cite(helper.site)})")
    return writer
