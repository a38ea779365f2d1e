"""The daemon's gRPC listeners: ``unix:PATH`` (mode 0600) and, only when asked, loopback
TCP behind a bearer token.

A system task of the daemon's kernel holds a portal open (``tiffany.open_portal``) for
the servers' threads and stops the servers when it is cancelled, which the kernel's
shutdown does last, after the log streams have ended (so status RPCs keep working while
the daemon drains, as over HTTP). Each listener is a server of its own, so the token
check sits on the TCP one only.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import grpc

from ...api import spawn, to_thread
from ...net import _clear_stale_socket
from ...portal import open_portal
from ...runstate import current_kernel
from ...sync import Event
from ...task import Task
from ..paths import prepare_socket_dir
from . import TOKEN_ENV, GrpcOptions
from .servicer import DaemonServicer
from .v1 import daemon_pb2_grpc

if TYPE_CHECKING:
    from ..server import Daemon

log = logging.getLogger("tiffany.daemon")

#: Seconds the calls in flight get to finish when the daemon stops.
DRAIN_GRACE = 2.0

#: Loopback only: a bearer token in clear text must not cross a network.
LOOPBACK = "127.0.0.1"

_add_servicer: Any = daemon_pb2_grpc.add_DaemonServicer_to_server

if TYPE_CHECKING:
    Handler = grpc.RpcMethodHandler[Any, Any]


class _BearerToken(grpc.ServerInterceptor):
    """Lets through only calls with ``authorization: Bearer TOKEN``; the others end
    UNAUTHENTICATED before any handler runs (in the shape of the method they called)."""

    MESSAGE = "missing or wrong bearer token (metadata authorization: Bearer TOKEN)"

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

        def deny(request: Any, context: grpc.ServicerContext) -> Any:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, self.MESSAGE)

        self._deny_unary: Handler = grpc.unary_unary_rpc_method_handler(deny)
        self._deny_stream: Handler = grpc.unary_stream_rpc_method_handler(deny)

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Handler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        given: Any = ""
        for key, value in handler_call_details.invocation_metadata or ():
            if key == "authorization":
                given = value
        handler = continuation(handler_call_details)
        if isinstance(given, str) and hmac.compare_digest(given.encode(), self._expected):
            return handler
        if handler is None:
            return None  # an unknown method stays UNIMPLEMENTED
        return self._deny_stream if handler.response_streaming else self._deny_unary


class GrpcService:
    """The gRPC servers of one daemon; :meth:`run` is their system task."""

    def __init__(self, daemon: Daemon, options: GrpcOptions) -> None:
        self.daemon = daemon
        self.options = options
        self.tcp_port: int | None = None  # the bound port, once started
        self.started = Event()
        self.error: BaseException | None = None
        self.servicer: DaemonServicer | None = None
        self._servers: list[grpc.Server] = []
        self._socket_inode: int | None = None
        self.task: Task | None = None

    def describe(self) -> dict[str, Any]:
        """Where it listens, for ``health``."""
        return {
            "socket": str(self.options.socket_path),
            "tcp": f"{LOOPBACK}:{self.tcp_port}" if self.tcp_port is not None else None,
        }

    def stats(self) -> dict[str, Any]:
        """The servers' counters, for ``stats``."""
        return self.servicer.stats.as_dict() if self.servicer is not None else {}

    async def run(self) -> None:
        async with open_portal(system=True) as portal:
            try:
                self.servicer = DaemonServicer(self.daemon, portal)
                self._start(self.servicer)
                # Cleanups run newest first: this one after the daemon's own (added once
                # the services are up), which ends the log streams.
                current_kernel().add_cleanup(self.drain)
            except BaseException as error:
                self.error = error
                self._stop()
                return
            finally:
                self.started.set()
            try:
                await Event().wait()  # until the shutdown cancels this task
            finally:
                self._stop()

    def _start(self, servicer: DaemonServicer) -> None:
        options = self.options
        path = options.socket_path
        prepare_socket_dir(path)
        # Refuse a socket a live server answers on; remove one a dead daemon left (grpc
        # itself would unlink whatever is there, live or not).
        _clear_stale_socket(str(path))
        unix = self._server(servicer)
        old_umask = os.umask(0o177)  # created 0600: never reachable by others, even briefly
        try:
            bound = unix.add_insecure_port(f"unix:{path}")
        finally:
            os.umask(old_umask)
        if not bound:
            raise OSError(f"cannot listen for gRPC on unix:{path}")
        path.chmod(0o600)
        self._socket_inode = path.stat().st_ino
        unix.start()
        where = [f"unix:{path}"]
        if options.tcp_port is not None:
            assert options.token is not None
            tcp = self._server(servicer, _BearerToken(options.token))
            try:
                self.tcp_port = tcp.add_insecure_port(f"{LOOPBACK}:{options.tcp_port}")
            except RuntimeError as error:  # grpcio raises when the port cannot be bound
                raise OSError(
                    f"cannot listen for gRPC on {LOOPBACK}:{options.tcp_port}: {error}"
                ) from error
            if not self.tcp_port:
                raise OSError(f"cannot listen for gRPC on {LOOPBACK}:{options.tcp_port}")
            tcp.start()
            where.append(f"{LOOPBACK}:{self.tcp_port} (bearer token)")
        log.info("gRPC (tiffany.v1) on %s", ", ".join(where))
        self.daemon.events.publish("grpc.listening", where=where)

    def _server(
        self, servicer: DaemonServicer, *interceptors: grpc.ServerInterceptor
    ) -> grpc.Server:
        workers = self.options.max_workers
        server = grpc.server(
            ThreadPoolExecutor(workers, thread_name_prefix="tiffany-grpc"),
            interceptors=list(interceptors),
            options=[("grpc.so_reuseport", 0)],
            maximum_concurrent_rpcs=workers,
        )
        _add_servicer(servicer, server)
        self._servers.append(server)
        return server

    async def drain(self) -> None:
        """A kernel cleanup at shutdown, once every agent task has ended and the log
        streams have closed: stop taking calls and let those in flight (a stream's last
        events and its OK status, say) finish for up to :data:`DRAIN_GRACE` seconds, the
        portal still open for them; what is left then ends CANCELLED."""
        stopped = [server.stop(grace=DRAIN_GRACE) for server in self._servers]
        for event in stopped:
            await to_thread(event.wait, DRAIN_GRACE + 1.0)

    def _stop(self) -> None:
        """Stop the servers: calls still open end CANCELLED; returns at once (the handler
        threads find the portal closed and end too)."""
        for server in self._servers:
            server.stop(grace=None)
        self._servers.clear()
        path = self.options.socket_path
        try:
            if self._socket_inode is not None and path.stat().st_ino == self._socket_inode:
                path.unlink()  # ours, not a successor's
        except FileNotFoundError:
            pass
        self._socket_inode = None


async def start_grpc(daemon: Daemon, options: GrpcOptions) -> GrpcService:
    """Start serving gRPC for ``daemon`` from a system task; raise if it cannot listen."""
    service = GrpcService(daemon, options)
    service.task = await spawn(service.run, name="grpc-server", system=True)
    await service.started.wait()
    if service.error is not None:
        raise service.error
    return service


__all__ = ["LOOPBACK", "TOKEN_ENV", "GrpcOptions", "GrpcService", "start_grpc"]
