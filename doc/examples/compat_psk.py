"""ssl_compat: Python 3.13's PSK API, on any Python from 3.9."""

from __future__ import annotations

from OpenSSL import ssl_compat


def psk_server_context(keys: dict[str, bytes]) -> ssl_compat.SSLContext:
    """A server admitting the identities in *keys* (no certificate needed)."""
    ctx = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_SERVER)
    ctx.set_psk_server_callback(lambda identity: keys.get(identity or "", b""))
    return ctx


def psk_client_context(identity: str, key: bytes) -> ssl_compat.SSLContext:
    """A client that authenticates with a pre-shared key only."""
    ctx = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl_compat.CERT_NONE  # the key authenticates the server
    ctx.set_psk_client_callback(lambda hint: (identity, key))
    return ctx
