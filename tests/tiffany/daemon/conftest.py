"""Fixtures of the daemon tests: a short work directory and daemon subprocesses."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from daemon_helpers import AGENTS, DaemonProcess, write_config


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A short directory under /tmp: Unix socket paths must fit in 108 bytes."""
    path = Path(tempfile.mkdtemp(prefix="tfy-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def daemon_process(workdir: Path) -> Iterator[Callable[..., DaemonProcess]]:
    """A factory of daemon subprocesses in ``workdir``; all are killed at the end."""
    started: list[DaemonProcess] = []

    def make(daemon: str = "grace = 5.0", agents: str = AGENTS, **kwargs: Any) -> DaemonProcess:
        process = DaemonProcess(workdir, write_config(workdir, daemon, agents), **kwargs)
        started.append(process)
        return process

    yield make
    for process in started:
        process.kill()
