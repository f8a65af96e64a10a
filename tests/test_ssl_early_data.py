"""TLS 1.3 early data (0-RTT) between two of our Connections over memory BIOs.

Accepted, rejected (server without ``max_early_data``, a changed ALPN, a
ticket used twice), and in every rejected case the application sends the
data again after the handshake and the server gets it exactly once.
"""

from __future__ import annotations

import gc
from typing import Optional

import pytest

from OpenSSL import SSL
from OpenSSL.SSL import (
    EARLY_DATA_ACCEPTED,
    EARLY_DATA_NOT_SENT,
    EARLY_DATA_REJECTED,
    Connection,
    Context,
    Session,
)
from tests.support import (
    client_context,
    early_client_context,
    early_server_context,
    handshake,
    handshake_pair,
    memory_pair,
    pump,
    server_context,
    transfer,
)

REQUEST = b"GET /idempotent HTTP/1.1\r\nHost: localhost\r\n\r\n"


def ticket(server_ctx: Context, alpn: Optional[list[bytes]] = None) -> Session:
    """A session from a first full handshake, exported and imported again."""
    client_ctx = client_context()
    if alpn:
        client_ctx.set_alpn_protos(alpn)
    client, server = handshake_pair(client_ctx, server_ctx)
    assert transfer(server, client, b"tickets") == b"tickets"
    session = client.get_session()
    assert session is not None
    # Both ends shut down: OpenSSL drops the session of a server connection
    # freed without it from the cache that single-use tickets live in.
    client.shutdown()
    server.shutdown()
    return Session.from_bytes(session.to_bytes())


def read_early(client: Connection, server: Connection) -> bytes:
    """Server side: read early data until it ends, stepping the client along."""
    received = bytearray()
    for _ in range(20):
        try:
            chunk = server.read_early_data(16384)
        except SSL.WantReadError:
            pass
        else:
            if chunk == b"":
                return bytes(received)
            received += chunk
            continue
        try:
            client.do_handshake()
        except SSL.WantReadError:
            pass
        pump(client, server)
    raise AssertionError("early data never ended")


def zero_rtt(
    client_ctx: Context,
    server_ctx: Context,
    session: Session,
    data: bytes = REQUEST,
    alpn: Optional[list[bytes]] = None,
) -> tuple[Connection, Connection, bytes]:
    client, server = memory_pair(client_ctx, server_ctx)
    if alpn:
        client.set_alpn_protos(alpn)
    client.set_session(session)
    assert client.write_early_data(data) == len(data)
    pump(client, server)
    early = read_early(client, server)
    handshake(client, server)
    return client, server, early


def resend_if_rejected(client: Connection, server: Connection, data: bytes) -> bytes:
    """What the application does after the handshake; returns what the server got."""
    if client.get_early_data_status() == EARLY_DATA_ACCEPTED:
        return b""
    return transfer(client, server, data)


