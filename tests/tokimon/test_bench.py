"""``tokimon bench``: the task format, validation, honest attempts, suite runs and reports.

Attempts run the real agent (``python -m tokimon run``) in processes of their own, on
real git repositories, with scripted models from JSONL files (the ``scripted:`` provider);
checks run the real pytest.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from agent_fixtures import clean_env as clean_env
from typer.testing import CliRunner

from tokimon.bench.attempt import attempt_env
from tokimon.bench.compare import compare_reports, fisher_exact
from tokimon.bench.report import pass_at_k
from tokimon.bench.task import SHIPPED, TaskError, load_task
from tokimon.cli import app

SHIPPED_TASKS = sorted(p.name for p in SHIPPED.iterdir() if (p / "task.toml").is_file())
NODE_TASKS = [name for name in SHIPPED_TASKS if name.startswith("js-")]
#: The shipped tasks this machine can run: the JavaScript ones need node.
RUNNABLE = [name for name in SHIPPED_TASKS if shutil.which("node") or name not in NODE_TASKS]
GIVE_UP = {"text": "I cannot do this.", "repeat": True}


def tokimon(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def user_task(tmp_path: Path, name: str = "windows", **changes: Any) -> Path:
    """A copy of the shipped windows task in a folder of the user's own, edited."""
    tasks = tmp_path / "mine"
    target = tasks / name
    shutil.copytree(SHIPPED / "py-windows-off-by-one", target)
    for file, text in changes.items():
        (target / file.replace("__", "/")).write_text(text)
    return tasks


def turns(*entries: dict[str, Any]) -> str:
    return "".join(json.dumps(e) + "\n" for e in entries)


def oracle_entries(task: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (task / "oracle.jsonl").read_text().splitlines()]


# -- the format --------------------------------------------------------------------------


def test_a_task_with_a_problem_is_refused_with_what_to_fix(tmp_path: Path) -> None:
    tasks = user_task(tmp_path)
    root = tasks / "windows"
    (root / "task.toml").write_text('goal = "x"\ncategory = "c"\n')
    with pytest.raises(TaskError, match=r"task.toml needs check"):
        load_task(root, "mine")
    (root / "task.toml").write_text('goal = "x"\ncategory = "c"\ncheck = "true"\nwho = 1\n')
    with pytest.raises(TaskError, match="unknown key"):
        load_task(root, "mine")
    (root / "task.toml").write_text(
        'goal = "x"\ncategory = "c"\ncheck = "t"\n[budget]\ntokens = 0\n'
    )
    with pytest.raises(TaskError, match=r"budget\.tokens must be a positive"):
        load_task(root, "mine")
    result = tokimon("bench", "list", "--tasks", str(tasks))
    assert result.exit_code == 2
    assert result.stderr.count("error") == 1 and "budget.tokens" in result.stderr


def test_list_shows_the_shipped_suite_and_the_users(tmp_path: Path) -> None:
    tasks = user_task(tmp_path)
    listed = json.loads(tokimon("bench", "list", "--tasks", str(tasks), "--json").stdout)
    assert listed["suites"]["core"] == len(SHIPPED_TASKS) and listed["suites"]["mine"] == 1
    assert {t["id"] for t in listed["tasks"]} >= {"windows", *SHIPPED_TASKS}


# -- validation --------------------------------------------------------------------------


def test_the_shipped_suite_covers_what_coding_agents_meet() -> None:
    tasks = [load_task(SHIPPED / name, "core") for name in SHIPPED_TASKS]
    assert len(tasks) >= 21
    categories = {task.category for task in tasks}
    assert categories >= {
        "off-by-one", "wrong-condition", "edge-case", "exception-handling", "feature",
        "refactor", "multi-file", "api-misuse", "concurrency", "doc-example", "performance",
    }  # fmt: skip
    node = [task for task in tasks if (task.test_command or "").startswith("node --test")]
    assert len(node) >= 2 and all(task.check.startswith("node --test") for task in node)
    assert {task.id for task in node} == set(NODE_TASKS)
    for task in tasks:
        assert (task.hidden / "tests").is_dir() and task.solution.is_file(), task.id
        assert task.oracle.is_file() and task.budget.model_calls, task.id
        assert "javascript" in task.tags if task.id in NODE_TASKS else "python" in task.tags


def test_every_shipped_task_is_solvable_and_not_already_solved() -> None:
    result = tokimon("bench", "validate", *RUNNABLE, "--jobs", "2", "--json")
    rows = json.loads(result.stdout)["tasks"]
    invalid = {row["task"]: row["problems"] for row in rows if not row["valid"]}
    assert result.exit_code == 0 and not invalid, invalid
    assert [row["task"] for row in rows] == [f"core/{name}" for name in RUNNABLE]


