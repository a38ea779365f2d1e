"""Persisted state: round trips, atomic writes, corruption moved aside, migrations, locks."""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
from pathlib import Path

import pytest

import tiffany
from tiffany.daemon.state import (
    INTERRUPTED,
    SCHEMA_VERSION,
    CorruptState,
    DaemonState,
    StateError,
    StateStore,
    StateWriter,
    TaskRecord,
    migrate,
    validate,
)

FIXTURES = Path(__file__).parent / "fixtures"


def _state() -> DaemonState:
    state = DaemonState(config_digest="sha256:abc")
    for agent, record_state in (("echo", "finished"), ("boom", "failed"), ("slow", "running")):
        task_id = state.new_id()
        state.tasks[task_id] = TaskRecord(
            id=task_id, agent=agent, args={"n": task_id}, state=record_state, created_at=1.0
        )
    state.tasks[1].result = {"ok": [1, 2]}
    state.tasks[2].error = "ValueError: boom"
    return state


def test_state_round_trips_and_running_tasks_come_back_interrupted(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.write(_state().encode(now=5.0))
    loaded = store.load(now=9.0)
    assert loaded.moved_aside is None and loaded.migrated_from is None
    assert loaded.interrupted == [3], "a record still running on disk means the daemon died"
    tasks = loaded.state.tasks
    assert tasks[1].result == {"ok": [1, 2]}
    assert tasks[2].error == "ValueError: boom"
    assert tasks[3].state == INTERRUPTED and tasks[3].ended_at == 9.0
    assert "killed or crashed" in (tasks[3].error or "")
    assert loaded.state.next_id == 4
    assert loaded.state.config_digest == "sha256:abc"


def test_writes_are_atomic_private_and_leave_no_temp_files(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.write(_state().encode(now=1.0))
    store.write(DaemonState().encode(now=2.0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]
    assert stat.S_IMODE(os.stat(tmp_path / "state.json").st_mode) == 0o600
    assert json.loads((tmp_path / "state.json").read_text())["schema_version"] == SCHEMA_VERSION


def test_an_older_write_never_replaces_a_newer_one(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    assert store.write(_state().encode(now=1.0), generation=5)
    assert not store.write(DaemonState().encode(now=2.0), generation=4)
    assert len(store.load().state.tasks) == 3


def test_a_temp_file_left_by_a_crash_mid_write_is_removed(tmp_path: Path) -> None:
    (tmp_path / ".state.json.k3x9q2.tmp").write_text('{"half": ')
    StateStore(tmp_path).load()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"schema_version": 2, "next_id": ', "not valid JSON: Expecting value"),
        (b"\xff\xfe garbage", "not valid JSON"),
        (b"[1, 2, 3]", "the top level is list"),
        (b'{"next_id": 1, "tasks": []}', "no usable schema_version"),
        (b'{"schema_version": 2, "next_id": 1, "tasks": {}}', "tasks: expected a list"),
        (
            b'{"schema_version": 2, "next_id": 2, "tasks": [{"id": 1, "agent": "a", '
            b'"args": {}, "state": "exploded"}]}',
            "tasks[0].state: expected one of",
        ),
        (
            b'{"schema_version": 2, "next_id": 1, "tasks": [{"id": 5, "agent": "a", '
            b'"args": {}, "state": "finished"}]}',
            "next_id: expected a number above 5",
        ),
    ],
)
def test_a_corrupt_state_file_is_moved_aside_with_a_clear_message(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes, problem: str
) -> None:
    (tmp_path / "state.json").write_bytes(content)
    with caplog.at_level(logging.ERROR, logger="tiffany.daemon.state"):
        loaded = StateStore(tmp_path).load(now=0.0)
    assert loaded.state.tasks == {}, "the daemon starts empty rather than not at all"
    assert loaded.moved_aside == tmp_path / "state.json.corrupt-19700101T000000Z"
    assert loaded.moved_aside.read_bytes() == content, "the bad file is kept for a person"
    assert not (tmp_path / "state.json").exists()
    assert problem in (loaded.problem or "")
    message = caplog.records[-1].getMessage()
    assert "is corrupt" in message and str(loaded.moved_aside) in message


def test_two_corrupt_files_in_the_same_second_are_both_kept(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    for text in ("first", "second"):
        (tmp_path / "state.json").write_text(text)
        store.load(now=0.0)
    kept = sorted(p.read_text() for p in tmp_path.glob("state.json.corrupt-*"))
    assert kept == ["first", "second"]


def test_v1_state_is_migrated_to_v2_and_the_original_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copy(FIXTURES / "state_v1.json", tmp_path / "state.json")
    with caplog.at_level(logging.WARNING, logger="tiffany.daemon.state"):
        loaded = StateStore(tmp_path).load(now=100.0)
    assert loaded.migrated_from == 1
    assert loaded.moved_aside is None
    state = loaded.state
    assert sorted(state.tasks) == [1, 2, 7]
    assert state.next_id == 8
    assert state.config_digest == "sha256:" + "4f2c0b9a6e1d8c7b5a3f2e1d0c9b8a7f" + (
        "6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b"
    )
    assert state.tasks[1].state == "finished" and state.tasks[1].result == {"greeting": "hello"}
    assert state.tasks[1].created_at == 1700000000.0 and state.tasks[1].ended_at == 1700000000.5
    assert state.tasks[2].state == "failed" and state.tasks[2].error == "ValueError: boom"
    assert state.tasks[7].state == INTERRUPTED, "v1's running task died with its daemon"
    assert loaded.interrupted == [7]
    backup = tmp_path / "state.json.v1.bak"
    assert json.loads(backup.read_text()) == json.loads((FIXTURES / "state_v1.json").read_text())
    assert any("migrated the state from schema 1 to 2" in r.getMessage() for r in caplog.records)


def test_migrated_state_is_written_back_in_the_current_schema(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "state_v1.json", tmp_path / "state.json")
    store = StateStore(tmp_path)
    store.write(store.load().state.encode(now=1.0))
    document = json.loads((tmp_path / "state.json").read_text())
    assert document["schema_version"] == 2
    assert validate(document).tasks[7].state == INTERRUPTED
    assert StateStore(tmp_path).load().migrated_from is None


def test_migrate_reports_the_version_it_started_from() -> None:
    document = json.loads((FIXTURES / "state_v1.json").read_text())
    migrated, version = migrate(document)
    assert version == 1
    assert migrated["schema_version"] == SCHEMA_VERSION
    with pytest.raises(CorruptState, match="unknown status 'weird'"):
        migrate({"version": 1, "tasks": {"1": {"agent": "a", "status": "weird"}}})


def test_a_state_from_a_newer_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    content = b'{"schema_version": 99, "whatever": true}'
    (tmp_path / "state.json").write_bytes(content)
    with pytest.raises(StateError, match="newer tiffany"):
        StateStore(tmp_path).load()
    assert (tmp_path / "state.json").read_bytes() == content


def test_a_second_daemon_cannot_take_the_same_state_directory(tmp_path: Path) -> None:
    first = StateStore(tmp_path)
    first.lock()
    try:
        with pytest.raises(StateError, match=f"pid {os.getpid()}"):
            StateStore(tmp_path).lock()
    finally:
        first.unlock()
    second = StateStore(tmp_path)
    second.lock()  # free again once the first let go
    second.unlock()


def test_prune_keeps_the_latest_ended_records_and_every_running_one() -> None:
    state = DaemonState()
    for i in range(1, 11):
        running = i in (2, 9)
        state.tasks[i] = TaskRecord(
            id=i,
            agent="a",
            args={},
            state="running" if running else "finished",
            ended_at=None if running else 100.0 + i,
        )
    state.tasks[1].ended_at = 500.0  # the oldest task ended last: it stays
    state.next_id = 11
    assert state.prune(keep_finished=3) == 5
    assert sorted(state.tasks) == [1, 2, 8, 9, 10]


def test_the_writer_coalesces_changes_and_flush_waits_for_the_disk(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    state = DaemonState()
    snapshots = 0

    def snapshot() -> bytes:
        nonlocal snapshots
        snapshots += 1
        return state.encode(now=0.0)

    async def main() -> tuple[bool, int, int]:
        writer = StateWriter(store, snapshot)
        task = await tiffany.spawn(writer.run, system=True)
        for i in range(1, 51):  # a burst of changes before the writer gets to run
            state.tasks[i] = TaskRecord(id=i, agent="a", args={})
            state.next_id = i + 1
            generation = writer.mark_dirty()
        durable = await writer.flush(generation)
        await task.cancel()
        return durable, writer.writes, snapshots

    durable, writes, taken = tiffany.run(main, clock=tiffany.VirtualClock())
    assert durable
    assert writes == 1 and taken == 1, "fifty changes, one write"
    assert len(store.load().state.tasks) == 50


def test_the_writer_retries_after_a_failed_write(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    attempts: list[int] = []
    real_write = store.write

    def flaky_write(data: bytes, generation: int = 0) -> bool:
        attempts.append(generation)
        if len(attempts) == 1:
            raise OSError(28, "No space left on device")
        return real_write(data, generation)

    store.write = flaky_write  # type: ignore[method-assign]

    async def main() -> tuple[bool, bool, int, float]:
        writer = StateWriter(store, lambda: DaemonState().encode(now=0.0), retry_delay=2.0)
        task = await tiffany.spawn(writer.run, system=True)
        first = await writer.flush(writer.mark_dirty())
        second = await writer.flush(writer.mark_dirty())
        await task.cancel()
        return first, second, writer.failures, tiffany.current_time()

    first, second, failures, now = tiffany.run(main, clock=tiffany.VirtualClock())
    assert (first, second) == (False, True)
    assert failures == 1
    assert now == 2.0, "the retry waits retry_delay on the kernel's clock"
    assert (tmp_path / "state.json").exists()
