"""``ssl_compat``: sessions kept across processes, early data, ``_msg_callback``.

``SSLSession.to_bytes``/``from_bytes`` with ``session=``; TLS 1.3 early data
on ``SSLObject`` and ``SSLSocket`` (this project's extension, documented in
``ssl_compat._early_data``), including asyncio's ``SSLObject`` path with a
context subclass that offers the session and the early data in
``wrap_bio``; CPython's private ``SSLContext._msg_callback`` hook.
"""

from __future__ import annotations

import asyncio
import http.client
import socket
import ssl
from typing import Any, Optional

import pytest

from OpenSSL import SSL, ssl_compat
from tests.support import (
    PEER_TIMEOUT,
    Background,
    ObjectEnd,
    accept_early_data,
    blocking_with_deadline,
    deliver,
    early_server_context,
    handshake,
    https_server,
    listener,
    object_pair,
    ssl_client_context,
    ssl_server_context,
)

REQUEST = b"GET /idempotent HTTP/1.0\r\n\r\n"


def pair(
    client_ctx: Any, server_ctx: Any, session: Any = None
) -> tuple[Any, Any, tuple[ObjectEnd, ObjectEnd]]:
    """``(client, server, ends)``: two SSLObjects and their ``ObjectEnd``s."""
    ends = object_pair(client_ctx, server_ctx, session=session)
    return ends[0].obj, ends[1].obj, ends


def move(links: tuple[ObjectEnd, ObjectEnd]) -> None:
    deliver(*links)


def read(obj: Any, links: tuple[ObjectEnd, ObjectEnd], size: int) -> bytes:
    for _ in range(20):
        move(links)
        try:
            return bytes(obj.read(size))
        except ssl.SSLWantReadError:
            continue
    raise AssertionError("nothing to read")


def first_session(client_ctx: Any, server_ctx: Any) -> Any:
    client, server, links = pair(client_ctx, server_ctx)
    handshake(*links)
    server.write(b"tickets")
    assert read(client, links, 100) == b"tickets"
    session = client.session
    assert session is not None
    return session


class TestSessionExport:
    def test_imported_session_resumes_on_a_fresh_context(self) -> None:
        server_ctx = ssl_server_context()
        session = first_session(ssl_client_context(), server_ctx)
        data = session.to_bytes()
        imported = ssl_compat.SSLSession.from_bytes(data)
        assert imported.id == session.id and imported.has_ticket
        assert imported.to_bytes() == data
        client, server, links = pair(ssl_client_context(), server_ctx, imported)
        handshake(*links)
        assert client.session_reused and server.session_reused

    def test_live_session_keeps_its_context(self) -> None:
        session = first_session(ssl_client_context(), ssl_server_context())
        with pytest.raises(ValueError, match="different SSLContext"):
            pair(ssl_client_context(), ssl_server_context(), session)

    def test_garbage_is_value_error(self) -> None:
        with pytest.raises(ValueError):
            ssl_compat.SSLSession.from_bytes(b"\x30\x03\x02\x01\x01")
        with pytest.raises(TypeError):
            ssl_compat.SSLSession.from_bytes("text")  # type: ignore[arg-type]

    def test_sslsocket_session_attribute_takes_an_imported_one(self) -> None:
        server_ctx = ssl_server_context()
        session = first_session(ssl_client_context(), server_ctx)
        imported = ssl_compat.SSLSession.from_bytes(session.to_bytes())
        with listener() as listening:

            def serve() -> bool:
                conn = server_ctx.wrap_socket(listening.accept(), server_side=True)
                conn.sendall(b"ok\n")
                reused: bool = conn.session_reused
                conn.close()
                return reused

            background = Background(serve)
            sock = ssl_client_context().wrap_socket(
                socket.create_connection(("127.0.0.1", listening.port)),
                server_hostname="localhost",
                session=imported,
            )
            assert sock.recv(10) == b"ok\n"
            assert sock.session_reused
            sock.close()
            assert background.result()


