"""Nothing lost: whole writes, bytes after close_notify, CVE-2023-40217.

Each defect is checked through the libraries that met it -- trio's
``SSLStream``, httpx (anyio's TLS stream), asyncio streams -- with
``ssl_compat`` on one or both ends and the standard library's ``ssl`` as
the reference peer, byte-exact in both directions, plus the direct
``SSLObject``/``SSLSocket`` cases underneath.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import socket
import ssl
import struct
import threading
from typing import Any, Optional

import httpx
import pytest
import trio

from OpenSSL import ssl_compat
from tests.support import (
    IO_TIMEOUT,
    asyncio_tls_server,
    handshaken_objects,
    loopback_tcp,
    ssl_client_context,
    ssl_server_context,
)
from tests.support.trio_streams import (
    corked_ssl_stream_pair,
    run_together,
    ssl_stream_pair,
)

#: (server module, client module): ssl_compat against itself and the stdlib.
PAIRS = [
    pytest.param(ssl_compat, ssl_compat, ssl, id="compat-compat"),
    pytest.param(ssl_compat, ssl, ssl, id="compat-server"),
    pytest.param(ssl, ssl_compat, ssl, id="compat-client"),
]
#: The same without the MemoryBIO module (third field above).
PAIRS2 = [pytest.param(*p.values[:2], id=p.id) for p in PAIRS]
#: Which MemoryBIO class the library creates: the stdlib's (as trio, anyio
#: and asyncio do) or ssl_compat's (a program that switched its import).
BIO_MODULES = [
    pytest.param(ssl, id="stdlib-bio"),
    pytest.param(ssl_compat, id="compat-bio"),
]

#: Over 1 MiB, and odd so that no record boundary lines up with the end.
SIZE = (1 << 20) + 12_345


def _payload(size: int, seed: bytes) -> bytes:
    """*size* bytes that differ at every 32-byte block (a misplaced chunk shows)."""
    blocks = (size + 31) // 32
    digest = hashlib.sha256
    data = b"".join(digest(seed + i.to_bytes(8, "big")).digest() for i in range(blocks))
    return data[:size]


# -- SSLObject and SSLSocket underneath --------------------------------------


def _object_pair(server_module: Any, client_module: Any, bio_module: Any) -> Any:
    # The stdlib's own SSLObject takes only the stdlib's MemoryBIO.
    c_bio = bio_module if client_module is ssl_compat else ssl
    s_bio = bio_module if server_module is ssl_compat else ssl
    client, server = handshaken_objects(
        ssl_client_context(client_module),
        ssl_server_context(server_module),
        client_bio=c_bio.MemoryBIO,
        server_bio=s_bio.MemoryBIO,
    )
    bios = (client.in_bio, client.out_bio, server.in_bio, server.out_bio)
    return client.obj, server.obj, bios


@pytest.mark.parametrize("bio_module", BIO_MODULES)
def test_sslobject_write_takes_everything(bio_module: Any) -> None:
    client, server, (_c_in, c_out, s_in, _s_out) = _object_pair(
        ssl_compat, ssl_compat, bio_module
    )
    data = _payload(3 * 16384 + 7, b"write")
    assert client.write(data) == len(data)
    s_in.write(c_out.read())
    received = b""
    while len(received) < len(data):
        received += server.read(65536)
    assert received == data


@pytest.mark.parametrize("bio_module", BIO_MODULES)
@pytest.mark.parametrize(("server_module", "client_module"), PAIRS2)
def test_bytes_after_close_notify_stay_in_the_bio(
    server_module: Any, client_module: Any, bio_module: Any
) -> None:
    client, server, (c_in, c_out, s_in, s_out) = _object_pair(
        server_module, client_module, bio_module
    )
    server.write(b"last words")
    with pytest.raises(ssl.SSLWantReadError):
        server.unwrap()  # sends close_notify, waits for the client's
    # The peer's data, its close_notify and then plain bytes, in one chunk.
    c_in.write(s_out.read() + b"PLAIN after TLS")
    assert client.read(100) == b"last words"
    client.unwrap()  # the server's close_notify arrived: done at once
    assert c_in.read() == b"PLAIN after TLS"
    s_in.write(c_out.read())
    server.unwrap()
    assert s_in.pending == 0


@pytest.mark.parametrize("bio_module", BIO_MODULES)
def test_bytes_after_close_notify_survive_a_read(bio_module: Any) -> None:
    """A read that meets close_notify (returns b"") leaves what follows."""
    client, server, (c_in, _c_out, _s_in, s_out) = _object_pair(
        ssl_compat, ssl_compat, bio_module
    )
    with pytest.raises(ssl.SSLWantReadError):
        server.unwrap()
    c_in.write(s_out.read() + b"\x17\x03\x03 not TLS any more")
    assert client.read(100) == b""
    assert c_in.read() == b"\x17\x03\x03 not TLS any more"


def test_record_split_at_every_byte_reads_back_whole() -> None:
    """Records fed a byte at a time (header split too) decrypt unchanged."""
    client, server, (_c_in, c_out, s_in, _s_out) = _object_pair(
        ssl_compat, ssl_compat, ssl
    )
    data = _payload(40_001, b"split")
    client.write(data)
    wire = c_out.read()
    received = b""
    for offset in range(len(wire)):
        s_in.write(wire[offset : offset + 1])
        try:
            received += server.read(65536)
        except ssl.SSLWantReadError:
            pass
    while True:
        try:
            received += server.read(65536)
        except ssl.SSLWantReadError:
            break
    assert received == data


@pytest.mark.parametrize("timeout", [None, IO_TIMEOUT], ids=["blocking", "timeout"])
def test_sslsocket_send_returns_the_whole_length(timeout: Optional[float]) -> None:
    data = _payload(2 * 16384 + 999, b"send")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(IO_TIMEOUT)
    received: list[bytes] = []

    def serve() -> None:
        raw, _ = listener.accept()
        raw.settimeout(IO_TIMEOUT)
        with ssl_server_context(ssl).wrap_socket(raw, server_side=True) as tls:
            chunks = b""
            while len(chunks) < len(data):
                chunk = tls.recv(65536)
                if not chunk:
                    break
                chunks += chunk
            received.append(chunks)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        raw = socket.create_connection(listener.getsockname(), timeout=IO_TIMEOUT)
        raw.settimeout(timeout)
        with ssl_client_context().wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.send(data) == len(data)
            # Closed with the server's session tickets unread, the socket
            # would reset the connection and the server could lose the tail.
            thread.join(IO_TIMEOUT)
    finally:
        listener.close()
    assert received == [data]


# -- trio's SSLStream ---------------------------------------------------------


#: (server module, client module, the module trio takes its MemoryBIO from):
#: trio creates the stdlib's; with ``ssl`` replaced by ``ssl_compat`` (both
#: ends then ssl_compat) it creates ours.
TRIO_CASES = [
    *PAIRS,
    pytest.param(ssl_compat, ssl_compat, ssl_compat, id="compat-compat-compat-bio"),
]


def _use_bio_module(monkeypatch: Any, module: Any) -> None:
    """Make trio create *module*'s MemoryBIO (the exceptions are the same classes)."""
    import trio._ssl

    monkeypatch.setattr(trio._ssl, "_stdlib_ssl", module)


