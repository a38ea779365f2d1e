"""``tokimon chat-ui``: the chat UI's web server, on a tiffany kernel.

One kernel runs everything: the listener, one system task per connection served by the
daemon's HTTP layer (:func:`tiffany.daemon.http.serve_listener`, h11 on the kernel's
sockets), the chat turns and the runs. There is no second event loop; model calls and
blocking file work go to worker threads the way they do in ``tokimon run``.

The first line printed is the URL, ``tokimon chat-ui: http://HOST:PORT/?token=TOKEN``
(with ``--json`` one object with ``url``, ``host``, ``port``, ``token``). SIGTERM or
Ctrl-C stops it: the listener closes, event streams end, answers and runs in progress
are cancelled (a run stays resumable, as after Ctrl-C in ``tokimon run``), and the kernel
shuts down gracefully. A second Ctrl-C forces.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import sys
import webbrowser
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import tiffany
from tiffany import net
from tiffany.daemon.events import EventLog
from tiffany.daemon.http import HttpStats, Limits, serve_listener
from tiffany.models import ConfigError, ModelClient, Redactor, client

from .. import __version__
from ..commands import MODEL_ENV
from ..console import EXIT_OK, EXIT_USAGE, report_error
from ..errors import TokimonError
from ..tools import Toolset
from ..workspace import Workspace
from .app import ChatApp
from .runs import RunControl, RunSettings
from .security import Guard, is_loopback
from .store import ChatStore

log = logging.getLogger("tokimon.chatui")

#: Events the page can catch up on after a reconnect (a reload reads the files instead).
EVENT_HISTORY = 20000
MAX_CONNECTIONS = 64
SHUTDOWN_GRACE = 3.0


@dataclass(frozen=True)
class ChatUiOptions:
    """What ``tokimon chat-ui`` takes; ``env``/``stdout``/``stderr`` default to the process's."""

    repo: Path | None = None
    workspace: Path | None = None
    model: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    open_browser: bool = False
    as_json: bool = False
    allow_remote: bool = False
    config: Path | None = None
    env: Mapping[str, str] | None = None
    stdout: TextIO | None = None
    stderr: TextIO | None = None


def chat_ui_command(options: ChatUiOptions) -> int:
    """Serve the chat UI until stopped; 0 after a clean stop, 2 for bad input."""
    out = options.stdout or sys.stdout
    err = options.stderr or sys.stderr
    env = os.environ if options.env is None else options.env
    if not is_loopback(options.host) and not options.allow_remote:
        message = (
            f"refusing to listen on {options.host}, which is not loopback: anyone who can "
            "reach it could drive the agent; pass --allow-remote if you mean it"
        )
        return report_error("chat-ui", message, options.as_json, out, err)
    try:
        server = _Server(options, env, out)
        tiffany.run(server.main)
    except (TokimonError, ConfigError, OSError) as exc:
        return report_error("chat-ui", str(exc), options.as_json, out, err)
    return EXIT_OK if server.started else EXIT_USAGE


class _Server:
    def __init__(self, options: ChatUiOptions, env: Mapping[str, str], out: TextIO) -> None:
        repo = (options.repo or Path.cwd()).resolve()
        if not repo.is_dir():
            raise TokimonError(f"the repository {options.repo} is not a directory")
        self.options = options
        self.out = out
        self.token = secrets.token_urlsafe(24)
        spec = options.model or env.get(MODEL_ENV) or None
        self.model: ModelClient | None = client(spec, env=env) if spec else None
        redactor = getattr(self.model, "redactor", None) or Redactor()
        redactor.add(self.token)
        self.redactor: Redactor = redactor
        self.space = Workspace.locate(repo, options.workspace, env)
        self.settings = RunSettings(repo, options.workspace, spec, env, options.config)
        self.tools = Toolset(repo)
        self.events = EventLog(history=EVENT_HISTORY)
        self.started = False
        self._stop = tiffany.Event()

    async def main(self) -> None:
        options = self.options
        listener = await net.listen_tcp(options.host, options.port)
        # Signals are ours before the URL is out, so an early Ctrl-C still stops cleanly.
        async with listener:
            with tiffany.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as received:
                await self._serve(listener, received)

    async def _serve(self, listener: net.Listener, received: tiffany.SignalReceiver) -> None:
        options = self.options
        signals = await tiffany.spawn(
            self._watch_signals, received, name="chat-ui-signals", system=True
        )
        app = self._app(options.host, listener.port)
        accept = await tiffany.spawn(self._accept, listener, app, name="chat-ui", system=True)
        self._announce(options.host, listener.port)
        self.started = True
        await self._stop.wait()
        log.info("tokimon chat-ui: stopping")
        await accept.cancel()
        listener.close()
        await app.close()
        await signals.cancel()
        await tiffany.shutdown(SHUTDOWN_GRACE, reason="chat-ui stopped")

    def _app(self, host: str, port: int) -> ChatApp:
        app = ChatApp(
            Guard(self.token, host, port),
            ChatStore(self.space.root / "chats"),
            RunControl(self.settings, lambda event, **f: app.publish(event, **f)),
            self.tools,
            self.model,
            self.redactor,
            self.events,
            {
                "repo": str(self.settings.repo),
                "repo_name": self.settings.repo.name,
                "workspace": str(self.space.root),
                "model": self.settings.model,
                "version": __version__,
            },
        )
        return app

    def _announce(self, host: str, port: int) -> None:
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{port}/?token={self.token}"
        if self.options.as_json:
            line = json.dumps({"url": url, "host": host, "port": port, "token": self.token})
        else:
            line = f"tokimon chat-ui: {url}"
        self.out.write(line + "\n")
        self.out.flush()
        if self.options.open_browser:
            webbrowser.open(url)

    async def _accept(self, listener: net.Listener, app: ChatApp) -> None:
        await serve_listener(
            listener,
            app.handle,
            max_connections=MAX_CONNECTIONS,
            limits=Limits(idle_timeout=120.0),
            stats=HttpStats(),
            name="chat-ui-connection",
        )

    async def _watch_signals(self, received: tiffany.SignalReceiver) -> None:
        async for signum in received:
            if self._stop.is_set():
                if signum == signal.SIGINT:
                    os._exit(130)  # a second Ctrl-C: stop now
                continue
            self._stop.set()