class TestEarlyDataObjects:
    def contexts(self, server_max: int = 16384) -> tuple[Any, Any]:
        server_ctx = ssl_server_context()
        server_ctx.max_early_data = server_max
        client_ctx = ssl_client_context()
        client_ctx.max_early_data = 16384
        return client_ctx, server_ctx

    def test_accepted_on_sslobject(self) -> None:
        client_ctx, server_ctx = self.contexts()
        session = ssl_compat.SSLSession.from_bytes(
            first_session(client_ctx, server_ctx).to_bytes()
        )
        assert session.max_early_data == 16384
        client, server, links = pair(client_ctx, server_ctx, session)
        assert client.write_early_data(REQUEST) == len(REQUEST)
        early = b""
        for _ in range(20):
            move(links)
            try:
                chunk = server.read_early_data(1024)
            except ssl.SSLWantReadError:
                try:
                    client.do_handshake()
                except ssl.SSLWantReadError:
                    pass
                continue
            if not chunk:
                break
            early += chunk
        handshake(*links)
        assert early == REQUEST
        assert client.get_early_data_status() == ssl_compat.EARLY_DATA_ACCEPTED
        assert server.get_early_data_status() == ssl_compat.EARLY_DATA_ACCEPTED

    def test_server_that_does_not_read_it_rejects_and_the_client_resends(
        self,
    ) -> None:
        client_ctx, server_ctx = self.contexts()
        session = first_session(client_ctx, server_ctx)
        client, server, links = pair(client_ctx, server_ctx, session)
        client.write_early_data(REQUEST)
        handshake(*links)
        assert client.get_early_data_status() == ssl_compat.EARLY_DATA_REJECTED
        client.write(REQUEST)
        assert read(server, links, 1024) == REQUEST

    def test_max_early_data_property(self) -> None:
        ctx = ssl_client_context()
        assert ctx.max_early_data == 0
        ctx.max_early_data = 100
        assert ctx.max_early_data == 100
        with pytest.raises(ValueError):
            ctx.max_early_data = 1 << 20

    def test_context_without_early_data_refuses(self) -> None:
        server_ctx = ssl_server_context()
        server_ctx.max_early_data = 1024
        session = first_session(ssl_client_context(), server_ctx)
        imported = ssl_compat.SSLSession.from_bytes(session.to_bytes())
        client, _server, _links = pair(ssl_client_context(), server_ctx, imported)
        with pytest.raises(ValueError, match="max_early_data"):
            client.write_early_data(REQUEST)


# -- asyncio ---------------------------------------------------------------------


class ResumingContext(ssl_compat.SSLContext):
    """What an asyncio client does: offer a session and early data in wrap_bio."""

    session: Optional[ssl_compat.SSLSession] = None
    early: Optional[bytes] = None

    def wrap_bio(self, *args: Any, **kwargs: Any) -> Any:
        if self.session is not None:
            kwargs["session"] = self.session
        obj = super().wrap_bio(*args, **kwargs)
        if self.early is not None and self.session is not None:
            obj.write_early_data(self.early)
        return obj


def resuming_context() -> ResumingContext:
    ctx = ResumingContext(ssl_compat.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(_ca()))
    ctx.max_early_data = 16384
    return ctx


def _ca() -> Any:
    from tests.support import ca_file

    return ca_file()


def read_request(conn: Any, start: bytes) -> bytes:
    """*start* (the early data) plus what *conn* receives, up to the blank
    line that ends an HTTP request head."""
    request = start
    while not request.endswith(b"\r\n\r\n"):
        request += conn.recv(1024)
    return request


def serve_with_early_data(ctx: SSL.Context, listening: listener) -> dict[str, Any]:
    """An OpenSSL.SSL server reading early data, then one request."""
    sock = blocking_with_deadline(listening.accept())
    conn = SSL.Connection(ctx, sock)
    conn.set_accept_state()
    early = accept_early_data(conn, 16384)
    conn.do_handshake()
    request = read_request(conn, early)
    conn.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
    conn.shutdown()
    sock.close()
    return {"early": early, "request": request, "reused": conn.session_reused()}


async def asyncio_request(port: int, ctx: ResumingContext) -> tuple[bytes, Any]:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=ctx, server_hostname="localhost"
    )
    obj = writer.get_extra_info("ssl_object")
    if obj.get_early_data_status() != ssl_compat.EARLY_DATA_ACCEPTED:
        writer.write(REQUEST)  # never lost: sent again when not accepted
    reply = await asyncio.wait_for(reader.readline(), PEER_TIMEOUT)
    await asyncio.wait_for(reader.read(), PEER_TIMEOUT)
    session = obj.session
    status = obj.get_early_data_status()
    writer.close()
    try:
        await writer.wait_closed()
    except (ssl.SSLError, ConnectionError):
        pass
    return reply, (session, status)


