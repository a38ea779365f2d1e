"""A build killed with SIGKILL at any point, then built again, ends where a build that was
never interrupted ends; and two builds of one output never run at once.

The kill is real: a build runs in a subprocess whose progress callback sends itself
SIGKILL at a chosen point (mid-pages, after indexing replaced the catalog, after the
graph was committed), which is deterministic where a timer would not be.
"""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from build_helpers import (
    SMALL_PAGES,
    build,
    checker_fixture,  # noqa: F401 (the module's `checker` fixture)
    needs_mermaid,
)
from test_incremental import Shop, assert_same_as_fresh, make_shop, shop_fixture  # noqa: F401

from cocowiki.lock import LOCK_NAME, output_lock
from cocowiki.mermaid import MermaidChecker
from cocowiki.pages import build_wiki, run_build_command
from cocowiki.pages.builder import BuildBusy

pytestmark = needs_mermaid

TESTS = Path(__file__).parent

_KILLED_BUILD = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from build_helpers import SMALL_PAGES
from cocowiki.pages import build_wiki

repo, output, phase, at = Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], int(sys.argv[5])

def progress(name: str, done: int, total: int) -> None:
    if name == phase and done == at:
        os.kill(os.getpid(), signal.SIGKILL)

build_wiki(repo, output, SMALL_PAGES, progress=progress)
"""

_LOCK_HOLDER = """
import fcntl, sys
with open(sys.argv[1], "a+b") as handle:
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    print("locked", flush=True)
    sys.stdin.read()
"""


def build_killed_at(repo: Path, output: Path, phase: str, at: int) -> None:
    """Run a build in a subprocess that SIGKILLs itself at ``(phase, at)``."""
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_BUILD, str(TESTS), str(repo), str(output), phase, str(at)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    # A process the build was starting (a mermaid checker, the parsers' fork server) can
    # be between fork and exec at the kill, holding the lock for a moment; a user who
    # runs the build again that instant is told to wait. The test waits for it instead.
    with output_lock(output, wait=30):
        pass


def edit(repo: Path) -> None:
    numbers = repo / "util" / "numbers.py"
    numbers.write_text(numbers.read_text().replace("return max(", "return  max("))


@pytest.mark.parametrize(
    ("phase", "at"),
    [
        ("pages", 2),  # some pages written, no node of the graph committed
        ("plan", 0),  # the index replaced the catalog: the graph table is gone
        ("verify", 1),  # the graph committed, manifest and viewer not written
    ],
)
def test_a_killed_build_then_a_build_equals_an_uninterrupted_build(
    shop: Shop, checker: MermaidChecker, phase: str, at: int
) -> None:
    repo, output, _ = shop
    edit(repo)
    build_killed_at(repo, output, phase, at)
    build(repo, output, checker)
    assert_same_as_fresh(repo, output, checker)


def test_a_build_killed_after_an_update_in_place_then_another_edit(
    shop: Shop, checker: MermaidChecker
) -> None:
    """Two updates in place of the index, the first build over them killed mid-pages:
    the next build cannot take the index's changes for the whole story unless its state
    says so, and ends where an uninterrupted build ends."""
    repo, output, _ = shop
    edit(repo)
    build_killed_at(repo, output, "pages", 2)
    orders = repo / "shop" / "orders.py"
    orders.write_text(orders.read_text().replace("return sum(", "return  sum("))
    build(repo, output, checker)
    assert_same_as_fresh(repo, output, checker)


def test_a_build_killed_mid_pages_then_the_edit_undone(shop: Shop, checker: MermaidChecker) -> None:
    """The killed build rewrote pages for an edit that is then undone: the graph still
    describes the old pages, whose inputs match again, but their files changed on disk."""
    repo, output, _ = shop
    original = (repo / "util" / "numbers.py").read_text()
    page = (output / "pages" / "util.md").read_text()
    (repo / "util" / "numbers.py").write_text(original.replace('"""Numbers."""', '"""Digits."""'))
    build_killed_at(repo, output, "pages", 3)
    assert (output / "pages" / "util.md").read_text() != page  # the edit reached the page
    (repo / "util" / "numbers.py").write_text(original)
    again = build(repo, output, checker)
    assert again.verified == len(again.pages)
    assert_same_as_fresh(repo, output, checker)


def test_a_first_build_killed_then_built_again(tmp_path: Path, checker: MermaidChecker) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    build_killed_at(repo, output, "pages", 1)
    build(repo, output, checker)
    assert_same_as_fresh(repo, output, checker)


def test_a_second_build_of_the_same_output_stops_with_a_clear_message(tmp_path: Path) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    output.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", _LOCK_HOLDER, str(output / LOCK_NAME)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        out, err = io.StringIO(), io.StringIO()
        status = run_build_command(repo, output, config=SMALL_PAGES, stdout=out, stderr=err)
        assert status == 2
        message = "cw build: error: another cw command (build, plan or index) is writing"
        assert err.getvalue().startswith(message)
        assert "--wait" in err.getvalue() and len(err.getvalue().splitlines()) == 1
        assert sorted(p.name for p in output.iterdir()) == [LOCK_NAME]  # nothing written
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    # the lock is the kernel's: gone with its holder
    assert run_build_command(repo, output, config=SMALL_PAGES, stdout=io.StringIO()) == 0


def test_a_build_waits_for_the_lock_only_as_long_as_it_is_told(tmp_path: Path) -> None:
    repo = make_shop(tmp_path)
    output = tmp_path / "out"
    with output_lock(output):
        started = time.monotonic()
        with pytest.raises(BuildBusy, match="another cw command"):
            build_wiki(repo, output, SMALL_PAGES, wait=0.2)
        assert time.monotonic() - started >= 0.2
