"""``tokimon self-improve``: sessions in real git worktrees running the real agent on
scripted models (the ``scripted:`` provider), judged by the real pytest, merged under the
lock. Runs that must be killed or must overlap are real subprocesses, synchronised on
FIFOs (the ``TOKIMON_SELF_IMPROVE_PAUSE`` testing aid), never on sleeps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from agent_fixtures import FIXTURES, GOAL, call, final, fix_patch, plan, step
from agent_fixtures import clean_env as clean_env
from typer.testing import CliRunner

from tokimon.cli import app
from tokimon.selfimprove import pick_winner
from tokimon.selfimprove.merge import PAUSE_ENV

DATES = (FIXTURES / "dates_repo" / "dates.py").read_text()
TESTS = """from dates import parse


def test_parse_splits_a_date():
    assert parse("2024-01-31") == (2024, 1, 31)


def test_parse_refuses_a_thirteenth_month():
    assert parse("2024-13-01") is None


def test_parse_knows_month_lengths():
    assert parse("2024-04-31") is None, "April has 30 days"
    assert parse("2024-02-29") == (2024, 2, 29)
"""
FIX = fix_patch("src/dates.py")
WORSE = """\
--- a/src/dates.py
+++ b/src/dates.py
@@ -15,3 +15,3 @@ def parse(text):
     if not 1 <= day <= 31:
         return None
