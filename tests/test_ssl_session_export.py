"""Sessions that outlive their Connection: export/import, facts, callbacks.

``Session.to_bytes``/``from_bytes``, the read-only facts, ``session_reused``,
imported sessions on other Contexts, and the message and new-session
callbacks. Whether a handshake resumed is read from both ends; every test
that resumes has a twin that must not.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from OpenSSL import SSL
from OpenSSL.SSL import (
    OP_NO_TICKET,
    SSL3_RT_HEADER,
    TLS1_2_VERSION,
    TLS1_3_VERSION,
    Connection,
    Context,
    Session,
)
from tests.support import (
    client_context,
    handshake,
    handshake_pair,
    memory_pair,
    pump,
    server_context,
    transfer,
)

versions = pytest.mark.parametrize(
    "version", [TLS1_2_VERSION, TLS1_3_VERSION], ids=["TLSv1.2", "TLSv1.3"]
)


def _session(
    client_ctx: Context, server_ctx: Context
) -> tuple[Session, Connection, Connection]:
    client, server = handshake_pair(client_ctx, server_ctx)
    # TLS 1.3 tickets come after the handshake: reading processes them.
    assert transfer(server, client, b"tickets") == b"tickets"
    session = client.get_session()
    assert session is not None
    return session, client, server


def _resume(
    client_ctx: Context, server_ctx: Context, session: Session
) -> tuple[Connection, Connection]:
    client, server = memory_pair(client_ctx, server_ctx)
    client.set_session(session)
    handshake(client, server)
    assert transfer(client, server, b"ping") == b"ping"
    return client, server


class TestExport:
    @versions
    def test_round_trip_resumes_on_another_context(self, version: int) -> None:
        server_ctx = server_context()
        session, *_keep = _session(
            client_context(min_version=version, max_version=version), server_ctx
        )
        der = session.to_bytes()
        assert isinstance(der, bytes) and der[0] == 0x30
        imported = Session.from_bytes(der)
        assert imported.to_bytes() == der
        # A fresh client Context, as another process would have.
        fresh = client_context(min_version=version, max_version=version)
        client, server = _resume(fresh, server_ctx, imported)
        assert client.session_reused() and server.session_reused()
        assert client.get_protocol_version() == version

    def test_not_resumed_without_the_session(self) -> None:
        server_ctx = server_context()
        client, server = handshake_pair(client_context(), server_ctx)
        assert not client.session_reused() and not server.session_reused()

    def test_server_that_no_longer_knows_the_ticket_does_a_full_handshake(
        self,
    ) -> None:
        session, *_keep = _session(client_context(), server_context())
        imported = Session.from_bytes(session.to_bytes())
        # A new server Context has new ticket keys: the ticket is unreadable.
        client, server = _resume(client_context(), server_context(), imported)
        assert not client.session_reused() and not server.session_reused()

    def test_live_session_keeps_the_same_context_rule(self) -> None:
        session, *_keep = _session(client_context(), server_context())
        other = Connection(client_context())
        with pytest.raises(ValueError, match="different Context"):
            other.set_session(session)
        # Once exported it belongs to no Context.
        other.set_session(Session.from_bytes(session.to_bytes()))

    def test_empty_session_refuses_export(self) -> None:
        with pytest.raises(ValueError, match="holds no TLS session"):
            Session().to_bytes()

    def test_pem_from_bytes_is_not_accepted(self) -> None:
        with pytest.raises(ValueError, match="OpenSSL can load"):
            Session.from_bytes(b"-----BEGIN SSL SESSION PARAMETERS-----\n")

    @pytest.mark.parametrize(
        "data",
        [
            b"\x00",
            b"\x30",
            b"\x30\x00",
            b"\x30\x80",
            b"\x30\x84\xff\xff\xff\xff",
            b"\x30\x03\x02\x01\x01",
            bytes(64),
            b"\xff" * 64,
        ],
    )
    def test_malformed_bytes_are_value_error(self, data: bytes) -> None:
        with pytest.raises(ValueError):
            Session.from_bytes(data)

    def test_truncations_and_trailing_bytes_are_value_error(self) -> None:
        session, *_keep = _session(client_context(), server_context())
        der = session.to_bytes()
        for cut in range(0, len(der), 7):
            with pytest.raises(ValueError):
                Session.from_bytes(der[:cut])
        with pytest.raises(ValueError, match="follow the DER session"):
            Session.from_bytes(der + b"\x00")

    @pytest.mark.parametrize("data", [None, "text", 12, [1, 2]])
    def test_wrong_types_are_type_error(self, data: Any) -> None:
        with pytest.raises(TypeError):
            Session.from_bytes(data)

    def test_buffers_are_accepted(self) -> None:
        session, *_keep = _session(client_context(), server_context())
        der = session.to_bytes()
        assert Session.from_bytes(bytearray(der)).to_bytes() == der
        assert Session.from_bytes(memoryview(der)).to_bytes() == der


class TestFacts:
    @versions
    def test_facts_match_the_connection(self, version: int) -> None:
        server_ctx = server_context()
        server_ctx.set_timeout(1234)
        before = int(time.time())
        session, client, _ = _session(
            client_context(min_version=version, max_version=version), server_ctx
        )
        assert session.protocol_version == version
        assert session.cipher == client.get_cipher_name()
        assert before - 1 <= session.time <= int(time.time()) + 1
        assert session.has_ticket
        assert session.ticket_lifetime_hint == 1234
        assert session.timeout > 0
        assert session.max_early_data == 0
        imported = Session.from_bytes(session.to_bytes())
        for name in ("id", "time", "timeout", "ticket_lifetime_hint", "cipher"):
            assert getattr(imported, name) == getattr(session, name), name

    def test_session_id_without_tickets(self) -> None:
        server_ctx = server_context()
        server_ctx.set_options(OP_NO_TICKET)
        server_ctx.set_session_id(b"facts")
        client_ctx = client_context(max_version=TLS1_2_VERSION)
        session, *_keep = _session(client_ctx, server_ctx)
        assert not session.has_ticket
        assert len(session.id) == 32
        assert session.ticket_lifetime_hint == 0
        client, server = _resume(client_ctx, server_ctx, session)
        assert client.session_reused() and server.session_reused()

    def test_max_early_data_comes_from_the_server(self) -> None:
        server_ctx = server_context()
        server_ctx.set_max_early_data(4096)
        session, *_keep = _session(client_context(), server_ctx)
        assert session.max_early_data == 4096
        assert Session.from_bytes(session.to_bytes()).max_early_data == 4096

    def test_repr_names_id_and_cipher(self) -> None:
        session, *_keep = _session(client_context(), server_context())
        assert session.id.hex() in repr(session)
        assert repr(Session()) == "<OpenSSL.SSL.Session (empty)>"


class TestNewSessionCallback:
    def test_tls13_each_ticket_arrives_while_reading(self) -> None:
        got: list[tuple[Connection, Session]] = []
        client_ctx = client_context()
        client_ctx.set_new_session_callback(lambda c, s: got.append((c, s)))
        server_ctx = server_context()
        client, server = handshake_pair(client_ctx, server_ctx)
        # OpenSSL servers send two tickets after the handshake, read by recv.
        assert transfer(server, client, b"x") == b"x"
        assert len(got) == 2
        assert all(conn is client for conn, _ in got)
        assert got[0][1].to_bytes() != got[1][1].to_bytes()
        for _, session in got:
            resumed, _server = _resume(
                client_context(), server_ctx, Session.from_bytes(session.to_bytes())
            )
            assert resumed.session_reused()

    def test_tls13_tickets_read_without_data_are_delivered_too(self) -> None:
        got: list[Session] = []
        client_ctx = client_context()
        client_ctx.set_new_session_callback(lambda c, s: got.append(s))
        client, _server = handshake_pair(client_ctx, server_context())
        # Only the tickets arrive: recv ends with WantReadError.
        with pytest.raises(SSL.WantReadError):
            client.recv(10)
        assert len(got) == 2

    def test_tls12_session_after_the_handshake(self) -> None:
        got: list[Session] = []
        client_ctx = client_context(max_version=TLS1_2_VERSION)
        client_ctx.set_new_session_callback(lambda c, s: got.append(s))
        server_ctx = server_context()
        handshake_pair(client_ctx, server_ctx)
        assert len(got) == 1  # when do_handshake completed, before any data
        got.clear()
        session, _client, server = _session(client_ctx, server_ctx)
        assert len(got) == 1
        assert got[0].to_bytes() == session.to_bytes()
        # Resumed without a new ticket: no new session.
        got.clear()
        resumed, server = _resume(client_ctx, server_ctx, session)
        assert resumed.session_reused()
        assert transfer(server, resumed, b"more") == b"more"
        assert got == []

    def test_tls12_session_id_without_tickets(self) -> None:
        got: list[Session] = []
        server_ctx = server_context()
        server_ctx.set_options(OP_NO_TICKET)
        server_ctx.set_session_id(b"ids")
        client_ctx = client_context(max_version=TLS1_2_VERSION)
        client_ctx.set_new_session_callback(lambda c, s: got.append(s))
        session, *_keep = _session(client_ctx, server_ctx)
        assert len(got) == 1 and not got[0].has_ticket
        assert got[0].id == session.id and len(session.id) == 32
        imported = Session.from_bytes(got[0].to_bytes())
        client, server = _resume(
            client_context(max_version=TLS1_2_VERSION), server_ctx, imported
        )
        assert client.session_reused() and server.session_reused()

    def test_server_connections_do_not_call_it(self) -> None:
        got: list[Session] = []
        server_ctx = server_context()
        server_ctx.set_new_session_callback(lambda c, s: got.append(s))
        _session(client_context(), server_ctx)
        assert got == []

    def test_exception_comes_out_of_the_reading_call(self) -> None:
        class Boom(Exception):
            pass

        def explode(conn: Connection, session: Session) -> None:
            raise Boom("stored nowhere")

        client_ctx = client_context()
        client_ctx.set_new_session_callback(explode)
        client, server = handshake_pair(client_ctx, server_context())
        server.sendall(b"x")
        pump(server, client)
        with pytest.raises(Boom):
            client.recv(10)

    @pytest.mark.parametrize("reader", ["recv", "recv_into", "peek"])
    def test_data_read_with_a_raising_callback_is_not_lost(self, reader: str) -> None:
        # The tickets and the application data arrive together: the call
        # that raises the callback's exception has read the data too, and
        # the next read must return it (nothing is ever lost).
        class Boom(Exception):
            pass

        calls: list[Session] = []

        def explode(conn: Connection, session: Session) -> None:
            calls.append(session)
            if len(calls) == 1:
                raise Boom()

        client_ctx = client_context()
        client_ctx.set_new_session_callback(explode)
        client, server = handshake_pair(client_ctx, server_context())
        server.sendall(b"application data")
        pump(server, client)

        def read(size: int) -> bytes:
            if reader == "recv_into":
                buffer = bytearray(size)
                return bytes(buffer[: client.recv_into(buffer)])
            if reader == "peek":
                peeked = client.recv(size, socket.MSG_PEEK)
                assert client.recv(size) == peeked
                return peeked
            return client.recv(size)

        with pytest.raises(Boom):
            read(1024)
        assert client.pending() == len(b"application data")
        got = read(5) + read(1024)
        assert got == b"application data"
        with pytest.raises(SSL.WantReadError):
            client.recv(1024)
        assert len(calls) == 2  # both tickets' sessions were handed over

    def test_a_second_exception_is_not_swallowed(self) -> None:
        # Two tickets in one read, and the callback raises for each: one
        # call can raise only one exception, so the second session must
        # wait for the next call, not be handed over and its exception
        # dropped.
        class Boom(Exception):
            pass

        seen: list[bytes] = []

        def explode(conn: Connection, session: Session) -> None:
            seen.append(session.to_bytes())
            raise Boom(len(seen))

        client_ctx = client_context()
        client_ctx.set_new_session_callback(explode)
        client, server = handshake_pair(client_ctx, server_context())
        server.sendall(b"data")
        pump(server, client)
        raised = []
        received = b""
        for _ in range(5):
            try:
                received += client.recv(1024)
            except Boom as exc:
                raised.append(exc.args[0])
            except SSL.WantReadError:
                break
        assert received == b"data"
        assert raised == [1, 2]
        assert len(seen) == 2 and seen[0] != seen[1]

    def test_none_removes_it(self) -> None:
        got: list[Session] = []
        client_ctx = client_context()
        client_ctx.set_new_session_callback(lambda c, s: got.append(s))
        client_ctx.set_new_session_callback(None)
        _session(client_ctx, server_context())
        assert got == []

    def test_not_callable_is_type_error(self) -> None:
        with pytest.raises(TypeError):
            client_context().set_new_session_callback(42)  # type: ignore[arg-type]


class TestMessageCallback:
    def test_sees_every_handshake_message_both_ways(self) -> None:
        seen: list[tuple[bool, int, int, bytes]] = []
        client_ctx = client_context()
        client_ctx.set_msg_callback(
            lambda conn, sent, version, kind, data: seen.append(
                (sent, version, kind, data)
            )
        )
        _client, _server = handshake_pair(client_ctx, server_context())
        handshake_types = [(s, d[0]) for s, _, k, d in seen if k == 22]
        assert handshake_types[0] == (True, 1)  # ClientHello sent
        assert (False, 2) in handshake_types  # ServerHello read
        assert (False, 11) in handshake_types  # Certificate read
        assert handshake_types[-1] == (True, 20)  # our Finished
        headers = [d for _, _, k, d in seen if k == SSL3_RT_HEADER]
        assert headers and all(len(h) == 5 for h in headers)
        assert {v for _, v, k, _ in seen if k == 22} == {TLS1_3_VERSION}

    def test_alerts_are_seen(self) -> None:
        seen: list[tuple[bool, int, bytes]] = []
        server_ctx = server_context()
        server_ctx.set_msg_callback(
            lambda conn, sent, version, kind, data: seen.append((sent, kind, data))
        )
        client, server = handshake_pair(client_context(), server_ctx)
        client.shutdown()
        pump(client, server)
        with pytest.raises(SSL.ZeroReturnError):
            server.recv(1)
        assert (False, 21, b"\x01\x00") in seen  # close_notify read

    def test_exception_comes_out_of_do_handshake(self) -> None:
        def explode(*args: Any) -> None:
            raise KeyError("from the message callback")

        client_ctx = client_context()
        client_ctx.set_msg_callback(explode)
        client, _server = memory_pair(client_ctx, server_context())
        with pytest.raises(KeyError, match="from the message callback"):
            client.do_handshake()

    def test_what_a_raising_call_did_stands(self) -> None:
        # OpenSSL cannot be stopped from the message callback: the data of
        # a send that raised went out, that of a recv that raised comes
        # from the next recv.
        armed = False

        def on_message(
            conn: Connection, sent: bool, version: int, kind: int, data: bytes
        ) -> None:
            if armed:
                raise KeyError("from the message callback")

        client_ctx = client_context()
        client_ctx.set_msg_callback(on_message)
        client, server = handshake_pair(client_ctx, server_context())
        assert transfer(server, client, b"tickets") == b"tickets"
        armed = True
        with pytest.raises(KeyError):
            client.send(b"sent anyway")
        pump(client, server)
        assert server.recv(100) == b"sent anyway"
        server.sendall(b"kept")
        pump(server, client)
        with pytest.raises(KeyError):
            client.recv(100)
        armed = False
        assert client.recv(100) == b"kept"

    def test_frozen_after_use(self) -> None:
        ctx = client_context()
        Connection(ctx)
        with pytest.raises(ValueError):
            ctx.set_msg_callback(print)
