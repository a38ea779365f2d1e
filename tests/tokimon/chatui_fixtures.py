"""Helpers of the chat UI tests: the real server in a subprocess, a browser, HTTP probes."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from agent_fixtures import env_for

from tiffany.models.testing import ScriptedServer

SRC = Path(__file__).resolve().parents[2] / "src"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Served:
    """A running ``tokimon chat-ui``: what its first line said, and the process."""

    url: str
    host: str
    port: int
    token: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: str = ""
    ) -> tuple[int, dict[str, str], bytes]:
        """One request with exactly these headers (Host defaults to the server's)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            sent = {"Host": f"{self.host}:{self.port}", **(headers or {})}
            if body:
                sent["Content-Length"] = str(len(body))
            for name, value in sent.items():
                connection.putheader(name, value)
            connection.endheaders(body.encode() if body else None)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


def git_init(repo: Path) -> None:
    """Make ``repo`` a git work tree with one commit (the diff view diffs against it)."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "start"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env)


@contextmanager
def chat_ui(
    repo: Path, server: ScriptedServer | None, tmp_path: Path, *options: str
) -> Iterator[Served]:
    """``tokimon chat-ui --json`` on ``repo``; stopped with SIGTERM (exit 0) at the end."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    if server is not None:
        env.update(env_for(server))
    log = tmp_path / "chat-ui.log"
    with log.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "tokimon", "chat-ui", "--repo", str(repo), "--json", *options],
            stdout=subprocess.PIPE,
            stderr=err,
            env=env,
        )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first, log.read_text()
    info = json.loads(first)
    served = Served(info["url"], info["host"], info["port"], info["token"], process, log)
    try:
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        assert code == 0, log.read_text()
