"""The test PKI on disk: one scratch directory per process.

Every helper that needs a PEM file takes it from here, so there is one CA
file (:func:`ca_file`) and one set of identity files (:func:`files`) per
test process, written on first use into :func:`scratch_dir` and removed at
exit. Tests that need files of their own use pytest's ``tmp_path`` (or the
``pki_files`` fixture of ``tests/conftest.py``) instead.
"""

from __future__ import annotations

import atexit
import datetime
import functools
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.pki import Identity, make_pki

__all__ = [
    "ca_file",
    "encrypted_key_file",
    "files",
    "identity_files",
    "scratch_dir",
    "unrelated_ca_file",
    "write_files",
]


@functools.cache
def scratch_dir() -> Path:
    """A per-process temporary directory, removed at exit."""
    path = Path(tempfile.mkdtemp(prefix="pyopenssl-ng-tests-"))
    atexit.register(shutil.rmtree, str(path), True)
    return path


@functools.cache
def ca_file() -> Path:
    """``ca.pem`` in :func:`scratch_dir`: the test root CA alone."""
    return make_pki().write_ca(scratch_dir())


@functools.cache
def identity_files(name: str) -> tuple[Path, Path]:
    """``(certfile, keyfile)`` of the PKI identity *name* (leaf+chain, key)."""
    identity: Identity = getattr(make_pki(), name)
    return identity.write(scratch_dir())


@functools.cache
def encrypted_key_file(passphrase: bytes, name: str = "server") -> Path:
    """The key of the PKI identity *name*, PEM, encrypted with *passphrase*."""
    identity: Identity = getattr(make_pki(), name)
    path = scratch_dir() / f"{name}-encrypted-{passphrase.hex()}.key"
    path.write_bytes(
        identity.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        )
    )
    return path


@functools.cache
def files() -> SimpleNamespace:
    """Every leaf identity's files, the CA file and the PKI, as one namespace.

    ``directory``, ``ca`` (:func:`ca_file`), ``identities`` (name ->
    ``(certfile, keyfile)``, see :func:`identity_files`) and ``pki``.
    """
    pki = make_pki()
    leaves = (
        pki.server,
        pki.rsa_server,
        pki.client,
        pki.expired_server,
        pki.wrong_host_server,
    )
    return SimpleNamespace(
        directory=scratch_dir(),
        ca=ca_file(),
        identities={leaf.name: identity_files(leaf.name) for leaf in leaves},
        pki=pki,
    )


@functools.cache
def unrelated_ca_file() -> Path:
    """PEM file with a self-signed CA that issued nothing in the test PKI."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unrelated CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    path = scratch_dir() / "unrelated-ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def write_files(directory: Path, contents: Mapping[str, bytes]) -> dict[str, Path]:
    """Write each ``name -> data`` of *contents* to ``directory/NAME.pem``.

    For tests that hand an external tool files of their own (in ``tmp_path``);
    returns ``name -> path``.
    """
    paths = {}
    for name, data in contents.items():
        path = directory / f"{name}.pem"
        path.write_bytes(data)
        paths[name] = path
    return paths
