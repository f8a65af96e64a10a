"""OCSP stapling in the standard library's shape.

The server staples the response its callback returns (fetched from the
CA's responder and cached by the application; here it is handed in). The
client asks for a staple and requires a good one: ``ssl_compat`` checks it
with ``cryptography.x509.ocsp`` against the chain OpenSSL verified, inside
the handshake, and a revoked, stale, forged or missing staple fails it with
``ssl.SSLCertVerificationError``.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from OpenSSL import ssl_compat


def stapling_server_context(
    chain_pem: bytes, key: Any, current_staple: Callable[[], Optional[bytes]]
) -> ssl_compat.SSLContext:
    context = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain_pem, key)
    context.set_ocsp_response_callback(lambda connection: current_staple())
    return context


def must_staple_client_context(trusted: Any) -> ssl_compat.SSLContext:
    context = ssl_compat.create_default_context(cadata=trusted)
    context.ocsp_mode = ssl_compat.OCSPMode.REQUIRE_GOOD
    return context