async def _pump(stream: Any, data: bytes, sizes: list[int]) -> None:
    offset = 0
    index = 0
    while offset < len(data):
        size = sizes[index % len(sizes)]
        await stream.send_all(data[offset : offset + size])
        offset += size
        index += 1


async def _drain(stream: Any, size: int, into: list[bytes]) -> None:
    received = bytearray()
    while len(received) < size:
        chunk = await stream.receive_some(65_537)
        if not chunk:
            break
        received += chunk
    into.append(bytes(received))


@pytest.mark.parametrize(("server_module", "client_module", "bio_module"), TRIO_CASES)
def test_trio_full_duplex_is_byte_exact(
    server_module: Any, client_module: Any, bio_module: Any, monkeypatch: Any
) -> None:
    _use_bio_module(monkeypatch, bio_module)
    up = _payload(SIZE, b"up")
    down = _payload(SIZE + 1001, b"down")
    got_up: list[bytes] = []
    got_down: list[bytes] = []

    async def main() -> None:
        server, client = ssl_stream_pair(
            ssl_server_context(server_module), ssl_client_context(client_module)
        )
        with trio.fail_after(60):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_pump, client, up, [1, 16_383, 70_001, 333])
                nursery.start_soon(_pump, server, down, [65_536 + 7, 5, 16_385])
                nursery.start_soon(_drain, server, len(up), got_up)
                nursery.start_soon(_drain, client, len(down), got_down)

    trio.run(main)
    assert got_up == [up]
    assert got_down == [down]


