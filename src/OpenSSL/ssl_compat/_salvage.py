"""Read the extensions of a certificate that has one cryptography rejects.

cryptography parses all extensions of a certificate at once, and one it
considers malformed (CPython's ``talos-2019-0758.pem``: a CRL distribution
point with neither a full name nor a relative name) makes
``cert.extensions`` raise ``ValueError`` for every one of them. OpenSSL,
which CPython uses, decodes each extension on its own and skips the bad one.

:func:`usable_extensions_view` does the same: it rebuilds the certificate's
DER without the extensions cryptography cannot parse and loads that. The
signature no longer matches, which does not matter here: the copy is only
read for the ``getpeercert()`` fields and the CA flag, never verified or
used in a handshake.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from OpenSSL._der import elements

__all__ = ["usable_extensions_view"]

_SEQUENCE = 0x30
_EXTENSIONS_TAG = 0xA3  # [3] EXPLICIT in TBSCertificate


def _encode(tag: int, contents: bytes) -> bytes:
    size = len(contents)
    if size < 0x80:
        return bytes((tag, size)) + contents
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + contents


def _with_extensions(der: bytes, extensions: list[bytes]) -> bytes:
    """*der* (a certificate) with its extension list replaced."""
    ((_tag, certificate, _whole),) = list(elements(der))
    tbs, *rest = [whole for _tag, _contents, whole in elements(certificate)]
    ((_tag, tbs_fields, _whole),) = list(elements(tbs))
    fields = [
        whole
        for tag, _contents, whole in elements(tbs_fields)
        if tag != _EXTENSIONS_TAG
    ]
    if extensions:
        fields.append(
            _encode(_EXTENSIONS_TAG, _encode(_SEQUENCE, b"".join(extensions)))
        )
    new_tbs = _encode(_SEQUENCE, b"".join(fields))
    return _encode(_SEQUENCE, new_tbs + b"".join(rest))


def _extension_list(der: bytes) -> list[bytes]:
    ((_tag, certificate, _whole),) = list(elements(der))
    _tag, tbs_fields, _tbs = next(elements(certificate))
    for tag, contents, _whole in elements(tbs_fields):
        if tag == _EXTENSIONS_TAG:
            ((_seq, items, _all),) = list(elements(contents))
            return [whole for _t, _c, whole in elements(items)]
    return []


def _parses(der: bytes) -> bool:
    try:
        _ = x509.load_der_x509_certificate(der).extensions
    except ValueError:
        return False
    return True


def usable_extensions_view(cert: x509.Certificate) -> x509.Certificate:
    """*cert*, or a copy without the extensions cryptography cannot parse."""
    try:
        _ = cert.extensions  # parsed once, then cached by cryptography
        return cert
    except ValueError:
        pass
    der = cert.public_bytes(serialization.Encoding.DER)
    try:
        kept = [
            extension
            for extension in _extension_list(der)
            if _parses(_with_extensions(der, [extension]))
        ]
        return x509.load_der_x509_certificate(_with_extensions(der, kept))
    except (ValueError, IndexError, StopIteration):
        # Not even the frame parses: report no extensions at all.
        return x509.load_der_x509_certificate(_with_extensions(der, []))
