"""Certificates for the benchmark.

The bench does not read anything from ``tests/``. One chain is made per run
by the repository's throwaway-PKI builder, ``src/OpenSSL/_cli/_pki.py`` (also
behind ``python -m OpenSSL demo`` and the tests' PKI). It needs nothing but
``cryptography``, and is loaded from its file rather than imported through
the package: a worker may run under pyOpenSSL 26.4, whose ``OpenSSL`` has no
such module, and making certificates should not import what is measured.
The chain: root CA -> intermediate CA -> leaf for ``localhost``, all
ECDSA P-256, valid for 30 days. It is written as PEM files that every
implementation loads the same way:

``server.pem``
    the leaf followed by the intermediate (what the server sends);
``server.key``
    the leaf's private key (unencrypted PKCS#8);
``ca.pem``
    the root alone (what a verifying client trusts).
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from cryptography.hazmat.primitives import serialization

_BUILDER = Path(__file__).resolve().parent.parent / "src/OpenSSL/_cli/_pki.py"


@dataclass(frozen=True)
class CertFiles:
    """Paths of the PEM files one run uses."""

    server_pem: Path
    server_key: Path
    ca_pem: Path


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_bench_pki", _BUILDER)
    assert spec is not None and spec.loader is not None, _BUILDER
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def write_certs(directory: Path) -> CertFiles:
    """Generate the chain and write the three PEM files into ``directory``."""
    root, intermediate, leaf = _builder().server_chain("pyopenssl-ng bench", ipv6=False)
    pem = serialization.Encoding.PEM
    files = cert_files_in(directory)
    files.server_pem.write_bytes(
        leaf.cert.public_bytes(pem) + intermediate.cert.public_bytes(pem)
    )
    files.server_key.write_bytes(
        leaf.key.private_bytes(
            pem,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    files.ca_pem.write_bytes(root.cert.public_bytes(pem))
    return files


def cert_files_in(directory: Path) -> CertFiles:
    """The :class:`CertFiles` of a directory that :func:`write_certs` filled."""
    return CertFiles(
        server_pem=directory / "server.pem",
        server_key=directory / "server.key",
        ca_pem=directory / "ca.pem",
    )
