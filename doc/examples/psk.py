"""TLS-PSK: both ends already share a key; no certificates at all.

The server looks the key up by the identity the client names; the client
returns its identity and key. The same two callbacks serve TLS 1.3 (the
default) and TLS 1.2, which needs a PSK cipher suite.
"""

from __future__ import annotations

from OpenSSL import SSL

#: TLS 1.2 PSK suites (TLS 1.3 needs none: every suite takes a PSK).
PSK_SUITES = b"PSK-AES128-GCM-SHA256:PSK-AES256-GCM-SHA384"


def psk_server_context(keys: dict[bytes, bytes]) -> SSL.Context:
    """A server that admits exactly the clients that know their key in *keys*."""
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.set_cipher_list(PSK_SUITES)
    ctx.use_psk_identity_hint(b"sensors")  # what TLS 1.2 clients are told

    def key_for(conn: SSL.Connection, identity: bytes) -> bytes:
        return keys.get(identity, b"")  # b"": unknown identity, refused

    ctx.set_psk_server_callback(key_for)
    return ctx


def psk_client_context(identity: bytes, key: bytes) -> SSL.Context:
    """A client that authenticates as *identity* with *key*."""
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_cipher_list(PSK_SUITES)
    ctx.set_psk_client_callback(lambda conn, hint: (identity, key))
    return ctx
