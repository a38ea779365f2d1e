"""The tiffany daemon: a kernel hosting named agents, driven over a Unix socket.

``tiffany daemon --socket PATH --state DIR --config FILE`` runs it; the API is JSON over
HTTP/1.1 (``curl --unix-socket`` works); ``tiffany ps|spawn|cancel|...`` and
:class:`DaemonClient` are its clients. See ``docs/tiffany/daemon.md``.

Names are imported on first use, so a client command does not pay for the server's
imports (the agents' model I/O among them).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import DaemonClient, DaemonUnreachable, RequestFailed
    from .config import ConfigError, DaemonConfig, load_config
    from .server import Daemon, DaemonOptions, run_daemon

_WHERE = {
    "DaemonClient": "client",
    "DaemonUnreachable": "client",
    "RequestFailed": "client",
    "ConfigError": "config",
    "DaemonConfig": "config",
    "load_config": "config",
    "Daemon": "server",
    "DaemonOptions": "server",
    "run_daemon": "server",
}

__all__ = [
    "ConfigError",
    "Daemon",
    "DaemonClient",
    "DaemonConfig",
    "DaemonOptions",
    "DaemonUnreachable",
    "RequestFailed",
    "load_config",
    "run_daemon",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
