"""cocowiki: a living, verified wiki of a repository.

It parses a repository (tree-sitter, many languages), cuts it into a module tree, and
writes one Markdown page per module whose every claim cites the code it comes from
(``path``, lines, content digest); ``verify`` re-checks those citations against the tree
as it is now. Builds are incremental: a clean rebuild writes nothing and calls no model.

Start with :func:`build`, then :func:`ask`::

    import cocowiki

    result = cocowiki.build("path/to/repo")          # -> path/to/repo/.cocowiki
    print(result.pages, "pages,", result.verified, "verified")
    answer = cocowiki.ask(result.output, "how are requests retried?")
    for item in answer.evidence:
        print(item.citation, item.qualified_name)

:func:`verify`, :func:`explain_dirty` and :func:`load_wiki` read a built wiki. Every
result is a frozen dataclass whose fields are the keys of the matching ``cw ... --json``
output (:func:`to_json` gives that JSON); every error a user can fix is a
:class:`CocowikiError`. The ``cw`` command line is a thin layer over these functions.

Names are imported on first use, so ``import cocowiki`` stays cheap.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from tiffany.lazy import lazy_attributes

from .errors import CocowikiError
from .results import (
    Answer,
    BuildResult,
    Check,
    DirtyExplanation,
    DirtyReason,
    Evidence,
    Failure,
    PageMatch,
    Recomputed,
    VerifyReport,
    from_json,
    to_json,
)

if TYPE_CHECKING:
    from .api import ask, build, explain_dirty, load_wiki, verify
    from .ask import AskError, ModelCallFailed
    from .config import ConfigError, WikiConfig
    from .index.errors import IndexingError
    from .pages.builder import BuildBusy, BuildError
    from .pages.explain import ExplainError
    from .verify.wiki import VerifyError
    from .wiki import Page, Symbol, Wiki

__version__ = "0.1.0"

_WHERE = {
    "ask": "api",
    "build": "api",
    "explain_dirty": "api",
    "load_wiki": "api",
    "verify": "api",
    "AskError": "ask",
    "ModelCallFailed": "ask",
    "ConfigError": "config",
    "WikiConfig": "config",
    "IndexingError": "index.errors",
    "BuildBusy": "pages.builder",
    "BuildError": "pages.builder",
    "ExplainError": "pages.explain",
    "VerifyError": "verify.wiki",
    "Page": "wiki",
    "Symbol": "wiki",
    "Wiki": "wiki",
}

__all__ = [
    "Answer",
    "AskError",
    "BuildBusy",
    "BuildError",
    "BuildResult",
    "Check",
    "CocowikiError",
    "ConfigError",
    "DirtyExplanation",
    "DirtyReason",
    "Evidence",
    "ExplainError",
    "Failure",
    "IndexingError",
    "ModelCallFailed",
    "Page",
    "PageMatch",
    "Recomputed",
    "Symbol",
    "VerifyError",
    "VerifyReport",
    "Wiki",
    "WikiConfig",
    "ask",
    "build",
    "explain_dirty",
    "from_json",
    "load_wiki",
    "to_json",
    "verify",
]


class _Package(types.ModuleType):
    """The package's module type: the functions :func:`ask` and :func:`verify` share
    their names with the subpackages ``cocowiki.ask`` and ``cocowiki.verify``, and
    importing a subpackage must not replace the function (the subpackage stays in
    ``sys.modules``, where ``import cocowiki.ask.command`` finds it)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FUNCTIONS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


_FUNCTIONS = frozenset({"ask", "verify"})
sys.modules[__name__].__class__ = _Package

__getattr__, __dir__ = lazy_attributes(__name__, _WHERE, __all__)
