"""OpenSSL.crypto against the ``openssl`` command-line tool, an independent peer.

Keys and certificates go both ways: what the CLI writes we load, and what we
write the CLI reads. Skipped, visibly, where the CLI is not installed.
"""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import pytest

from OpenSSL import crypto
from tests.support import OPENSSL, PKI, needs_openssl

pytestmark = [needs_openssl, pytest.mark.usefixtures("clean_error_queue")]

PASSWORD = "s3cret pass"


def _openssl(*args: str, stdin: bytes | None = None) -> bytes:
    assert OPENSSL is not None
    result = subprocess.run(
        [OPENSSL, *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


@pytest.mark.parametrize("algorithm", ["RSA", "EC", "ED25519"])
def test_load_key_encrypted_by_cli(tmp_path: Path, algorithm: str) -> None:
    args = ["genpkey", "-algorithm", algorithm]
    if algorithm == "RSA":
        args += ["-pkeyopt", "rsa_keygen_bits:1024"]
    elif algorithm == "EC":
        args += ["-pkeyopt", "ec_paramgen_curve:P-256"]
    keyfile = tmp_path / "key.pem"
    _openssl(*args, "-aes-256-cbc", "-pass", f"pass:{PASSWORD}", "-out", str(keyfile))
    pem = keyfile.read_bytes()
    assert b"ENCRYPTED" in pem
    pkey = crypto.load_privatekey(crypto.FILETYPE_PEM, pem, PASSWORD.encode())
    public_pem = _openssl(
        "pkey", "-in", str(keyfile), "-passin", f"pass:{PASSWORD}", "-pubout"
    )
    assert crypto.dump_publickey(crypto.FILETYPE_PEM, pkey) == public_pem
    with pytest.raises(crypto.Error):
        crypto.load_privatekey(crypto.FILETYPE_PEM, pem, b"wrong")


def test_cli_reads_key_we_encrypted(tmp_path: Path, pki: PKI) -> None:
    pkey = crypto.PKey.from_cryptography_key(pki.rsa_server.key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pem = crypto.dump_privatekey(
            crypto.FILETYPE_PEM, pkey, "aes-128-cbc", PASSWORD.encode()
        )
    keyfile = tmp_path / "ours.pem"
    keyfile.write_bytes(pem)
    public_pem = _openssl(
        "pkey", "-in", str(keyfile), "-passin", f"pass:{PASSWORD}", "-pubout"
    )
    assert public_pem == crypto.dump_publickey(crypto.FILETYPE_PEM, pkey)


def test_cli_reads_certificate_we_wrote(tmp_path: Path, pki: PKI) -> None:
    cert = crypto.X509.from_cryptography(pki.server.cert)
    der = tmp_path / "cert.der"
    der.write_bytes(crypto.dump_certificate(crypto.FILETYPE_ASN1, cert))
    out = _openssl("x509", "-inform", "DER", "-in", str(der), "-noout", "-serial")
    # openssl prints whole bytes of hex (a leading zero nibble included).
    label, _, serial_hex = out.strip().partition(b"=")
    assert label == b"serial"
    assert int(serial_hex, 16) == cert.get_serial_number()
    fingerprint = _openssl(
        "x509", "-inform", "DER", "-in", str(der), "-noout", "-fingerprint", "-sha256"
    )
    assert fingerprint.strip().split(b"=", 1)[1] == cert.digest("sha256")


def test_subject_hash_matches_cli(tmp_path: Path, pki: PKI) -> None:
    cert = crypto.X509.from_cryptography(pki.root.cert)
    pem = tmp_path / "root.pem"
    pem.write_bytes(pki.root_pem())
    out = _openssl("x509", "-in", str(pem), "-noout", "-subject_hash")
    assert int(out.strip(), 16) == cert.subject_name_hash()


def test_load_certificate_written_by_cli(tmp_path: Path) -> None:
    keyfile, certfile = tmp_path / "k.pem", tmp_path / "c.pem"
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        str(keyfile),
        "-out",
        str(certfile),
        "-subj",
        "/CN=from the cli/O=elsewhere",
        "-days",
        "2",
    )
    cert = crypto.load_certificate(crypto.FILETYPE_PEM, certfile.read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        subject = cert.get_subject()
    assert subject.CN == "from the cli"
    assert subject.O == "elsewhere"
    assert cert.has_expired() is False
    key = crypto.load_privatekey(crypto.FILETYPE_PEM, keyfile.read_bytes())
    assert crypto.dump_publickey(crypto.FILETYPE_ASN1, key) == crypto.dump_publickey(
        crypto.FILETYPE_ASN1, cert.get_pubkey()
    )
