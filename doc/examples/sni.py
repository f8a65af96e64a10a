"""Server Name Indication: one server, a certificate per host name.

The servername callback runs on the server when the ClientHello arrives. It
reads the name the client asked for and may switch the connection to another
``Context`` (with another certificate) before the handshake goes on.
"""

from __future__ import annotations

from OpenSSL import SSL


def sni_server_context(
    default: SSL.Context, by_name: dict[bytes, SSL.Context]
) -> SSL.Context:
    """Install on *default* a callback that picks a context by server name."""

    def pick_context(conn: SSL.Connection) -> None:
        name = conn.get_servername()  # None when the client sent no SNI
        if name is not None and name in by_name:
            conn.set_context(by_name[name])

    default.set_tlsext_servername_callback(pick_context)
    return default