def test_validate_reports_each_broken_task_with_its_reason(tmp_path: Path) -> None:
    original = oracle_entries(SHIPPED / "py-windows-off-by-one")
    fetching = [original[0], {"tool_calls": [{"name": "web_fetch", "arguments": {}}]}]
    solved = (SHIPPED / "py-windows-off-by-one" / "repo" / "windows.py").read_text()
    solved = solved.replace("range(len(items) - size)", "range(len(items) - size + 1)")
    tasks = user_task(tmp_path, "solved", **{"repo__windows.py": solved})
    shutil.copytree(user_task(tmp_path / "b", "webby") / "webby", tasks / "webby")
    (tasks / "webby" / "oracle.jsonl").write_text(turns(*fetching))
    (tasks / "webby" / "solution.patch").write_text(
        "--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-a\n+b\n"
    )
    shutil.rmtree(tmp_path / "b")
    result = tokimon("bench", "validate", "mine", "--tasks", str(tasks), "--jobs", "2", "--json")
    assert result.exit_code == 1
    problems = {
        row["task"]: " ".join(row["problems"]) for row in json.loads(result.stdout)["tasks"]
    }
    assert "the starting tree already passes the check" not in problems["mine/webby"]
    assert "solution.patch does not apply" in problems["mine/webby"]
    assert "tools a task may not use: web_fetch" in problems["mine/webby"]
    assert "the starting tree already passes the check" in problems["mine/solved"]
    refused = tokimon("bench", "validate", "mine", "--tasks", str(tasks), "--jobs", "0")
    assert refused.exit_code == 2 and "--jobs must be at least 1" in refused.stderr


# -- suite runs --------------------------------------------------------------------------


def test_the_oracle_solves_every_shipped_task_and_a_model_that_gives_up_none(
    tmp_path: Path,
) -> None:
    ran = tokimon(
        "bench", "run", *RUNNABLE, "--oracle", "--jobs", "2", "--out", str(tmp_path), "--json"
    )
    assert ran.exit_code == 0, ran.stdout
    summary = json.loads(ran.stdout)
    assert summary["totals"]["solved"] == summary["totals"]["attempts"] == len(RUNNABLE)
    report = json.loads(Path(summary["report"]).read_text())
    assert report["totals"]["pass@1"] == 1.0 and report["totals"]["model_calls"] > 0
    markdown = Path(summary["report"]).with_suffix(".md").read_text()
    assert "| core/py-windows-off-by-one | 1 | solved |" in markdown
    assert "\n- pass@1 1.000\n" in markdown  # pass@k only when k > 1

    give_up = tmp_path / "give-up.jsonl"
    give_up.write_text(turns(GIVE_UP))
    args = ["bench", "run", *RUNNABLE, "--model", f"scripted:{give_up}", "--out", str(tmp_path)]
    none = json.loads(tokimon(*args, "--jobs", "2", "--json").stdout)
    assert none["totals"]["solved"] == 0 and none["totals"]["attempts"] == len(RUNNABLE)

    compared = tokimon("bench", "compare", summary["report"], none["report"], "--json")
    totals = json.loads(compared.stdout)["totals"]
    assert totals["change"] == -1.0


def test_an_agent_that_edits_the_visible_tests_does_not_pass_by_it(tmp_path: Path) -> None:
    entries = oracle_entries(SHIPPED / "py-windows-off-by-one")
    cheat = {"path": "tests/test_windows.py", "content": "def test_nothing():\n    pass\n"}
    cheating = [
        entries[0],
        {"tool_calls": [{"name": "write_file", "arguments": cheat}]},
        entries[-1],
    ]
    tasks = user_task(tmp_path, **{"oracle.jsonl": turns(*cheating)})
    ran = tokimon(
        "bench", "run", "mine", "--oracle", "--tasks", str(tasks), "--out", str(tmp_path), "--json"
    )
    report = json.loads(Path(json.loads(ran.stdout)["report"]).read_text())
    (attempt,) = report["tasks"]["mine/windows"]["attempts"]
    assert attempt["run_status"] == "succeeded"  # the agent thought it was done
    assert attempt["status"] == "failed" and not attempt["solved"]
    assert attempt["tests_touched"] == ["tests/test_windows.py"]
    assert report["totals"]["attempts_touching_tests"] == 1


def test_a_budget_refuses_the_call_that_would_cross_it(tmp_path: Path) -> None:
    toml = (SHIPPED / "py-windows-off-by-one" / "task.toml").read_text()
    tasks = user_task(
        tmp_path, **{"task.toml": toml.replace("model_calls = 20", "model_calls = 2")}
    )
    ran = tokimon(
        "bench", "run", "mine", "--oracle", "--tasks", str(tasks), "--out", str(tmp_path), "--json"
    )
    report = json.loads(Path(json.loads(ran.stdout)["report"]).read_text())
    (attempt,) = report["tasks"]["mine/windows"]["attempts"]
    assert attempt["status"] == "budget_exhausted" and attempt["model_calls"] == 2


