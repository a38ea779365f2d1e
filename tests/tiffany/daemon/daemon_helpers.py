"""Helpers of the daemon tests: configs, an in-process daemon, a daemon subprocess.

A module of its own, not ``conftest``: several test folders have a ``conftest`` and only
one of them can be imported by that name."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import tiffany
from tiffany.daemon.client import DaemonClient
from tiffany.daemon.server import Daemon, DaemonOptions

T = TypeVar("T")

HERE = Path(__file__).resolve().parent

AGENTS = """
[agents.echo]
entry = "daemon_test_agents:echo"
description = "returns its arguments"

[agents.add]
entry = "daemon_test_agents:add"
args = { b = 100 }

[agents.sleepy]
entry = "daemon_test_agents:sleepy"
args = { seconds = 1.0 }

[agents.boom]
entry = "daemon_test_agents:boom"

[agents.flaky]
entry = "daemon_test_agents:flaky"
restart = { max_restarts = 5, within = 60.0, backoff = 0.01 }

[agents.spin]
entry = "daemon_test_agents:spin"
budget = { seconds = 0.001, per = 1000.0, action = "cancel" }

[agents.hog]
entry = "daemon_test_agents:hog"

[agents.forever]
entry = "daemon_test_agents:forever"

[agents.chatty]
entry = "daemon_test_agents:chatty"
"""


def config_text(daemon: str = "", agents: str = AGENTS) -> str:
    return f"[daemon]\n{daemon}\n{agents}"


def write_config(directory: Path, daemon: str = "", agents: str = AGENTS) -> Path:
    path = directory / "daemon.toml"
    path.write_text(config_text(daemon, agents))
    return path


# -- a daemon inside the test's own kernel -------------------------------------------------
def open_daemon(directory: Path, daemon: str = "", agents: str = AGENTS) -> Daemon:
    options = DaemonOptions(
        socket_path=directory / "d.sock",
        state_dir=directory / "state",
        config_path=write_config(directory, daemon, agents),
        handle_signals=False,
    )
    return Daemon.open(options)


def run_in_daemon(
    directory: Path,
    body: Callable[[Daemon], Awaitable[T]],
    *,
    daemon: str = "",
    agents: str = AGENTS,
    listen: bool = True,
    clock: tiffany.Clock | None = None,
) -> T:
    """Run ``body(daemon)`` in a kernel that also hosts a daemon (its services as system
    tasks), then stop the services and release the state directory."""
    instance = open_daemon(directory, daemon, agents)

    async def main() -> T:
        await instance.start(listen=listen)
        try:
            return await body(instance)
        finally:
            await instance.stop_services()

    try:
        result: T = tiffany.run(main, clock=clock, instruments=instance.instruments)
        return result
    finally:
        instance.close()


# -- a daemon as a real process ------------------------------------------------------------
class DaemonProcess:
    """``tiffany daemon`` in a subprocess, with its stderr kept for the test to read."""

    def __init__(
        self,
        directory: Path,
        config: Path,
        grace: float | None = None,
        extra_args: Sequence[str] = (),
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.directory = directory
        self.extra_args = list(extra_args)
        self.extra_env = dict(extra_env or {})
        self.socket = directory / "d.sock"
        self.state = directory / "state"
        self.config = config
        self.grace = grace
        self.stderr_path = directory / "daemon.err"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @staticmethod
    def env() -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), env.get("PYTHONPATH", "")) if p)
        env.pop("TIFFANY_SOCKET", None)
        return env

    def start(self, wait: bool = True) -> DaemonProcess:
        self.starts += 1
        command = [
            sys.executable,
            "-m",
            "tiffany.cli",
            "daemon",
            "--socket",
            str(self.socket),
            "--state",
            str(self.state),
            "--config",
            str(self.config),
        ]
        if self.grace is not None:
            command += ["--grace", str(self.grace)]
        command += self.extra_args
        with open(self.stderr_path, "ab") as stderr:
            self.process = subprocess.Popen(
                command,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env={**self.env(), **self.extra_env},
            )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 20.0) -> dict[str, Any]:
        with self.client() as client:
            try:
                return client.wait_until_ready(timeout)
            except Exception:
                assert self.process is not None
                raise AssertionError(
                    f"the daemon did not come up (exit {self.process.poll()}):\n{self.stderr()}"
                ) from None

    def client(self) -> DaemonClient:
        return DaemonClient(self.socket, timeout=30.0)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def wait(self, timeout: float = 30.0) -> int:
        assert self.process is not None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"the daemon did not exit within {timeout:g} s; its log:\n{self.stderr()}"
            ) from None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
