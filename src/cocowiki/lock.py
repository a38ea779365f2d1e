"""One writer per output directory: an advisory ``flock`` on ``<output>/.lock``.

``cw build``, ``cw plan`` and ``cw index`` all rewrite files in the output directory (the
catalog above all), so each holds this lock for as long as it writes; a second command
waits up to a bound or stops with :class:`OutputBusy`, and never interleaves its writes.
The kernel drops the lock when its process dies, so a killed command never leaves the
output locked. A process takes it once, at its command's entry: ``flock`` locks belong to
an open file, and a second ``open`` in the same process would wait on the first.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import CocowikiError

LOCK_NAME = ".lock"
_POLL_SECONDS = 0.05


class OutputBusy(CocowikiError):
    """Another command holds the output directory's lock."""


@contextlib.contextmanager
def output_lock(output: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold ``<output>/.lock``, waiting up to ``wait`` seconds for the holder to finish."""
    output.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    with open(output / LOCK_NAME, "a+b") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OutputBusy(
                        f"another cw command (build, plan or index) is writing {output}; "
                        "wait for it to finish (or pass --wait SECONDS to `cw build`)"
                    ) from None
                time.sleep(_POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
