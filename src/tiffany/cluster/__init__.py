"""tiffany beyond one process: many independent jobs at once, here or on a Ray cluster.

:func:`run_jobs` is the one way tiffany's users fan work out (a benchmark's attempts, a
self-improvement session's candidates): the same call runs the jobs in local processes
or as Ray tasks, so a caller never talks to Ray itself. Ray is the optional extra
``tiffany-platform[ray]``; only ``executor="ray"`` needs it.
"""

from .jobs import EXECUTORS, Job, JobResult, JobsError, check_executor, run_jobs

__all__ = ["EXECUTORS", "Job", "JobResult", "JobsError", "check_executor", "run_jobs"]
