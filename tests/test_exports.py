"""Each package exports exactly the names its API reference page documents in its
``__all__``, each with a docstring of its own (as httpx's test_exported_members)."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs" / "reference"
PACKAGES = ("tiffany", "cocowiki", "tokimon")


def documented(package: str) -> list[str]:
    """The last part of every ``::: dotted.path`` of ``docs/reference/<package>.md``."""
    text = (DOCS / f"{package}.md").read_text(encoding="utf-8")
    return [path.rsplit(".", 1)[-1] for path in re.findall(r"^::: (\S+)$", text, re.M)]


@pytest.mark.parametrize("package", PACKAGES)
def test_all_is_what_the_reference_documents(package: str) -> None:
    # The order of ``__all__`` is ruff's to keep (RUF022: constants, classes, functions).
    module = importlib.import_module(package)
    assert sorted(documented(package)) == sorted(module.__all__)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_resolves_and_has_a_docstring(package: str) -> None:
    module = importlib.import_module(package)
    assert (module.__doc__ or "").strip(), package
    missing = [name for name in module.__all__ if not (getattr(module, name).__doc__ or "")]
    assert missing == []
    for name in module.__all__:
        value = getattr(module, name)
        if inspect.isclass(value) and value.__doc__ is not None:
            own = value.__dict__.get("__doc__")
            assert own, f"{package}.{name} has only an inherited docstring"


@pytest.mark.parametrize("package", ["cocowiki", "tokimon"])
def test_the_top_level_imports_no_heavy_part(package: str) -> None:
    import subprocess
    import sys

    code = f"import sys, {package}; print(sorted(m for m in sys.modules if m.startswith(("
    code += "'tree_sitter', 'openai', 'rich', 'typer', 'pydantic', 'networkx'))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
