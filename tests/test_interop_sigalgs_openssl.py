"""Signature schemes read from the handshake, checked against ``openssl``.

``Connection.get_signature_scheme``/``get_peer_signature_scheme`` (and
ssl_compat's ``client_sigalg``/``server_sigalg`` on them) with RSA (PSS and
PKCS#1), ECDSA and Ed25519 certificates, TLS 1.2 and 1.3, in both
directions and with client certificates. The system's ``openssl`` 3.0 is
the independent peer: ``s_server -sigalgs`` for our client, ``s_client``
for our server, whose "Peer signature type" / "Peer signing digest" lines
must agree with what our server says it signed with.
"""

from __future__ import annotations

import datetime
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from OpenSSL import SSL, ssl_compat
from tests.support import (
    OPENSSL,
    VERSION_FLAG,
    needs_openssl,
    recv_line,
    rev_line,
    s_client,
    s_server,
    serve_once,
    tls_client,
)

pytestmark = needs_openssl

# What ``openssl s_client`` prints for each scheme: (type, digest or None).
PRINTED = {
    "rsa_pss_rsae_sha256": ("RSA-PSS", "SHA256"),
    "rsa_pss_rsae_sha384": ("RSA-PSS", "SHA384"),
    "rsa_pss_rsae_sha512": ("RSA-PSS", "SHA512"),
    "rsa_pkcs1_sha256": ("RSA", "SHA256"),
    "rsa_pkcs1_sha384": ("RSA", "SHA384"),
    "rsa_pkcs1_sha512": ("RSA", "SHA512"),
    "ecdsa_secp256r1_sha256": ("ECDSA", "SHA256"),
    "ecdsa_secp384r1_sha384": ("ECDSA", "SHA384"),
    "ed25519": ("ed25519", None),
}


@dataclass(frozen=True)
class Case:
    """One handshake: versions, keys and the schemes each side must use."""

    version: str
    server_key: str
    server_scheme: Optional[str]
    client_key: Optional[str] = None
    client_scheme: Optional[str] = None
    cipher: Optional[str] = None  # a TLS 1.2 suite (key exchange) to insist on

    def __str__(self) -> str:
        client = f"{self.client_key}:{self.client_scheme}" if self.client_key else "-"
        server = f"{self.server_key}:{self.server_scheme}"
        return f"{self.version}-{server}-{client}-{self.cipher or ''}"


CASES = [
    Case("TLSv1.3", "rsa", "rsa_pss_rsae_sha384", "ec256", "ecdsa_secp256r1_sha256"),
    Case("TLSv1.3", "ed25519", "ed25519", "rsa", "rsa_pss_rsae_sha512"),
    Case("TLSv1.3", "ec256", "ecdsa_secp256r1_sha256", "ed25519", "ed25519"),
    Case("TLSv1.3", "rsa", "rsa_pss_rsae_sha256"),
    Case("TLSv1.2", "rsa", "rsa_pkcs1_sha512", "rsa", "rsa_pkcs1_sha256"),
    Case("TLSv1.2", "rsa", "rsa_pss_rsae_sha256", "ec256", "ecdsa_secp256r1_sha256"),
    Case("TLSv1.2", "ec256", "ecdsa_secp256r1_sha256", "ed25519", "ed25519"),
    Case("TLSv1.2", "ed25519", "ed25519", "rsa", "rsa_pss_rsae_sha384"),
    Case("TLSv1.2", "ec384", "ecdsa_secp384r1_sha384"),
    # DHE: the ServerKeyExchange carries DH parameters before the signature.
    Case("TLSv1.2", "rsa", "rsa_pss_rsae_sha512", cipher="DHE-RSA-AES128-GCM-SHA256"),
    # RSA key exchange: the server signs nothing (only the client does).
    Case(
        "TLSv1.2", "rsa", None, "ec256", "ecdsa_secp256r1_sha256", "AES128-GCM-SHA256"
    ),
]
cases = pytest.mark.parametrize("case", CASES, ids=str)
_FFDHE2048 = ("-pkeyopt", "group:ffdhe2048", "-out")