-    return year, month, day
+    return None
"""
NOTES = """\
--- a/NOTES.md
+++ b/NOTES.md
@@ -1 +1 @@
-notes
+notes, changed by a session
"""


def entries(*patches: str, run_tests: bool = True) -> list[dict[str, Any]]:
    """A plan of one Implementer step that applies ``patches`` (and runs the tests)."""
    turns = [plan(step("fix", inputs={"task": GOAL}))]
    turns += [call("apply_patch", patch=patch) for patch in patches]
    if run_tests:
        turns.append(call("run_tests", targets=["tests"]))
    turns.append(final(summary="changed dates.parse"))
    return turns


def model(tmp_path: Path, name: str, turns: list[dict[str, Any]]) -> str:
    script = tmp_path / f"{name}.jsonl"
    script.write_text("".join(json.dumps(t) + "\n" for t in turns))
    return f"scripted:{script}"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def master_repo(tmp_path: Path, dates: str = DATES) -> Path:
    repo = tmp_path / "master"
    (repo / "src").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / "docs").mkdir()
    (repo / "src" / "dates.py").write_text(dates)
    (repo / "tests" / "test_dates.py").write_text(TESTS)
    (repo / "docs" / "dates.md").write_text("# dates\n")
    (repo / "NOTES.md").write_text("notes\n")
    (repo / "pytest.ini").write_text("[pytest]\npythonpath = src\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Master")
    git(repo, "config", "user.email", "master@example.invalid")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "start")
    return repo


def fixed(dates: str = DATES) -> str:
    return dates.replace(
        "    if not 1 <= day <= 31:\n",
        "    last = DAYS_IN_MONTH[month - 1]\n    if month == 2 and is_leap(year):\n"
        "        last = 29\n    if not 1 <= day <= last:\n",
    )


def self_improve(repo: Path, *args: str) -> Any:
    return CliRunner().invoke(
        app, ["self-improve", GOAL, "--repo", str(repo), "--json", *args], catch_exceptions=False
    )


def suite_passes(repo: Path) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=repo,
        capture_output=True, text=True,
    )  # fmt: skip
    return done.returncode == 0


def commits_since(repo: Path, base: str) -> list[str]:
    return git(repo, "rev-list", f"{base}..HEAD").split()


# -- refusals -----------------------------------------------------------------------------


def test_a_dirty_checkout_and_a_folder_outside_git_are_refused(tmp_path: Path) -> None:
    repo = master_repo(tmp_path)
    (repo / "src" / "new.py").write_text("x = 1\n")
    ran = self_improve(repo, "--model", "scripted:none.jsonl")
    assert ran.exit_code == 2
    assert ran.stdout.count("\n") == 1 and "src/new.py" in ran.stdout
    assert "commit or stash" in ran.stdout
    outside = tmp_path / "plain"
    outside.mkdir()
    ran = self_improve(outside, "--model", "scripted:none.jsonl")
    assert ran.exit_code == 2 and "not a git repository" in ran.stdout
    assert not (repo / ".tokimon").exists()


def test_changes_outside_the_paths_do_not_make_a_checkout_dirty(tmp_path: Path) -> None:
    repo = master_repo(tmp_path)
    (repo / "NOTES.md").write_text("mine\n")
    giving_up = model(tmp_path, "up", [{"text": "I cannot.", "repeat": True}])
    ran = self_improve(repo, "--model", giving_up, "--sessions", "1")
    assert ran.exit_code == 1, ran.stdout
    report = json.loads(ran.stdout)
    assert report["merges"] == [] and (repo / "NOTES.md").read_text() == "mine\n"


def test_the_winner_is_ranked_by_evaluation_then_failures_then_diff() -> None:
    def record(n: int, passed: bool, failed: int, size: int) -> dict[str, Any]:
        evaluation = {"passed": passed, "tests_failed": failed, "tests_passed": 3 - failed}
        diff = {"files": 1, "insertions": size, "deletions": 0}
        return {"number": n, "commit": "c", "evaluation": evaluation, "diff": diff}

    ranking = pick_winner([record(1, False, 1, 1), record(2, True, 0, 9), record(3, True, 0, 2)])
    assert ranking["winner"] == 3 and ranking["ranking"] == [3, 2, 1]
    assert any("smaller diff" in reason for reason in ranking["reasons"])
    assert any("evaluation passes" in reason for reason in ranking["reasons"])
    empty = {"number": 4, "commit": "c", "diff": {"files": 0}}
    assert pick_winner([empty])["winner"] is None


# -- whole runs ---------------------------------------------------------------------------


def test_the_fixer_wins_over_the_worse_session_and_only_the_paths_are_merged(
    tmp_path: Path,
) -> None:
    repo = master_repo(tmp_path)
    start = git(repo, "rev-parse", "HEAD")
    fixer = model(tmp_path, "fixer", entries(FIX, NOTES))
    worse = model(tmp_path, "worse", entries(WORSE))
    ran = self_improve(repo, "--model", fixer, "--model", worse)
    assert ran.exit_code == 0, ran.stdout
    report = json.loads(ran.stdout)
    batch = report["batches"][0]
    assert batch["master_evaluation"]["tests_failed"] == 1
    assert batch["winner"] == 1 and batch["ranking"]["ranking"] == [1, 2]
    assert "session 1 beats session 2 on evaluation passes" in batch["ranking"]["reasons"][0]
    sessions = {s["number"]: s for s in batch["sessions"]}
    assert sessions[1]["evaluation"]["passed"] and not sessions[2]["evaluation"]["passed"]
    assert sessions[1]["outside_paths"] == ["NOTES.md"]
    assert sessions[1]["metrics"]["model_calls"] == 5 and sessions[1]["plan"][0]["id"] == "fix"
    # one commit on master, inside the paths, carrying the goal; master's tests pass
    assert commits_since(repo, start) == [batch["merge"]["commit"]]
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["src/dates.py"]
    assert GOAL in git(repo, "log", "-1", "--format=%B")
    assert (repo / "NOTES.md").read_text() == "notes\n"
    assert git(repo, "status", "--porcelain", "--", "src", "docs") == ""
    assert suite_passes(repo)
    folder = Path(report["report"]).parent
    assert "Winner: session 1" in (folder / "self_improve.md").read_text()
    session = json.loads((folder / "sessions" / "session-1" / "session.json").read_text())
    assert session["agents_md"] == "template" and session["diff"]["files"] == 1
    assert "NOTES.md" in (folder / "sessions" / "session-1" / "outside_paths.diff").read_text()
    assert not (folder / "sessions" / "session-1" / "workspace").exists()
    assert git(repo, "worktree", "list").count("\n") == 0  # only master


def test_a_failing_evaluation_after_the_merge_leaves_master_as_it_was(tmp_path: Path) -> None:
    repo = master_repo(tmp_path)
    start = git(repo, "rev-parse", "HEAD")
    fixer = model(tmp_path, "fixer", entries(FIX))
    # the evaluation fails only where the merge is evaluated
    check = "sh -c 'case \"$PWD\" in */merge/*) exit 1;; esac; exec {python} -m pytest -q'"
    ran = self_improve(repo, "--model", fixer, "--sessions", "1", "--eval", check)
    assert ran.exit_code == 1, ran.stdout
    merge = json.loads(ran.stdout)["batches"][0]["merge"]
    assert not merge["merged"] and "evaluation failed after the merge" in merge["reason"]
    assert git(repo, "rev-parse", "HEAD") == start
    assert git(repo, "status", "--porcelain") == "?? .tokimon/" or not git(
        repo, "status", "--porcelain", "--", "src", "docs", "tests"
    )
    assert (repo / "src" / "dates.py").read_text() == DATES
    kept = Path(json.loads(ran.stdout)["report"]).parent / "sessions" / "session-1" / "workspace"
    assert (kept / "src" / "dates.py").read_text() == fixed()  # left for a person to review


# -- runs as processes: overlapping, killed -----------------------------------------------


def start_run(repo: Path, tmp_path: Path, scripts: list[str], pause: str | None, name: str,
              *args: str) -> tuple[subprocess.Popen[str], Path]:  # fmt: skip
    """``tokimon self-improve`` in a process; with ``pause``, it stops there and says so
    on the returned FIFO (and goes on when ``FIFO.go`` is opened and closed)."""
    fifo = tmp_path / f"{name}.fifo"
    env = {**os.environ, "TOKIMON_WORKSPACE": str(tmp_path / f"space-{name}")}
    if pause:
        os.mkfifo(fifo)
        os.mkfifo(f"{fifo}.go")
        env[PAUSE_ENV] = f"{pause}={fifo}"
    command = [sys.executable, "-m", "tokimon", "self-improve", GOAL, "--repo", str(repo)]
    command += ["--sessions", "1", "--json", *args]
    for script in scripts:
        command += ["--model", script]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    return process, fifo


def reached(fifo: Path) -> str:
    with open(fifo, encoding="utf-8") as pipe:
        return pipe.read().strip()


def go(fifo: Path) -> None:
    with open(f"{fifo}.go", "w", encoding="utf-8"):
        pass


DOCS = """\
--- a/docs/dates.md
+++ b/docs/dates.md
@@ -1 +1,3 @@
 # dates
