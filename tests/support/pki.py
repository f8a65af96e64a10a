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

Leaves are valid from a day ago for a year; the CAs from 60 days ago. The
certificates are issued by the repository's throwaway-PKI builder
(``src/OpenSSL/_cli/_pki.py``, which also makes the demo's and the
benchmark's chains), so all three carry the same extensions.
Everything is built once per process (:func:`make_pki` is cached), so tests
may call it freely; the session fixture ``pki`` in ``tests/conftest.py`` returns
the same object. ``Identity.chain`` holds the intermediates between a leaf and
the root (the leaf and the root themselves excluded).
"""

from __future__ import annotations

import datetime
import functools
import importlib.util
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

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

    def crl(
        self, revoked_serials: Sequence[int] = ()
    ) -> x509.CertificateRevocationList:
        """A CRL of the intermediate revoking *revoked_serials*.

        Issued an hour ago, next update in a day; each revocation dates from
        five minutes ago.
        """
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.intermediate.cert.subject)
            .last_update(now - datetime.timedelta(hours=1))
            .next_update(now + datetime.timedelta(days=1))
        )
        for serial in revoked_serials:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(now - datetime.timedelta(minutes=5))
                .build()
            )
        return builder.sign(self.intermediate.key, hashes.SHA256())

    def ocsp_response(
        self,
        *,
        revoked: bool = False,
        unknown: bool = False,
        expired: bool = False,
        signer: Identity | None = None,
        include_signer: bool = False,
        subject: Identity | None = None,
        forge_signature: bool = False,
        size: int = 0,
    ) -> bytes:
        """A signed OCSP response (DER) about the server certificate.

        Signed by the intermediate that issued it, valid from five minutes
        ago for a day: OpenSSL 4 parses what a server staples, so tests need
        a real one. The options make the bad ones: *revoked*/*unknown*
        status, *expired* (valid from three days ago to yesterday), another
        *signer* (an unauthorised responder, or a delegated one with
        *include_signer* putting its certificate in the response), and a
        response about another *subject* than the server certificate.
        *forge_signature* flips a bit of the signature (the last byte of the
        DER, when no certificate is included: the signature's end).
        *size* pads the response with copies of the signer's certificate
        until its DER is at least that many bytes (the oversized staples).
        """
        now = datetime.datetime.now(datetime.timezone.utc)
        since = now - datetime.timedelta(minutes=5)
        until = now + datetime.timedelta(days=1)
        if expired:
            since, until = now - 3 * _ONE_DAY, now - _ONE_DAY
        status = ocsp.OCSPCertStatus.GOOD
        if revoked:
            status = ocsp.OCSPCertStatus.REVOKED
        elif unknown:
            status = ocsp.OCSPCertStatus.UNKNOWN
        about = subject if subject is not None else self.server
        signing = signer if signer is not None else self.intermediate
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=about.cert,
                issuer=self.intermediate.cert,
                algorithm=hashes.SHA256(),
                cert_status=status,
                this_update=since,
                next_update=until,
                revocation_time=since if revoked else None,
                revocation_reason=None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, signing.cert)
        )
        if include_signer or size:
            cert_der = signing.cert.public_bytes(serialization.Encoding.DER)
            builder = builder.certificates([signing.cert] * (size // len(cert_der) + 1))
        response = builder.sign(signing.key, hashes.SHA256())
        der = response.public_bytes(serialization.Encoding.DER)
        assert len(der) >= size, (len(der), size)
        if forge_signature:
            der = der[:-1] + bytes([der[-1] ^ 1])
        return der


def _load_builder() -> ModuleType:
    """``src/OpenSSL/_cli/_pki.py``, loaded from its file.

    The same builder makes the demo's and the benchmark's chains. It is not
    imported through ``OpenSSL``: the reliability oracle imports this
    package under pyOpenSSL 26.4, whose ``OpenSSL`` has no ``_cli``.
    """
    spec = importlib.util.spec_from_file_location("_tests_pki_builder", _BUILDER)
    assert spec is not None and spec.loader is not None, _BUILDER
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


_BUILDER = Path(__file__).resolve().parents[2] / "src/OpenSSL/_cli/_pki.py"
_build = _load_builder()
_ORGANIZATION = "pyopenssl-ng tests"


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
    issued = _build.leaf(
        _build.name(_ORGANIZATION, common_name),
        _build.Issued(issuer.cert, issuer.key),
        sans=sans,
        usage=usage,
        key=key,
        not_before=not_before if not_before is not None else now - _ONE_DAY,
        not_after=not_after if not_after is not None else now + 365 * _ONE_DAY,
    )
    return Identity(name, issued.cert, issued.key, [issuer.cert])


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

    root_issued = _build.ca(
        _build.name(_ORGANIZATION, "pyopenssl-ng test root CA"),
        not_before=not_before,
        not_after=not_after,
    )
    root = Identity("root", root_issued.cert, root_issued.key, [])
    inter_issued = _build.ca(
        _build.name(_ORGANIZATION, "pyopenssl-ng test intermediate CA"),
        root_issued,
        path_length=0,
        not_before=not_before,
        not_after=not_after,
    )
    intermediate = Identity("intermediate", inter_issued.cert, inter_issued.key, [])

    localhost: list[x509.GeneralName] = _build.localhost_names()
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
