"""setuptools' build backend, asking for mypy only when the compiled kernel is wanted.

``TIFFANY_COMPILE=1 pip install .`` builds tiffany's hot kernel modules with mypyc (see
setup.py); mypyc ships inside mypy, so the isolated build environment needs mypy then and
only then. This is setuptools' documented way to add a build requirement on a condition:
an in-tree backend that wraps ``setuptools.build_meta``.
"""

from __future__ import annotations

import os

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 - the rest of the backend, unchanged

COMPILE_REQUIRES = ["mypy>=1.10"]


def _compile_requires() -> list[str]:
    wanted = os.environ.get("TIFFANY_COMPILE", "").strip() not in ("", "0")
    return COMPILE_REQUIRES if wanted else []


def get_requires_for_build_wheel(config_settings: dict[str, str] | None = None) -> list[str]:
    return _setuptools.get_requires_for_build_wheel(config_settings) + _compile_requires()
