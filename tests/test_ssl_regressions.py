"""Regression tests for crashes and lost errors found in OpenSSL.SSL."""

from __future__ import annotations

from typing import Any

from OpenSSL import SSL, crypto
from tests.ssl_helpers import client_context, handshake, memory_pair


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
