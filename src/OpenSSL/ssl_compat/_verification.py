"""The stdlib-shaped verify callback, and how ``ssl_compat``'s own checks fail.

``SSLContext.set_verify_callback(callback)`` installs
``callback(ssl_object_or_socket, cert, depth, error_code, ok) -> bool``
through ``OpenSSL.SSL.Context.set_verify``: OpenSSL calls it for every
element of the chain *inside* the handshake, after its own verdict on that
element (*ok*, with *error_code* saying why not), and the result replaces
that verdict -- exactly OpenSSL's verify-callback model. Hostname checking
stays inside OpenSSL's verification, so a name mismatch reaches the
callback as ``ok=False`` with ``X509_V_ERR_HOSTNAME_MISMATCH`` at depth 0.
An exception raised by the callback fails the handshake and comes out of
``do_handshake()`` (or the I/O call that ran the handshake) unchanged.

When the callback rejects a certificate OpenSSL accepted, OpenSSL's verify
result says nothing useful (``X509_V_OK``, or "unspecified" on OpenSSL 3+);
and when the OCSP check (``_ocsp``) rejects a
stapled response, OpenSSL reports a status-response failure. Both are
certificate verification failures to the application: :func:`refine_error`
turns the handshake's error into ``ssl.SSLCertVerificationError`` with a
``verify_code`` and ``verify_message`` that say what happened.
"""

from __future__ import annotations

import ssl as _stdlib_ssl
from dataclasses import dataclass
from typing import Any, Callable, Optional

from OpenSSL import SSL
from OpenSSL.ssl_compat._core import owner_of

__all__ = ["VerificationFailure", "make_verify_dispatcher", "refine_error"]

_CODES = SSL.X509VerificationCodes
# X509_V_ERR_UNSPECIFIED: what OpenSSL 3+ records when a verify callback
# rejected a certificate it had accepted (its "error returns must set an
# error" safety net). Not in the binding; ABI value from x509_vfy.h.
_UNSPECIFIED = 1


@dataclass(frozen=True)
class VerificationFailure:
    """Why ``ssl_compat`` (not OpenSSL) failed a peer's certificate."""

    verify_code: int
    verify_message: str


def make_verify_dispatcher(
    callback: Callable[..., Any],
) -> Callable[[SSL.Connection, Any, int, int, int], bool]:
    """The ``OpenSSL.SSL`` verify callback that runs the stdlib-shaped *callback*."""

    def dispatch(
        connection: SSL.Connection, cert: Any, error_code: int, depth: int, ok: int
    ) -> bool:
        core = owner_of(connection)
        if core is None:  # a Connection made directly on openssl_context
            return bool(ok)
        certificate = None if cert is None else cert.to_cryptography()
        accepted = bool(callback(core.public, certificate, depth, error_code, bool(ok)))
        # Under VERIFY_NONE OpenSSL ignores the verdict and the handshake
        # goes on: nothing to explain later.
        if ok and not accepted and connection.get_verify_mode() & SSL.VERIFY_PEER:
            core.verification_failure = VerificationFailure(
                _CODES.ERR_APPLICATION_VERIFICATION,
                f"certificate rejected by the verify callback (depth {depth})",
            )
        return accepted

    return dispatch


def refine_error(
    error: BaseException, failure: Optional[VerificationFailure]
) -> BaseException:
    """*error* as the certificate verification failure *failure* explains."""
    if failure is None or not isinstance(error, _stdlib_ssl.SSLError):
        return error
    if isinstance(error, _stdlib_ssl.SSLCertVerificationError) and getattr(
        error, "verify_code", None
    ) not in (None, _CODES.OK, _UNSPECIFIED):
        return error  # OpenSSL's own reason came first: keep it
    message = (
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        f"{failure.verify_message}"
    )
    refined = _stdlib_ssl.SSLCertVerificationError(
        _stdlib_ssl.SSLErrorNumber.SSL_ERROR_SSL, message
    )
    refined.library = "SSL"
    refined.reason = "CERTIFICATE_VERIFY_FAILED"
    refined.verify_code = failure.verify_code
    refined.verify_message = failure.verify_message
    return refined
