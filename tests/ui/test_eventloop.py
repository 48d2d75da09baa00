""":class:`QtAsyncLoop`: asyncio's ordering and error handling on Qt's loop, threads and sockets included."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from typing import Any

from PySide6.QtCore import QObject, QTimer

from meetdesk.ui.eventloop import QtAsyncLoop


async def test_callbacks_run_in_order_and_the_ones_they_schedule_wait_for_the_next_round() -> None:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, QtAsyncLoop)
    ran: list[str] = []
    qt_ran = asyncio.Event()
    context = QObject()  # the Qt timer's owner

    def first() -> None:
        ran.append("first")
        loop.call_soon(ran.append, "scheduled by first")
        QTimer.singleShot(0, context, lambda: (ran.append("qt timer"), qt_ran.set()))

    loop.call_soon(first)
    loop.call_soon(ran.append, "second")
    loop.call_soon(ran.append, "cancelled").cancel()
    loop.call_later(0, ran.append, "third")  # a zero delay is call_soon
    await asyncio.wait_for(qt_ran.wait(), 5)
    await asyncio.sleep(0)
    assert ran[:3] == ["first", "second", "third"]
    assert "cancelled" not in ran
    # the next round's callback ran after the round that scheduled it, and Qt's events got their turn too
    assert set(ran[3:5]) == {"scheduled by first", "qt timer"}


async def test_call_soon_threadsafe_from_many_threads_runs_every_callback_on_the_loop_thread_in_order() -> None:
    loop = asyncio.get_running_loop()
    seen: dict[int, list[int]] = {}
    threads_seen: set[int] = set()
    done = asyncio.Event()
    threads, per_thread = 8, 500

    def record(thread: int, n: int) -> None:
        threads_seen.add(threading.get_ident())
        seen.setdefault(thread, []).append(n)
        if sum(len(v) for v in seen.values()) == threads * per_thread:
            done.set()

    def produce(thread: int) -> None:
        for n in range(per_thread):
            loop.call_soon_threadsafe(record, thread, n)

    workers = [threading.Thread(target=produce, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    await asyncio.wait_for(done.wait(), 10)
    for worker in workers:
        worker.join()
    assert threads_seen == {threading.get_ident()}
    assert all(seen[t] == list(range(per_thread)) for t in range(threads))


async def test_a_failing_callback_goes_to_the_exception_handler_and_the_loop_goes_on() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:

        def fail() -> None:
            raise ValueError("broken callback")

        loop.call_soon(fail)
        after = loop.create_future()
        loop.call_soon(after.set_result, "still running")
        assert await asyncio.wait_for(after, 5) == "still running"
        assert isinstance(reported[0]["exception"], ValueError)
    finally:
        loop.set_exception_handler(previous)


async def test_readers_are_called_when_data_arrives_and_not_once_removed() -> None:
    loop = asyncio.get_running_loop()
    a, b = socket.socketpair()
    a.setblocking(False)
    got: asyncio.Queue[bytes] = asyncio.Queue()
    try:
        loop.add_reader(a.fileno(), lambda: got.put_nowait(a.recv(100)))
        b.send(b"one")
        assert await asyncio.wait_for(got.get(), 5) == b"one"
        b.send(b"two")
        assert await asyncio.wait_for(got.get(), 5) == b"two"
        assert loop.remove_reader(a.fileno())
        b.send(b"three")
        await asyncio.sleep(0.1)
        assert got.empty()
        assert a.recv(100) == b"three"  # still there: nobody read it
    finally:
        loop.remove_reader(a.fileno())
        a.close()
        b.close()


async def test_datagrams_and_streams_flow_through_asyncio_transports() -> None:
    loop = asyncio.get_running_loop()
    received: asyncio.Queue[bytes] = asyncio.Queue()

    class Echo(asyncio.DatagramProtocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport

        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            self.transport.sendto(data.upper(), addr)  # type: ignore[attr-defined]

    class Client(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            received.put_nowait(data)

    server, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", 0))
    client, _ = await loop.create_datagram_endpoint(Client, remote_addr=server.get_extra_info("sockname"))
    try:
        for n in range(200):
            client.sendto(f"datagram {n}".encode())
        answers = [await asyncio.wait_for(received.get(), 5) for _ in range(200)]
        assert sorted(answers) == sorted(f"DATAGRAM {n}".encode() for n in range(200))
    finally:
        client.close()
        server.close()

    size = 1_000_000  # more than a socket buffer: the writer side waits for writability

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write((await reader.readexactly(size)).upper())
        await writer.drain()
        writer.close()

    tcp = await asyncio.start_server(echo, "127.0.0.1", 0)
    try:
        reader, writer = await asyncio.open_connection(*tcp.sockets[0].getsockname()[:2])
        writer.write(b"x" * size)
        await writer.drain()
        assert await asyncio.wait_for(reader.readexactly(size), 10) == b"X" * size
        writer.close()
    finally:
        tcp.close()
        await tcp.wait_closed()


async def test_timers_fire_in_time_order_never_early_and_cancelled_ones_never() -> None:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, QtAsyncLoop)
    fired: list[tuple[str, float]] = []
    start = loop.time()

    def fire(name: str) -> None:
        fired.append((name, loop.time() - start))

    for name, delay in [("c", 0.06), ("a", 0.02), ("b", 0.04)]:
        loop.call_later(delay, fire, name)
    loop.call_later(0.03, fire, "cancelled").cancel()
    for handle in [loop.call_later(10, fire, "far") for _ in range(300)]:
        handle.cancel()
    await asyncio.sleep(0.1)
    assert [name for name, _ in fired] == ["a", "b", "c"]
    assert all(at >= due for (_, at), due in zip(fired, (0.02, 0.04, 0.06), strict=True))
    assert not loop._scheduled_handles  # the cancelled ones were cleaned from the heap, none wakes the loop


async def test_an_async_generator_left_unfinished_is_closed_on_the_loop() -> None:
    """Its ``finally`` awaits (as an HTTP response's body does when the reader hangs up): asyncio's loops close it
    with a task; without that, Python reports "async generator ignored GeneratorExit" when it is collected."""
    import gc

    closed = asyncio.Event()
    reported: list[object] = []

    async def body() -> Any:
        try:
            yield b"first"
            yield b"second"
        finally:
            await asyncio.sleep(0)
            closed.set()

    previous = sys.unraisablehook
    sys.unraisablehook = reported.append
    try:
        chunks = body()
        assert await chunks.__anext__() == b"first"
        del chunks  # left unfinished
        gc.collect()
        await asyncio.wait_for(closed.wait(), 5)
    finally:
        sys.unraisablehook = previous
    assert reported == []
