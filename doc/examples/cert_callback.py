"""The certificate callback: choose the certificate for each handshake.

Runs on the server once the ClientHello is known, so the choice can depend
on the requested name (here) or on what the client supports.
"""

from __future__ import annotations

from typing import Union

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from OpenSSL import SSL

Identity = tuple[x509.Certificate, Union[ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey]]


def certificate_per_name(
    identities: dict[bytes, Identity], default: Identity
) -> SSL.Context:
    """A server context that presents ``identities[server_name]`` (or *default*)."""

    def choose(conn: SSL.Connection) -> bool:
        cert, key = identities.get(conn.get_servername() or b"", default)
        conn.use_certificate(cert)
        conn.use_privatekey(key)
        return True  # False would fail the handshake

    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.set_cert_callback(choose)
    return ctx
