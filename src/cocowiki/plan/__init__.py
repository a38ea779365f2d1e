"""The plan: the module tree that cuts a repository into wiki pages.

* :func:`plan_modules` turns an :class:`~cocowiki.index.IndexResult` into a
  :class:`ModuleTree` (directories, small ones merged, large ones split by communities
  of the reference graph, bounded by :class:`PlanConfig`);
* :func:`write_module_tree` / :func:`read_module_tree` keep it in ``module_tree.json``;
  :func:`plan_or_reuse` (what ``cw build`` calls) reads it back instead of planning
  while the index and the settings are those it was planned from;
* :func:`run_plan_command` is what ``cw plan`` calls.

See ``docs/cocowiki/plan.md`` for the algorithm and the JSON layout.
"""

from __future__ import annotations

from .cache import plan_or_reuse
from .command import run_plan_command
from .config import PlanConfig, estimate_tokens
from .model import MODULE_TREE_VERSION, ROOT_ID, Module, ModuleTree
from .planner import PlanReport, plan_modules, plan_with_report
from .store import MODULE_TREE_NAME, PlanError, read_module_tree, write_module_tree

__all__ = [
    "MODULE_TREE_NAME",
    "MODULE_TREE_VERSION",
    "ROOT_ID",
    "Module",
    "ModuleTree",
    "PlanConfig",
    "PlanError",
    "PlanReport",
    "estimate_tokens",
    "plan_modules",
    "plan_or_reuse",
    "plan_with_report",
    "read_module_tree",
    "run_plan_command",
    "write_module_tree",
]
