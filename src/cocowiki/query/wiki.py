"""A handle on one repository's wiki: where it is, what has been built, how to refresh it.

:class:`Wiki` is what every question of :mod:`cocowiki.query` starts from. It reads the
output folder as ``cw build`` left it (``catalog.sqlite``, ``manifest.json``,
``module_tree.json``, ``pages/``) and never writes there except through
:meth:`Wiki.refresh`, which brings the index up to date as ``cw index`` would: under the
output's writer lock, and not at all while a build holds it (the answer then says so).

A question the wiki cannot answer as asked raises :class:`WikiError` with a message for
the asker (an unknown page with the close ids, an empty question); a missing wiki raises
:class:`NoWiki`, whose message says how to build one.
"""

from __future__ import annotations

import difflib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from ..config import ConfigError, WikiConfig, load_config
from ..index import IndexConfig, IndexingError, check_repository, index_repository
from ..index.store import catalog_path, open_catalog
from ..lock import OutputBusy, output_lock
from ..pages.manifest import read_manifest
from ..paths import output_dir
from ..plan.model import ModuleTree

T = TypeVar("T")

#: Close names offered when a page or symbol is not found.
CLOSE_MATCHES = 5


class WikiError(ValueError):
    """The question cannot be answered as asked; the message says why and what to do."""


class NoWiki(WikiError):
    """There is no wiki (or no index) in the output folder; the message says how to build it."""


@dataclass(frozen=True, slots=True)
class Refresh:
    """What :meth:`Wiki.refresh` did: ``status`` is ``updated``, ``unchanged`` or ``skipped``."""

    status: str
    seconds: float
    files_parsed: int = 0
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status, "seconds": round(self.seconds, 4)}
        if self.files_parsed:
            data["files_parsed"] = self.files_parsed
        if self.reason:
            data["reason"] = self.reason
        return data


@dataclass
class Wiki:
    """The wiki of ``repo`` in ``output``, with the settings it was built with."""

    repo: Path
    output: Path
    config: WikiConfig = field(default_factory=WikiConfig)
    _cache: dict[str, tuple[int, Any]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, repo: Path | None = None, output: Path | None = None) -> Wiki:
        """The wiki of ``repo`` (default: the current directory) in ``output`` (default
        ``REPO/.cocowiki``), with ``output/config.toml`` read; :class:`WikiError` when the
        repository is not a directory or the config cannot be used."""
        try:
            root = check_repository(repo if repo is not None else Path.cwd())
        except IndexingError as exc:
            raise WikiError(str(exc)) from None
        folder = output_dir(root, output).absolute()
        try:
            config = load_config(folder)
        except ConfigError as exc:
            raise WikiError(str(exc)) from None
        return cls(root, folder, config)

    @property
    def index_config(self) -> IndexConfig:
        return self.config.index

    @property
    def catalog(self) -> Path:
        return catalog_path(self.output)

    # -- what exists ------------------------------------------------------------------
    def build_hint(self) -> str:
        """How to make the wiki this handle reads."""
        where = "" if self.output == self.repo / ".cocowiki" else f" --output {self.output}"
        return (
            f"build it with `cw build --repo {self.repo}{where}` (pages and index), or "
            f"`cw index --repo {self.repo}{where}` for the index alone (enough for ask, "
            "search and lookup_symbol); `cw mcp --refresh` keeps the index up to date"
        )

    def require_index(self) -> None:
        if not self.catalog.is_file():
            raise NoWiki(f"no index of {self.repo} in {self.output}: {self.build_hint()}")

    def require_pages(self) -> dict[str, Any]:
        """The manifest of the built wiki; :class:`NoWiki` when no build finished."""
        manifest = self.manifest()
        if manifest is None:
            raise NoWiki(f"no wiki has been built in {self.output}: {self.build_hint()}")
        return manifest

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection to the catalog (:class:`NoWiki` without one)."""
        self.require_index()
        with open_catalog(self.catalog) as connection:
            yield connection

    # -- files read once per change ---------------------------------------------------
    def manifest(self) -> dict[str, Any] | None:
        """``manifest.json`` of the last build, or ``None`` (read again when it changes)."""
        return self._cached("manifest", self.output / "manifest.json", read_manifest)

    def module_tree(self) -> ModuleTree | None:
        """The module tree of the last plan, or ``None``."""

        def load(_output: Path) -> ModuleTree | None:
            try:
                data = json.loads((self.output / "module_tree.json").read_text("utf-8"))
                return ModuleTree.from_json(data)
            except (OSError, ValueError, KeyError, TypeError):
                return None

        return self._cached("tree", self.output / "module_tree.json", load)

    def built_digests(self) -> dict[str, str]:
        """Each documented file's digest when the pages were built (from the manifest)."""

        def load(_output: Path) -> dict[str, str]:
            manifest = read_manifest(self.output) or {}
            return {
                str(f["path"]): str(f["digest"])
                for page in manifest.get("pages", [])
                for f in page.get("files", [])
                if "digest" in f
            }

        return self._cached("built", self.output / "manifest.json", load) or {}

    def page_of_file(self) -> dict[str, str]:
        """The page documenting each file, for pages that have been written."""
        tree = self.module_tree()
        manifest = self.manifest()
        if tree is None or manifest is None:
            return {}
        written = {page["id"] for page in manifest.get("pages", [])}
        return {path: page for path, page in tree.module_of_file().items() if page in written}

    def page_ids(self) -> list[str]:
        manifest = self.manifest()
        return [str(page["id"]) for page in manifest.get("pages", [])] if manifest else []

    def page_entry(self, page: str) -> dict[str, Any]:
        """The manifest's entry for ``page``; :class:`WikiError` names close ids otherwise."""
        manifest = self.require_pages()
        for entry in manifest.get("pages", []):
            if entry.get("id") == page:
                return dict(entry)
        raise WikiError(unknown("page", page, self.page_ids()) + " (list_pages lists them)")

    def _cached(self, key: str, path: Path, load: Callable[[Path], T]) -> T | None:
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return None
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached[0] == stamp:
                return cast(T, cached[1])
        value = load(self.output)
        with self._lock:
            self._cache[key] = (stamp, value)
        return value

    # -- refreshing -------------------------------------------------------------------
    def refresh(self) -> Refresh:
        """Bring the index up to date with the working tree (incrementally, as ``cw
        index``); skipped while another cw command writes the output folder."""
        started = time.perf_counter()
        try:
            with output_lock(self.output):
                result = index_repository(self.repo, self.output, self.index_config)
        except OutputBusy:
            reason = "another cw command (a build) is writing the wiki; the index as it was"
            return Refresh("skipped", time.perf_counter() - started, reason=reason)
        except IndexingError as exc:
            raise WikiError(str(exc)) from None
        status = "updated" if result.catalog_written else "unchanged"
        return Refresh(status, time.perf_counter() - started, result.files_parsed)


def unknown(what: str, name: str, known: list[str]) -> str:
    """``no page 'x'; close ones: a, b`` (or the first few known names)."""
    close = difflib.get_close_matches(name, known, n=CLOSE_MATCHES, cutoff=0.5)
    if close:
        return f"no {what} {name!r}; close ones: {', '.join(close)}"
    if known:
        shown = ", ".join(known[:CLOSE_MATCHES])
        more = f" and {len(known) - CLOSE_MATCHES} more" if len(known) > CLOSE_MATCHES else ""
        return f"no {what} {name!r}; there are {shown}{more}"
    return f"no {what} {name!r}"
