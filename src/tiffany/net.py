"""TCP and Unix-domain sockets as streams for tasks.

Every operation first tries the non-blocking system call and waits for readiness only
when it would block, so a busy connection costs no selector round trip.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
import stat
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from .api import notify_closing, to_thread, wait_readable, wait_writable
from .errors import ClosedResourceError
from .group import TaskGroup
from .io import READ, WRITE, IORegistry
from .runstate import RUNSTATE, current_kernel
from .traps import Setup, block, yield_now
from .turns import turn_used_up

log = logging.getLogger("tiffany.net")

Handler = Callable[["SocketStream"], Awaitable[Any]]

DEFAULT_RECV = 65536


class SocketStream:
    """A connected stream socket, non-blocking underneath."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            # Small request/response exchanges must not wait for Nagle's algorithm.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.socket = sock
        self._closed = False
        self._drained = False  # the last read emptied the socket's receive buffer
        self._pending = bytearray()  # read from the socket, not yet handed to a caller
        self._waits: tuple[IORegistry, Setup, Setup] | None = None  # see _wait_setup

    async def recv(self, max_bytes: int = DEFAULT_RECV) -> bytes:
        """Up to ``max_bytes`` bytes, waiting for some; ``b""`` when the peer closed."""
        if self._closed:
            raise ClosedResourceError("recv on a closed stream")
        if self._pending:
            buffered = bytes(self._pending[:max_bytes])
            del self._pending[:max_bytes]
            return buffered
        sock = self.socket
        if self._drained:
            # In request/response traffic the answer is never there yet when the last
            # read emptied the buffer: wait first rather than pay for a failed system call.
            await block("wait readable", self._wait_setup(READ))
        size = max(max_bytes, DEFAULT_RECV)  # read big, so we know when we drained it
        data = _recv_now(sock, size)
        while data is None:
            await block("wait readable", self._wait_setup(READ))
            data = _recv_now(sock, size)
        self._drained = len(data) < size
        if len(data) > max_bytes:
            self._pending += data[max_bytes:]
            data = data[:max_bytes]
        if turn_used_up():
            await yield_now()
        return data

    async def recv_exactly(self, n: int) -> bytes:
        """Exactly ``n`` bytes; ``EOFError`` if the peer closes first."""
        chunks = bytearray()
        while len(chunks) < n:
            chunk = await self.recv(n - len(chunks))
            if not chunk:
                raise EOFError(f"the peer closed after {len(chunks)} of {n} bytes")
            chunks += chunk
        return bytes(chunks)

    async def sendall(self, data: bytes | bytearray | memoryview) -> None:
        """Send all of ``data``, waiting while the socket's buffer is full."""
        if self._closed:
            raise ClosedResourceError("send on a closed stream")
        sock = self.socket
        sent = _send_now(sock, data)  # a small message usually goes in one call
        size = data.nbytes if isinstance(data, memoryview) else len(data)
        if sent != size:
            view = memoryview(data).cast("B")[sent or 0 :]
            while view:
                if sent is None:
                    await block("wait writable", self._wait_setup(WRITE))
                sent = _send_now(sock, view)
                if sent is not None:
                    view = view[sent:]
        if turn_used_up():
            await yield_now()

    def _wait_setup(self, events: int) -> Setup:
        """The setup of a block trap that waits until this socket is ready for ``events``.

        Made once per kernel, where ``tiffany.wait_readable`` makes one per wait: a busy
        connection waits thousands of times a second.
        """
        waits = self._waits
        io = (RUNSTATE.kernel or current_kernel()).io  # the common case without a call
        if waits is None or waits[0] is not io:
            waits = self._waits = (io, io.wait(self.socket, READ), io.wait(self.socket, WRITE))
        return waits[1] if events == READ else waits[2]

    def send_eof(self) -> None:
        """Close the writing half: the peer's ``recv`` returns ``b""``, reading goes on."""
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        """Close the stream; tasks waiting on it get ``ClosedResourceError``."""
        if self._closed:
            return
        self._closed = True
        self._waits = None
        notify_closing(self.socket)
        self.socket.close()

    async def aclose(self) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    async def __aenter__(self) -> SocketStream:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<SocketStream fd={self.socket.fileno()}>"