+
+parse() knows each month's length.
"""


def test_two_runs_on_one_checkout_merge_one_after_the_other(tmp_path: Path) -> None:
    repo = master_repo(tmp_path)
    start = git(repo, "rev-parse", "HEAD")
    first, a = start_run(repo, tmp_path, [model(tmp_path, "a", entries(FIX))], "locked", "a")
    assert reached(a) == "locked"  # run a holds the lock, before touching master
    docs = model(tmp_path, "b", entries(DOCS, run_tests=False))
    second, b = start_run(repo, tmp_path, [docs], "lock-wait", "b", "--eval", "true")
    assert reached(b) == "lock-wait"  # run b found the lock taken: it queues
    go(b)
    go(a)
    out_a, _ = first.communicate(timeout=300)
    out_b, _ = second.communicate(timeout=300)
    assert first.returncode == 0 and second.returncode == 0, (out_a, out_b)
    merged_a = json.loads(out_a)["merges"]
    merged_b = json.loads(out_b)["merges"]
    assert commits_since(repo, start) == merged_b + merged_a  # newest first, none lost
    assert git(repo, "rev-parse", "HEAD^") == merged_a[0]
    assert (repo / "src" / "dates.py").read_text() == fixed()
    assert "month's length" in (repo / "docs" / "dates.md").read_text()
    assert suite_passes(repo)


@pytest.mark.parametrize("phase", ["sessions", "merged", "evaluated", "journaled", "moved"])
def test_kill_9_in_a_phase_leaves_master_whole_and_a_rerun_finishes(
    tmp_path: Path, phase: str
) -> None:
    repo = master_repo(tmp_path)
    start = git(repo, "rev-parse", "HEAD")
    fixer = model(tmp_path, "fixer", entries(FIX))
    process, fifo = start_run(repo, tmp_path, [fixer], phase, "killed")
    assert reached(fifo) == phase
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    after = commits_since(repo, start)
    assert len(after) <= 1  # unchanged, or exactly one complete merge commit
    if after:
        assert git(repo, "rev-parse", "HEAD^") == start
    rerun = self_improve(repo, "--model", model(tmp_path, "again", entries(FIX)), "--sessions", "1")
    assert rerun.exit_code in (0, 1), rerun.stdout
    assert len(commits_since(repo, start)) == 1
    assert git(repo, "status", "--porcelain", "--", "src", "docs") == ""
    assert (repo / "src" / "dates.py").read_text() == fixed()
    assert suite_passes(repo)


ONE_LINE_FIX = """\
--- a/src/dates.py
+++ b/src/dates.py
@@ -14,4 +14,4 @@ def parse(text):
         return None
-    if not 1 <= day <= 31:
+    if not 1 <= day <= (29 if month == 2 and is_leap(year) else DAYS_IN_MONTH[month - 1]):
         return None
     return year, month, day
"""


def test_a_conflict_with_an_earlier_merge_resolves_in_the_winners_favour(tmp_path: Path) -> None:
    repo = master_repo(tmp_path)
    start = git(repo, "rev-parse", "HEAD")
    first, a = start_run(repo, tmp_path, [model(tmp_path, "a", entries(FIX))], "locked", "a")
    assert reached(a) == "locked"
    other = model(tmp_path, "b", entries(ONE_LINE_FIX))
    second, b = start_run(repo, tmp_path, [other], "lock-wait", "b")
    assert reached(b) == "lock-wait"
    go(b)
    go(a)
    out_a, _ = first.communicate(timeout=300)
    out_b, _ = second.communicate(timeout=300)
    assert first.returncode == 0 and second.returncode == 0, (out_a, out_b)
    merge_b = json.loads(out_b)["batches"][0]["merge"]
    assert merge_b["conflicts"] == ["src/dates.py"]
    assert len(commits_since(repo, start)) == 2
    text = (repo / "src" / "dates.py").read_text()
    assert "(29 if month == 2" in text  # the later winner's line
    assert (
        "Conflicts resolved in the winner's favour: src/dates.py"
        in Path(json.loads(out_b)["report"]).with_suffix(".md").read_text()
    )
    assert suite_passes(repo)
