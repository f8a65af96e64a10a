"""Certificates for the benchmark, generated with ``cryptography``.

The bench is standalone: it does not read anything from ``tests/``. One
chain is made per run (root CA -> intermediate CA -> leaf for
``localhost``), all ECDSA P-256, and written as PEM files that every
implementation loads the same way:

``server.pem``
    the leaf followed by the intermediate (what the server sends);
``server.key``
    the leaf's private key (unencrypted PKCS#8);
``ca.pem``
    the root alone (what a verifying client trusts).
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class CertFiles:
    """Paths of the PEM files one run uses."""

    server_pem: Path
    server_key: Path
    ca_pem: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pyopenssl-ng bench"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
            critical=False,
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        ).add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = (
            builder.add_extension(
                x509.BasicConstraints(ca=False, path_length=None), critical=True
            )
            .add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.DNSName("localhost"),
                        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    ]
                ),
                critical=False,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                critical=False,
            )
        )
    if issuer_key is not key:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def write_certs(directory: Path) -> CertFiles:
    """Generate the chain and write the three PEM files into ``directory``."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _issue("bench root CA", root_key, _name("bench root CA"), root_key, ca=True)
    inter_key = ec.generate_private_key(ec.SECP256R1())
    inter = _issue("bench intermediate CA", inter_key, root.subject, root_key, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _issue("localhost", leaf_key, inter.subject, inter_key, ca=False)

    pem = serialization.Encoding.PEM
    files = CertFiles(
        server_pem=directory / "server.pem",
        server_key=directory / "server.key",
        ca_pem=directory / "ca.pem",
    )
    files.server_pem.write_bytes(leaf.public_bytes(pem) + inter.public_bytes(pem))
    files.server_key.write_bytes(
        leaf_key.private_bytes(
            pem,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    files.ca_pem.write_bytes(root.public_bytes(pem))
    return files


def cert_files_in(directory: Path) -> CertFiles:
    """The :class:`CertFiles` of a directory that :func:`write_certs` filled."""
    return CertFiles(
        server_pem=directory / "server.pem",
        server_key=directory / "server.key",
        ca_pem=directory / "ca.pem",
    )
