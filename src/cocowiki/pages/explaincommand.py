"""``cw explain-dirty PAGE``: the command over the library's :func:`cocowiki.explain_dirty`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from ..console import EXIT_OK, report_error
from ..errors import CocowikiError
from ..paths import output_dir
from ..results import DirtyExplanation, to_json
from .builder import BuildConfig
from .explain import STATUS_TEXT
from .settings import load_build_config


def run_explain_dirty_command(
    repo: Path | None,
    output: Path | None,
    page: str,
    *,
    as_json: bool = False,
    config: BuildConfig | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Print why ``page`` would be rebuilt (or ``clean``); exit 2 on bad input.

    ``config`` defaults to the output's ``config.toml``, as for ``cw build``.
    """
    from ..api import explain_with
    from ..verify.command import repository_of

    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        output_path = output_dir(repo, output)
        repo_path = repository_of(output_path, repo)
        settings = config or load_build_config(output_path)
        explanation = explain_with(repo_path, output_path, page, settings)
    except CocowikiError as exc:
        return report_error("explain-dirty", str(exc), as_json, out, err)
    if as_json:
        out.write(json.dumps(to_json(explanation), sort_keys=True) + "\n")
    else:
        out.write(format_explanation(explanation))
    return EXIT_OK


def format_explanation(explanation: DirtyExplanation) -> str:
    """``PAGE: clean``, or the page's status and one chain of changes a line."""
    if explanation.status == "clean":
        return f"{explanation.page}: clean\n"
    lines = [f"{explanation.page}: {STATUS_TEXT[explanation.status]}"]
    lines += ["  " + " -> ".join(reason.chain) for reason in explanation.reasons]
    return "\n".join(lines) + "\n"
