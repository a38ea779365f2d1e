"""``cw verify``: proof that a built wiki still tells the truth about the code.

A wiki is checked against the repository as it is now, without building anything:

* every citation of every page still pins the same text (file, lines, SHA-256);
* every research footprint (Read, Glob, Grep, SymbolLookup, GraphLookup) gives the same
  fingerprint when run again;
* every Mermaid block of every page parses with the real ``mermaid`` parser;
* every internal link (pages, heading anchors, files) resolves.

The public surface: :func:`verify_wiki` (a :class:`VerifyReport`); the commands
``cw verify`` and ``cw research validate-footprints`` are in :mod:`.command`, over the
library's :func:`cocowiki.verify`. See ``docs/cocowiki/verify.md``.
"""

from __future__ import annotations

from .failures import Failure, Tally
from .verifier import VerifyReport, verify_wiki
from .wiki import VerifyError

__all__ = [
    "Failure",
    "Tally",
    "VerifyError",
    "VerifyReport",
    "verify_wiki",
]
