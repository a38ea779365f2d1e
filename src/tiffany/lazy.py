"""Lazy package attributes: a package's names imported from their modules on first use.

A package's ``__init__`` maps each lazy name to the submodule that defines it and takes
its module ``__getattr__`` and ``__dir__`` from :func:`lazy_attributes`, so importing the
package stays cheap and the heavy parts load only when a caller touches them (PEP 562).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str,
    where: Mapping[str, str],
    exported: Sequence[str],
    *,
    submodules: Collection[str] = (),
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``.

    ``where`` maps a name to the submodule (relative to ``package``) that defines it; the
    first access imports it and keeps the value in the package, so later ones are plain
    lookups. A name in ``submodules`` is that submodule itself. ``__dir__`` lists the
    package's attributes and ``exported`` (its ``__all__``).
    """

    def __getattr__(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f".{name}", package)
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        vars(sys.modules[package])[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exported})

    return __getattr__, __dir__
