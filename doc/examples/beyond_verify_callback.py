"""A verify callback in the standard library's shape: pin the server's key.

The callback sees every certificate of the chain inside the handshake, with
OpenSSL's verdict. Here it keeps that verdict and also insists that the
server's own certificate (depth 0) carries one of the pinned public keys;
hostname checking stays on. Returning ``False`` fails the handshake with
``ssl.SSLCertVerificationError``; an exception raised here comes out of the
connecting call unchanged.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.hazmat.primitives import serialization

from OpenSSL import ssl_compat


def spki_sha256(certificate: Any) -> str:
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


def pinning_context(trusted: Any, pins: set[str]) -> ssl_compat.SSLContext:
    context = ssl_compat.create_default_context(cadata=trusted)

    def verify(
        connection: Any, certificate: Any, depth: int, error_code: int, ok: bool
    ) -> bool:
        if depth == 0 and ok:
            return spki_sha256(certificate) in pins
        return ok

    context.set_verify_callback(verify)
    return context
