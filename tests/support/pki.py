"""The test suite's own PKI, generated with ``cryptography``.

One root CA, one intermediate CA signed by the root, and leaf certificates
issued by the intermediate::

    root (self-signed, CA)
    └── intermediate (CA, pathlen 0)
        ├── server            localhost, 127.0.0.1, ::1   serverAuth   ECDSA P-256
        ├── rsa_server        same names                  serverAuth   RSA 2048
        ├── client            CN=client                   clientAuth   ECDSA P-256
        ├── expired_server    like server, valid from 30 days ago to 2 days ago
        └── wrong_host_server DNS:wrong.example only

Leaves are valid from a day ago for a year; the CAs from 60 days ago.
Everything is built once per process (:func:`make_pki` is cached), so tests
may call it freely; the session fixture ``pki`` in ``tests/conftest.py`` returns
the same object. ``Identity.chain`` holds the intermediates between a leaf and
the root (the leaf and the root themselves excluded).
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["PKI", "Identity", "PrivateKey", "make_pki"]

PrivateKey = Union[ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey]

_ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Identity:
    """A certificate, its private key and the intermediates above it."""

    name: str
    cert: x509.Certificate
    key: PrivateKey
    chain: list[x509.Certificate] = field(default_factory=list)

    def cert_pem(self) -> bytes:
        """The certificate alone, PEM."""
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        """The private key, unencrypted PKCS#8 PEM."""
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def chain_pem(self) -> bytes:
        """The certificate followed by its intermediates, PEM."""
        return self.cert_pem() + b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in self.chain
        )

    def write(self, directory: Path) -> tuple[Path, Path]:
        """Write ``<name>.pem`` (leaf + intermediates) and ``<name>.key``."""
        directory = Path(directory)
        certfile = directory / f"{self.name}.pem"
        keyfile = directory / f"{self.name}.key"
        certfile.write_bytes(self.chain_pem())
        keyfile.write_bytes(self.key_pem())
        return certfile, keyfile


@dataclass(frozen=True)
class PKI:
    """The whole test PKI; see the module docstring for its shape."""

    root: Identity
    intermediate: Identity
    server: Identity
    rsa_server: Identity
    client: Identity
    expired_server: Identity
    wrong_host_server: Identity

    def root_pem(self) -> bytes:
        """The root CA certificate, PEM."""
        return self.root.cert_pem()

    def write_ca(self, directory: Path) -> Path:
        """Write the root CA certificate to ``<directory>/ca.pem``."""
        path = Path(directory) / "ca.pem"
        path.write_bytes(self.root_pem())
        return path

    def ocsp_response(self, *, revoked: bool = False) -> bytes:
        """A signed OCSP response (DER) about the server certificate.

        Signed by the intermediate that issued it, valid from five minutes
        ago for a day: OpenSSL 4 parses what a server staples, so tests need
        a real one.
        """
        now = datetime.datetime.now(datetime.timezone.utc)
        since = now - datetime.timedelta(minutes=5)
        status = ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD
        response = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=self.server.cert,
                issuer=self.intermediate.cert,
                algorithm=hashes.SHA256(),
                cert_status=status,
                this_update=since,
                next_update=now + datetime.timedelta(days=1),
                revocation_time=since if revoked else None,
                revocation_reason=None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self.intermediate.cert)
            .sign(self.intermediate.key, hashes.SHA256())
        )
        return response.public_bytes(serialization.Encoding.DER)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pyopenssl-ng tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _leaf_key_usage(key: PrivateKey) -> x509.KeyUsage:
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=is_rsa,
        data_encipherment=False,
        key_agreement=not is_rsa,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: PrivateKey,
    issuer_key: PrivateKey,
    not_before: datetime.datetime,
    not_after: datetime.datetime,
) -> x509.CertificateBuilder:
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(ski, critical=False)
        .add_extension(aki, critical=False)
    )


def _leaf(
    name: str,
    common_name: str,
    issuer: Identity,
    sans: list[x509.GeneralName],
    usage: x509.ObjectIdentifier,
    now: datetime.datetime,
    *,
    key: PrivateKey | None = None,
    not_before: datetime.datetime | None = None,
    not_after: datetime.datetime | None = None,
) -> Identity:
    key = key if key is not None else _ec_key()
    builder = (
        _builder(
            _name(common_name),
            issuer.cert.subject,
            key,
            issuer.key,
            not_before if not_before is not None else now - _ONE_DAY,
            not_after if not_after is not None else now + 365 * _ONE_DAY,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_leaf_key_usage(key), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(sans), critical=False
        )
    cert = builder.sign(issuer.key, hashes.SHA256())
    return Identity(name, cert, key, [issuer.cert])


_make_lock = threading.Lock()


def make_pki() -> PKI:
    """Build (once per process) and return the test PKI.

    Thread-safe: tests that start threads first would otherwise each build
    a PKI of their own (new random keys), and handshakes between them would
    fail verification.
    """
    with _make_lock:
        return _make_pki()


@functools.cache
def _make_pki() -> PKI:
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    # The CAs start well before the expired leaf's window, so verification
    # "as of" a time inside that window (X509Store.set_time) can succeed.
    not_before = now - 60 * _ONE_DAY
    not_after = now + 365 * _ONE_DAY

    root_key = _ec_key()
    root_name = _name("pyopenssl-ng test root CA")
    root_cert = (
        _builder(root_name, root_name, root_key, root_key, not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    root = Identity("root", root_cert, root_key, [])

    inter_key = _ec_key()
    inter_cert = (
        _builder(
            _name("pyopenssl-ng test intermediate CA"),
            root_name,
            inter_key,
            root_key,
            not_before,
            not_after,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    intermediate = Identity("intermediate", inter_cert, inter_key, [])

    localhost: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    server_auth = ExtendedKeyUsageOID.SERVER_AUTH
    return PKI(
        root=root,
        intermediate=intermediate,
        server=_leaf("server", "localhost", intermediate, localhost, server_auth, now),
        rsa_server=_leaf(
            "rsa_server",
            "localhost",
            intermediate,
            localhost,
            server_auth,
            now,
            key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ),
        client=_leaf(
            "client",
            "client",
            intermediate,
            [],
            ExtendedKeyUsageOID.CLIENT_AUTH,
            now,
        ),
        expired_server=_leaf(
            "expired_server",
            "localhost",
            intermediate,
            localhost,
            server_auth,
            now,
            not_before=now - 30 * _ONE_DAY,
            not_after=now - 2 * _ONE_DAY,
        ),
        wrong_host_server=_leaf(
            "wrong_host_server",
            "wrong.example",
            intermediate,
            [x509.DNSName("wrong.example")],
            server_auth,
            now,
        ),
    )
