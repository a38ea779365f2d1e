"""Channel: bounded backpressure, rendezvous, FIFO, close semantics, nowait variants."""

from __future__ import annotations

import pytest

import tiffany
from tiffany import Channel, TaskState, VirtualClock


def test_send_waits_while_the_channel_is_full() -> None:
    sent: list[tuple[int, float]] = []
    received: list[tuple[int, float]] = []
    sizes: list[int] = []

    async def producer(channel: Channel[int]) -> None:
        for i in range(6):
            await channel.send(i)
            sent.append((i, tiffany.current_time()))
            sizes.append(channel.qsize())
        channel.close()

    async def consumer(channel: Channel[int]) -> None:
        await tiffany.sleep(5)
        async for item in channel:
            received.append((item, tiffany.current_time()))
            await tiffany.sleep(1)

    async def main() -> None:
        channel: Channel[int] = Channel(2)
        async with tiffany.TaskGroup() as group:
            await group.spawn(producer, channel)
            await group.spawn(consumer, channel)

    tiffany.run(main, clock=VirtualClock())
    assert sent == [(0, 0.0), (1, 0.0), (2, 5.0), (3, 6.0), (4, 7.0), (5, 8.0)]
    assert received == [(i, 5.0 + i) for i in range(6)]
    assert max(sizes) == 2, "the buffer never holds more than maxsize"


def test_a_sender_on_a_full_channel_is_blocked_on_the_channel() -> None:
    async def main() -> tuple[TaskState, str | None, int, TaskState]:
        channel: Channel[str] = Channel(1)
        await channel.send("first")
        sender = await tiffany.spawn(channel.send, "second")
        await tiffany.sleep(1)
        state, waiting_on, size = sender.state, sender.waiting_on, channel.qsize()
        assert await channel.recv() == "first"
        await sender.join()
        assert channel.recv_nowait() == "second"
        return state, waiting_on, size, sender.state

    assert tiffany.run(main, clock=VirtualClock()) == (
        TaskState.BLOCKED,
        "channel send",
        1,
        TaskState.FINISHED,
    )


def test_maxsize_zero_is_a_rendezvous_send_waits_for_a_receiver() -> None:
    log: list[tuple[str, float]] = []

    async def main() -> int:
        channel: Channel[str] = Channel(0)

        async def sender() -> None:
            await channel.send("hello")
            log.append(("send returned", tiffany.current_time()))

        task = await tiffany.spawn(sender)
        await tiffany.sleep(3)
        size = channel.qsize()
        log.append((await channel.recv(), tiffany.current_time()))
        await task.join()
        return size

    assert tiffany.run(main, clock=VirtualClock()) == 0
    assert log == [("hello", 3.0), ("send returned", 3.0)]


def test_maxsize_zero_receiver_waits_for_a_sender_and_gets_the_item_directly() -> None:
    async def main() -> tuple[str, float, int]:
        channel: Channel[str] = Channel(0)

        async def sender() -> None:
            await tiffany.sleep(2)
            await channel.send("direct")  # a receiver waits: no wait here

        await tiffany.spawn(sender)
        item = await channel.recv()
        return item, tiffany.current_time(), channel.qsize()

    assert tiffany.run(main, clock=VirtualClock()) == ("direct", 2.0, 0)


def test_items_keep_fifo_order_across_waiting_senders_and_the_buffer() -> None:
    async def main() -> list[str]:
        channel: Channel[str] = Channel(2)
        for name in ("s1", "s2", "s3", "s4"):
            await tiffany.spawn(channel.send, name)
            await tiffany.sleep(1)
        return [await channel.recv() for _ in range(4)]

    assert tiffany.run(main, clock=VirtualClock()) == ["s1", "s2", "s3", "s4"]


def test_waiting_receivers_are_served_fifo() -> None:
    got: list[tuple[str, int]] = []

    async def receiver(name: str, channel: Channel[int]) -> None:
        got.append((name, await channel.recv()))

    async def main() -> None:
        channel: Channel[int] = Channel(3)
        for name in ("r2", "r0", "r1"):
            await tiffany.spawn(receiver, name, channel)
        await tiffany.sleep(1)
        for i in range(3):
            await channel.send(i)
        await tiffany.sleep(1)

    tiffany.run(main, clock=VirtualClock())
    assert got == [("r2", 0), ("r0", 1), ("r1", 2)]


# -- close ----------------------------------------------------------------------------------


def test_close_fails_waiting_senders_and_later_sends() -> None:
    async def main() -> tuple[BaseException | None, bool]:
        channel: Channel[int] = Channel(1)
        await channel.send(0)
        sender = await tiffany.spawn(channel.send, 1)
        await tiffany.sleep(1)
        channel.close()
        with pytest.raises(tiffany.TaskError) as info:
            await sender.join()
        with pytest.raises(tiffany.ClosedChannelError):
            await channel.send(2)
        return info.value.__cause__, channel.closed

    cause, closed = tiffany.run(main, clock=VirtualClock())
    assert isinstance(cause, tiffany.ClosedChannelError)
    assert closed is True


