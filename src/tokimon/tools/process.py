"""Running a command for a tool: bounded output, a hard time limit, nothing left behind.

The approach is the one :mod:`tiffany.models.cli_provider` takes for agent CLIs: the
process gets its own session (so its whole process group can be killed) and is waited
for in a worker thread, so the kernel keeps running. Two differences suit tools:

* output goes to an anonymous temporary file, not a pipe, so a command that prints
  gigabytes neither fills memory nor blocks on a full pipe; only the tail is read back;
* the time limit is enforced by the waiting thread itself, so it holds even on a
  virtual clock (which stands still while a thread runs). On a timeout, on cancellation
  of the calling task, and after a normal exit alike, the process group is killed, so
  a test that left a server running in the background does not outlive its run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import tiffany

from .errors import ToolError
from .output import truncation_marker


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """How a command ended. ``returncode`` is None when it was killed for its time limit."""

    returncode: int | None
    output: str
    omitted_bytes: int
    timed_out: bool
    duration: float


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _wait(process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait for the process; on timeout kill its group. True if it timed out."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        process.wait()
        return True
    return False


def _tail(sink: IO[bytes], limit: int) -> tuple[str, int]:
    """The last ``limit`` bytes of the output, with the cut marked."""
    size = sink.seek(0, os.SEEK_END)
    omitted = max(size - limit, 0)
    sink.seek(omitted)
    data = sink.read()
    if omitted:
        newline = data.find(b"\n")
        if 0 <= newline < len(data) // 2:
            omitted += newline + 1
            data = data[newline + 1 :]
    text = data.decode("utf-8", "replace")
    return (f"{truncation_marker(omitted, 'tail')}\n{text}" if omitted else text), omitted


async def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    max_output_bytes: int,
    env: Mapping[str, str] | None = None,
) -> ProcessResult:
    """Run ``argv`` in ``cwd`` with stdout and stderr together; see the module docstring."""
    environment = dict(os.environ if env is None else env)
    environment.setdefault("PYTHONUNBUFFERED", "1")  # output so far survives a kill
    with tempfile.TemporaryFile() as sink:
        started = time.perf_counter()
        try:
            process = subprocess.Popen(
                list(argv),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=environment,
                start_new_session=True,
            )
        except OSError as exc:
            raise ToolError(
                f"cannot start {argv[0]!r}: {exc.strerror or exc}; check the command"
            ) from None
        try:
            timed_out = await tiffany.to_thread(_wait, process, timeout, cancellable=True)
        finally:
            _kill_group(process)  # cancelled, timed out or finished: leave nothing running
        duration = time.perf_counter() - started
        output, omitted = _tail(sink, max_output_bytes)
    return ProcessResult(
        None if timed_out else process.returncode, output, omitted, timed_out, duration
    )
