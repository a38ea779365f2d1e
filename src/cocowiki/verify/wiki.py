"""A built wiki as ``cw verify`` reads it: the manifest's pages, each page's Markdown and
the section and research artifacts the build recorded for it.

Nothing here trusts a path from the files it reads: pages and artifacts are found from
page ids by the build's own naming (:func:`~cocowiki.pages.store.page_path`,
:func:`~cocowiki.pages.store.artifact_path`), and an id that would not make a plain file
name is a problem of that page, not a path to follow.

A wiki that cannot be read at all (no manifest) is a :class:`VerifyError`; a page whose
file or artifacts are missing or unreadable is loaded with the reason, and becomes a
failure of that page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..errors import CocowikiError
from ..index import IndexingError
from ..index import check_repository as check_index_repository
from ..pages.artifacts import (
    Artifact,
    PageSectionArtifact,
    ResearchArtifact,
    ResearchQuestionArtifact,
    SectionsArtifact,
    load_artifact,
)
from ..pages.manifest import MANIFEST_VERSION, manifest_path, read_manifest
from ..pages.store import UnsafeName, artifact_path, page_path

A = TypeVar("A", bound=Artifact)


class VerifyError(CocowikiError):
    """Verification cannot start at all (no wiki, no repository); the message says why."""


@dataclass(slots=True)
class WikiPage:
    """One page of the manifest and what the build left for it.

    ``markdown`` is None when the page file cannot be read; ``problems`` says why that or
    an artifact could not be read.
    """

    id: str
    path: str
    markdown: str | None = None
    sections: list[PageSectionArtifact] = field(default_factory=list)
    research: list[ResearchQuestionArtifact] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class BuiltWiki:
    repo: Path
    output: Path
    pages: list[WikiPage]
    #: The repository the wiki says it was built from (to spot a wrong ``--repo``).
    built_from: str

    @property
    def pages_dir(self) -> Path:
        return self.output / "pages"

    def by_id(self) -> dict[str, WikiPage]:
        return {page.id: page for page in self.pages}


def check_repository(repo: Path) -> Path:
    """``repo`` resolved; a :class:`VerifyError` when it cannot be read."""
    try:
        return check_index_repository(repo)
    except IndexingError as exc:
        raise VerifyError(str(exc)) from exc


def load_wiki(repo: Path, output: Path) -> BuiltWiki:
    """The wiki built in ``output`` from ``repo``; :class:`VerifyError` when there is none."""
    repo = check_repository(repo)
    manifest = read_manifest(output)
    if manifest is None:
        if manifest_path(output).exists():
            raise VerifyError(
                f"{manifest_path(output)} is not a cocowiki manifest; run `cw build` again"
            )
        raise VerifyError(f"no wiki in {output}: run `cw build` first")
    if manifest.get("version") != MANIFEST_VERSION:
        raise VerifyError(
            f"{manifest_path(output)} has version {manifest.get('version')!r}, this cocowiki "
            f"reads {MANIFEST_VERSION}: run `cw build` again"
        )
    output = output.resolve()
    entries = manifest.get("pages")
    if not isinstance(entries, list):
        raise VerifyError(f"{manifest_path(output)} lists no pages; run `cw build` again")
    pages = [
        _load_page(output, str(entry.get("id") if isinstance(entry, dict) else entry))
        for entry in entries
    ]
    repository = manifest.get("repository") or {}
    return BuiltWiki(
        repo=repo,
        output=output,
        pages=pages,
        built_from=str(repository.get("path", "")),
    )


def _load_page(output: Path, page_id: str) -> WikiPage:
    try:
        path = page_path(page_id)
    except UnsafeName as exc:
        return WikiPage(page_id, page_id, problems=[f"the manifest names a bad page id: {exc}"])
    page = WikiPage(page_id, path)
    try:
        page.markdown = _read_inside(output, path)
    except (OSError, ValueError) as exc:
        page.problems.append(f"the page cannot be read ({_reason(exc)}); run `cw build`")
    sections = _artifact(output, "sections", page_id, SectionsArtifact, page.problems)
    if sections is not None:
        page.sections = sections.sections
    research = _artifact(output, "research", page_id, ResearchArtifact, page.problems)
    if research is not None:
        page.research = research.questions
    return page


def _artifact(
    output: Path, kind: str, page_id: str, expected: type[A], problems: list[str]
) -> A | None:
    relative = artifact_path(kind, page_id)
    try:
        data = json.loads(_read_inside(output, relative))
        artifact = load_artifact(data) if isinstance(data, dict) else None
    except (OSError, ValueError) as exc:
        problems.append(f"{relative} cannot be read ({_reason(exc)}); run `cw build`")
        return None
    if not isinstance(artifact, expected):
        problems.append(f"{relative} is not a {kind} artifact; run `cw build`")
        return None
    return artifact


def _read_inside(output: Path, relative: str) -> str:
    """A wiki file's text; a link leading out of the wiki is refused, not followed."""
    path = (output / relative).resolve()
    if not path.is_relative_to(output):
        raise ValueError(f"{relative} leads out of the wiki")
    return path.read_text(encoding="utf-8")


def _reason(error: Exception) -> str:
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error).splitlines()[0]