class TestAccepted:
    def test_early_data_arrives_before_the_handshake_ends(self) -> None:
        server_ctx = early_server_context()
        session = ticket(server_ctx)
        assert session.max_early_data == 16384
        client, server, early = zero_rtt(early_client_context(), server_ctx, session)
        assert early == REQUEST
        assert client.get_early_data_status() == EARLY_DATA_ACCEPTED
        assert server.get_early_data_status() == EARLY_DATA_ACCEPTED
        assert client.session_reused() and server.session_reused()
        assert resend_if_rejected(client, server, REQUEST) == b""
        # The connection goes on normally.
        assert transfer(server, client, b"200 OK") == b"200 OK"
        assert transfer(client, server, b"next") == b"next"
        # read_early_data keeps saying the early data has ended.
        assert server.read_early_data(100) == b""

    def test_several_writes_up_to_the_limit(self) -> None:
        server_ctx = early_server_context(1000)
        session = ticket(server_ctx)
        client_ctx = early_client_context(1000)
        client, server = memory_pair(client_ctx, server_ctx)
        client.set_session(session)
        assert client.write_early_data(b"a" * 600) == 600
        with pytest.raises(ValueError, match="exceed"):
            client.write_early_data(b"b" * 401)
        assert client.write_early_data(b"b" * 400) == 400
        pump(client, server)
        assert read_early(client, server) == b"a" * 600 + b"b" * 400
        handshake(client, server)
        assert client.get_early_data_status() == EARLY_DATA_ACCEPTED

    def test_the_session_limit_is_a_value_error_too(self) -> None:
        # The server allows 100 bytes; the client's Context would allow
        # more. Past the session's limit OpenSSL fails the connection, so
        # the documented ValueError must come first, with nothing sent.
        server_ctx = early_server_context(100)
        session = ticket(server_ctx)
        assert session.max_early_data == 100
        client, server = memory_pair(early_client_context(), server_ctx)
        client.set_session(session)
        with pytest.raises(ValueError, match="exceed"):
            client.write_early_data(b"a" * 101)
        assert client.write_early_data(b"a" * 60) == 60
        with pytest.raises(ValueError, match="exceed"):
            client.write_early_data(b"b" * 41)
        assert client.write_early_data(b"b" * 40) == 40
        pump(client, server)
        assert read_early(client, server) == b"a" * 60 + b"b" * 40
        handshake(client, server)
        assert client.get_early_data_status() == EARLY_DATA_ACCEPTED

    def test_a_session_without_early_data_is_a_value_error(self) -> None:
        # A TLS 1.2 session allows no early data: refused before anything
        # is sent, and the connection then resumes normally.
        server_ctx = early_server_context()
        client_ctx = client_context(max_version=SSL.TLS1_2_VERSION)
        client, server = handshake_pair(client_ctx, server_ctx)
        assert transfer(server, client, b"x") == b"x"
        session = client.get_session()
        assert session is not None and session.max_early_data == 0
        client.shutdown()
        server.shutdown()
        early_ctx = early_client_context()
        early_ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
        client, server = memory_pair(early_ctx, server_ctx)
        client.set_session(Session.from_bytes(session.to_bytes()))
        with pytest.raises(ValueError, match="exceed"):
            client.write_early_data(b"x")
        handshake(client, server)
        assert client.session_reused()
        assert client.get_early_data_status() == EARLY_DATA_NOT_SENT

    def test_without_early_data_status_is_not_sent(self) -> None:
        server_ctx = early_server_context()
        session = ticket(server_ctx)
        client, server = memory_pair(early_client_context(), server_ctx)
        client.set_session(session)
        try:
            client.do_handshake()
        except SSL.WantReadError:
            pass
        pump(client, server)
        assert read_early(client, server) == b""
        handshake(client, server)
        assert client.get_early_data_status() == EARLY_DATA_NOT_SENT
        assert server.get_early_data_status() == EARLY_DATA_NOT_SENT
        assert client.session_reused()


