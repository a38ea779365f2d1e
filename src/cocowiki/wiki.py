"""A built wiki as a program reads it: :func:`cocowiki.load_wiki` returns a :class:`Wiki`.

It reads what ``cw build`` wrote (``manifest.json``, ``module_tree.json``, ``pages/*.md``
and the catalog) and never writes. The pages are listed as the manifest lists them, root
first; :meth:`Wiki.lookup` finds the symbols (functions, classes, ...) of the catalog by
name, each with the page that documents it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .pages.manifest import MANIFEST_VERSION, manifest_path, read_manifest
from .pages.store import UnsafeName, page_path
from .verify.wiki import VerifyError


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a wiki: where it sits in the module tree and whether it is verified."""

    id: str
    title: str
    parent: str | None
    children: tuple[str, ...]
    #: The Markdown file, relative to the wiki's folder (``pages/<id>.md``).
    path: str
    #: ``verified`` or ``unverified`` (then ``problems`` says why).
    status: str
    problems: tuple[str, ...]
    #: The source files the page documents, relative to the repository.
    files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Symbol:
    """A component of the repository (function, class, method, ...) and its page."""

    id: str
    kind: str
    name: str
    qualified_name: str
    path: str
    start_line: int
    end_line: int
    signature: str
    doc: str
    page: str | None

    @property
    def citation(self) -> str:
        """``path:start-end``, as pages and answers cite code."""
        return f"{self.path}:{self.start_line}-{self.end_line}"


@dataclass(frozen=True, slots=True)
class Wiki:
    """A built wiki: its pages (root first), module tree and manifest."""

    output: Path
    #: The repository the wiki was built from.
    built_from: str
    root: str
    pages: tuple[Page, ...]
    manifest: dict[str, Any]
    #: ``module_tree.json`` as written by the build (modules, their files and children).
    module_tree: dict[str, Any]

    def page(self, page_id: str) -> Page:
        """The page ``page_id``; ``KeyError`` when the wiki has none."""
        for page in self.pages:
            if page.id == page_id:
                return page
        raise KeyError(page_id)

    def markdown(self, page_id: str) -> str:
        """The Markdown text of page ``page_id``."""
        return (self.output / self.page(page_id).path).read_text(encoding="utf-8")

    def lookup(self, name: str, limit: int = 20) -> tuple[Symbol, ...]:
        """Symbols whose name or qualified name is ``name`` (``parse``,
        ``dates.parse``, ``Cart.total``), in the order the catalog holds them."""
        from .index.store import catalog_path, component_columns, component_from_row, open_catalog

        catalog = catalog_path(self.output)
        if not catalog.is_file():
            return ()
        with open_catalog(catalog) as connection:
            rows = connection.execute(
                f"SELECT {component_columns()} FROM components "
                "WHERE name = ? OR qualified_name = ? OR qualified_name LIKE ? "
                "ORDER BY ordinal LIMIT ?",
                (name, name, "%." + name, limit),
            ).fetchall()
        pages = {path: page.id for page in self.pages for path in page.files}
        return tuple(
            Symbol(
                id=c.id,
                kind=str(c.kind),
                name=c.name,
                qualified_name=c.qualified_name,
                path=c.path,
                start_line=c.start_line,
                end_line=c.end_line,
                signature=c.signature,
                doc=c.doc,
                page=pages.get(c.path),
            )
            for c in map(component_from_row, rows)
        )


def read_wiki(output: Path) -> Wiki:
    """The wiki in ``output``; :class:`~cocowiki.verify.VerifyError` when there is none."""
    manifest = read_manifest(output)
    if manifest is None or manifest.get("version") != MANIFEST_VERSION:
        raise VerifyError(
            f"no wiki in {output} (no readable {manifest_path(output).name}): run `cw build` first"
        )
    try:
        tree = json.loads((output / "module_tree.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        tree = {}
    repository = manifest.get("repository") or {}
    return Wiki(
        output=output.resolve(),
        built_from=str(manifest.get("built_from") or repository.get("path") or ""),
        root=str(manifest.get("root", "")),
        pages=tuple(_page(entry) for entry in manifest.get("pages", []) if _usable(entry)),
        manifest=manifest,
        module_tree=tree if isinstance(tree, dict) else {},
    )


def _usable(entry: Any) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        return False
    try:
        page_path(entry["id"])
    except UnsafeName:
        return False
    return True


def _page(entry: dict[str, Any]) -> Page:
    return Page(
        id=entry["id"],
        title=str(entry.get("title", entry["id"])),
        parent=entry.get("parent"),
        children=tuple(entry.get("children", ())),
        path=page_path(entry["id"]),
        status=str(entry.get("status", "unverified")),
        problems=tuple(entry.get("problems", ())),
        files=tuple(f["path"] for f in entry.get("files", ()) if isinstance(f, dict)),
    )