class TestAsyncio:
    def test_session_file_and_early_data_over_asyncio(self) -> None:
        server_ctx = early_server_context()
        ctx = resuming_context()
        with listener() as listening:
            first = Background(lambda: serve_with_early_data(server_ctx, listening))
            reply, (session, status) = asyncio.run(asyncio_request(listening.port, ctx))
            assert reply == b"HTTP/1.0 200 OK\r\n"
            assert status == ssl_compat.EARLY_DATA_NOT_SENT
            assert first.result()["early"] == b""
            # As a new process would: the session from bytes, a new context.
            ctx = resuming_context()
            ctx.session = ssl_compat.SSLSession.from_bytes(session.to_bytes())
            ctx.early = REQUEST
            second = Background(lambda: serve_with_early_data(server_ctx, listening))
            reply, (_, status) = asyncio.run(asyncio_request(listening.port, ctx))
            seen = second.result()
        assert reply == b"HTTP/1.0 200 OK\r\n"
        assert status == ssl_compat.EARLY_DATA_ACCEPTED
        assert seen == {"early": REQUEST, "request": REQUEST, "reused": True}

    def test_rejected_over_asyncio_is_resent(self) -> None:
        server_ctx = early_server_context()
        ctx = resuming_context()
        with listener() as listening:
            first = Background(lambda: serve_with_early_data(server_ctx, listening))
            _, (session, _) = asyncio.run(asyncio_request(listening.port, ctx))
            first.result()
            ctx = resuming_context()
            ctx.session = ssl_compat.SSLSession.from_bytes(session.to_bytes())
            ctx.early = REQUEST
            # A different server Context: it cannot read the ticket.
            other = early_server_context()
            second = Background(lambda: serve_with_early_data(other, listening))
            reply, (_, status) = asyncio.run(asyncio_request(listening.port, ctx))
            seen = second.result()
        assert status == ssl_compat.EARLY_DATA_REJECTED
        assert reply == b"HTTP/1.0 200 OK\r\n"
        assert seen == {"early": b"", "request": REQUEST, "reused": False}


class TestMsgCallback:
    def test_cpython_shape(self) -> None:
        seen: list[tuple[Any, ...]] = []
        client_ctx = ssl_client_context()
        client_ctx._msg_callback = lambda *args: seen.append(args)
        assert client_ctx._msg_callback is not None
        client, _server, links = pair(client_ctx, ssl_server_context())
        handshake(*links)
        assert seen, "no message seen"
        conn, direction, version, content_type, msg_type, data = seen[0]
        assert conn is client
        assert direction == "write"
        # The ClientHello's record header: its version and content type.
        assert version == ssl.TLSVersion.TLSv1
        assert msg_type == ssl._TLSContentType.HANDSHAKE  # type: ignore[attr-defined]
        assert len(data) == 5
        assert content_type == ssl._TLSContentType.HEADER  # type: ignore[attr-defined]
        handshake_messages = [
            (d, m)
            for _, d, _, c, m, _ in seen
            if c == ssl._TLSContentType.HANDSHAKE  # type: ignore[attr-defined]
        ]
        assert handshake_messages[0] == ("write", ssl._TLSMessageType.CLIENT_HELLO)  # type: ignore[attr-defined]
        assert ("read", ssl._TLSMessageType.SERVER_HELLO) in handshake_messages  # type: ignore[attr-defined]
        versions = {v for _, _, v, c, _, _ in seen if c == 22}
        assert versions == {ssl.TLSVersion.TLSv1_3}

    def test_exception_comes_out_of_the_handshake(self) -> None:
        def explode(*args: Any) -> None:
            raise ZeroDivisionError("traced")

        client_ctx = ssl_client_context()
        client_ctx._msg_callback = explode
        client, _server, _links = pair(client_ctx, ssl_server_context())
        with pytest.raises(ZeroDivisionError):
            client.do_handshake()

    def test_none_and_type_errors(self) -> None:
        ctx = ssl_client_context()
        with pytest.raises(TypeError):
            ctx._msg_callback = 42
        ctx._msg_callback = print
        ctx._msg_callback = None
        assert ctx._msg_callback is None

    def test_against_the_stdlib_shape(self) -> None:
        # The stdlib's own hook gives the same first event for the same start.
        def first_event(module: Any) -> tuple[Any, ...]:
            seen: list[tuple[Any, ...]] = []
            ctx = ssl_client_context(module)
            ctx._msg_callback = lambda conn, *rest: seen.append(rest)
            c_in, c_out = module.MemoryBIO(), module.MemoryBIO()
            obj = ctx.wrap_bio(c_in, c_out, server_hostname="localhost")
            with pytest.raises(ssl.SSLWantReadError):
                obj.do_handshake()
            return seen[0][:4], [e[3] for e in seen]

        ours = first_event(ssl_compat)
        theirs = first_event(ssl)
        assert ours[0] == theirs[0]
        assert ssl._TLSMessageType.CLIENT_HELLO in ours[1]  # type: ignore[attr-defined]
        assert ssl._TLSMessageType.CLIENT_HELLO in theirs[1]  # type: ignore[attr-defined]


