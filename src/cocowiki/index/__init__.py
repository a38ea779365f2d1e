"""The index: every source file of a repository parsed into components and references.

This is the foundation the wiki is built on. The public surface:

* :func:`index_repository` (in :mod:`.indexer`) indexes a repository into
  ``<output>/catalog.sqlite`` and returns an :class:`IndexResult`;
* :mod:`.model` holds the records (:class:`SourceFile`, :class:`Component`,
  :class:`Reference`, :class:`ParseError`, :class:`Exclusion`, :class:`IndexResult`);
* :func:`read_index` and :func:`search` read a catalog back;
* :func:`run_index_command` is what ``cw index`` calls.

See ``docs/cocowiki/index.md`` for the design and the data model.
"""

from __future__ import annotations

from .command import run_index_command
from .config import IndexConfig
from .errors import IndexingError
from .indexer import ProgressCallback, check_repository, index_repository
from .model import (
    Component,
    ComponentKind,
    Exclusion,
    ExclusionReason,
    FileExtraction,
    IndexResult,
    IndexWarning,
    ParseError,
    Reference,
    ReferenceKind,
    SourceFile,
    Visibility,
)
from .store import CATALOG_NAME, read_index, search

__all__ = [
    "CATALOG_NAME",
    "Component",
    "ComponentKind",
    "Exclusion",
    "ExclusionReason",
    "FileExtraction",
    "IndexConfig",
    "IndexResult",
    "IndexWarning",
    "IndexingError",
    "ParseError",
    "ProgressCallback",
    "Reference",
    "ReferenceKind",
    "SourceFile",
    "Visibility",
    "check_repository",
    "index_repository",
    "read_index",
    "run_index_command",
    "search",
]
