"""TCP and Unix streams over loopback, as a server and its clients see them."""

from __future__ import annotations

import functools
import logging
import os
import socket
import stat
from pathlib import Path

import pytest

import tiffany
from tiffany import net


async def _echo(stream: net.SocketStream) -> None:
    while data := await stream.recv():
        await stream.sendall(data)


def test_tcp_echo_with_many_clients() -> None:
    async def client(port: int, index: int, replies: list[bytes]) -> None:
        async with await net.open_tcp("127.0.0.1", port) as stream:
            for round_trip in range(20):
                message = b"%03d-%03d" % (index, round_trip)
                await stream.sendall(message)
                replies.append(await stream.recv_exactly(len(message)))

    async def main() -> list[bytes]:
        replies: list[bytes] = []
        async with await net.listen_tcp("127.0.0.1", 0) as listener:
            server = await tiffany.spawn(listener.serve, _echo)
            async with tiffany.TaskGroup() as group:
                for index in range(10):
                    await group.spawn(client, listener.port, index, replies)
            await server.cancel()
        return replies

    replies = tiffany.run(main)
    assert sorted(replies) == sorted(b"%03d-%03d" % (i, r) for i in range(10) for r in range(20))


@pytest.mark.parametrize("kind", ["bytes", "memoryview of ints"])
def test_large_payload_round_trip_uses_backpressure_of_the_socket(kind: str) -> None:
    """Larger than the socket buffers, so it goes out in parts; a buffer of 4-byte items
    is sent by its bytes, not by its items."""
    payload = os.urandom(4 * 1024 * 1024)
    sent = payload if kind == "bytes" else memoryview(payload).cast("i")

    async def main() -> bytes:
        async with await net.listen_tcp() as listener:
            server = await tiffany.spawn(listener.serve, _echo)
            async with await net.open_tcp("127.0.0.1", listener.port) as stream:
                sender = await tiffany.spawn(stream.sendall, sent)
                received = await stream.recv_exactly(len(payload))
                await sender.join()
            await server.cancel()
        return received

    assert tiffany.run(main) == payload


def test_serve_tcp_reports_its_listener_and_peer_close_gives_empty_bytes() -> None:
    async def close_at_once(stream: net.SocketStream) -> None:
        stream.send_eof()

    async def main() -> tuple[bytes, int]:
        started: list[net.Listener] = []
        serve = functools.partial(net.serve_tcp, started=started.append)
        server = await tiffany.spawn(serve, close_at_once, "127.0.0.1", 0)
        while not started:
            await tiffany.yield_now()
        port = started[0].port
        async with await net.open_tcp("127.0.0.1", port) as stream:
            data = await stream.recv()
        await server.cancel()
        return data, port

    data, port = tiffany.run(main)
    assert data == b""
    assert port > 0


