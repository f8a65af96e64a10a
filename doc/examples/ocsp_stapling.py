"""OCSP stapling: the server sends a signed OCSP response in the handshake.

The server callback returns the DER-encoded OCSP response to staple (or
``b""`` for none); the client asks for one with ``Connection.request_ocsp``
and its callback receives the bytes and returns whether to go on. Here the
response is built with ``cryptography`` by the issuing CA, and the client
checks that it is about the server's certificate and says GOOD. (OpenSSL 4
itself drops a stapled response that does not parse or is not about the
server's certificate: the client callback then sees ``b""``.)
"""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
)
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from OpenSSL import SSL


def make_ocsp_response(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    issuer_key: CertificateIssuerPrivateKeyTypes,
) -> bytes:
    """A GOOD response for *cert*, signed by its issuer, valid for an hour."""
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=cert,
            issuer=issuer,
            algorithm=hashes.SHA256(),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=now,
            next_update=now + datetime.timedelta(hours=1),
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer)
    )
    response = builder.sign(issuer_key, hashes.SHA256())
    return response.public_bytes(Encoding.DER)


def staple(server: SSL.Context, der_response: bytes) -> None:
    """Make *server* staple *der_response* to every handshake."""

    def server_callback(conn: SSL.Connection, data: object) -> bytes:
        return der_response

    server.set_ocsp_server_callback(server_callback)


def check_stapled(client: SSL.Context, results: list[str]) -> None:
    """Make *client* check the stapled response; a missing one is refused."""

    def client_callback(conn: SSL.Connection, der: bytes, data: object) -> bool:
        if not der:
            results.append("no OCSP response stapled")
            return False
        response = ocsp.load_der_ocsp_response(der)
        peer = conn.get_peer_certificate(as_cryptography=True)
        good = (
            response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
            and peer is not None
            and response.serial_number == peer.serial_number
            and response.certificate_status == ocsp.OCSPCertStatus.GOOD
        )
        results.append("GOOD" if good else "not good")
        return good

    client.set_ocsp_client_callback(client_callback)
