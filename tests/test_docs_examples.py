"""The guides' examples run: every code block of ``docs/`` marked ``<!-- runnable -->``
is executed, the blocks of one page in order and in one namespace (as a reader would
type them), in a folder holding a small Python repository, ``repo/``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
REPO = ROOT / "tests" / "cocowiki" / "fixtures" / "python"
BLOCK = re.compile(r"^<!-- runnable -->\n```python\n(.*?)^```$", re.M | re.S)


def runnable(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text(encoding="utf-8"))


PAGES = sorted(page for page in DOCS.rglob("*.md") if runnable(page))


def test_the_guides_have_runnable_examples() -> None:
    names = {page.relative_to(DOCS).as_posix() for page in PAGES}
    assert {"cocowiki/library.md", "tokimon/library.md"} <= names


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(DOCS).as_posix())
def test_the_examples_of_a_page_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TOKIMON_MODEL", "TOKIMON_WORKSPACE", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(REPO, tmp_path / "repo")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for number, code in enumerate(runnable(page), start=1):
        exec(compile(code, f"{page.name}, example {number}", "exec"), namespace)
