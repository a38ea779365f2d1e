"""The part of ``manifest.json`` the viewer reads: the pages and where they sit in the tree.

``cw build`` writes the manifest; the viewer only needs each page's id, title, place in
the module tree, Markdown file, source files and verification status, plus the tool and
repository facts shown in the header. Anything else in it is ignored, and a manifest that
lacks what the viewer needs is a :class:`ViewerError` that says to rebuild.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CocowikiError

MANIFEST_NAME = "manifest.json"


class ViewerError(CocowikiError):
    """The output directory holds no usable wiki; the message says what to do."""


@dataclass(frozen=True, slots=True)
class PageEntry:
    """One page as the manifest lists it."""

    id: str
    title: str
    parent: str | None
    children: tuple[str, ...]
    path: str
    files: tuple[tuple[str, int], ...]  # (repository path, line count)
    status: str
    problems: tuple[str, ...]
    #: The completeness gate's known gaps, one line each (closed ones say by what).
    gaps: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Manifest:
    """The pages of a built wiki, in manifest order, and its root page."""

    root: str | None
    pages: tuple[PageEntry, ...]
    tool: dict[str, Any]
    repository: dict[str, Any]


def read_manifest(output: Path) -> Manifest:
    """Read ``<output>/manifest.json``; raises :class:`ViewerError` when it is unusable."""
    path = output / MANIFEST_NAME
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ViewerError(
            f"no wiki has been built in {output} (there is no {MANIFEST_NAME}); "
            "run `cw build` first"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ViewerError(f"{path} cannot be read ({error}); run `cw build` again") from None
    try:
        return _manifest(document)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ViewerError(
            f"{path} is not a manifest this viewer understands ({type(error).__name__}: "
            f"{error}); run `cw build` again"
        ) from None


def _manifest(document: dict[str, Any]) -> Manifest:
    pages = tuple(_page(entry) for entry in document["pages"])
    root = document.get("root")
    return Manifest(
        root=str(root) if root is not None else None,
        pages=pages,
        tool=dict(document.get("tool") or {}),
        repository=dict(document.get("repository") or {}),
    )


def _page(entry: dict[str, Any]) -> PageEntry:
    page_id = str(entry["id"])
    parent = entry.get("parent")
    return PageEntry(
        id=page_id,
        title=str(entry.get("title") or page_id),
        parent=str(parent) if parent is not None else None,
        children=tuple(str(child) for child in entry.get("children") or ()),
        path=str(entry.get("path") or f"pages/{page_id}.md"),
        files=tuple(
            (str(item["path"]), int(item.get("lines") or 0)) for item in entry.get("files") or ()
        ),
        status=str(entry.get("status") or "unverified"),
        problems=tuple(str(problem) for problem in entry.get("problems") or ()),
        gaps=tuple(_gap_line(gap) for gap in entry.get("gaps") or ()),
    )


def _gap_line(gap: dict[str, Any]) -> str:
    closed = f" (answered by {gap['closed_by']})" if gap.get("closed_by") else ""
    return f"{gap.get('kind', 'gap')}: {gap.get('detail', '')}{closed}"