class Listener:
    """A listening socket that accepts connections as streams."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self.socket = sock
        self._closed = False
        self._unlink_path: str | None = None

    @property
    def address(self) -> Any:
        """The bound address: ``(host, port)`` for TCP, the path for Unix sockets."""
        return self.socket.getsockname()

    @property
    def port(self) -> int:
        port: int = self.socket.getsockname()[1]
        return port

    async def accept(self) -> SocketStream:
        """Wait for the next connection."""
        while True:
            if self._closed:
                raise ClosedResourceError("accept on a closed listener")
            conn = _accept_now(self.socket)
            if conn is not None:
                return SocketStream(conn)
            await wait_readable(self.socket)

    async def serve(self, handler: Handler) -> None:
        """Accept forever, running ``handler(stream)`` for each connection in its own task.

        A handler that raises is logged and its connection closed; the server goes on.
        Cancelling ``serve`` stops accepting and cancels the running handlers.
        """
        async with TaskGroup() as group:
            while True:
                stream = await self.accept()
                await group.spawn(_handle, handler, stream, name=f"conn-{stream.socket.fileno()}")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        notify_closing(self.socket)
        self.socket.close()
        if self._unlink_path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._unlink_path)

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> Listener:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# The system calls below are tried at once; None means "would block, wait and retry".
# Each is its own function so that the wait happens outside an exception handler: an
# error raised while waiting then carries no BlockingIOError as its context.
def _recv_now(sock: socket.socket, size: int) -> bytes | None:
    try:
        return sock.recv(size)
    except BlockingIOError:
        return None


def _send_now(sock: socket.socket, view: bytes | bytearray | memoryview) -> int | None:
    try:
        return sock.send(view)
    except BlockingIOError:
        return None


def _accept_now(sock: socket.socket) -> socket.socket | None:
    try:
        return sock.accept()[0]
    except BlockingIOError:
        return None
    except OSError as error:
        # Out of file descriptors or a connection reset before accept: the listener
        # itself is fine, so log and keep serving.
        if error.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
            log.warning("accept failed (%s); retrying", error)
            return None
        if error.errno == errno.ECONNABORTED:
            return None
        raise


async def _handle(handler: Handler, stream: SocketStream) -> None:
    try:
        await handler(stream)
    except Exception:
        log.exception("connection handler %r failed", getattr(handler, "__qualname__", handler))
    finally:
        stream.close()


# -- TCP ------------------------------------------------------------------------------
async def _resolve(host: str, port: int, passive: bool = False) -> list[Any]:
    flags = socket.AI_PASSIVE if passive else 0
    try:  # a numeric address resolves without a thread
        return socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=flags | socket.AI_NUMERICHOST
        )
    except socket.gaierror:
        pass  # a name: resolve it in a thread, outside the handler (no gaierror as context)
    return await to_thread(
        socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM, 0, flags, cancellable=True
    )


async def _connect(sock: socket.socket, address: Any) -> None:
    sock.setblocking(False)
    code = sock.connect_ex(address)
    if code in (errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK):
        await wait_writable(sock)
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code:
        raise OSError(code, f"connect to {address!r} failed: {os.strerror(code)}")


async def open_tcp(host: str, port: int) -> SocketStream:
    """Connect to ``host:port`` (each resolved address in turn) and return the stream."""
    errors: list[OSError] = []
    for family, kind, proto, _, address in await _resolve(host, port):
        sock = socket.socket(family, kind, proto)
        try:
            await _connect(sock, address)
        except OSError as error:
            sock.close()
            errors.append(error)
            continue
        except BaseException:
            sock.close()
            raise
        return SocketStream(sock)
    if not errors:
        raise OSError(f"{host!r} resolved to no address")
    if len(errors) == 1:
        raise errors[0]
    raise OSError(f"could not connect to {host}:{port}: {'; '.join(map(str, errors))}")


async def listen_tcp(host: str = "127.0.0.1", port: int = 0, *, backlog: int = 128) -> Listener:
    """Bind and listen on ``host:port`` (port 0 picks a free one; see ``listener.port``)."""
    family, kind, proto, _, address = (await _resolve(host, port, passive=True))[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return Listener(sock)


async def serve_tcp(
    handler: Handler,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    backlog: int = 128,
    started: Callable[[Listener], Any] | None = None,
) -> None:
    """Listen on ``host:port`` and serve ``handler`` forever; ``started`` gets the listener."""
    async with await listen_tcp(host, port, backlog=backlog) as listener:
        if started is not None:
            started(listener)
        await listener.serve(handler)


# -- Unix domain sockets --------------------------------------------------------------
async def open_unix(path: str | os.PathLike[str]) -> SocketStream:
    """Connect to the Unix socket at ``path``."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        await _connect(sock, os.fspath(path))
    except BaseException:
        sock.close()
        raise
    return SocketStream(sock)


def _clear_stale_socket(path: str) -> None:
    """Remove a socket file left by a dead server; refuse to touch anything else."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise FileExistsError(f"{path} exists and is not a socket: remove it or pick another path")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except ConnectionRefusedError:
        os.unlink(path)  # nobody listens: a leftover
        return
    except OSError:
        return
    finally:
        probe.close()
    raise OSError(errno.EADDRINUSE, f"a server is already listening on {path}")


async def listen_unix(
    path: str | os.PathLike[str], *, backlog: int = 128, mode: int | None = 0o600
) -> Listener:
    """Listen on a Unix socket at ``path`` created with ``mode`` (owner-only by default)."""
    path = os.fspath(path)
    _clear_stale_socket(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        old_umask = os.umask(0o777 ^ mode) if mode is not None else None
        try:
            sock.bind(path)
        finally:
            if old_umask is not None:
                os.umask(old_umask)
        if mode is not None:
            os.chmod(path, mode)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    listener = Listener(sock)
    listener._unlink_path = path
    return listener


async def serve_unix(
    handler: Handler,
    path: str | os.PathLike[str],
    *,
    backlog: int = 128,
    mode: int | None = 0o600,
    started: Callable[[Listener], Any] | None = None,
) -> None:
    """Listen on the Unix socket ``path`` and serve ``handler`` forever."""
    async with await listen_unix(path, backlog=backlog, mode=mode) as listener:
        if started is not None:
            started(listener)
        await listener.serve(handler)


__all__ = [
    "Listener",
    "SocketStream",
    "listen_tcp",
    "listen_unix",
    "open_tcp",
    "open_unix",
    "serve_tcp",
    "serve_unix",
]
