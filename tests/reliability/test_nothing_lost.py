"""Nothing lost: large transfers through real event-loop libraries, byte-exact.

``ssl_compat`` on one or both ends (the standard library's ``ssl`` on the
other), over TCP loopback, both directions at once, odd sizes and odd write
sizes so that no record boundary lines up with anything:

* trio's ``SSLStream`` (``SSLObject`` on the stdlib's ``MemoryBIO``),
* anyio's ``TLSStream`` (the path httpx takes),
* asyncio streams (``asyncio.sslproto``),

plus trio's ``unwrap()`` with plain bytes right behind the close_notify,
which must come back as the trailing data. The fast profile moves 4 MiB
each way per case; ``make stress`` 64 MiB.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from typing import Any

import anyio
import pytest
import trio
from anyio.streams.tls import TLSStream

from OpenSSL import ssl_compat
from tests.reliability.profile import record, scale
from tests.support import ssl_client_context, ssl_server_context
from tests.support.trio_streams import corked_ssl_stream_pair

#: Bytes each way per transfer: at least 4 MiB, odd.
SIZE = scale(4 << 20, 64 << 20) + 4_099
#: Write sizes cycled through: 1 byte, around a record, and far above one.
WRITES = [1, 16_383, 16_385, 70_001, 333, 262_147]
#: unwrap() rounds with trailing plain data.
UNWRAPS = scale(20, 500)
#: Seconds for one whole case.
DEADLINE = 120 if SIZE > 8 << 20 else 60

PAIRS = [
    pytest.param(ssl_compat, ssl_compat, id="compat-both"),
    pytest.param(ssl_compat, ssl, id="compat-server"),
    pytest.param(ssl, ssl_compat, id="compat-client"),
]


def _payload(size: int, seed: bytes) -> bytes:
    blocks = (size + 31) // 32
    sha = hashlib.sha256
    return b"".join(sha(seed + i.to_bytes(8, "big")).digest() for i in range(blocks))[
        :size
    ]


def _chunks(data: bytes) -> list[bytes]:
    pieces = []
    offset = 0
    index = 0
    while offset < len(data):
        size = WRITES[index % len(WRITES)]
        pieces.append(data[offset : offset + size])
        offset += size
        index += 1
    return pieces


UP = _payload(SIZE, b"client to server")
DOWN = _payload(SIZE + 1_001, b"server to client")


def _check(label: str, up: bytes, down: bytes) -> None:
    assert len(up) == len(UP) and up == UP, f"{label}: upload damaged"
    assert len(down) == len(DOWN) and down == DOWN, f"{label}: download damaged"
    record(f"nothing lost: {label} bytes moved", len(up) + len(down))


# -- trio ------------------------------------------------------------------------


@pytest.mark.parametrize(("server_module", "client_module"), PAIRS)
def test_trio_ssl_stream_over_tcp(server_module: Any, client_module: Any) -> None:
    got: dict[str, bytes] = {}

    async def receive(stream: Any, size: int, key: str) -> None:
        data = bytearray()
        while len(data) < size:
            chunk = await stream.receive_some(65_537)
            if not chunk:
                break
            data += chunk
        got[key] = bytes(data)

    async def send(stream: Any, data: bytes) -> None:
        for piece in _chunks(data):
            await stream.send_all(piece)

    async def main() -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        with trio.fail_after(DEADLINE):
            async with trio.open_nursery() as nursery:

                async def serve() -> None:
                    raw = await listeners[0].accept()
                    tls = trio.SSLStream(
                        raw, ssl_server_context(server_module), server_side=True
                    )
                    async with trio.open_nursery() as inner:
                        inner.start_soon(receive, tls, len(UP), "up")
                        inner.start_soon(send, tls, DOWN)
                    await tls.aclose()

                nursery.start_soon(serve)
                raw = await trio.open_tcp_stream("127.0.0.1", port)
                tls = trio.SSLStream(
                    raw, ssl_client_context(client_module), server_hostname="localhost"
                )
                async with trio.open_nursery() as inner:
                    inner.start_soon(send, tls, UP)
                    inner.start_soon(receive, tls, len(DOWN), "down")
                await tls.aclose()
        await listeners[0].aclose()

    trio.run(main)
    _check("trio", got["up"], got["down"])


@pytest.mark.parametrize(("server_module", "client_module"), PAIRS)
def test_trio_unwrap_keeps_the_plain_bytes_behind_close_notify(
    server_module: Any, client_module: Any
) -> None:
    trailing_seen = 0

    async def one_round(size: int) -> None:
        nonlocal trailing_seen
        plain = _payload(size, b"plain")
        corked, server, client = corked_ssl_stream_pair(
            ssl_server_context(server_module), ssl_client_context(client_module)
        )
        result: dict[str, bytes] = {}

        async def serve() -> None:
            await server.send_all(b"x" * (size % 20_000 + 1))
            assert await server.receive_some(10) == b""
            corked.corked = True
            _transport, trailing = await server.unwrap()
            assert trailing == b""
            await corked.send_all(plain)
            await corked.flush()

        async def talk() -> None:
            received = 0
            while received < size % 20_000 + 1:
                received += len(await client.receive_some(65_536))
            transport, trailing = await client.unwrap()
            data = bytearray(trailing)
            result["trailing"] = bytes(trailing)
            while len(data) < len(plain):
                data += await transport.receive_some(65_536)
            result["plain"] = bytes(data)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(serve)
            nursery.start_soon(talk)
        assert result["plain"] == plain
        if result["trailing"]:
            trailing_seen += 1

    async def main() -> None:
        with trio.fail_after(DEADLINE):
            for i in range(UNWRAPS):
                await one_round(1 + i * 7_919)

    trio.run(main)
    # The plain bytes travel in the close_notify's chunk every time.
    assert trailing_seen == UNWRAPS
    record("nothing lost: trio unwrap rounds with trailing data", trailing_seen)


# -- anyio (httpx's TLS path) ----------------------------------------------------


@pytest.mark.parametrize(("server_module", "client_module"), PAIRS)
def test_anyio_tls_stream_over_tcp(server_module: Any, client_module: Any) -> None:
    got: dict[str, bytes] = {}

    async def receive(stream: Any, size: int, key: str) -> None:
        data = bytearray()
        while len(data) < size:
            try:
                data += await stream.receive(65_537)
            except anyio.EndOfStream:
                break
        got[key] = bytes(data)

    async def send(stream: Any, data: bytes) -> None:
        for piece in _chunks(data):
            await stream.send(piece)

    async def main() -> None:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        with anyio.fail_after(DEADLINE):
            async with anyio.create_task_group() as group:

                async def serve() -> None:
                    raw = await listener.listeners[0].accept()
                    tls = await TLSStream.wrap(
                        raw,
                        server_side=True,
                        ssl_context=ssl_server_context(server_module),
                    )
                    async with anyio.create_task_group() as inner:
                        inner.start_soon(receive, tls, len(UP), "up")
                        inner.start_soon(send, tls, DOWN)
                    await tls.aclose()

                group.start_soon(serve)
                tls = await anyio.connect_tcp(
                    "127.0.0.1",
                    port,
                    ssl_context=ssl_client_context(client_module),
                    tls_hostname="localhost",
                )
                async with anyio.create_task_group() as inner:
                    inner.start_soon(send, tls, UP)
                    inner.start_soon(receive, tls, len(DOWN), "down")
                await tls.aclose()
        await listener.aclose()

    anyio.run(main)
    _check("anyio", got["up"], got["down"])


# -- asyncio streams ---------------------------------------------------------------


@pytest.mark.parametrize(("server_module", "client_module"), PAIRS)
def test_asyncio_streams_over_tcp(server_module: Any, client_module: Any) -> None:
    got: dict[str, bytes] = {}

    async def send(writer: asyncio.StreamWriter, data: bytes) -> None:
        for piece in _chunks(data):
            writer.write(piece)
            await writer.drain()

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        sender = asyncio.ensure_future(send(writer, DOWN))
        got["up"] = await reader.readexactly(len(UP))
        await sender
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(
            handle, "127.0.0.1", 0, ssl=ssl_server_context(server_module)
        )
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection(
            "127.0.0.1",
            port,
            ssl=ssl_client_context(client_module),
            server_hostname="localhost",
        )
        sender = asyncio.ensure_future(send(writer, UP))
        got["down"] = await reader.readexactly(len(DOWN))
        await sender
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(asyncio.wait_for(main(), DEADLINE))
    _check("asyncio", got["up"], got["down"])
