"""What an ``SSLContext`` trusts, as far as the stdlib's getters need to know.

``get_ca_certs()`` and ``cert_store_stats()`` enumerate the context's
``X509_STORE`` in CPython. cryptography's binding can count the store's
objects (``sk_X509_OBJECT_num``) but not read them, so the context keeps a
ledger of what it loaded instead: certificate files and ``cadata`` are parsed
with ``cryptography`` (lazily, on the first query) and duplicates are dropped
as OpenSSL drops them. Certificates that reach the store some other way (a
hashed ``capath`` directory, looked up lazily by OpenSSL, or the
``openssl_context`` escape hatch) are not listed -- except, as in CPython,
where OpenSSL keeps a CA it looked up in a ``capath`` directory once a
handshake used it: the trust anchor of a verified chain is recorded then
(:meth:`TrustLedger.note_anchor`).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from typing import Any, Union

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.utils import CryptographyDeprecationWarning

from OpenSSL._der import elements
from OpenSSL.ssl_compat._salvage import usable_extensions_view

__all__ = ["TrustLedger", "parse_der_sequence", "quietly"]

_CRL_MARKER = b"-----BEGIN X509 CRL-----"


def parse_der_sequence(data: bytes) -> list[x509.Certificate]:
    """Certificates from concatenated DER blobs (``cadata`` as bytes).

    Raises ``ValueError`` on anything that is not a certificate.
    """
    certs = []
    for tag, _contents, element in elements(data):
        if tag != 0x30:  # SEQUENCE
            raise ValueError("not a DER certificate")
        certs.append(x509.load_der_x509_certificate(element))
    return certs


def _is_ca(cert: x509.Certificate) -> bool:
    # The rule of OpenSSL's X509_check_ca, which CPython uses: a CA basic
    # constraint, or (without one) keyCertSign usage or a v1 self-issued cert.
    cert = usable_extensions_view(cert)
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
        return bool(constraints.value.ca)
    except x509.ExtensionNotFound:
        pass
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
        return bool(usage.value.key_cert_sign)
    except x509.ExtensionNotFound:
        pass
    return cert.version == x509.Version.v1 and cert.subject == cert.issuer


@contextlib.contextmanager
def quietly() -> Iterator[None]:
    """Silence cryptography's warnings about odd certificates in CA bundles.

    System bundles carry a few old roots (negative serial numbers, ...) that
    cryptography warns about when parsing; OpenSSL loads them silently.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        yield


class TrustLedger:
    """The certificates and CRL count an SSLContext has loaded."""

    def __init__(self) -> None:
        self._pending: list[Union[str, bytes]] = []
        self._certs: dict[bytes, x509.Certificate] = {}
        self._crls = 0
        #: Whether a hashed directory (``capath``) was loaded.
        self.uses_directory = False

    def add_file(self, path: Any) -> None:
        """Remember a PEM file that was loaded into the store."""
        self._pending.append(os.fsdecode(os.fspath(path)))

    def add_certs(self, certs: list[x509.Certificate]) -> None:
        """Record certificates added to the store."""
        for cert in certs:
            der = cert.public_bytes(serialization.Encoding.DER)
            self._certs.setdefault(der, cert)

    def note_anchor(self, der: bytes) -> None:
        """Record the anchor of a verified chain (found in ``capath``)."""
        if der not in self._certs:
            self._certs[der] = x509.load_der_x509_certificate(der)

    def _settle(self) -> None:
        pending, self._pending = self._pending, []
        for path in pending:
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            self._crls += data.count(_CRL_MARKER)
            try:
                self.add_certs(x509.load_pem_x509_certificates(data))
            except ValueError:
                continue

    def ca_certs(self) -> list[x509.Certificate]:
        """The CA certificates, in the order they were loaded."""
        with quietly():
            self._settle()
            return [cert for cert in self._certs.values() if _is_ca(cert)]

    def stats(self) -> dict[str, int]:
        """``cert_store_stats()``: counts of certificates, CRLs, CA certs."""
        with quietly():
            self._settle()
        return {
            "x509": len(self._certs),
            "crl": self._crls,
            "x509_ca": len(self.ca_certs()),
        }
