"""Memory under crashes and concurrency: ``kill -9`` of a real process in the middle of a
promotion (while writing lesson files, or inside the index transaction), a damaged index,
two promotions at once. The child process reports where it stopped on its stdout and then
blocks; the test waits for that line, never for a time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tokimon.cli import app
from tokimon.lessons import Lesson, write_lesson
from tokimon.memory import ComponentMap, DiskStore, pending_runs, promote_run
from tokimon.workspace import RunPaths, Workspace

SRC = Path(__file__).resolve().parents[2] / "src"


def finished_run(space: Workspace, lessons: int, goal: str = "fix the parser") -> RunPaths:
    """A run that ended failed, with ``lessons`` lessons in its folder."""
    paths, info = space.new_run(goal, space.root.parent, "scripted:none")
    for number in range(1, lessons + 1):
        lesson = Lesson(
            id=f"{paths.id}-fix-{number}",
            timestamp=f"2026-01-01T00:00:{number:02d}.000Z",
            task_id=paths.id,
            step_id="fix",
            attempt=number,
            failure_signature=f"fs-{number % 3}",
            strategy_id="direct",
            tags=["fix", "retry", "Implementer"],
            body=f"# Lesson: step fix, attempt {number}\n\nparser lesson number {number}\n",
        )
        write_lesson(paths, lesson)
    info.status = "failed"
    paths.write_info(info)
    return paths


def memory_json(space: Workspace, *args: str) -> Any:
    result = CliRunner().invoke(
        app, ["memory", *args, "--workspace", str(space.root), "--json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


CHILD = """
import sys
from pathlib import Path
from tokimon.memory import ComponentMap, DiskStore, promote_run
from tokimon.memory import index as index_module, store as store_module
from tokimon.workspace import RunPaths

where, after = sys.argv[3], int(sys.argv[4])
count = 0

def pause():
    global count
    count += 1
    if count == after:
        print("paused", flush=True)
        sys.stdin.readline()  # blocks until killed

if where == "files":
    write = store_module.write_atomic
    def counting(path, data, **kwargs):
        write(path, data, **kwargs)
        if path.suffix == ".md":
            pause()
    store_module.write_atomic = counting
else:
    put = index_module.LessonIndex.put_lesson
    def putting(self, *args, **kwargs):
        put(self, *args, **kwargs)
        pause()
    index_module.LessonIndex.put_lesson = putting

promote_run(DiskStore(Path(sys.argv[1])), RunPaths(Path(sys.argv[2])), ComponentMap())
print("finished", flush=True)
"""


@pytest.mark.parametrize("where", ["files", "index"])
def test_kill_9_during_promotion_leaves_memory_consistent(tmp_path: Path, where: str) -> None:
    space = Workspace(tmp_path / "workspace")
    store = DiskStore(space.root / "memory")
    earlier = finished_run(space, 2)
    promote_run(store, earlier, ComponentMap())
    paths = finished_run(space, 12)
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            str(store.root),
            str(paths.root),
            where,
            "5",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "paused\n"  # mid-promotion, for sure
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
    assert store.pending.exists()

    # the next command repairs the index from the files before it answers
    listed = {item["id"] for item in memory_json(space, "list")["lessons"]}
    on_disk = {p.stem for p in store.lessons_dir.glob("*.md")}
    assert listed == on_disk and not store.pending.exists()
    expected_files = 2 + (5 if where == "files" else 12)
    assert len(on_disk) == expected_files
    assert not list(store.lessons_dir.glob(".*.tmp"))  # no half-written lesson is visible
    for path in store.lessons_dir.glob("*.md"):
        assert path.read_text().endswith("\n") and '"harmful": false' in path.read_text()

    # the run's remaining lessons are promoted by the next sweep (a run or a reindex)
    assert [p.id for p in pending_runs(store, space)] == ([paths.id] if where == "files" else [])
    reindexed = memory_json(space, "reindex")
    assert reindexed["lessons"] == 14
    assert memory_json(space, "search", "parser")["hits"]


def test_a_damaged_or_outdated_index_is_rebuilt_from_the_files(tmp_path: Path) -> None:
    space = Workspace(tmp_path / "workspace")
    store = DiskStore(space.root / "memory")
    promote_run(store, finished_run(space, 3), ComponentMap())
    assert len(memory_json(space, "list")["lessons"]) == 3

    store.index_path.write_bytes(b"this is not a database" * 100)
    assert len(memory_json(space, "list")["lessons"]) == 3

    # a lesson file removed behind memory's back: the folder changed, the index follows
    victim = sorted(store.lessons_dir.glob("*.md"))[0]
    victim.unlink()
    assert {i["id"] for i in memory_json(space, "list")["lessons"]} == {
        p.stem for p in store.lessons_dir.glob("*.md")
    }
    # a lesson file damaged by hand is reported by reindex and left out, never raised; the
    # removed one comes back from its run's folder (only `forget` keeps a lesson out)
    (store.lessons_dir / "broken.md").write_text("no header here\n")
    reindexed = memory_json(space, "reindex")
    assert "no JSON header" in reindexed["index"]["damaged"][0]
    assert reindexed["promoted"]["added"] == [victim.stem] and reindexed["lessons"] == 3


def test_concurrent_promotions_lose_no_lesson(tmp_path: Path) -> None:
    space = Workspace(tmp_path / "workspace")
    runs = [finished_run(space, 15, goal=f"goal {n}") for n in range(3)]
    start = threading.Barrier(len(runs))
    failures: list[BaseException] = []

    def promote(paths: RunPaths) -> None:
        try:
            start.wait()
            promote_run(DiskStore(space.root / "memory"), paths, ComponentMap())
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=promote, args=(paths,)) for paths in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    listed = memory_json(space, "list")["lessons"]
    assert len(listed) == 45 and len({item["id"] for item in listed}) == 45
