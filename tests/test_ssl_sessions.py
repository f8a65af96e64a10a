"""Tests for ``Session``, ``Connection.get_session``/``set_session`` and resumption.

Whether a handshake resumed is read from OpenSSL itself
(``SSL_session_reused`` on ``Connection._ssl``), so a test cannot pass by
accident: every resumption test has a negative twin that must not resume.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest

from OpenSSL._util import lib
from OpenSSL.SSL import (
    OP_NO_TICKET,
    SESS_CACHE_OFF,
    TLS1_2_VERSION,
    TLS1_3_VERSION,
    Connection,
    Context,
    Session,
    ZeroReturnError,
)
from tests.support import (
    PKI,
    client_context,
    handshake,
    handshake_pair,
    memory_pair,
    pump,
    server_context,
    transfer,
)


def _reused(conn: Connection) -> bool:
    return bool(lib.SSL_session_reused(conn._ssl))


def _first_session(
    client_ctx: Context, server_ctx: Context
) -> tuple[Session, Connection, Connection]:
    """Handshake once, let the client read any tickets, return its session.

    Callers keep the two connections referenced: OpenSSL marks the session
    of a connection freed without a clean shutdown as not resumable.
    """
    client, server = handshake_pair(client_ctx, server_ctx)
    # TLS 1.3 tickets arrive after the handshake: reading data processes them.
    assert transfer(server, client, b"tickets first") == b"tickets first"
    session = client.get_session()
    assert isinstance(session, Session)
    return session, client, server


def _resume(
    client_ctx: Context, server_ctx: Context, session: Session | None
) -> tuple[Connection, Connection]:
    client, server = memory_pair(client_ctx, server_ctx)
    if session is not None:
        client.set_session(session)
    handshake(client, server)
    return client, server


class TestResumption:
    @pytest.mark.parametrize(
        "version", [TLS1_2_VERSION, TLS1_3_VERSION], ids=["TLSv1.2", "TLSv1.3"]
    )
    def test_tickets(self, version: int) -> None:
        client_ctx = client_context(min_version=version, max_version=version)
        server_ctx = server_context()
        session, first, _ = _first_session(client_ctx, server_ctx)
        assert not _reused(first)
        client, server = _resume(client_ctx, server_ctx, session)
        assert _reused(client) and _reused(server)
        assert client.get_protocol_version() == version
        assert transfer(client, server, b"resumed") == b"resumed"

    def test_tls12_session_id(self) -> None:
        client_ctx = client_context(max_version=TLS1_2_VERSION)
        client_ctx.set_options(OP_NO_TICKET)
        server_ctx = server_context()
        server_ctx.set_options(OP_NO_TICKET)
        session, _, first_server = _first_session(client_ctx, server_ctx)
        client, server = _resume(client_ctx, server_ctx, session)
        assert _reused(client) and _reused(server)
        # An abbreviated TLS 1.2 handshake keeps the master secret.
        assert server.master_key() == first_server.master_key()
        assert client.master_key() == first_server.master_key()

    def test_without_set_session_nothing_is_resumed(self) -> None:
        client_ctx = client_context()
        server_ctx = server_context()
        _first_session(client_ctx, server_ctx)
        client, server = _resume(client_ctx, server_ctx, None)
        assert not _reused(client) and not _reused(server)

    def test_server_without_cache_or_tickets_does_not_resume(self) -> None:
        client_ctx = client_context(max_version=TLS1_2_VERSION)
        server_ctx = server_context()
        server_ctx.set_options(OP_NO_TICKET)
        server_ctx.set_session_cache_mode(SESS_CACHE_OFF)
        session, *_alive = _first_session(client_ctx, server_ctx)
        client, server = _resume(client_ctx, server_ctx, session)
        assert not _reused(client) and not _reused(server)

    @pytest.mark.parametrize("session_id", [b"pyopenssl-ng tests", None])
    def test_session_id_context_with_client_certificates(
        self, pki: PKI, session_id: bytes | None
    ) -> None:
        # A verifying server resumes only sessions of its session id context.
        client_ctx = client_context(identity=pki.client, max_version=TLS1_2_VERSION)
        client_ctx.set_options(OP_NO_TICKET)
        server_ctx = server_context(verify_client=True)
        server_ctx.set_options(OP_NO_TICKET)
        if session_id is not None:
            server_ctx.set_session_id(session_id)
        session, *_alive = _first_session(client_ctx, server_ctx)
        _, server = _resume(client_ctx, server_ctx, session)
        assert _reused(server) is (session_id is not None)
        assert server.get_peer_certificate(as_cryptography=True) == pki.client.cert

    def test_session_outlives_its_connection(self) -> None:
        client_ctx = client_context()
        server_ctx = server_context()
        session, first_client, first_server = _first_session(client_ctx, server_ctx)
        # Freeing a connection that was not shut down marks its session
        # non-resumable (OpenSSL's rule), so close both ends cleanly first.
        assert first_client.shutdown() is False
        pump(first_client, first_server)
        with pytest.raises(ZeroReturnError):
            first_server.recv(1)
        assert first_server.shutdown() is True
        pump(first_client, first_server)
        assert first_client.shutdown() is True
        del first_client, first_server
        gc.collect()
        client, _ = _resume(client_ctx, server_ctx, session)
        assert _reused(client)


class TestSetSession:
    def test_session_from_another_context_is_value_error(self) -> None:
        session, *_alive = _first_session(client_context(), server_context())
        other = Connection(client_context(), None)
        with pytest.raises(ValueError):
            other.set_session(session)

    @pytest.mark.parametrize("bad", [None, b"session", object()])
    def test_not_a_session_is_type_error(self, bad: Any) -> None:
        conn = Connection(client_context(), None)
        with pytest.raises(TypeError):
            conn.set_session(bad)

    def test_server_side_session(self) -> None:
        _, server = handshake_pair()
        assert isinstance(server.get_session(), Session)
