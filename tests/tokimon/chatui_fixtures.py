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
from typing import Any

from agent_fixtures import env_for

from tiffany.models.testing import RecordedRequest, ScriptedServer
from tokimon.trace import read_trace

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


@contextmanager
def scripted_chat_ui(
    script: list[dict[str, Any]], repo: Path, tmp_path: Path
) -> Iterator[tuple[ScriptedServer, Served]]:
    """The scripted model server and ``tokimon chat-ui`` on it. On a failure the error
    notes what the model received (:func:`explained`)."""
    with (
        ScriptedServer(script) as model,
        chat_ui(repo, model, tmp_path) as ui,
        explained(model, ui, repo),
    ):
        yield model, ui


@contextmanager
def explained(model: ScriptedServer, served: Served, repo: Path) -> Iterator[None]:
    """On a failure, note what the model server received and what the server logged.

    Scripted answers go to requests in the order they come, so a test that fails because
    a step got another step's answer is only understood with the list of requests: which
    came, in what order, from which prompt, and whether a model call was retried.
    """
    try:
        yield
    except BaseException as error:
        error.add_note(explanation(model, served, repo))
        raise


def explanation(model: ScriptedServer, served: Served, repo: Path) -> str:
    lines = [f"the model server received {len(model.requests)} request(s):"]
    start = model.requests[0].received_at if model.requests else 0.0
    lines += [
        f"  {n}. +{r.received_at - start:.3f} s {_summary(r)}"
        for n, r in enumerate(model.requests, 1)
    ]
    for trace in sorted((repo / ".tokimon" / "runs").glob("*/trace.jsonl")):
        calls = [r for r in read_trace(trace) if str(r.get("kind", "")).startswith("model.call.")]
        lines.append(f"model calls in {trace.parent.name}:")
        lines += [
            f"  #{r.get('seq')} {r.get('kind')} {r.get('call_id')} {r.get('task_name')}"
            + (f" ({r.get('error_kind')}: {r.get('error')})" if "error" in r else "")
            for r in calls
        ]
    log = served.log.read_text(errors="replace") if served.log.exists() else ""
    lines.append("the server's log ends with:\n" + (log[-3000:] or "(nothing)"))
    return "\n".join(lines)


def _summary(request: RecordedRequest) -> str:
    body = request.body if isinstance(request.body, dict) else {}
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    system = next((str(m.get("content")) for m in messages if m.get("role") == "system"), "")
    last = messages[-1] if messages else {}
    said = str(last.get("content") or "")
    calls = [c.get("function", {}).get("name") for c in last.get("tool_calls") or []]
    shown = " ".join(said.split())[:70] or f"calls {calls}"
    return f"{request.path} [{' '.join(system.split()[:6])}...] last {last.get('role')}: {shown!r}"
