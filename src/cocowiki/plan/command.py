"""The ``cw plan`` command as a plain function: bring the index up to date, plan, write.

Indexing skips its work when nothing changed, so ``cw plan`` is always safe to run and
a clean re-plan touches no file. With a model (``--model`` or ``[plan] model``) the plan
goes through :func:`.cache.plan_tree`, so a clean re-plan also asks the model nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from tiffany.models import ModelError, parse_spec

from ..console import EXIT_OK, ProgressCallback, report_error, terminal_progress
from ..index import (
    IndexConfig,
    IndexingError,
    IndexResult,
    check_repository,
    index_repository,
)
from ..lock import OutputBusy, output_lock
from ..paths import output_dir
from .cache import plan_tree
from .clustering import Clustering
from .config import PlanConfig
from .model import ModuleTree
from .planner import PlanReport, plan_with_report
from .store import module_tree_path, write_module_tree


def run_plan_command(
    repo: Path | None = None,
    output: Path | None = None,
    *,
    as_json: bool = False,
    config: PlanConfig | None = None,
    index_config: IndexConfig | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Index (if stale) and plan ``repo`` into ``<output>/module_tree.json``; the exit status."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    if config is not None and config.model:
        try:
            parse_spec(config.model)
        except ModelError as exc:
            return report_error("plan", f"model: {exc}", as_json, out, err)
    try:
        repo_path = check_repository(repo if repo is not None else Path.cwd())
        output_path = output_dir(repo_path, output)
        with output_lock(output_path), terminal_progress(as_json, err) as update:
            summary = _plan(repo_path, output_path, config, index_config, update)
    except (IndexingError, OutputBusy) as exc:
        return report_error("plan", str(exc), as_json, out, err)
    except OSError as exc:
        message = f"cannot write {module_tree_path(output_path)}: {exc.strerror or exc}"
        return report_error("plan", message, as_json, out, err)
    if as_json:
        out.write(json.dumps(summary, sort_keys=True) + "\n")
    else:
        out.write(format_summary(summary))
    return EXIT_OK


def _plan(
    repo: Path,
    output: Path,
    config: PlanConfig | None,
    index_config: IndexConfig | None,
    progress: ProgressCallback | None,
) -> dict[str, Any]:
    index = index_repository(repo, output, index_config, progress)
    if progress is not None:
        progress("plan", 0, 1)
    tree, report = plan_with_report(index, config)
    grouping: dict[str, Any] | None = None
    if config is not None and config.model:
        tree, written, clustering = plan_tree(output, index, config, lambda message: None)
        grouping = _grouping(config.model, clustering)
    else:
        written = write_module_tree(output, tree)
    if progress is not None:
        progress("plan", 1, 1)
    summary = plan_summary(index, tree, report, module_tree_path(output), written)
    return {**summary, "grouping": grouping}


def _grouping(model: str, clustering: Clustering | None) -> dict[str, Any]:
    """What the model did, for the summary: ``reused`` when the last plan still holds."""
    if clustering is None:
        return {"model": model, "calls": 0, "status": "reused", "message": None}
    status = "grouped" if clustering.asked else "below threshold"
    if clustering.fallback is not None:
        status = "fallback"
    return {
        "model": model,
        "calls": clustering.calls,
        "status": status,
        "message": clustering.fallback,
    }


def plan_summary(
    index: IndexResult, tree: ModuleTree, report: PlanReport, path: Path, written: bool
) -> dict[str, Any]:
    """The ``--json`` output of ``cw plan`` (``grouping`` is added by the command)."""
    largest = max(tree, key=lambda module: (module.tokens, module.id))
    return {
        "files": len(index.files),
        "lines": index.lines,
        "catalog_written": index.catalog_written,
        "pages": len(tree),
        "depth": tree.depth(),
        "largest_page": largest.id,
        "largest_page_tokens": largest.tokens,
        "merged": report.merged,
        "split": report.split,
        "parts": report.parts,
        "module_tree": str(path),
        "written": written,
    }


def format_summary(summary: dict[str, Any]) -> str:
    """A few lines a person reads after ``cw plan``."""
    lines = [
        f"index: {summary['files']} files ({summary['lines']} lines), "
        f"catalog {'written' if summary['catalog_written'] else 'unchanged'}",
        f"planned {summary['pages']} page{'' if summary['pages'] == 1 else 's'}, "
        f"depth {summary['depth']}; largest page "
        f"{summary['largest_page']} with {summary['largest_page_tokens']} tokens",
        f"merged {summary['merged']} small modules into their parents, "
        f"split {summary['split']} large modules into {summary['parts']} parts",
        f"module tree {'written' if summary['written'] else 'unchanged'}: {summary['module_tree']}",
    ]
    grouping = summary.get("grouping")
    if grouping is not None:
        lines.append(_grouping_line(grouping))
    return "\n".join(lines) + "\n"


def _grouping_line(grouping: dict[str, Any]) -> str:
    calls = f"{grouping['calls']} model call{'' if grouping['calls'] == 1 else 's'}"
    if grouping["status"] == "fallback":
        return f"note: {grouping['message']} ({calls})"
    said = {
        "grouped": f"modules grouped by {grouping['model']}",
        "reused": f"modules grouped by {grouping['model']}, reused",
        "below threshold": "code below [plan] cluster_above_tokens: directory modules kept",
    }
    return f"{said[grouping['status']]} ({calls})"