class TestRejected:
    def check_fallback(
        self, client: Connection, server: Connection, early: bytes
    ) -> None:
        assert early == b""
        assert client.get_early_data_status() == EARLY_DATA_REJECTED
        # The application sends it again: the server gets it exactly once.
        assert resend_if_rejected(client, server, REQUEST) == REQUEST
        assert transfer(server, client, b"200 OK") == b"200 OK"

    def test_server_without_max_early_data(self) -> None:
        # The ticket promised early data, but this server no longer accepts it.
        session = ticket(early_server_context())
        plain = server_context()
        client, server, early = zero_rtt(early_client_context(), plain, session)
        self.check_fallback(client, server, early)
        assert not client.session_reused()

    def test_server_that_reads_no_early_data(self) -> None:
        server_ctx = early_server_context()
        session = ticket(server_ctx)
        client, server = memory_pair(early_client_context(), server_ctx)
        client.set_session(session)
        client.write_early_data(REQUEST)
        # The server goes straight to the handshake: OpenSSL skips the data.
        handshake(client, server)
        self.check_fallback(client, server, b"")
        assert client.session_reused()

    def test_server_choosing_another_alpn(self) -> None:
        choice = [b"h2"]
        server_ctx = early_server_context()
        server_ctx.set_alpn_select_callback(lambda conn, offered: choice[0])
        session = ticket(server_ctx, alpn=[b"h2", b"http/1.1"])
        choice[0] = b"http/1.1"
        client, server, early = zero_rtt(
            early_client_context(), server_ctx, session, alpn=[b"h2", b"http/1.1"]
        )
        self.check_fallback(client, server, early)
        assert server.get_early_data_status() == EARLY_DATA_REJECTED
        assert client.get_alpn_proto_negotiated() == b"http/1.1"

    def test_client_offering_another_alpn_refuses_early_data(self) -> None:
        server_ctx = early_server_context()
        server_ctx.set_alpn_select_callback(lambda conn, offered: offered[0])
        session = ticket(server_ctx, alpn=[b"h2"])
        client, _server = memory_pair(early_client_context(), server_ctx)
        client.set_alpn_protos([b"http/1.1"])
        client.set_session(session)
        with pytest.raises(SSL.Error, match="inconsistent early data alpn"):
            client.write_early_data(REQUEST)

    def test_ticket_used_twice_is_refused_the_second_time(self) -> None:
        server_ctx = early_server_context()
        session = ticket(server_ctx)
        client, server, early = zero_rtt(early_client_context(), server_ctx, session)
        assert early == REQUEST
        # A replay of the same ticket: single-use tickets refuse resumption.
        client, server, early = zero_rtt(early_client_context(), server_ctx, session)
        self.check_fallback(client, server, early)
        assert not server.session_reused()


class TestServerAnswersEarly:
    def test_answer_before_the_handshake_ends_is_not_limited(self) -> None:
        server_ctx = early_server_context(1024)
        session = ticket(server_ctx)
        client, server = memory_pair(early_client_context(1024), server_ctx)
        client.set_session(session)
        client.write_early_data(REQUEST)
        pump(client, server)
        assert server.read_early_data(16384) == REQUEST
        answer = b"x" * 20000  # more than max_early_data: not early data
        written = 0
        while written < len(answer):
            written += server.write_early_data(answer[written:])
        assert read_early(client, server) == b""
        handshake(client, server)
        assert client.get_early_data_status() == EARLY_DATA_ACCEPTED
        assert server.get_early_data_status() == EARLY_DATA_ACCEPTED
        received = b""
        while len(received) < len(answer):
            received += client.recv(16384)
        assert received == answer

    def test_server_answer_without_client_early_data_keeps_not_sent(self) -> None:
        server_ctx = early_server_context()
        client, server = memory_pair(early_client_context(), server_ctx)
        try:
            client.do_handshake()
        except SSL.WantReadError:
            pass
        pump(client, server)
        assert server.read_early_data(100) == b""
        assert server.write_early_data(b"hello early") == 11
        handshake(client, server)
        assert server.get_early_data_status() == EARLY_DATA_NOT_SENT
        assert client.recv(100) == b"hello early"


class TestUnresumableSessions:
    def test_imported_session_survives_a_dropped_connection(self) -> None:
        server_ctx = early_server_context()
        session = ticket(server_ctx)
        client_ctx = early_client_context()
        dropped = Connection(client_ctx)
        dropped.set_connect_state()
        dropped.set_session(session)
        assert dropped.write_early_data(REQUEST) == len(REQUEST)
        del dropped  # freed without a shutdown: OpenSSL spoils its session
        gc.collect()
        client, _server, early = zero_rtt(client_ctx, server_ctx, session)
        assert early == REQUEST
        assert client.get_early_data_status() == EARLY_DATA_ACCEPTED

    def test_spoiled_live_session_sends_nothing_early(self) -> None:
        server_ctx = early_server_context()
        client_ctx = early_client_context()
        first, first_server = handshake_pair(client_ctx, server_ctx)
        assert transfer(first_server, first, b"tickets") == b"tickets"
        session = first.get_session()
        assert session is not None and session.max_early_data
        dropped = Connection(client_ctx)
        dropped.set_connect_state()
        dropped.set_session(session)
        assert dropped.write_early_data(REQUEST) == len(REQUEST)
        del dropped  # the live session object itself is now not resumable
        gc.collect()
        client = Connection(client_ctx)
        client.set_connect_state()
        client.set_session(session)
        with pytest.raises(SSL.Error, match="will not resume this session"):
            client.write_early_data(REQUEST)
        # Its exported copy is intact: a new connection resumes with it.
        fresh = Session.from_bytes(session.to_bytes())
        client, _server, early = zero_rtt(client_ctx, server_ctx, fresh)
        assert client.get_early_data_status() == EARLY_DATA_ACCEPTED
        assert early == REQUEST


