"""``Connection.get_extms_support``: the extended master secret (RFC 7627).

Real handshakes over memory BIOs between two of our Connections; the
server refuses the extension with ``SSL_OP_NO_EXTENDED_MASTER_SECRET``
(bit 0 on OpenSSL 3.0+; the binding does not name it).
"""

from __future__ import annotations

from OpenSSL import SSL
from tests.support import client_context, handshake, memory_pair, server_context

NO_EXTENDED_MASTER_SECRET = 1 << 0


def test_none_before_the_handshake() -> None:
    client, server = memory_pair(client_context(), server_context())
    assert client.get_extms_support() is None
    assert server.get_extms_support() is None


def test_tls12_negotiates_it() -> None:
    client, server = memory_pair(
        client_context(max_version=SSL.TLS1_2_VERSION), server_context()
    )
    handshake(client, server)
    assert client.get_extms_support() is True
    assert server.get_extms_support() is True


def test_tls12_server_refusing_it() -> None:
    server_ctx = server_context()
    server_ctx.set_options(NO_EXTENDED_MASTER_SECRET)
    client, server = memory_pair(
        client_context(max_version=SSL.TLS1_2_VERSION), server_ctx
    )
    handshake(client, server)
    assert client.get_extms_support() is False
    assert server.get_extms_support() is False


def test_tls13_has_no_such_extension() -> None:
    client, server = memory_pair(client_context(), server_context())
    handshake(client, server)
    assert client.get_protocol_version() == SSL.TLS1_3_VERSION
    assert client.get_extms_support() is False
