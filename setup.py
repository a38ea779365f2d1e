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

With ``TIFFANY_COMPILE=1`` the wheel also carries tiffany's hot kernel modules (named in
``[tool.tiffany.compile]`` of pyproject.toml) compiled by mypyc; their ``.py`` files stay
beside them as the reference and the fallback. Where mypy is missing or no C compiler
works, the wheel is pure Python after a warning (``TIFFANY_COMPILE=require`` makes that
an error). An editable install is never compiled: a checkout runs the source it edits.
See docs/tiffany/compiled.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

from setuptools import Distribution, Extension, setup
from setuptools.command.build_ext import build_ext
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


# -- the compiled kernel -------------------------------------------------------------------
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
KERNEL_MODULES: list[str] = PROJECT["tool"]["tiffany"]["compile"]["modules"]


def compile_mode() -> str:
    """``""`` (pure Python), ``"1"`` (compile, fall back with a warning) or ``"require"``."""
    mode = os.environ.get("TIFFANY_COMPILE", "").strip().lower()
    if mode in ("", "0"):
        return ""
    if mode not in ("1", "require"):
        raise SystemExit(f"tiffany: TIFFANY_COMPILE={mode!r}: use 1, require or leave it unset")
    return mode


def compile_failed(reason: str) -> None:
    """Say once why the wheel is pure Python; stop the build when compiling is required."""
    if compile_mode() == "require":
        raise SystemExit(f"tiffany: cannot compile the kernel: {reason}")
    print(
        f"tiffany: WARNING: building pure Python, the kernel is not compiled ({reason})",
        file=sys.stderr,
    )


class KernelDistribution(Distribution):
    """Says there are extension modules when compiling is asked for, so the wheel is
    tagged for this platform and ``build_ext`` runs; mypyc writes them there."""

    def has_ext_modules(self) -> bool:
        return bool(compile_mode())


class CompileKernel(build_ext):
    """``build_ext`` that compiles ``KERNEL_MODULES`` with mypyc, and leaves the
    pure-Python modules alone when that fails (no mypy, no C compiler, no headers).

    mypyc writes the C while options are finalized (setuptools prepares extensions
    there); a failure is only reported by ``run``, because setuptools also finalizes this
    command while asking for the build requirements, before mypy is installed.
    """

    def finalize_options(self) -> None:
        self._failure: str | None = None
        if compile_mode() and not self.editable_mode:
            self.distribution.ext_modules = self._generate()
        super().finalize_options()

    def _generate(self) -> list[Extension]:
        """mypyc's C for the kernel modules, as extensions to compile ([] if it cannot)."""
        try:
            from mypyc.build import mypycify
        except ImportError:
            self._failure = "mypy, which ships mypyc, is not installed in the build environment"
            return []
        paths = [f"src/tiffany/{name}.py" for name in KERNEL_MODULES]
        try:
            extensions: list[Extension] = mypycify(paths, opt_level="3", group_name="tiffany")
        except (Exception, SystemExit) as exc:  # mypy reports type errors by exiting
            self._failure = f"mypyc: {type(exc).__name__}: {exc}"
            return []
        return extensions

    def run(self) -> None:
        if self.editable_mode and compile_mode():
            print("tiffany: an editable install runs the kernel's source; not compiled")
            return
        if self._failure is not None:
            compile_failed(self._failure)
            return
        self._drop_stale_extensions()
        try:
            super().run()
        except Exception as exc:  # a compiler's failure has no single exception type
            for path in self.get_outputs():  # half a compiled kernel would not import
                Path(path).unlink(missing_ok=True)
            compile_failed(f"{type(exc).__name__}: {exc}")

    def _drop_stale_extensions(self) -> None:
        """Remove compiled modules an earlier build left in the build folder that this one
        does not make (a module taken off the list): the wheel packs the whole folder, and
        such a module would not import from this build's shared library."""
        keep = {Path(path).resolve() for path in self.get_outputs()}
        suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
        build_lib = Path(self.build_lib)
        for path in [*build_lib.glob(f"tiffany/*{suffix}"), *build_lib.glob(f"tiffany__*{suffix}")]:
            if path.resolve() not in keep:
                path.unlink()


setup(
    distclass=KernelDistribution,
    cmdclass={"build_py": BuildPyWithBundle, "build_ext": CompileKernel},
)