def test_a_failing_handler_is_logged_and_the_server_keeps_serving(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def picky(stream: net.SocketStream) -> None:
        data = await stream.recv()
        if data == b"bad":
            raise ValueError("no thanks")
        await stream.sendall(data.upper())

    async def main() -> bytes:
        async with await net.listen_tcp() as listener:
            server = await tiffany.spawn(listener.serve, picky)
            async with await net.open_tcp("127.0.0.1", listener.port) as bad:
                await bad.sendall(b"bad")
                assert await bad.recv() == b""  # the server closed that connection
            async with await net.open_tcp("127.0.0.1", listener.port) as good:
                await good.sendall(b"good")
                reply = await good.recv()
            await server.cancel()
        return reply

    with caplog.at_level(logging.ERROR, logger="tiffany.net"):
        assert tiffany.run(main) == b"GOOD"
    assert any("no thanks" in (r.exc_text or "") for r in caplog.records)


def test_connection_refused_is_a_clear_oserror() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: nobody accepts

    async def main() -> None:
        await net.open_tcp("127.0.0.1", port)

    with pytest.raises(ConnectionRefusedError):
        tiffany.run(main)


def test_recv_is_cancelled_by_a_timeout_on_the_virtual_clock() -> None:
    async def silent(stream: net.SocketStream) -> None:
        await tiffany.sleep(3600)

    async def main() -> tuple[bool, float]:
        async with await net.listen_tcp() as listener:
            server = await tiffany.spawn(listener.serve, silent)
            async with await net.open_tcp("127.0.0.1", listener.port) as stream:
                with tiffany.move_on_after(5) as scope:
                    await stream.recv()
            await server.cancel()
        return scope.cancelled_caught, tiffany.current_time()

    caught, now = tiffany.run(main, clock=tiffany.VirtualClock())
    assert caught
    assert now == 5.0


def test_a_timeout_during_recv_carries_no_would_block_error_as_its_context() -> None:
    """A traceback of a cancelled read shows the cancellation, not the internal
    ``BlockingIOError`` of the first non-blocking attempt."""

    async def silent(stream: net.SocketStream) -> None:
        await tiffany.sleep(3600)

    async def main() -> list[type[BaseException]]:
        async with await net.listen_tcp() as listener:
            server = await tiffany.spawn(listener.serve, silent)
            async with await net.open_tcp("127.0.0.1", listener.port) as stream:
                try:
                    with tiffany.fail_after(5):
                        await stream.recv()
                except tiffany.TooSlowError as error:
                    chain: list[type[BaseException]] = []
                    cause: BaseException | None = error
                    while cause is not None:
                        chain.append(type(cause))
                        cause = cause.__context__
            await server.cancel()
        return chain

    chain = tiffany.run(main, clock=tiffany.VirtualClock())
    assert chain[0] is tiffany.TooSlowError
    assert BlockingIOError not in chain


def test_closing_a_stream_wakes_its_reader_with_closed_resource_error() -> None:
    async def main() -> type[BaseException]:
        left, right = socket.socketpair()
        stream = net.SocketStream(left)
        reader = await tiffany.spawn(stream.recv)
        await tiffany.yield_now()
        assert reader.waiting_on == "wait readable"
        stream.close()
        right.close()
        with pytest.raises(tiffany.TaskError) as info:
            await reader.join()
        return type(info.value.__cause__)  # type: ignore[return-value]

    assert tiffany.run(main) is tiffany.ClosedResourceError


def test_two_readers_on_one_socket_is_a_busy_resource() -> None:
    async def main() -> None:
        left, right = socket.socketpair()
        with left, right:
            first = await tiffany.spawn(tiffany.wait_readable, left)
            await tiffany.yield_now()
            try:
                await tiffany.wait_readable(left)
            finally:
                await first.cancel()

    with pytest.raises(tiffany.BusyResourceError):
        tiffany.run(main)


def test_unix_socket_is_owner_only_and_serves(tmp_path: Path) -> None:
    path = tmp_path / "tiffany.sock"

    async def main() -> tuple[bytes, int]:
        async with await net.listen_unix(path) as listener:
            mode = stat.S_IMODE(os.stat(path).st_mode)
            server = await tiffany.spawn(listener.serve, _echo)
            async with await net.open_unix(path) as stream:
                await stream.sendall(b"over unix")
                reply = await stream.recv()
            await server.cancel()
        return reply, mode

    reply, mode = tiffany.run(main)
    assert reply == b"over unix"
    assert mode == 0o600
    assert not path.exists(), "closing the listener removes its socket file"


def test_a_stale_unix_socket_is_replaced_and_other_files_are_refused(tmp_path: Path) -> None:
    stale = tmp_path / "stale.sock"
    leftover = socket.socket(socket.AF_UNIX)
    leftover.bind(str(stale))
    leftover.close()  # the file stays, nobody listens
    regular = tmp_path / "regular"
    regular.write_text("precious")

    async def main() -> None:
        async with await net.listen_unix(stale):
            pass
        with pytest.raises(FileExistsError, match="not a socket"):
            await net.listen_unix(regular)

    tiffany.run(main)
    assert regular.read_text() == "precious"


def test_a_live_unix_socket_is_not_stolen(tmp_path: Path) -> None:
    path = tmp_path / "live.sock"

    async def main() -> None:
        async with await net.listen_unix(path):
            with pytest.raises(OSError, match="already listening"):
                await net.listen_unix(path)

    tiffany.run(main)


def test_small_reads_return_every_byte_in_order() -> None:
    payload = bytes(range(256)) * 40

    async def send_all(stream: net.SocketStream) -> None:
        await stream.sendall(payload)

    async def main() -> bytes:
        async with await net.listen_tcp() as listener:
            server = await tiffany.spawn(listener.serve, send_all)
            received = bytearray()
            async with await net.open_tcp("127.0.0.1", listener.port) as stream:
                while chunk := await stream.recv(7):
                    assert len(chunk) <= 7
                    received += chunk
            await server.cancel()
        return bytes(received)

    assert tiffany.run(main) == payload
