"""Throwaway certificates: one small builder for the demo, the bench and the tests.

``python -m OpenSSL demo`` needs a root CA, an intermediate CA and a
``localhost`` server certificate it can make offline in milliseconds; the
benchmark (``bench/certs.py``) and the test suite (``tests/support/pki.py``)
need the same shape of chain, the tests with more leaves. Every one of them
issues its certificates here, built with ``cryptography`` (never with this
package, whose X.509 code is under test), so that all three chains carry the
same extensions:

* CAs: ``basicConstraints`` (critical, CA, with *path_length*) and
  ``keyUsage`` ``keyCertSign``/``cRLSign``/``digitalSignature`` (critical);
* leaves: ``basicConstraints`` (critical, not a CA), ``keyUsage`` (critical:
  ``digitalSignature`` plus ``keyEncipherment`` for RSA or ``keyAgreement``
  for EC keys), ``extendedKeyUsage`` and, when given, ``subjectAltName``;
* all: ``subjectKeyIdentifier`` and ``authorityKeyIdentifier``.

Keys are ECDSA P-256 unless the caller passes another one.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "Issued",
    "PrivateKey",
    "ca",
    "leaf",
    "localhost_names",
    "name",
    "server_chain",
]

PrivateKey = Union[ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey]

_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: PrivateKey


def name(organization: str, common_name: str) -> x509.Name:
    """``O=<organization>, CN=<common_name>``."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def localhost_names(ipv6: bool = True) -> list[x509.GeneralName]:
    """``DNS:localhost``, ``IP:127.0.0.1`` and (with *ipv6*) ``IP:::1``."""
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    if ipv6:
        names.append(x509.IPAddress(ipaddress.ip_address("::1")))
    return names


def _window(
    not_before: Optional[datetime.datetime], not_after: Optional[datetime.datetime]
) -> tuple[datetime.datetime, datetime.datetime]:
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return (
        not_before if not_before is not None else now - _DAY,
        not_after if not_after is not None else now + 30 * _DAY,
    )


def _key_usage(*, ca: bool, key: PrivateKey) -> x509.KeyUsage:
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not ca and is_rsa,
        data_encipherment=False,
        key_agreement=not ca and not is_rsa,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _sign(
    builder: x509.CertificateBuilder,
    subject: x509.Name,
    key: PrivateKey,
    issuer: Optional[Issued],
    not_before: Optional[datetime.datetime],
    not_after: Optional[datetime.datetime],
) -> Issued:
    start, end = _window(not_before, not_after)
    issuer_key = issuer.key if issuer is not None else key
    cert = (
        builder.subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer is not None else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            False,
        )
        .sign(issuer_key, hashes.SHA256())
    )
    return Issued(cert, key)


def ca(
    subject: x509.Name,
    issuer: Optional[Issued] = None,
    *,
    path_length: Optional[int] = None,
    key: Optional[PrivateKey] = None,
    not_before: Optional[datetime.datetime] = None,
    not_after: Optional[datetime.datetime] = None,
) -> Issued:
    """A CA certificate signed by *issuer*, or self-signed without one.

    Valid from a day ago for 30 days unless *not_before*/*not_after* say
    otherwise (aware datetimes).
    """
    key = key if key is not None else ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), True)
        .add_extension(_key_usage(ca=True, key=key), True)
    )
    return _sign(builder, subject, key, issuer, not_before, not_after)


def leaf(
    subject: x509.Name,
    issuer: Issued,
    *,
    sans: Sequence[x509.GeneralName] = (),
    usage: x509.ObjectIdentifier = ExtendedKeyUsageOID.SERVER_AUTH,
    key: Optional[PrivateKey] = None,
    not_before: Optional[datetime.datetime] = None,
    not_after: Optional[datetime.datetime] = None,
) -> Issued:
    """An end-entity certificate for *usage* (server by default) from *issuer*."""
    key = key if key is not None else ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(_key_usage(ca=False, key=key), True)
        .add_extension(x509.ExtendedKeyUsage([usage]), False)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), False)
    return _sign(builder, subject, key, issuer, not_before, not_after)


def server_chain(
    organization: str,
    *,
    ipv6: bool = True,
    not_before: Optional[datetime.datetime] = None,
    not_after: Optional[datetime.datetime] = None,
) -> tuple[Issued, Issued, Issued]:
    """``(root, intermediate, server)``: a ``localhost`` server and its CAs.

    Names are ``O=<organization>`` with ``CN=<organization> root CA``,
    ``<organization> intermediate CA`` and ``localhost``; the server is valid
    for :func:`localhost_names`. All three share the validity window.
    """
    start, end = _window(not_before, not_after)
    root = ca(
        name(organization, f"{organization} root CA"), not_before=start, not_after=end
    )
    intermediate = ca(
        name(organization, f"{organization} intermediate CA"),
        root,
        path_length=0,
        not_before=start,
        not_after=end,
    )
    server = leaf(
        name(organization, "localhost"),
        intermediate,
        sans=localhost_names(ipv6),
        not_before=start,
        not_after=end,
    )
    return root, intermediate, server
