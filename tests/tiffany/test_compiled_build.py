"""The compiled kernel (mypyc): which build runs, and what a build does without a compiler.

CI runs tiffany's tests twice: once on the source (the reference) and once on a wheel
built with ``TIFFANY_COMPILE=require`` and ``TIFFANY_EXPECT_COMPILED=1`` set, so the first
test below fails whenever the build under test is not the one that was asked for.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

import tiffany

ROOT = Path(__file__).resolve().parents[2]
MODULES: list[str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["tiffany"][
    "compile"
]["modules"]


def test_the_kernel_runs_as_the_build_that_was_asked_for() -> None:
    expected = os.environ.get("TIFFANY_EXPECT_COMPILED") == "1"
    compiled = {
        name
        for name in MODULES
        if str(importlib.import_module(f"tiffany.{name}").__file__).endswith(
            tuple(EXTENSION_SUFFIXES)
        )
    }
    assert tiffany.COMPILED is expected
    assert compiled == (set(MODULES) if expected else set())


@pytest.fixture(scope="module", name="project")
def project_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build's files and tiffany's source, copied (the build writes next to them)."""
    project = tmp_path_factory.mktemp("project")
    for name in ("pyproject.toml", "setup.py", "README.md", "build_backend/setuptools_mypyc.py"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_bytes((ROOT / name).read_bytes())
    for source in (ROOT / "src" / "tiffany").rglob("*"):
        if source.is_file() and "__pycache__" not in source.parts and source.suffix != ".so":
            target = project / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    return project


def _build_without_a_compiler(project: Path, dist: Path, mode: str) -> tuple[int, str]:
    """``pip wheel`` with ``TIFFANY_COMPILE=mode`` and a C compiler that always fails."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "wheel", "-v"]
    done = subprocess.run(
        [*pip, "--no-deps", "--no-build-isolation", "-w", str(dist), str(project)],
        env=os.environ | {"TIFFANY_COMPILE": mode, "CC": "false", "PYTHONPATH": ""},
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_without_a_c_compiler_the_wheel_is_pure_python_and_says_why_once(
    project: Path, tmp_path: Path
) -> None:
    # What an earlier compiled build left in the build folder is not packed again.
    build_lib = project / "build" / f"lib.{sysconfig.get_platform()}-{sys.implementation.cache_tag}"
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    for stale in (f"tiffany/runstate{suffix}", f"tiffany__mypyc{suffix}"):
        (build_lib / stale).parent.mkdir(parents=True, exist_ok=True)
        (build_lib / stale).write_bytes(b"left by an earlier build")
    code, output = _build_without_a_compiler(project, tmp_path / "dist", "1")
    assert code == 0, output[-3000:]
    warnings = [line for line in output.splitlines() if "tiffany: WARNING" in line]
    assert len(warnings) == 1, warnings
    assert "the kernel is not compiled (CompileError" in warnings[0]
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "tiffany/kernel.py" in names
    assert not [name for name in names if name.endswith(".so")]
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    check = "import tiffany; print(tiffany.COMPILED, tiffany.run(tiffany.sleep, 0))"
    ran = subprocess.run(
        [sys.executable, "-c", check],
        env=os.environ | {"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.stdout.split() == ["False", "None"], ran.stderr


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_require_makes_a_failed_compile_an_error(project: Path, tmp_path: Path) -> None:
    code, output = _build_without_a_compiler(project, tmp_path / "dist", "require")
    assert code != 0
    assert "tiffany: cannot compile the kernel: CompileError" in output
    assert not list((tmp_path / "dist").glob("*.whl"))