def _key(kind: str) -> Any:
    if kind == "rsa":
        return rsa.generate_private_key(65537, 2048)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(
        ec.SECP384R1() if kind == "ec384" else ec.SECP256R1()
    )


@pytest.fixture(scope="module")
def identities(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Path, Path]]:
    """A self-signed certificate and key file for each key kind."""
    directory = tmp_path_factory.mktemp("sigalg-identities")
    now = datetime.datetime.now(datetime.timezone.utc)
    found = {}
    for kind in ("rsa", "ec256", "ec384", "ed25519"):
        key = _key(kind)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{kind}.test")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, None if kind == "ed25519" else hashes.SHA256())
        )
        cert_path, key_path = directory / f"{kind}.pem", directory / f"{kind}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        found[kind] = (cert_path, key_path)
    # RFC 7919's ffdhe2048 group, for our DHE server, made by the tool.
    dh = directory / "dh.pem"
    assert OPENSSL is not None
    subprocess.run(
        [OPENSSL, "genpkey", "-genparam", "-algorithm", "DH", *_FFDHE2048, str(dh)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    found["dh"] = (dh, dh)
    return found


def _context(
    case: Case, identities: dict[str, tuple[Path, Path]], key: Optional[str]
) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
    ctx.set_max_proto_version(
        SSL.TLS1_3_VERSION if case.version == "TLSv1.3" else SSL.TLS1_2_VERSION
    )
    ctx.set_signature_scheme_tracking(True)
    if case.cipher:
        ctx.set_cipher_list(case.cipher.encode())
        if case.cipher.startswith("DHE-"):
            ctx.load_tmp_dh(str(identities["dh"][0]))
    # Self-signed test certificates: what is checked here is the signature
    # of the handshake, not the chain.
    ctx.set_verify(SSL.VERIFY_PEER, lambda *args: True)
    if key is not None:
        cert, private = identities[key]
        ctx.use_certificate_file(str(cert))
        ctx.use_privatekey_file(str(private))
    return ctx


def _printed(output: str) -> tuple[Optional[str], Optional[str]]:
    kind = re.search(r"Peer signature type: (\S+)", output)
    digest = re.search(r"Peer signing digest: (\S+)", output)
    return (kind and kind.group(1), digest and digest.group(1))


def _printed_line(server: Any, label: str) -> str:
    """The value of s_server's first ``label: value`` line, once printed."""
    text = server.wait_for(f"^{re.escape(label)}: ")
    found = re.search(f"^{re.escape(label)}: (.*)$", text, re.MULTILINE)
    assert found is not None, text
    return found.group(1).strip()


@cases
def test_our_client_against_s_server(
    case: Case, identities: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    cert, key = identities[case.server_key]
    args = ["-cert", str(cert), "-key", str(key), "-rev", VERSION_FLAG[case.version]]
    args += ["-sigalgs", case.server_scheme or "rsa_pss_rsae_sha256"]
    if case.client_key:
        args += ["-verify", "1", "-client_sigalgs", str(case.client_scheme)]
    with s_server(*args, log=tmp_path / "s_server.log", stdin=True) as server:
        ctx = _context(case, identities, case.client_key)
        conn = tls_client(server.port, ctx)
        assert conn.get_peer_signature_scheme() == case.server_scheme
        assert rev_line(conn, b"signed") == b"dengis"
        assert conn.get_signature_scheme() == case.client_scheme
        assert conn.get_peer_signature_scheme() == case.server_scheme
        conn.close()
        if case.client_key:
            # s_server names the client's signature too.
            kind, digest = PRINTED[str(case.client_scheme)]
            assert _printed_line(server, "Signature type") == kind, server.output()
            if digest:
                assert digest in _printed_line(server, "Hash used"), server.output()


@cases
def test_s_client_against_our_server(
    case: Case, identities: dict[str, tuple[Path, Path]]
) -> None:
    ctx = _context(case, identities, case.server_key)
    port, server = serve_once(
        ctx,
        lambda conn: (conn.get_signature_scheme(), conn.get_peer_signature_scheme()),
    )
    args = [
        VERSION_FLAG[case.version],
        "-sigalgs",
        case.server_scheme or "rsa_pss_rsae_sha256",
    ]
    if case.cipher:
        args += ["-cipher", case.cipher]
    if case.client_key:
        cert, key = identities[case.client_key]
        args += ["-cert", str(cert), "-key", str(key)]
        args += ["-client_sigalgs", str(case.client_scheme)]
    code, output = s_client(port, *args)
    seen = server.result()
    assert code == 0, output
    assert seen["extra"] == (case.server_scheme, case.client_scheme)
    expected = PRINTED[case.server_scheme] if case.server_scheme else (None, None)
    assert _printed(output) == expected, output
    if case.cipher:
        assert seen["cipher"] == case.cipher


def test_without_client_certificate_and_on_resumption(
    identities: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    """A client that sends no certificate signs nothing; a resumed session neither."""
    case = Case("TLSv1.2", "rsa", "rsa_pss_rsae_sha256")
    cert, key = identities["rsa"]
    args = ["-cert", str(cert), "-key", str(key), "-rev", VERSION_FLAG[case.version]]
    log = tmp_path / "s_server.log"
    with s_server(*args, "-verify", "1", log=log, stdin=True) as server:
        port = server.port
        ctx = _context(case, identities, None)
        first = tls_client(port, ctx)
        assert first.get_signature_scheme() is None  # asked, sent no certificate
        assert first.get_peer_signature_scheme() is not None
        assert rev_line(first, b"one") == b"eno"
        session = first.get_session()
        first.shutdown()
        first.close()
        import socket

        from tests.support import PEER_TIMEOUT, blocking_with_deadline

        sock = socket.create_connection(("127.0.0.1", port), PEER_TIMEOUT)
        again = SSL.Connection(ctx, blocking_with_deadline(sock))
        again.set_connect_state()
        again.set_session(session)
        again.do_handshake()
        assert again.session_reused()
        assert again.get_peer_signature_scheme() is None
        assert again.get_signature_scheme() is None
        again.close()


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_ssl_compat_sigalgs_against_s_server(
    version: str, identities: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    """ssl_compat's client_sigalg()/server_sigalg(), as CPython 3.15's."""
    import socket

    cert, key = identities["rsa"]
    args = ["-cert", str(cert), "-key", str(key), "-rev", VERSION_FLAG[version]]
    args += [
        "-sigalgs",
        "rsa_pss_rsae_sha512",
        "-verify",
        "1",
        "-client_sigalgs",
        "ed25519",
    ]
    with s_server(*args, log=tmp_path / "s_server.log", stdin=True) as server:
        ctx = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_CLIENT)
        ctx.openssl_context.set_signature_scheme_tracking(True)
        ctx.check_hostname = False
        ctx.verify_mode = ssl_compat.CERT_NONE
        ctx.maximum_version = getattr(ssl_compat.TLSVersion, version.replace(".", "_"))
        client_cert, client_key = identities["ed25519"]
        ctx.load_cert_chain(str(client_cert), str(client_key))
        raw = socket.create_connection(("127.0.0.1", server.port), 10)
        with ctx.wrap_socket(raw, do_handshake_on_connect=False) as tls:
            assert tls.server_sigalg() is None and tls.client_sigalg() is None
            tls.do_handshake()
            assert tls.server_sigalg() == "rsa_pss_rsae_sha512"
            assert tls.client_sigalg() == "ed25519"
            tls.sendall(b"compat\n")
            assert recv_line(tls.recv) == b"tapmoc\n"
        assert _printed_line(server, "Signature type") == "ed25519", server.output()
