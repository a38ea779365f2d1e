"""A wheel of this project carries cocowiki's mermaid bundle, so an installed ``cw`` needs
``node`` and nothing else to check diagrams and draw them in the viewer.

Before the packages are copied into a wheel, ``npm ci`` (only when ``node_modules`` does
not hold the versions ``package.json`` pins) and ``src/cocowiki/js/build_bundle.mjs``
write ``src/cocowiki/js/bundle/`` (git ignores it; it is package data). Without npm or
``package.json`` (an sdist built elsewhere), a bundle already there is shipped as it is,
and with none the wheel is made without one after a warning: its ``cw`` then checks
diagrams only with a ``node_modules`` folder named by ``COCOWIKI_NODE_MODULES``. Set
``COCOWIKI_REQUIRE_BUNDLE=1`` to make that an error instead (for a release). An editable
install makes no bundle: a checkout uses its own ``node_modules`` after ``npm ci``.
See docs/cocowiki/viewer.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent.resolve()
SCRIPTS = ROOT / "src" / "cocowiki" / "js"
BUNDLE_FILES = ("check_mermaid.mjs", "mermaid.min.js", "versions.json")


class BundleUnavailable(RuntimeError):
    """The mermaid bundle cannot be made here (no npm, or no package.json)."""


def node_modules_current() -> bool:
    """Whether ``node_modules`` holds every package ``package.json`` pins, at its version."""
    manifest = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    pins = {**manifest.get("dependencies", {}), **manifest.get("devDependencies", {})}
    for name, version in pins.items():
        try:
            installed = json.loads((ROOT / "node_modules" / name / "package.json").read_bytes())
        except (OSError, ValueError):
            return False
        if installed.get("version") != version:
            return False
    return True


def make_bundle() -> None:
    """Write ``src/cocowiki/js/bundle/``; raises :class:`BundleUnavailable`."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        raise BundleUnavailable("npm and node are not both on PATH")
    if not (ROOT / "package.json").is_file():
        raise BundleUnavailable(f"{ROOT} has no package.json")
    if not node_modules_current():
        print("cocowiki: npm ci (mermaid, jsdom, esbuild) for the mermaid bundle", file=sys.stderr)
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, check=True
        )
    subprocess.run(
        [node, str(SCRIPTS / "build_bundle.mjs"), str(ROOT / "node_modules")], cwd=ROOT, check=True
    )


class BuildPyWithBundle(build_py):
    """``build_py`` that first makes the mermaid bundle (not for an editable install)."""

    def run(self) -> None:
        if not getattr(self, "editable_mode", False):
            self._bundle()
        super().run()

    def _bundle(self) -> None:
        try:
            make_bundle()
        except BundleUnavailable as exc:
            if os.environ.get("COCOWIKI_REQUIRE_BUNDLE") == "1":
                raise SystemExit(f"cocowiki: cannot make the mermaid bundle: {exc}") from exc
            if all((SCRIPTS / "bundle" / name).is_file() for name in BUNDLE_FILES):
                print(f"cocowiki: shipping the mermaid bundle made before ({exc})", file=sys.stderr)
                return
            print(
                f"cocowiki: WARNING: this wheel has no mermaid bundle ({exc}): its `cw` checks "
                "diagrams and draws them only with COCOWIKI_NODE_MODULES set to a node_modules "
                "folder that has mermaid and jsdom",
                file=sys.stderr,
            )


setup(cmdclass={"build_py": BuildPyWithBundle})
