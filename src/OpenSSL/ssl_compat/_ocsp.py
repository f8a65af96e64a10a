"""OCSP stapling for ``ssl_compat``: the server's staple, the client's check.

Server: ``SSLContext.set_ocsp_response_callback(callback)``;
``callback(ssl_object_or_socket) -> bytes | None`` runs during each
handshake whose client asked for a status (``status_request``) and returns
the DER ``OCSPResponse`` to staple (``None`` or ``b""``: staple nothing). It
is installed with ``OpenSSL.SSL.Context.set_ocsp_server_callback``.

Client: ``SSLContext.ocsp_mode`` (:class:`OCSPMode`) asks for a staple and
checks it with ``cryptography.x509.ocsp`` against the chain OpenSSL verified,
inside the handshake (``OpenSSL.SSL.Context.set_ocsp_client_callback``; it
runs after the server's certificate chain was verified):

* the response must parse and be ``SUCCESSFUL``;
* it must be signed by the issuer of the server's certificate, or by a
  responder certificate that the issuer signed directly, that carries the
  ``OCSPSigning`` extended key usage and is valid now;
* its single response for the server's certificate (matched on serial
  number, issuer name hash and issuer key hash) must be current:
  ``this_update`` not in the future and ``next_update`` (when present) not
  past, each with :data:`CLOCK_SKEW` of tolerance;
* then the status decides.

``OCSPMode.REQUEST`` accepts a handshake without a staple, and one whose
staple says ``UNKNOWN`` or whose responder answered with an error status
(``tryLater``...); it fails one whose staple is invalid (bad signature,
unauthorised responder, stale, not about this certificate) or says
``REVOKED``. ``OCSPMode.REQUIRE_GOOD`` fails unless a valid, current
``GOOD`` staple is there. Failures raise ``ssl.SSLCertVerificationError``
whose ``verify_message`` starts with ``"OCSP"`` and says why;
``verify_code`` is ``X509_V_ERR_CERT_REVOKED`` for a revoked certificate and
``X509_V_ERR_APPLICATION_VERIFICATION`` otherwise.

A resumed session is not checked again: no certificate comes with it, and
its certificate's status was checked when it was established. Both ends
report the staple with ``get_ocsp_response()``. The client
callback and the server callback share one OpenSSL slot
(``SSL_CTX_set_tlsext_status_cb``): one context cannot do both.
"""

from __future__ import annotations

import datetime
import enum
from typing import Any, Callable, Optional

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import (
    dsa,
    ec,
    ed448,
    ed25519,
    padding,
    rsa,
)
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from OpenSSL import SSL
from OpenSSL.ssl_compat._core import owner_of
from OpenSSL.ssl_compat._verification import VerificationFailure

__all__ = [
    "CLOCK_SKEW",
    "MAX_STAPLE_SIZE",
    "OCSPMode",
    "check_staple",
    "client_dispatcher",
    "server_dispatcher",
]

#: Tolerance for the clocks of the responder and of this machine.
CLOCK_SKEW = datetime.timedelta(minutes=5)

#: The largest response a server staples: TLS 1.3 carries it in a
#: certificate extension (16-bit length) as a CertificateStatus
#: (1-byte type, 24-bit length), so 65,535 - 4 bytes. (Under TLS 1.2 it
#: is a message of its own, which OpenSSL clients take up to 16 KiB.)
MAX_STAPLE_SIZE = 65535 - 4

_CODES = SSL.X509VerificationCodes


class OCSPMode(enum.Enum):
    """What a client context does about OCSP stapling."""

    #: No status request.
    OFF = "off"
    #: Ask for a staple; check it if one comes; a missing one is fine.
    REQUEST = "request"
    #: Ask for a staple; fail unless it is valid and says GOOD.
    REQUIRE_GOOD = "require_good"


def _failure(
    message: str, code: int = _CODES.ERR_APPLICATION_VERIFICATION
) -> VerificationFailure:
    return VerificationFailure(code, f"OCSP: {message}")