def test_a_task_that_times_out_ends_its_attempt_only(tmp_path: Path) -> None:
    toml = (SHIPPED / "py-windows-off-by-one" / "task.toml").read_text()
    slow = turns({"text": "thinking", "delay": 120})
    tasks = user_task(
        tmp_path,
        "slow",
        **{"task.toml": toml.replace("timeout_s = 300", "timeout_s = 4"), "oracle.jsonl": slow},
    )
    shutil.copytree(SHIPPED / "py-windows-off-by-one", tasks / "fine")
    ran = tokimon(
        "bench", "run", "mine", "--oracle", "--tasks", str(tasks), "--out", str(tmp_path), "--json"
    )
    report = json.loads(Path(json.loads(ran.stdout)["report"]).read_text())
    assert report["totals"]["statuses"] == {"solved": 1, "timeout": 1}


def test_a_killed_suite_run_resumes_keeping_finished_attempts(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    command = [sys.executable, "-m", "tokimon", "bench", "run", "py-windows-off-by-one"]
    command += ["--oracle", "--repeat", "3", "--out", str(out)]
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    process = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
    try:
        first = _wait_for_first_attempt(out, process)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    kept = first.read_bytes()
    resumed = tokimon("bench", "run", "--resume", "latest", "--out", str(out), "--json")
    totals = json.loads(resumed.stdout)["totals"]
    assert totals["attempts"] == 3 and totals["solved"] == 3
    assert first.read_bytes() == kept  # the finished attempt was not run again


def _wait_for_first_attempt(out: Path, process: subprocess.Popen[bytes]) -> Path:
    """Block until an attempt.json exists, following the run's own files (inotify-free:
    the loop waits on the process with a timeout, so it ends as soon as either happens)."""
    for _ in range(600):
        found = sorted(out.glob("suite-*/attempts/*/attempt.json"))
        if found:
            return found[0]
        try:
            process.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError("the suite run ended before it could be killed")
    raise AssertionError("no attempt finished within a minute")


def test_attempts_get_an_absolute_pythonpath(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``PYTHONPATH=src`` names the harness's src/, not the attempt tree's."""
    monkeypatch.chdir(tmp_path)
    env = attempt_env({"PYTHONPATH": os.pathsep.join(["src", "/abs", ""]), "X": "1"})
    assert env["PYTHONPATH"].split(os.pathsep) == [str(tmp_path / "src"), "/abs", ""]
    assert env["X"] == "1" and "PYTHONPATH" not in attempt_env({})


# -- the numbers -------------------------------------------------------------------------


def test_pass_at_k_is_the_unbiased_estimate() -> None:
    assert pass_at_k(5, 0, 1) == 0.0 and pass_at_k(5, 5, 3) == 1.0
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)  # 1 - C(3,2)/C(4,2)
    with pytest.raises(ValueError, match="needs at least 3 attempts"):
        pass_at_k(2, 1, 3)


def test_compare_says_when_a_difference_is_noise() -> None:
    assert fisher_exact(1, 3, 2, 3) == pytest.approx(1.0)
    assert fisher_exact(0, 20, 20, 20) < 1e-6

    def report(solved: int, attempts: int) -> dict[str, Any]:
        return {
            "id": f"r{solved}",
            "tasks": {"core/t": {"solved": solved, "attempts": [{}] * attempts}},
            "totals": {"solved": solved, "attempts": attempts},
        }

    small = compare_reports(report(1, 3), report(2, 3))["totals"]
    assert not small["meaningful"] and "within noise" in small["note"]
    large = compare_reports(report(0, 30), report(30, 30))["totals"]
    assert large["meaningful"] and "note" not in large


# -- importing -----------------------------------------------------------------------------


def test_the_first_ten_humaneval_problems_import_as_valid_tasks(tmp_path: Path) -> None:
    out = tmp_path / "humaneval"
    imported = tokimon("bench", "import", "humaneval", "--limit", "10", "--out", str(out))
    assert imported.exit_code == 0, imported.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(f"humaneval-{n}" for n in range(10))
    validate = ["bench", "validate", "humaneval", "--tasks", str(out), "--jobs", "2", "--json"]
    result = tokimon(*validate)
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["invalid"] == 0


def test_a_broken_problem_file_is_refused_by_line(tmp_path: Path) -> None:
    problems = tmp_path / "problems.jsonl"
    problems.write_text('{"task_id": "x/1", "prompt": "def f():\\n"}\n')
    result = tokimon(
        "bench", "import", "humaneval", "--from", str(problems), "--out", str(tmp_path / "o")
    )
    assert result.exit_code != 0
    assert result.exit_code == 2 and result.stderr.count("error") == 1
    assert "problems.jsonl:1 lacks canonical_solution, test, entry_point" in result.stderr
    assert not (tmp_path / "o").exists()
