"""A verify callback: certificate pinning on top of (or instead of) a CA.

OpenSSL calls the verify callback once per certificate of the chain, from
the root down to the leaf (depth 0), with its own verdict (*ok*) and error
number. The callback returns the final verdict. Here the leaf is accepted
only if its SHA-256 fingerprint is the pinned one; chain errors above the
leaf are forgiven, so a self-signed server can be pinned.
"""

from __future__ import annotations

from typing import Callable, Optional

from OpenSSL import SSL, crypto

VerifyCallback = Callable[[SSL.Connection, Optional[crypto.X509], int, int, int], bool]


def pinning_callback(pinned_sha256: bytes, seen: list[str]) -> VerifyCallback:
    """Accept exactly the leaf whose ``X509.digest("sha256")`` is pinned."""

    def verify(
        conn: SSL.Connection, cert: crypto.X509 | None, errno: int, depth: int, ok: int
    ) -> bool:
        if cert is None:  # an error not tied to one certificate
            return bool(ok)
        subject = cert.to_cryptography().subject.rfc4514_string()
        seen.append(f"depth {depth}: {subject} (OpenSSL says ok={ok}, errno={errno})")
        if depth > 0:
            return True  # trust comes from the pin, not from the chain
        return cert.digest("sha256") == pinned_sha256

    return verify


def pinned_client_context(pinned_sha256: bytes, seen: list[str]) -> SSL.Context:
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_verify(SSL.VERIFY_PEER, pinning_callback(pinned_sha256, seen))
    return context
