"""``module_tree.json`` on disk: written only when it changes, read back with clear errors.

``cw build`` and the viewer read the tree the last ``cw plan`` wrote; a missing, corrupt
or outdated file is a :class:`PlanError` whose message says to run ``cw plan``, never a
``KeyError`` from deep inside a build.
"""

from __future__ import annotations

import json
from pathlib import Path

from tiffany.atomic import write_if_changed

from ..errors import CocowikiError
from .model import MODULE_TREE_VERSION, ModuleTree

MODULE_TREE_NAME = "module_tree.json"


class PlanError(CocowikiError):
    """The module tree cannot be used; the message names the file and the fix."""


def module_tree_path(output: Path) -> Path:
    return output / MODULE_TREE_NAME


def write_module_tree(output: Path, tree: ModuleTree) -> bool:
    """Write ``<output>/module_tree.json`` atomically unless it already holds ``tree``.

    Returns whether the file was written (false on a clean re-plan, so no mtime moves).
    """
    return write_if_changed(module_tree_path(output), tree.dumps())


def read_module_tree(output: Path) -> ModuleTree:
    """The tree in ``<output>/module_tree.json``; :class:`PlanError` when it is unusable."""
    path = module_tree_path(output)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(f"no module tree at {path}: run `cw plan` first") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"cannot read {path} ({exc}): run `cw plan` again") from exc
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("version") != MODULE_TREE_VERSION:
            raise PlanError(
                f"{path} has version {data.get('version')!r}, this cocowiki reads "
                f"{MODULE_TREE_VERSION}: run `cw plan` again"
            )
        tree = ModuleTree.from_json(data)
        _check_links(tree)
    except PlanError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        detail = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
        raise PlanError(
            f"{path} is not a valid module tree ({detail}): run `cw plan` again"
        ) from exc
    return tree


def _check_links(tree: ModuleTree) -> None:
    """Every id a module names exists, and each child names its parent back."""
    if tree.root not in tree.modules:
        raise ValueError(f"root {tree.root!r} is not a module")
    for module in tree:
        for child in module.children:
            if child not in tree.modules or tree[child].parent != module.id:
                raise ValueError(f"child {child!r} of {module.id!r} does not link back")
        if module.parent is not None and module.parent not in tree.modules:
            raise ValueError(f"parent {module.parent!r} of {module.id!r} is not a module")
