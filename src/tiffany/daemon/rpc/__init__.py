"""The daemon's gRPC face, beside its HTTP API: the same operations, another transport.

``v1/daemon.proto`` is the contract (package ``tiffany.v1``); ``v1/daemon_pb2*.py`` are
stubs generated from it (``stubs.py``); ``servicer.py`` answers the RPCs by calling into
the daemon's kernel through a portal, so the kernel stays the one owner of the state;
``server.py`` listens; ``client.py`` is the CLI's client for ``--transport grpc``.

grpcio is an optional extra (``pip install 'tiffany-platform[grpc]'``). This module
itself imports nothing from grpc, so the CLI can name the socket and explain a missing
extra cheaply.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

#: Where ``tiffany daemon --grpc-port`` and the gRPC client read the bearer token.
TOKEN_ENV = "TIFFANY_GRPC_TOKEN"

#: Trailing metadata the daemon's servicer sets on every error it chooses, so a client
#: tells "the daemon said no" from "the daemon was not there" (both can be UNAVAILABLE).
ERROR_MARK = "tiffany-error"

#: What to install for gRPC, said by every error about it.
EXTRA = "pip install 'tiffany-platform[grpc]'"


class GrpcUnavailable(ImportError):
    """grpcio or protobuf is not installed: the message says which extra to install."""


def require_grpc() -> None:
    """Raise :class:`GrpcUnavailable` unless grpcio and protobuf can be imported.

    gRPC's core logs connection events (a server's goodbye, say) to stderr; unless the
    user chose a verbosity, only its errors are shown, so the CLI's output stays its own.
    """
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    for module in ("grpc", "google.protobuf"):
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise GrpcUnavailable(
                f"gRPC needs the optional 'grpc' extra ({module} is missing: {error}); "
                f"install it with:  {EXTRA}"
            ) from None


@dataclass(frozen=True)
class GrpcOptions:
    """Where the daemon serves gRPC."""

    socket_path: Path
    tcp_port: int | None = None  # loopback TCP on this port (0: any free one)
    token: str | None = None  # required with tcp_port
    #: RPCs served at once (a following log stream holds one); past it, RESOURCE_EXHAUSTED.
    max_workers: int = 32

    def __post_init__(self) -> None:
        if self.tcp_port is not None and not self.token:
            raise ValueError(
                f"gRPC over TCP needs a bearer token: set ${TOKEN_ENV} (or --grpc-token-file) "
                "to a secret string"
            )
        if self.max_workers < 1:
            raise ValueError(f"max_workers must be 1 or more, got {self.max_workers}")


def grpc_socket_path(http_socket: Path) -> Path:
    """Where a daemon serving HTTP at ``http_socket`` serves gRPC: ``d.sock`` -> ``d.grpc.sock``."""
    return http_socket.with_name(f"{http_socket.stem}.grpc{http_socket.suffix or '.sock'}")


__all__ = [
    "EXTRA",
    "TOKEN_ENV",
    "GrpcOptions",
    "GrpcUnavailable",
    "grpc_socket_path",
    "require_grpc",
]