class TestMisuse:
    def test_client_context_must_allow_early_data(self) -> None:
        session = ticket(early_server_context())
        client = Connection(client_context())
        client.set_connect_state()
        client.set_session(session)
        with pytest.raises(ValueError, match="set_max_early_data"):
            client.write_early_data(b"x")

    def test_without_a_session_is_ssl_error(self) -> None:
        client = Connection(early_client_context())
        client.set_connect_state()
        with pytest.raises(SSL.Error):
            client.write_early_data(b"x")

    @pytest.mark.parametrize("value", [-1, 16385, 2**32])
    def test_max_early_data_bounds(self, value: int) -> None:
        with pytest.raises(ValueError):
            server_context().set_max_early_data(value)

    @pytest.mark.parametrize("buf", [5, "text", None, 1.5])
    def test_write_early_data_needs_bytes(self, buf: object) -> None:
        client = Connection(early_client_context())
        with pytest.raises(TypeError):
            client.write_early_data(buf)

    def test_write_early_data_takes_buffers(self) -> None:
        server_ctx = early_server_context()
        session = ticket(server_ctx)
        client, server = memory_pair(early_client_context(), server_ctx)
        client.set_session(session)
        assert client.write_early_data(bytearray(b"abc")) == 3
        assert client.write_early_data(memoryview(b"def")) == 3
        pump(client, server)
        assert read_early(client, server) == b"abcdef"

    def test_max_early_data_type(self) -> None:
        with pytest.raises(TypeError):
            server_context().set_max_early_data("1")  # type: ignore[arg-type]

    def test_get_max_early_data(self) -> None:
        ctx = server_context()
        assert ctx.get_max_early_data() == 0
        ctx.set_max_early_data(512)
        assert ctx.get_max_early_data() == 512

    def test_read_early_data_arguments(self) -> None:
        server = Connection(early_server_context())
        server.set_accept_state()
        with pytest.raises(ValueError):
            server.read_early_data(-1)
        with pytest.raises(TypeError):
            server.read_early_data("1")  # type: ignore[arg-type]
        assert server.read_early_data(0) == b""
        with pytest.raises(SSL.WantReadError):
            server.read_early_data(10)

    def test_client_cannot_read_early_data(self) -> None:
        client = Connection(early_client_context())
        client.set_connect_state()
        with pytest.raises(SSL.Error):
            client.read_early_data(10)

    def test_status_before_anything(self) -> None:
        assert Connection(client_context()).get_early_data_status() == (
            EARLY_DATA_NOT_SENT
        )


class TestRaisingCallbacks:
    def test_early_data_read_with_a_raising_callback_is_not_lost(self) -> None:
        # The ClientHello and the early data arrive together: the call
        # whose message callback raised has read the early data too; the
        # next read_early_data must return it (the status says ACCEPTED, so
        # the client will not send it again).
        class Boom(Exception):
            pass

        armed = False

        def on_message(
            conn: Connection, sent: bool, version: int, kind: int, data: bytes
        ) -> None:
            if armed and not sent and kind == 22 and data[:1] == b"\x01":
                raise Boom("at the ClientHello")

        server_ctx = early_server_context()
        server_ctx.set_msg_callback(on_message)
        session = ticket(server_ctx)
        armed = True
        client, server = memory_pair(early_client_context(), server_ctx)
        client.set_session(session)
        client.write_early_data(REQUEST)
        pump(client, server)
        with pytest.raises(Boom):
            server.read_early_data(16384)
        armed = False
        assert read_early(client, server) == REQUEST
        handshake(client, server)
        assert client.get_early_data_status() == EARLY_DATA_ACCEPTED
