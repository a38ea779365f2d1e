"""The module tree of the last plan, reused while what it was planned from is the same.

Planning reads every file of the index and the file graph of its references (from the
catalog's ``file_edges`` for a lazy index, :func:`_weights`), and a build plans on every
run. The tree is a pure function
of the index (whose catalog fingerprint covers every input of it), the project's name
(the root's title), the settings and the planner's code (with the suite conventions), so
``<output>/.module-tree.key`` records a digest of those next to a digest of the
``module_tree.json`` they gave. While both still match, the tree is read back instead of
planned again; a tree edited by hand, or a key written by a killed build before its
tree, does not match and is planned again.

With ``[plan] model`` the tree is the model's grouping (:mod:`.clustering`): the key then
holds the model spec (a setting) and the prompt's version too, so a rerun asks nothing,
and each answer is kept in ``<output>/.plan-responses/`` by its request's digest, so a
plan made again from the same inputs (a deleted key, a changed setting elsewhere) replays
them instead of calling the model. A plan that kept the deterministic tree because the
model's grouping was unusable records no key: the next run asks again (answers already
given replay from the response cache).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from tiffany.atomic import write_if_changed
from tiffany.models import client

from .. import __version__
from ..index import suites
from ..index.model import IndexResult
from ..index.store import catalog_path, read_edge_weights, read_meta
from .clustering import Clustering, cluster_modules
from .config import PlanConfig
from .importance import Importance, catalog_importance
from .model import ModuleTree
from .planner import plan_with_report
from .prompt import PROMPT_VERSION
from .store import PlanError, module_tree_path, read_module_tree, write_module_tree
from .titles import project_name

PLAN_KEY_NAME = ".module-tree.key"
#: The directory of the grouping model's answers, one file per request digest.
RESPONSES_NAME = ".plan-responses"
_PLANNER_CODE = Path(__file__).parent


def plan_or_reuse(
    output: Path,
    index: IndexResult,
    config: PlanConfig,
    warn: Callable[[str], None] | None = None,
) -> tuple[ModuleTree, bool]:
    """The module tree of ``index``, the index in ``output``'s catalog (as
    :func:`~cocowiki.index.index_repository` just returned it), and whether
    ``module_tree.json`` was written. ``warn`` gets the one-line message of a grouping
    by a model that was not used (default: printed to stderr)."""
    tree, written, _ = plan_tree(output, index, config, warn)
    return tree, written


def plan_tree(
    output: Path,
    index: IndexResult,
    config: PlanConfig,
    warn: Callable[[str], None] | None = None,
) -> tuple[ModuleTree, bool, Clustering | None]:
    """:func:`plan_or_reuse`, and what grouping by ``config.model`` did (None when the
    tree was reused or no model is configured)."""
    name = project_name(Path(index.repo))
    key = _plan_key(output, index, config, name)
    if key is not None:
        tree = _reuse(output, key)
        if tree is not None:
            return tree, False, None
    importance = _importance(output, index)
    tree = plan_with_report(index, config, _weights(output, index), importance, name)[0]
    clustering = None
    if config.model:
        clustering = cluster_modules(
            index, tree, config, lambda: client(config.model, cache=output / RESPONSES_NAME)
        )
        tree = clustering.tree
        if clustering.fallback is not None:
            (warn or _to_stderr)(clustering.fallback)
            key = None
    text = tree.dumps()
    written = write_module_tree(output, tree)
    if key is not None:
        record = {"key": key, "tree": hashlib.sha256(text.encode()).hexdigest()}
        write_if_changed(output / PLAN_KEY_NAME, json.dumps(record, sort_keys=True) + "\n")
    return tree, written, clustering


def _to_stderr(message: str) -> None:
    sys.stderr.write(f"cw: note: {message}\n")


def _weights(output: Path, index: IndexResult) -> dict[tuple[str, str], int] | None:
    """The weights between files from the catalog's summary of them, for an index whose
    references are still to be read from that catalog (they are then never read); None
    for an index in memory, or a summary that cannot be read."""
    if not index.lazy:
        return None
    try:
        return read_edge_weights(catalog_path(output))
    except sqlite3.Error:
        return None


def _importance(output: Path, index: IndexResult) -> Importance | None:
    """For an index still in its catalog, the catalog's answer to which components
    matter (so its rows are never all read); None (the index's own) otherwise."""
    return catalog_importance(catalog_path(output)) if index.lazy else None


def _plan_key(output: Path, index: IndexResult, config: PlanConfig, name: str) -> str | None:
    fingerprint = read_meta(catalog_path(output)).get("fingerprint")
    if not fingerprint:
        return None
    digest = hashlib.sha256()
    settings = json.dumps(asdict(config), sort_keys=True)
    prompt = PROMPT_VERSION if config.model else ""
    material = (__version__, fingerprint, index.repo, name, settings, prompt)
    digest.update("\0".join(material).encode())
    for path in [*sorted(_PLANNER_CODE.glob("*.py")), Path(suites.__file__)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _reuse(output: Path, key: str) -> ModuleTree | None:
    """The tree on disk, if the last plan recorded ``key`` for exactly these bytes."""
    try:
        record = json.loads((output / PLAN_KEY_NAME).read_text(encoding="utf-8"))
        data = module_tree_path(output).read_bytes()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(record, dict) or record.get("key") != key:
        return None
    if record.get("tree") != hashlib.sha256(data).hexdigest():
        return None
    try:
        return read_module_tree(output)
    except PlanError:
        return None
