"""The wiki viewer: one ``index.html`` that works from ``file://``, and ``cw serve``.

* :func:`write_viewer` writes ``<output>/index.html`` from the built wiki (the manifest,
  the Markdown pages, the catalog's symbols and the cited source files), with mermaid's
  browser bundle inlined so diagrams render offline;
* :func:`run_serve_command` is what ``cw serve`` calls: the output directory over HTTP
  on 127.0.0.1.

See ``docs/cocowiki/viewer.md``.
"""

from __future__ import annotations

from .document import INDEX_NAME, write_viewer
from .manifest import ViewerError
from .serve import run_serve_command

__all__ = ["INDEX_NAME", "ViewerError", "run_serve_command", "write_viewer"]
