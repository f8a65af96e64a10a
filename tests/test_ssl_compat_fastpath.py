"""The direct-call data path of ssl_compat.SSLSocket (blocking sockets)."""

from __future__ import annotations

import ssl
from typing import Any

import pytest

from tests.support import EchoServer, connect, ssl_client_context, ssl_server_context


def _sink(tls: Any) -> int:
    total = 0
    while True:
        data = tls.recv(65536)
        if not data:
            return total
        total += len(data)


_PAYLOAD = bytes(range(256)) * 8192  # 2 MiB


def _receive_payload_then_ack(tls: Any) -> bytes:
    received = bytearray()
    while len(received) < len(_PAYLOAD):
        data = tls.recv(65536)
        if not data:
            break
        received += data
    tls.sendall(b"ack")
    return bytes(received)


def test_blocking_sendall_moves_everything() -> None:
    server = EchoServer(ssl_server_context(), handler=_receive_payload_then_ack)
    with server:
        with connect(ssl_client_context(), server.address) as tls:
            tls.settimeout(None)
            assert tls.sendall(_PAYLOAD) is None
            # Wait for the acknowledgement: closing earlier could reset the
            # connection and discard what the server has not read yet.
            assert tls.recv(3) == b"ack"
    assert server.errors == []
    assert server.results == [_PAYLOAD]


def test_blocking_sendall_refuses_text_like_the_stdlib() -> None:
    server = EchoServer(ssl_server_context(), handler=_sink)
    with server:
        with connect(ssl_client_context(), server.address) as tls:
            tls.settimeout(None)
            with pytest.raises(TypeError):
                tls.sendall("text")  # type: ignore[arg-type]
            tls.sendall(b"ok")


def test_read_after_peer_close_is_empty_on_the_direct_path() -> None:
    def close_at_once(tls: Any) -> None:
        tls.unwrap()

    server = EchoServer(ssl_server_context(), handler=close_at_once)
    with server:
        with connect(ssl_client_context(), server.address) as tls:
            tls.settimeout(None)
            assert tls.recv(100) == b""
    assert not [e for e in server.errors if not isinstance(e, (ssl.SSLError, OSError))]