class ResumingHTTPSConnection(http.client.HTTPSConnection):
    """``http.client`` offering a stored session: its ``connect`` passes it."""

    session: Any = None

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
            self.sock, server_hostname=self.host, session=self.session
        )


class TestHttpClient:
    def test_resumes_from_bytes_in_a_new_context(self) -> None:
        with https_server(ssl_server_context()) as (_, port):
            first = ResumingHTTPSConnection(
                "localhost", port, context=ssl_client_context(), timeout=PEER_TIMEOUT
            )
            first.request("GET", "/one")
            assert first.getresponse().read() == b"hello /one"
            stored = first.sock.session.to_bytes()
            assert not first.sock.session_reused
            first.close()
            # What another process does with the stored bytes.
            second = ResumingHTTPSConnection(
                "localhost", port, context=ssl_client_context(), timeout=PEER_TIMEOUT
            )
            second.session = ssl_compat.SSLSession.from_bytes(stored)
            second.request("GET", "/two")
            assert second.getresponse().read() == b"hello /two"
            assert second.sock.session_reused
            second.close()


class TestEarlyDataSockets:
    def test_sslsocket_client_sends_early_data(self) -> None:
        server_ctx = early_server_context()
        with listener() as listening:
            first = Background(lambda: serve_with_early_data(server_ctx, listening))
            ctx = resuming_context()
            sock = ctx.wrap_socket(
                socket.create_connection(("127.0.0.1", listening.port)),
                server_hostname="localhost",
            )
            sock.sendall(REQUEST)
            assert sock.recv(100).startswith(b"HTTP/1.0 200 OK")
            stored = sock.session.to_bytes()
            sock.close()
            first.result()
            second = Background(lambda: serve_with_early_data(server_ctx, listening))
            sock = resuming_context().wrap_socket(
                socket.create_connection(("127.0.0.1", listening.port)),
                server_hostname="localhost",
                session=ssl_compat.SSLSession.from_bytes(stored),
                do_handshake_on_connect=False,
            )
            assert sock.write_early_data(REQUEST) == len(REQUEST)
            sock.do_handshake()
            assert sock.get_early_data_status() == ssl_compat.EARLY_DATA_ACCEPTED
            assert sock.recv(100).startswith(b"HTTP/1.0 200 OK")
            sock.close()
            seen = second.result()
        assert seen == {"early": REQUEST, "request": REQUEST, "reused": True}

    def test_sslsocket_server_reads_early_data(self) -> None:
        server_ctx = ssl_server_context()
        server_ctx.max_early_data = 16384

        def serve(listening: listener) -> tuple[bytes, Any]:
            raw = listening.accept()
            sock = server_ctx.wrap_socket(
                raw, server_side=True, do_handshake_on_connect=False
            )
            early = accept_early_data(sock, 1024)
            sock.do_handshake()
            status = sock.get_early_data_status()
            request = read_request(sock, early)
            sock.sendall(b"ok\n")
            sock.close()
            return request, status

        client_ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
        client_ctx.load_verify_locations(str(_ca()))
        client_ctx.set_max_early_data(16384)
        with listener() as listening:
            results = []
            session: Any = None
            for _ in range(2):
                background = Background(lambda: serve(listening))
                sock = socket.create_connection(("127.0.0.1", listening.port))
                conn = SSL.Connection(client_ctx, blocking_with_deadline(sock))
                conn.set_connect_state()
                if session is not None:
                    conn.set_session(session)
                    conn.write_early_data(REQUEST)
                conn.do_handshake()
                if conn.get_early_data_status() != SSL.EARLY_DATA_ACCEPTED:
                    conn.sendall(REQUEST)
                assert conn.recv(10) == b"ok\n"
                session = SSL.Session.from_bytes(conn.get_session().to_bytes())
                conn.shutdown()
                sock.close()
                results.append(background.result())
        assert results == [
            (REQUEST, ssl_compat.EARLY_DATA_NOT_SENT),
            (REQUEST, ssl_compat.EARLY_DATA_ACCEPTED),
        ]
