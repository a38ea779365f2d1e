"""The ``cw build`` command as a plain function, so the CLI only has to forward to it.

It reads ``config.toml`` from the output directory (see ``cw init``), shows a progress
bar on a terminal, prints a summary (or JSON with ``--json``), and turns bad input into a
one-line message and exit status 2. With ``--strict`` a build that leaves any page
unverified exits with status 1. When another build is writing the same output, it waits
up to ``wait`` seconds (``--wait``), then exits with status 2 and says so. With
``--estimate`` it prints what a model-written build would ask and cost, and builds
nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from ..console import EXIT_OK, report_error, terminal_progress
from ..errors import CocowikiError
from ..paths import output_dir
from ..results import BuildResult, to_json
from .builder import BuildConfig
from .estimate import estimate_build
from .settings import load_build_config

EXIT_UNVERIFIED = 1


def run_build_command(
    repo: Path | None = None,
    output: Path | None = None,
    *,
    as_json: bool = False,
    strict: bool = False,
    wait: float = 0.0,
    config: BuildConfig | None = None,
    estimate: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Build the wiki of ``repo`` (default: the current directory); returns the exit status."""
    from ..api import build_with  # the library's build; it imports this module

    out = stdout or sys.stdout
    err = stderr or sys.stderr
    repo_path = repo if repo is not None else Path.cwd()
    output_path = output_dir(repo_path, output)
    try:
        if config is None:
            config = load_build_config(output_path)
        if estimate:
            found = estimate_build(repo_path, output_path, config)
            out.write(
                json.dumps(found.summary(), sort_keys=True) + "\n" if as_json else found.format()
            )
            return EXIT_OK
        with terminal_progress(as_json, err) as update:
            result = build_with(repo_path, output_path, config, progress=update, wait=wait)
    except CocowikiError as exc:
        return report_error("build", str(exc), as_json, out, err)
    except OSError as exc:
        message = f"cannot write the wiki in {output_path}: {exc.strerror or exc}"
        return report_error("build", message, as_json, out, err)
    if as_json:
        out.write(json.dumps(to_json(result), sort_keys=True) + "\n")
    else:
        out.write(format_summary(result))
    if strict and result.unverified:
        if not as_json:
            err.write(f"cw build: {result.unverified} pages are not verified (--strict)\n")
        return EXIT_UNVERIFIED
    return EXIT_OK


def format_summary(result: BuildResult) -> str:
    """A few lines a person reads after ``cw build``."""
    lines = [
        f"index: {result.files} files ({result.lines} lines), "
        f"catalog {'written' if result.catalog_written else 'unchanged'}",
        f"pages: {result.pages} ({result.pages_written} written, "
        f"{result.pages_unchanged} unchanged, {result.pages_removed} removed), "
        f"{result.pages_recomputed} recomputed; "
        f"artifacts {result.artifacts_written} written, "
        f"{result.artifacts_unchanged} unchanged",
        f"verified {result.verified}, unverified {result.unverified}; "
        f"{result.components} components, {result.citations} citations, "
        f"{result.diagrams} diagrams",
        f"known gaps: {result.known_gaps} open in {len(result.gaps)} pages"
        + (f", {result.gaps_closed} closed by research" if result.gaps_closed else ""),
    ]
    once = result.diagrams_not_checked
    if once:
        lines.append(f"diagrams not checked: {once}")
    for page, page_problems in result.unverified_pages.items():
        problems = [p.replace(once, "see above") if once else p for p in page_problems[:3]]
        lines.append(f"  unverified {page}: {'; '.join(problems)}")
    if result.model is not None:
        lines.append(format_model_run(result.model))
    viewer = {True: "written", False: "unchanged", None: "not written"}[result.viewer_written]
    if result.viewer_problem:
        viewer += f" ({result.viewer_problem})"
    lines.append(
        f"manifest {'written' if result.manifest_written else 'unchanged'}, viewer {viewer}: "
        f"{result.output} in {result.timings.get('total', 0.0):.2f}s"
    )
    return "\n".join(lines) + "\n"


def format_model_run(model: dict[str, Any]) -> str:
    """The model writer's line: what it asked and spent, and why it stopped early."""
    pending = model["pages_pending"]
    line = f"model {model['spec']}: {len(model['asked'])} pages asked, {model['calls']} calls"
    if model["cost"] is not None:
        line += f", ${model['cost']:.4f}"
    if pending:
        line += f"; {len(pending)} pages pending"
    if model["stopped"]:
        line += f" (stopped: {model['stopped']}; run `cw build` again to continue)"
    return line