@pytest.mark.parametrize(("server_module", "client_module", "bio_module"), TRIO_CASES)
def test_trio_unwrap_returns_the_bytes_after_close_notify(
    server_module: Any, client_module: Any, bio_module: Any, monkeypatch: Any
) -> None:
    _use_bio_module(monkeypatch, bio_module)
    results: dict[str, Any] = {}

    async def main() -> None:
        corked, server, client = corked_ssl_stream_pair(
            ssl_server_context(server_module), ssl_client_context(client_module)
        )

        async def serve() -> None:
            await server.do_handshake()
            results["request"] = await server.receive_some(100)
            await server.send_all(b"going plain")
            # The client's close_notify arrives; ours and the plain bytes
            # then leave in one chunk.
            assert await server.receive_some(100) == b""
            corked.corked = True
            _transport, trailing = await server.unwrap()
            assert trailing == b""
            await corked.send_all(b"PLAIN:" + bytes(range(256)))
            await corked.flush()

        async def talk() -> None:
            await client.send_all(b"STARTTLS over")
            results["reply"] = await client.receive_some(100)
            transport, trailing = await client.unwrap()
            received = bytearray(trailing)
            results["trailing"] = bytes(trailing)
            while len(received) < 6 + 256:
                chunk = await transport.receive_some(1000)
                if not chunk:
                    break
                received += chunk
            results["plain"] = bytes(received)

        await run_together(20, serve, talk)

    trio.run(main)
    assert results["request"] == b"STARTTLS over"
    assert results["reply"] == b"going plain"
    assert results["plain"] == b"PLAIN:" + bytes(range(256))
    # The plain bytes came in the close_notify's chunk: unwrap() returned them.
    assert results["trailing"] == results["plain"]


# -- httpx (anyio's TLS stream) -----------------------------------------------