def test_receivers_drain_the_buffer_after_close_then_get_end_of_channel() -> None:
    async def main() -> list[int]:
        channel: Channel[int] = Channel(5)
        for i in range(3):
            await channel.send(i)
        channel.close()
        items = [await channel.recv() for _ in range(3)]
        with pytest.raises(tiffany.EndOfChannel):
            await channel.recv()
        with pytest.raises(tiffany.EndOfChannel):
            await channel.recv()  # and again
        return items

    assert tiffany.run(main, clock=VirtualClock()) == [0, 1, 2]


def test_close_wakes_every_waiting_receiver_with_end_of_channel() -> None:
    ended: list[tuple[str, float]] = []

    async def receiver(name: str, channel: Channel[int]) -> None:
        try:
            await channel.recv()
        except tiffany.EndOfChannel:
            ended.append((name, tiffany.current_time()))

    async def main() -> None:
        channel: Channel[int] = Channel(0)
        for name in ("a", "b"):
            await tiffany.spawn(receiver, name, channel)
        await tiffany.sleep(4)
        channel.close()
        await tiffany.sleep(1)

    tiffany.run(main, clock=VirtualClock())
    assert ended == [("a", 4.0), ("b", 4.0)]


def test_async_for_drains_and_stops_at_close() -> None:
    async def main() -> tuple[list[int], float]:
        channel: Channel[int] = Channel(2)

        async def producer() -> None:
            for i in range(5):
                await channel.send(i)
                await tiffany.sleep(1)
            channel.close()

        await tiffany.spawn(producer)
        items = [item async for item in channel]
        return items, tiffany.current_time()

    assert tiffany.run(main, clock=VirtualClock()) == ([0, 1, 2, 3, 4], 5.0)


def test_close_is_idempotent() -> None:
    async def main() -> list[int]:
        channel: Channel[int] = Channel(2)
        channel.send_nowait(7)
        channel.close()
        channel.close()
        return [item async for item in channel]

    assert tiffany.run(main, clock=VirtualClock()) == [7]


def test_closed_channel_error_is_a_closed_resource_error() -> None:
    assert issubclass(tiffany.ClosedChannelError, tiffany.ClosedResourceError)


# -- nowait -------------------------------------------------------------------------------


def test_send_nowait_raises_would_block_when_full() -> None:
    async def main() -> list[int]:
        channel: Channel[int] = Channel(2)
        channel.send_nowait(1)
        channel.send_nowait(2)
        with pytest.raises(tiffany.WouldBlock):
            channel.send_nowait(3)
        return [channel.recv_nowait(), channel.recv_nowait()]

    assert tiffany.run(main, clock=VirtualClock()) == [1, 2]


def test_recv_nowait_raises_would_block_when_empty_and_end_of_channel_when_closed() -> None:
    async def main() -> None:
        channel: Channel[int] = Channel(2)
        with pytest.raises(tiffany.WouldBlock):
            channel.recv_nowait()
        channel.close()
        with pytest.raises(tiffany.EndOfChannel):
            channel.recv_nowait()
        with pytest.raises(tiffany.ClosedChannelError):
            channel.send_nowait(1)

    tiffany.run(main, clock=VirtualClock())


def test_nowait_on_a_rendezvous_channel_pairs_with_a_waiting_partner() -> None:
    async def main() -> tuple[str, str]:
        channel: Channel[str] = Channel(0)
        with pytest.raises(tiffany.WouldBlock):
            channel.send_nowait("nobody listens")
        receiver = await tiffany.spawn(channel.recv)
        await tiffany.sleep(1)
        channel.send_nowait("to the receiver")
        first: str = await receiver.join()
        sender = await tiffany.spawn(channel.send, "from the sender")
        await tiffany.sleep(1)
        second = channel.recv_nowait()
        await sender.join()
        return first, second

    assert tiffany.run(main, clock=VirtualClock()) == ("to the receiver", "from the sender")


def test_recv_nowait_admits_a_waiting_sender_into_the_freed_slot() -> None:
    async def main() -> tuple[int, int, TaskState, list[int]]:
        channel: Channel[int] = Channel(1)
        channel.send_nowait(1)
        sender = await tiffany.spawn(channel.send, 2)
        await tiffany.sleep(1)
        first = channel.recv_nowait()
        size = channel.qsize()
        await sender.join()
        return first, size, sender.state, [channel.recv_nowait()]

    assert tiffany.run(main, clock=VirtualClock()) == (1, 1, TaskState.FINISHED, [2])


def test_negative_maxsize_is_refused() -> None:
    with pytest.raises(ValueError):
        Channel(-1)
