"""Regression tests for crashes and lost errors found in OpenSSL.SSL."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from OpenSSL import SSL, _callbacks, crypto
from OpenSSL._util import lib
from tests.support import client_context, handshake, memory_pair


def test_verify_callback_without_current_certificate_gets_none() -> None:
    # An unmet explicit policy fails verification without naming a
    # certificate; the callback used to dereference NULL and crash.
    client_ctx = client_context(verify=False)
    store = client_ctx.get_cert_store()
    assert store is not None
    store.set_flags(crypto.X509StoreFlags.EXPLICIT_POLICY)
    seen: list[tuple[Any, int]] = []

    def accept_all(
        conn: SSL.Connection, cert: Any, errnum: int, depth: int, ok: int
    ) -> bool:
        seen.append((cert, errnum))
        return True

    client_ctx.set_verify(SSL.VERIFY_PEER, accept_all)
    client, server = memory_pair(client_ctx)
    handshake(client, server)
    assert any(cert is None for cert, _ in seen)
    assert client.get_peer_certificate() is not None


def test_memory_connection_class_has_no_getattr_hook() -> None:
    # A __getattr__ on the class would slow every attribute lookup on every
    # data-path call; only socket-mode connections fall through to a socket.
    conn = SSL.Connection(SSL.Context(SSL.TLS_METHOD), None)
    assert type(conn) is SSL.Connection
    assert "__getattr__" not in vars(SSL.Connection)
    with pytest.raises(AttributeError):
        conn.getsockname  # noqa: B018


def test_socket_connection_falls_through_to_the_socket() -> None:
    a, b = socket.socketpair()
    try:
        conn = SSL.Connection(SSL.Context(SSL.TLS_METHOD), a)
        assert isinstance(conn, SSL.Connection)
        assert type(conn).__name__ == "Connection"
        assert type(conn).__module__ == "OpenSSL.SSL"
        assert conn.fileno() == a.fileno()
        assert conn.family == a.family
        with pytest.raises(AttributeError):
            conn.no_such_attribute  # noqa: B018
    finally:
        a.close()
        b.close()


def test_socket_mode_subclass_keeps_user_subclass() -> None:
    class Mine(SSL.Connection):
        pass

    a, b = socket.socketpair()
    try:
        conn = Mine(SSL.Context(SSL.TLS_METHOD), a)
        assert isinstance(conn, Mine)
        assert conn.fileno() == a.fileno()
    finally:
        a.close()
        b.close()


def test_connections_register_for_callbacks_only_when_needed() -> None:
    plain = SSL.Connection(SSL.Context(SSL.TLS_METHOD), None)
    assert _callbacks.connections.get(plain._ssl) is None
    plain.set_info_callback(lambda conn, where, ret: None)
    assert _callbacks.connections.get(plain._ssl) is plain

    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_keylog_callback(lambda conn, line: None)
    with_callback = SSL.Connection(ctx, None)
    assert _callbacks.connections.get(with_callback._ssl) is with_callback


def test_connection_level_verify_callback_runs_without_context_callbacks() -> None:
    calls: list[int] = []
    client, server = memory_pair(client_context())
    client.set_verify(
        SSL.VERIFY_PEER, lambda conn, cert, errnum, depth, ok: calls.append(depth) or ok
    )
    handshake(client, server)
    assert sorted(calls) == [0, 1, 2]


def test_new_contexts_release_idle_buffers() -> None:
    mode = SSL.Context(SSL.TLS_METHOD).set_mode(0)
    assert mode & SSL.MODE_RELEASE_BUFFERS


def test_sendall_finishes_partial_writes_of_bytes() -> None:
    # Memory BIOs accept one record per SSL_write with partial writes on, so
    # a 1 MiB sendall exercises the loop after the bytes fast path.
    client, server = memory_pair()
    handshake(client, server)
    payload = bytes(range(256)) * 4096
    assert client.sendall(payload) == len(payload)
    received = bytearray()
    while len(received) < len(payload):
        server.bio_write(client.bio_read(1 << 20))
        while True:
            try:
                received += server.recv(1 << 20)
            except SSL.WantReadError:
                break
    assert bytes(received) == payload


@pytest.mark.parametrize("name", ["localhost.", "a..b"])
def test_set_verify_hostname_refused_name_is_value_error(name: str) -> None:
    conn = SSL.Connection(SSL.Context(SSL.TLS_CLIENT_METHOD), None)
    with pytest.raises(ValueError, match="cannot check"):
        conn.set_verify_hostname(name)
    assert lib.ERR_peek_error() == 0


def test_socket_mode_subclass_with_its_own_init_signature() -> None:
    class Tagged(SSL.Connection):
        def __init__(self, context: SSL.Context, sock: Any, tag: str) -> None:
            super().__init__(context, sock)
            self.tag = tag

    a, b = socket.socketpair()
    try:
        conn = Tagged(SSL.Context(SSL.TLS_METHOD), a, "x")
        assert isinstance(conn, Tagged)
        assert conn.tag == "x"
        assert conn.fileno() == a.fileno()
    finally:
        a.close()
        b.close()