async def _http_echo(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """A one-request HTTP/1.1 server: answers with the request body."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await reader.readexactly(length)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
    finally:
        writer.close()


@pytest.mark.parametrize(("server_module", "client_module"), PAIRS2)
def test_httpx_async_post_is_byte_exact(server_module: Any, client_module: Any) -> None:
    body = _payload(SIZE, b"httpx")

    async def main() -> httpx.Response:
        async with asyncio_tls_server(
            _http_echo, ssl_server_context(server_module)
        ) as port:
            async with httpx.AsyncClient(
                verify=ssl_client_context(client_module), timeout=IO_TIMEOUT
            ) as client:
                return await client.post(f"https://localhost:{port}/", content=body)

    response = asyncio.run(asyncio.wait_for(main(), 60))
    assert response.status_code == 200
    assert response.content == body


def test_httpx_sync_post_is_byte_exact() -> None:
    """httpx's sync client: SSLSocket.sendall/recv_into on a compat context."""
    body = _payload(SIZE, b"httpx-sync")
    ready = threading.Event()
    state: dict[str, Any] = {}

    def serve() -> None:
        async def main() -> None:
            server = await asyncio.start_server(
                _http_echo, "127.0.0.1", 0, ssl=ssl_server_context(ssl)
            )
            state["port"] = server.sockets[0].getsockname()[1]
            state["stop"] = asyncio.Event()
            ready.set()
            await asyncio.wait_for(state["stop"].wait(), 60)
            server.close()

        asyncio.run(main())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(IO_TIMEOUT)
    try:
        with httpx.Client(verify=ssl_client_context(), timeout=IO_TIMEOUT) as client:
            response = client.post(f"https://localhost:{state['port']}/", content=body)
    finally:
        loop_stop: Any = state["stop"]
        loop_stop._loop.call_soon_threadsafe(loop_stop.set)
        thread.join(IO_TIMEOUT)
    assert response.content == body


# -- asyncio streams -----------------------------------------------------------


async def _echo_stream(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            chunk = await reader.read(70_001)
            if not chunk:
                break
            writer.write(chunk)
            await writer.drain()
    finally:
        writer.close()


@pytest.mark.parametrize(("server_module", "client_module"), PAIRS2)
def test_asyncio_streams_echo_is_byte_exact(
    server_module: Any, client_module: Any
) -> None:
    data = _payload(SIZE, b"asyncio")

    async def main() -> bytes:
        async with asyncio_tls_server(
            _echo_stream, ssl_server_context(server_module)
        ) as port:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1",
                port,
                ssl=ssl_client_context(client_module),
                server_hostname="localhost",
            )

            async def send() -> None:
                sizes = [1, 9_999, 65_537, 16_384]
                offset = 0
                index = 0
                while offset < len(data):
                    size = sizes[index % len(sizes)]
                    writer.write(data[offset : offset + size])
                    await writer.drain()
                    offset += size
                    index += 1

            sender = asyncio.ensure_future(send())
            received = await reader.readexactly(len(data))
            await sender
            writer.close()
            return received

    assert asyncio.run(asyncio.wait_for(main(), 60)) == data


# -- CVE-2023-40217: plaintext before the handshake, then a reset ------------


_PREHANDSHAKE_MESSAGE = "Closed before TLS handshake with data in recv buffer."


def _reset(sock: socket.socket) -> None:
    """Close *sock* with an RST (linger 0) instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _wait_for_reset(sock: socket.socket) -> None:
    """Wait until the kernel has seen the peer's RST on *sock*."""
    import time

    deadline = time.monotonic() + IO_TIMEOUT
    while time.monotonic() < deadline:
        try:
            sock.getpeername()
        except OSError as exc:
            assert exc.errno == errno.ENOTCONN
            return
        time.sleep(0.01)
    raise AssertionError("the peer's reset never arrived")


def _tcp_pair() -> tuple[socket.socket, socket.socket]:
    """A loopback TCP ``(client, server)`` pair; the client with a timeout."""
    client, conn = loopback_tcp()
    client.settimeout(IO_TIMEOUT)
    return client, conn


def _check_prehandshake_error(info: Any) -> None:
    assert type(info.value) is ssl.SSLError
    assert info.value.reason == _PREHANDSHAKE_MESSAGE
    assert _PREHANDSHAKE_MESSAGE in str(info.value)


@pytest.mark.parametrize("module", [ssl, ssl_compat], ids=["stdlib", "compat"])
def test_server_refuses_plaintext_sent_before_a_reset(module: Any) -> None:
    client, conn = _tcp_pair()
    client.sendall(b"GET / HTTP/1.0\r\n\r\n")
    _reset(client)
    _wait_for_reset(conn)
    with pytest.raises(ssl.SSLError) as info:
        ssl_server_context(module).wrap_socket(conn, server_side=True)
    _check_prehandshake_error(info)
    assert conn.fileno() == -1  # detached, and the wrapper was closed


@pytest.mark.parametrize("module", [ssl, ssl_compat], ids=["stdlib", "compat"])
def test_client_refuses_plaintext_sent_before_a_reset(module: Any) -> None:
    client, conn = _tcp_pair()
    conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nforged")
    _reset(conn)
    _wait_for_reset(client)
    with pytest.raises(ssl.SSLError) as info:
        ssl_client_context(module).wrap_socket(client, server_hostname="localhost")
    _check_prehandshake_error(info)


def test_unconnected_socket_without_data_still_wraps() -> None:
    """Wrapping before connect() (no data, ENOTCONN) is not that error."""
    raw = socket.socket()
    try:
        tls = ssl_client_context().wrap_socket(raw, server_hostname="localhost")
        assert tls.fileno() >= 0
        tls.close()
    finally:
        raw.close()


@pytest.mark.parametrize("bio_module", BIO_MODULES)
def test_handshake_leaves_bytes_after_close_notify_in_the_bio(bio_module: Any) -> None:
    """The client's Finished, data, close_notify and plain bytes in one chunk."""
    c_in, c_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    s_in, s_out = bio_module.MemoryBIO(), bio_module.MemoryBIO()
    client = ssl_client_context(ssl).wrap_bio(c_in, c_out, server_hostname="localhost")
    server = ssl_server_context().wrap_bio(s_in, s_out, server_side=True)
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    s_in.write(c_out.read())
    with pytest.raises(ssl.SSLWantReadError):
        server.do_handshake()
    c_in.write(s_out.read())
    client.do_handshake()  # TLS 1.3: the client is done, Finished queued
    client.write(b"early words")
    with pytest.raises(ssl.SSLWantReadError):
        client.unwrap()
    s_in.write(c_out.read() + b"PLAIN")
    server.do_handshake()
    assert server.read(100) == b"early words"
    assert server.read(100) == b""
    assert s_in.read() == b"PLAIN"
