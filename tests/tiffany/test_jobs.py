"""``tiffany.cluster.run_jobs``: many independent jobs in local processes or on a real
local Ray cluster, with the same results, failures and timeouts on both."""

from __future__ import annotations

import operator
import os
import signal
import time
from pathlib import Path

import pytest

from tiffany.cluster import Job, JobResult, JobsError, run_jobs


def _fifty_jobs() -> list[Job]:
    """48 that succeed, one that raises, one that never ends within its timeout (stdlib
    functions only, so a Ray worker imports them whatever its sys.path)."""
    jobs = [Job(f"pow-{n}", pow, (n, 2)) for n in range(48)]
    jobs.append(Job("divide-by-zero", operator.truediv, (1, 0)))
    jobs.append(Job("sleeper", time.sleep, (600,), timeout=1.0))
    return jobs


def _check_fifty(results: list[JobResult]) -> None:
    by_id = {r.id: r for r in results}
    assert len(results) == len(by_id) == 50
    assert [by_id[f"pow-{n}"].value for n in range(48)] == [n * n for n in range(48)]
    failed = by_id["divide-by-zero"]
    assert failed.status == "failed" and failed.error is not None
    assert "ZeroDivisionError" in failed.error
    sleeper = by_id["sleeper"]
    assert sleeper.status == "timeout" and sleeper.error == "no result within 1 s"


def test_fifty_local_jobs_with_a_failure_and_a_timeout() -> None:
    results = list(run_jobs(_fifty_jobs(), max_in_flight=4))
    _check_fifty(results)
    failed = next(r for r in results if r.id == "divide-by-zero")
    assert failed.traceback is not None and failed.traceback.startswith("Traceback")


def _write_pid_then_wait(folder: str) -> None:
    (Path(folder) / str(os.getpid())).touch()
    time.sleep(600)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_leaving_the_loop_ends_the_jobs_still_running(tmp_path: Path) -> None:
    jobs = [Job(f"wait-{n}", _write_pid_then_wait, (str(tmp_path),)) for n in range(2)]
    jobs.append(Job("quick", pow, (3, 2)))
    jobs.append(Job("never-started", pow, (4, 2)))
    results = run_jobs(jobs, max_in_flight=3)
    assert next(results).value == 9
    while len(list(tmp_path.iterdir())) < 2:  # both waiters have started
        time.sleep(0.01)
    results.close()
    pids = [int(p.name) for p in tmp_path.iterdir()]
    assert not any(_alive(pid) for pid in pids)


def test_a_job_whose_process_dies_is_reported_with_its_exit_code() -> None:
    [result] = run_jobs([Job("exit", os._exit, (3,))])
    assert result.status == "failed" and result.error is not None
    assert result.error.endswith("exit code 3")


def test_bad_requests_are_refused_before_anything_runs() -> None:
    with pytest.raises(JobsError, match="unknown executor 'slurm'"):
        run_jobs([], executor="slurm")
    with pytest.raises(JobsError, match="job ids must be unique"):
        run_jobs([Job("a", pow, (1, 1)), Job("a", pow, (2, 1))])
    with pytest.raises(JobsError, match="needs executor='ray'"):
        run_jobs([], address="127.0.0.1:6379")


def test_fifty_jobs_on_a_local_ray_cluster() -> None:
    pytest.importorskip("ray")
    _check_fifty(list(run_jobs(_fifty_jobs(), executor="ray")))


def test_a_ray_run_gives_the_callers_signal_handlers_back() -> None:
    pytest.importorskip("ray")
    before = signal.getsignal(signal.SIGTERM)
    assert [r.value for r in run_jobs([Job("one", pow, (2, 3))], executor="ray")] == [8]
    assert signal.getsignal(signal.SIGTERM) is before
