"""Helpers for the ``cw verify`` tests: one fixture wiki built per test module, and a
fresh copy of it (repository and output side by side, so the pages' relative links to
the sources still hold) for each test to break in its own way.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from build_helpers import SMALL_PAGES, copy_fixture

from cocowiki.mermaid import MermaidChecker, mermaid_available
from cocowiki.pages import build_wiki
from cocowiki.pages.verification import DiagramChecker
from cocowiki.verify.command import run_validate_footprints_command, run_verify_command

#: Makes ``app.py`` of the fixture a script: the entry-point grep then finds one match.
MAIN_GUARD = '\n\nif __name__ == "__main__":\n    main()\n'


@dataclass(frozen=True, slots=True)
class Wiki:
    repo: Path
    output: Path

    def page(self, page_id: str) -> Path:
        return self.output / "pages" / f"{page_id}.md"

    def research(self, page_id: str) -> Path:
        return self.output / "artifacts" / "research" / f"{page_id}.json"


@dataclass(frozen=True, slots=True)
class Run:
    status: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data


@pytest.fixture(scope="module", name="diagrams")
def diagrams_fixture() -> Iterator[DiagramChecker | None]:
    """One mermaid process shared by a module's builds and verifications; None where
    mermaid is missing (verify then reports each diagram as not checked)."""
    if not mermaid_available():
        yield None
        return
    with MermaidChecker() as shared:
        yield shared.check


@pytest.fixture(scope="module", name="built")
def built_fixture(
    tmp_path_factory: pytest.TempPathFactory, diagrams: DiagramChecker | None
) -> Wiki:
    """The Python fixture repository and its wiki (two pages: the overview and shapes)."""
    root = tmp_path_factory.mktemp("verify-built")
    repo = copy_fixture("python", root)
    build_wiki(repo, root / "out", SMALL_PAGES, diagram_checker=diagrams)
    return Wiki(repo, root / "out")


@pytest.fixture(name="wiki")
def wiki_fixture(built: Wiki, tmp_path: Path) -> Wiki:
    """A copy of the built wiki and its repository, for one test to change."""
    shutil.copytree(built.repo.parent, tmp_path / "copy")
    return Wiki(tmp_path / "copy" / "repo", tmp_path / "copy" / "out")


def verify(wiki: Wiki, diagrams: DiagramChecker | None, *, as_json: bool = True) -> Run:
    out, err = io.StringIO(), io.StringIO()
    status = run_verify_command(
        wiki.repo,
        wiki.output,
        as_json=as_json,
        index_config=SMALL_PAGES.index,
        diagram_checker=diagrams,
        stdout=out,
        stderr=err,
    )
    return Run(status, out.getvalue(), err.getvalue())


def validate(artifact: Path, wiki: Wiki, *, as_json: bool = False) -> Run:
    out, err = io.StringIO(), io.StringIO()
    status = run_validate_footprints_command(
        artifact,
        wiki.repo,
        as_json=as_json,
        index_config=SMALL_PAGES.index,
        stdout=out,
        stderr=err,
    )
    return Run(status, out.getvalue(), err.getvalue())


def failures(run: Run, kind: str) -> list[dict[str, Any]]:
    """The failures of one kind in a ``--json`` run."""
    return [failure for failure in run.json()["failures"] if failure["kind"] == kind]


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)
