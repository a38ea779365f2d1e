"""Where a wiki lives: ``REPO/.cocowiki`` unless ``--output`` says otherwise.

Every stage (index, plan, build, ask, serve) resolves its output directory here, so the
default is one constant and no stage drifts from the others. The module imports nothing
from the package, so any stage can use it without an import cycle.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_OUTPUT = ".cocowiki"


def output_dir(repo: Path | None, output: Path | None) -> Path:
    """The output directory a command uses: ``--output``, else ``REPO/.cocowiki``."""
    if output is not None:
        return output
    return (repo if repo is not None else Path.cwd()) / DEFAULT_OUTPUT