def _signature_valid(
    public_key: Any, signature: bytes, data: bytes, algorithm: Any
) -> bool:
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(public_key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            public_key.verify(signature, data)
        elif isinstance(public_key, dsa.DSAPublicKey):
            public_key.verify(signature, data, algorithm)
        else:
            return False
    except (InvalidSignature, TypeError, ValueError):
        return False
    return True


def _responder_matches(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    if response.responder_name is not None:
        return response.responder_name == cert.subject
    key_id = x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    return response.responder_key_hash == key_id.digest


def _valid_now(cert: x509.Certificate, now: datetime.datetime) -> bool:
    return (
        cert.not_valid_before_utc - CLOCK_SKEW
        <= now
        <= cert.not_valid_after_utc + CLOCK_SKEW
    )


def _signer(
    response: ocsp.OCSPResponse, issuer: x509.Certificate, now: datetime.datetime
) -> Optional[x509.Certificate]:
    """The certificate entitled to sign *response*, or ``None``."""
    if _responder_matches(response, issuer):
        return issuer
    for candidate in response.certificates:
        if not _responder_matches(response, candidate):
            continue
        try:
            candidate.verify_directly_issued_by(issuer)
            usage = candidate.extensions.get_extension_for_class(
                x509.ExtendedKeyUsage
            ).value
        except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING in usage and _valid_now(candidate, now):
            return candidate
    return None


def _ids(
    leaf: x509.Certificate, issuer: x509.Certificate, algorithm: Any
) -> Optional[tuple[bytes, bytes]]:
    """(issuer name hash, issuer key hash) of *leaf* under *algorithm*."""
    try:
        request = (
            ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, algorithm).build()
        )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    return request.issuer_name_hash, request.issuer_key_hash


def check_staple(
    data: Optional[bytes],
    chain: list[x509.Certificate],
    mode: OCSPMode,
    now: Optional[datetime.datetime] = None,
) -> Optional[VerificationFailure]:
    """Judge the stapled response *data* about ``chain[0]``; ``None`` accepts."""
    required = mode is OCSPMode.REQUIRE_GOOD
    if not data:
        return _failure("no stapled response (one is required)") if required else None
    try:
        response = ocsp.load_der_ocsp_response(data)
    except ValueError:
        return _failure("the stapled response is not a DER OCSPResponse")
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        answer = response.response_status.name
        return _failure(f"the responder answered {answer}") if required else None
    if len(chain) < 2:
        return _failure("no verified issuer of the server certificate to check against")
    leaf, issuer = chain[0], chain[1]
    now = now or datetime.datetime.now(datetime.timezone.utc)
    signer = _signer(response, issuer, now)
    if signer is None:
        return _failure("the response is signed by an unauthorised responder")
    try:
        algorithm = response.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return _failure("the response's signature algorithm is not supported")
    if not _signature_valid(
        signer.public_key(), response.signature, response.tbs_response_bytes, algorithm
    ):
        return _failure("the response's signature is not valid")
    for single in response.responses:
        if single.serial_number != leaf.serial_number:
            continue
        if _ids(leaf, issuer, single.hash_algorithm) != (
            single.issuer_name_hash,
            single.issuer_key_hash,
        ):
            continue
        if single.this_update_utc > now + CLOCK_SKEW:
            return _failure("the response is not yet valid (this_update is ahead)")
        next_update = single.next_update_utc
        if next_update is not None and next_update < now - CLOCK_SKEW:
            return _failure(f"the response expired (next_update {next_update})")
        status = single.certificate_status
        if status is ocsp.OCSPCertStatus.REVOKED:
            reason = single.revocation_reason
            why = f" ({reason.name})" if reason is not None else ""
            return _failure(f"certificate revoked{why}", _CODES.ERR_CERT_REVOKED)
        if status is ocsp.OCSPCertStatus.UNKNOWN and required:
            return _failure("the responder does not know the certificate")
        return None
    return _failure("the response is not about the server certificate")


def client_dispatcher(
    connection: SSL.Connection, response: bytes, data: Any = None
) -> bool:
    """``OpenSSL.SSL``'s OCSP client callback: check what the server stapled."""
    core = owner_of(connection)
    if core is None:  # a Connection made directly on openssl_context
        return True
    if core.server_side:
        # A PROTOCOL_TLS context checks staples as a client, but OpenSSL asks
        # the same slot on its server connections whether to staple: the
        # wrapper's False is 0, SSL_TLSEXT_ERR_OK there, stapling nothing.
        return False
    core.ocsp_response = response or None
    mode = core.ocsp_mode
    if mode is OCSPMode.OFF:
        return True
    if core.session_reused:
        # A resumed session brings no certificate, so no staple (OpenSSL
        # still calls this under TLS 1.3): its status was checked when the
        # session was established.
        return True
    chain = connection.get_verified_chain(as_cryptography=True) or []
    failure = check_staple(response, list(chain), mode)
    if failure is not None:
        core.verification_failure = failure
        return False
    return True


def _check_about(response: ocsp.OCSPResponse, connection: SSL.Connection) -> None:
    """Refuse a staple that is not about the certificate this server presents.

    OpenSSL 4 drops such a staple without a word; the caller should know.
    """
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        return
    cert = connection.get_certificate(as_cryptography=True)
    if cert is None:
        return
    if all(single.serial_number != cert.serial_number for single in response.responses):
        raise ValueError(
            "the OCSP response callback returned a response that is not about "
            "the certificate this server presents"
        )


def server_dispatcher(
    callback: Callable[[Any], Any],
) -> Callable[[SSL.Connection, Any], bytes]:
    """``OpenSSL.SSL``'s OCSP server callback running the stdlib-shaped *callback*."""

    def dispatch(connection: SSL.Connection, data: Any = None) -> bytes:
        core = owner_of(connection)
        if core is None:
            return b""
        result = callback(core.public)
        if result is None:
            return b""
        try:
            staple = bytes(memoryview(result))
        except TypeError:
            raise TypeError(
                "the OCSP response callback must return bytes or None, "
                f"not {type(result).__name__}"
            ) from None
        if len(staple) > MAX_STAPLE_SIZE:
            raise ValueError(
                f"the OCSP response callback returned {len(staple)} bytes; "
                f"TLS staples at most {MAX_STAPLE_SIZE}"
            )
        if staple:
            # OpenSSL 4 silently drops a staple it cannot parse; say so.
            try:
                response = ocsp.load_der_ocsp_response(staple)
            except ValueError:
                raise ValueError(
                    "the OCSP response callback returned bytes that are not "
                    "a DER OCSPResponse"
                ) from None
            _check_about(response, connection)
        core.ocsp_response = staple or None
        return staple

    return dispatch
