"""A synchronous gRPC client of the daemon, with the same methods as the HTTP one.

``tiffany --transport grpc CMD`` uses it in place of :class:`~tiffany.daemon.client.
DaemonClient`: same methods, same answers (the JSON documents of the HTTP API), same
two failures. A status code the daemon's servicer chose becomes :class:`RequestFailed`
with the HTTP status the HTTP API gives for the same error (NOT_FOUND 404,
INVALID_ARGUMENT 400, FAILED_PRECONDITION 409, UNAVAILABLE 503...), so a script's
``--json`` error output does not depend on the transport; a call that never reached the
daemon is :class:`DaemonUnreachable`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import grpc

from ..client import DEFAULT_TIMEOUT, DaemonUnreachable, RequestFailed, WaitingClient
from ..paths import resolve_socket_path
from . import ERROR_MARK, TOKEN_ENV, grpc_socket_path
from .v1 import daemon_pb2 as pb
from .v1 import daemon_pb2_grpc

#: The HTTP status the HTTP API answers with for the same error (see ``app.py``).
HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
}

_Stub: Any = daemon_pb2_grpc.DaemonStub  # generated, untyped

#: Both sides allow larger answers than gRPC's 4 MiB default (a dump of many tasks).
MAX_MESSAGE = 64 * 1024 * 1024
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.enable_http_proxy", 0),  # loopback and Unix sockets only: never via a proxy
]


class GrpcUnreachable(DaemonUnreachable):
    """Nothing answers at the gRPC address; the message says how to start a daemon there."""

    def __init__(self, where: str, socket_path: Path, reason: str) -> None:
        self.socket_path = socket_path
        self.reason = reason
        ConnectionError.__init__(
            self,
            f"cannot reach the tiffany daemon's gRPC service at {where}: {reason}.\n"
            "Start one with:  tiffany daemon --grpc [--socket PATH] --state DIR [--config FILE]\n"
            "(its gRPC socket is --socket's path with .grpc before the suffix; for TCP, "
            f"tiffany daemon --grpc-port PORT with ${TOKEN_ENV} set)",
        )


class GrpcDaemonClient(WaitingClient):
    """Talks to one daemon over one gRPC channel: its Unix socket, or loopback TCP.

    ``socket_path`` is the daemon's HTTP socket (``--socket``); the gRPC socket beside it
    is used (``d.sock`` -> ``d.grpc.sock``) unless ``grpc_socket`` names another. With
    ``target`` (``127.0.0.1:PORT``) it uses TCP and sends ``token`` (default
    ``$TIFFANY_GRPC_TOKEN``) as ``authorization: Bearer TOKEN``.
    """

    def __init__(
        self,
        socket_path: str | Path | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        *,
        grpc_socket: str | Path | None = None,
        target: str | None = None,
        token: str | None = None,
    ) -> None:
        self.timeout = timeout
        self.tcp_target = target
        if target is not None:
            self.socket_path: Path | None = None
            self.address = target
            token = token if token is not None else os.environ.get(TOKEN_ENV)
            self._metadata: tuple[tuple[str, str], ...] = (
                (("authorization", f"Bearer {token}"),) if token else ()
            )
        else:
            if grpc_socket is not None:
                self.socket_path = Path(grpc_socket)
            else:
                self.socket_path = grpc_socket_path(resolve_socket_path(socket_path))
            self.address = f"unix:{self.socket_path.absolute()}"
            self._metadata = ()
        self._channel: grpc.Channel | None = None
        self._stub: Any = None

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
            self._stub = None

    def __enter__(self) -> GrpcDaemonClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ------------------------------------------------------------------------
    def _unreachable(self, reason: str) -> GrpcUnreachable:
        path = self.socket_path if self.socket_path is not None else Path(self.address)
        return GrpcUnreachable(self.address, path, reason)

    def _check_socket(self) -> None:
        """A missing socket file is known before any call: say so plainly."""
        path = self.socket_path
        if path is not None and not path.exists():
            raise self._unreachable("no gRPC socket there (is the daemon running, with --grpc?)")

    def _stub_now(self) -> Any:
        if self._stub is None:
            self._check_socket()
            self._channel = grpc.insecure_channel(self.address, options=CHANNEL_OPTIONS)
            self._stub = _Stub(self._channel)
        return self._stub

    def _failure(self, error: grpc.RpcError) -> Exception:
        call: Any = error  # the RpcError of a call is also its grpc.Call
        code: grpc.StatusCode = call.code()
        details: str = call.details() or code.name
        from_daemon = any(item[0] == ERROR_MARK for item in call.trailing_metadata() or ())
        if code is grpc.StatusCode.UNAUTHENTICATED:
            return RequestFailed(401, details)
        if code is grpc.StatusCode.DEADLINE_EXCEEDED:
            return RequestFailed(0, "the daemon did not answer in time")
        if code is grpc.StatusCode.UNAVAILABLE and not from_daemon:
            self.close()
            return self._unreachable(f"nothing answers ({details})")
        if code is grpc.StatusCode.CANCELLED and not from_daemon:
            return RequestFailed(0, f"the call was cancelled ({details})")
        return RequestFailed(HTTP_STATUS.get(code, 500), details)

    def _unary(self, method: str, request: Any, timeout: float | None = None) -> pb.Document:
        stub = self._stub_now()
        try:
            answer: pb.Document = getattr(stub, method)(
                request, timeout=timeout or self.timeout, metadata=self._metadata
            )
        except grpc.RpcError as error:
            raise self._failure(error) from None
        return answer

    def call_json(self, method: str, request: Any, timeout: float | None = None) -> Any:
        """One unary RPC whose answer is a JSON document; the decoded document."""
        return json.loads(self._unary(method, request, timeout).json)

    # -- the API (as DaemonClient's) --------------------------------------------------------
    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call_json("Health", pb.HealthRequest())
        return result

    def agents(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call_json("Agents", pb.AgentsRequest())["agents"]
        return result

    def tasks(
        self, state: str | None = None, agent: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        request = pb.PsRequest(state=state, agent=agent, limit=limit)
        result: list[dict[str, Any]] = self.call_json("Ps", request)["tasks"]
        return result

    def task(self, task_id: int, wait: float | None = None) -> dict[str, Any]:
        timeout = None if wait is None else wait + (self.timeout or DEFAULT_TIMEOUT)
        result: dict[str, Any] = self.call_json(
            "Show", pb.ShowRequest(id=task_id, wait=wait), timeout
        )
        return result

    def spawn(
        self, agent: str, args: Mapping[str, Any] | None = None, priority: str | None = None
    ) -> dict[str, Any]:
        request = pb.SpawnRequest(
            agent=agent, args_json=json.dumps(dict(args or {})), priority=priority
        )
        result: dict[str, Any] = self.call_json("Spawn", request)
        return result

    def cancel(self, task_id: int, wait: float | None = None) -> dict[str, Any]:
        timeout = None if wait is None else wait + (self.timeout or DEFAULT_TIMEOUT)
        result: dict[str, Any] = self.call_json(
            "Cancel", pb.CancelRequest(id=task_id, wait=wait), timeout
        )
        return result

    def metrics(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call_json("Stats", pb.StatsRequest())
        return result

    def metrics_text(self) -> str:
        return self._unary("Stats", pb.StatsRequest(prometheus=True)).text

    def dump(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call_json("Dump", pb.DumpRequest())
        return result

    def dump_text(self) -> str:
        return self._unary("Dump", pb.DumpRequest(text=True)).text

    def shutdown(self, grace: float | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self.call_json("Shutdown", pb.ShutdownRequest(grace=grace))
        return result

    def logs(
        self, *, since: int = 0, limit: int | None = None, follow: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Task events, oldest first; with ``follow``, keeps yielding as they happen
        until the daemon stops. Closing the iterator ends the call (the daemon detaches
        its follower)."""
        stub = self._stub_now()
        request = pb.LogsRequest(since=since, limit=limit, follow=follow)
        call = stub.Logs(request, timeout=None if follow else self.timeout, metadata=self._metadata)
        try:
            for event in call:
                yield json.loads(event.json)
        except grpc.RpcError as error:
            failure = self._failure(error)
            if follow and isinstance(failure, DaemonUnreachable):
                return  # the daemon went away mid-stream, as the HTTP client ends then
            raise failure from None
        finally:
            call.cancel()  # a no-op once the stream has ended


__all__ = ["HTTP_STATUS", "GrpcDaemonClient", "GrpcUnreachable"]
