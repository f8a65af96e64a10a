"""``Certificate``: what CPython's native ``_sslobj`` returns for a chain.

CPython's ``SSLSocket``/``SSLObject`` keep their native object in
``_sslobj``, and code reaches into it (CPython's own ``test_ssl`` does):
``_sslobj.get_verified_chain()`` returns ``_ssl.Certificate`` objects, which
the public 3.13 methods turn into DER bytes. ``TLSCore`` (our ``_sslobj``)
returns these instead: the same methods and comparisons.
"""

from __future__ import annotations

from typing import Any, Optional

from cryptography import x509

from OpenSSL.ssl_compat._certs import DER_cert_to_PEM_cert, decode_certificate

__all__ = ["ENCODING_DER", "ENCODING_PEM", "Certificate"]

ENCODING_PEM = 1  # the values of _ssl.ENCODING_PEM / ENCODING_DER
ENCODING_DER = 2


class Certificate:
    """One certificate of a peer's chain, as ``_ssl.Certificate``."""

    __slots__ = ("_cert", "_der")

    def __init__(self, der: bytes) -> None:
        # The DER OpenSSL holds, parsed by cryptography only when needed.
        self._der = der
        self._cert: Optional[x509.Certificate] = None

    @property
    def _parsed(self) -> x509.Certificate:
        if self._cert is None:
            self._cert = x509.load_der_x509_certificate(self._der)
        return self._cert

    def public_bytes(self, format: int = ENCODING_PEM) -> Any:
        """PEM text (``ENCODING_PEM``, the default) or DER bytes."""
        if format == ENCODING_DER:
            return self._der
        if format == ENCODING_PEM:
            return DER_cert_to_PEM_cert(self._der)
        raise ValueError("Unsupported format")

    def get_info(self) -> Any:
        """The ``getpeercert()`` dictionary of this certificate."""
        return decode_certificate(self._parsed)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Certificate):
            return NotImplemented
        return self._der == other._der

    def __hash__(self) -> int:
        return hash(self._der)

    def __repr__(self) -> str:
        try:
            subject = self._parsed.subject.rfc4514_string()
        except ValueError:
            return "<Certificate (not parseable by cryptography)>"
        return f"<Certificate '{subject}'>"
