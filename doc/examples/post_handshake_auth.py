"""TLS 1.3 post-handshake authentication: ask for a client certificate later.

A server may let anyone connect and ask for a certificate only when the
client reaches something protected (an admin URL, say). The client must
have announced that it would answer.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from OpenSSL import SSL


def server_context(
    cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, client_ca_file: str
) -> SSL.Context:
    """A server that asks for client certificates only after the handshake."""
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.use_certificate(cert)
    ctx.use_privatekey(key)
    ctx.load_verify_locations(client_ca_file)
    ctx.set_verify(
        SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT | SSL.VERIFY_POST_HANDSHAKE
    )
    return ctx


def client_context(
    cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, ca_file: str
) -> SSL.Context:
    """A client that will present *cert* when a server asks after the handshake."""
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.load_verify_locations(ca_file)
    ctx.set_verify(SSL.VERIFY_PEER)
    ctx.use_certificate(cert)
    ctx.use_privatekey(key)
    ctx.set_post_handshake_auth(True)
    return ctx


def require_client_certificate(conn: SSL.Connection) -> None:
    """Server side: ask now; the answer is checked as the next reads go on.

    The request leaves with the next ``send``; once a later ``recv`` has
    processed the client's answer, ``conn.get_peer_certificate()`` returns
    the verified certificate (a client that sends none fails that ``recv``).
    """
    conn.verify_client_post_handshake()
