"""PSK, groups, sigalgs, TLS 1.3 suites and PHA against the ``openssl`` tool.

The system's ``openssl`` (3.0, a different build from cryptography's
bundled OpenSSL) is the independent peer: ``s_server`` for our client,
``s_client`` for our server (in a thread). Each subprocess has a bounded
lifetime and is killed in ``finally``; without the tool the module is
skipped with a visible reason.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any, Optional

import pytest

from OpenSSL import SSL
from tests.support import (
    PEER_TIMEOUT,
    PKI,
    VERSION_FLAG,
    blocking_with_deadline,
    listener,
    needs_openssl,
    recv_line,
    rev_line,
    s_client,
    s_client_process,
    s_server,
    serve_once,
    tls_client,
    write_files,
)

pytestmark = needs_openssl

KEY = bytes(range(1, 33))
VERSION = {"TLSv1.2": SSL.TLS1_2_VERSION, "TLSv1.3": SSL.TLS1_3_VERSION}
versions = pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])


@pytest.fixture
def files(pki: PKI, tmp_path: Path) -> dict[str, Path]:
    contents = {
        "server_cert": pki.server.cert_pem(),
        "server_key": pki.server.key_pem(),
        "rsa_cert": pki.rsa_server.cert_pem(),
        "rsa_key": pki.rsa_server.key_pem(),
        "client_chain": pki.client.cert_pem() + pki.intermediate.cert_pem(),
        "client_cert": pki.client.cert_pem(),
        "client_key": pki.client.key_pem(),
        "intermediate": pki.intermediate.cert_pem(),
        "ca": pki.root_pem(),
    }
    return write_files(tmp_path, contents)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """Where the test's ``openssl`` process writes its output."""
    return tmp_path / "openssl.log"


# -- TLS-PSK -----------------------------------------------------------------------


def psk_client_context(version: str, seen: list[Optional[bytes]]) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_min_proto_version(VERSION[version])
    ctx.set_max_proto_version(VERSION[version])
    ctx.set_cipher_list(b"PSK-AES128-GCM-SHA256")
    ctx.set_psk_client_callback(lambda conn, hint: seen.append(hint) or (b"alice", KEY))
    return ctx


@versions
def test_our_psk_client_against_s_server(version: str, log: Path) -> None:
    hints: list[Optional[bytes]] = []
    args = ["-psk", KEY.hex(), "-psk_identity", "alice", "-psk_hint", "from-s_server"]
    args += [
        "-nocert",
        "-rev",
        VERSION_FLAG[version],
        "-cipher",
        "PSK-AES128-GCM-SHA256",
    ]
    with s_server(*args, log=log, stdin=True) as server:
        conn = tls_client(server.port, psk_client_context(version, hints))
        assert rev_line(conn, b"pre-shared") == b"derahs-erp"
        expected = "PSK-AES128-GCM-SHA256" if version == "TLSv1.2" else None
        if expected:
            assert conn.get_cipher_name() == expected
            assert hints == [b"from-s_server"]
        else:
            # A suite with the hash of the key's suite (SHA-256).
            assert str(conn.get_cipher_name()).endswith("_SHA256")
            assert hints == [None]
        assert conn.get_peer_certificate() is None
        conn.close()


@versions
def test_our_psk_client_with_the_wrong_key_is_refused_by_s_server(
    version: str, log: Path
) -> None:
    args = ["-psk", "ff" * 32, "-psk_identity", "alice", "-nocert", "-rev"]
    args += [VERSION_FLAG[version], "-cipher", "PSK-AES128-GCM-SHA256"]
    with s_server(*args, log=log, stdin=True) as server:
        with pytest.raises(SSL.Error):
            conn = tls_client(server.port, psk_client_context(version, []))
            rev_line(conn, b"x")


@versions
def test_s_client_psk_against_our_server(version: str) -> None:
    identities: list[bytes] = []
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_cipher_list(b"PSK-AES128-GCM-SHA256")
    ctx.use_psk_identity_hint(b"our-hint")
    ctx.set_psk_server_callback(
        lambda conn, identity: identities.append(identity) or KEY
    )
    port, server = serve_once(ctx)
    code, output = s_client(
        port, VERSION_FLAG[version], "-psk", KEY.hex(), "-psk_identity", "bob",
        "-cipher", "PSK-AES128-GCM-SHA256",
    )  # fmt: skip
    seen = server.result()
    assert code == 0, output
    assert "you said: ping" in output
    assert identities == [b"bob"]
    assert seen["peer"] is None
    if version == "TLSv1.2":
        assert seen["cipher"] == "PSK-AES128-GCM-SHA256"
        assert "PSK identity hint: our-hint" in output
    else:
        assert str(seen["cipher"]).endswith("_SHA256")


# -- groups --------------------------------------------------------------------------


def cert_client_context(files: dict[str, Path]) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.load_verify_locations(str(files["ca"]))
    ctx.set_verify(SSL.VERIFY_PEER)
    return ctx


def cert_server_args(files: dict[str, Path], rsa: bool = False) -> list[str]:
    cert, key = ("rsa_cert", "rsa_key") if rsa else ("server_cert", "server_key")
    return [
        "-cert", str(files[cert]), "-key", str(files[key]),
        "-cert_chain", str(files["intermediate"]),
    ]  # fmt: skip


def our_server_context(files: dict[str, Path], rsa: bool = False) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_METHOD)
    cert, key = ("rsa_cert", "rsa_key") if rsa else ("server_cert", "server_key")
    ctx.use_certificate_chain_file(str(files[cert]))
    ctx.add_extra_chain_cert(_load_cert(files["intermediate"]))
    ctx.use_privatekey_file(str(files[key]))
    return ctx


def _load_cert(path: Path) -> Any:
    from cryptography import x509

    return x509.load_pem_x509_certificate(path.read_bytes())


@versions
def test_our_client_groups_against_s_server(
    files: dict[str, Path], version: str, log: Path
) -> None:
    args = [
        *cert_server_args(files),
        "-rev",
        VERSION_FLAG[version],
        "-groups",
        "P-384:P-521",
    ]
    with s_server(*args, log=log, stdin=True) as server:
        ctx = cert_client_context(files)
        # P-256 for the server's certificate, which TLS 1.2 checks too.
        ctx.set_groups(["X25519", "P-521", "P-256"])
        conn = tls_client(server.port, ctx)
        assert conn.get_group_name() == "secp521r1"
        assert rev_line(conn, b"group") == b"puorg"
        conn.close()
        ctx = cert_client_context(files)
        ctx.set_groups(["X25519"])
        with pytest.raises(SSL.Error):
            tls_client(server.port, ctx)


@versions
def test_s_client_groups_against_our_server(
    files: dict[str, Path], version: str
) -> None:
    ctx = our_server_context(files)
    ctx.set_groups(["P-521", "P-384"])
    port, server = serve_once(ctx)
    code, output = s_client(
        port,
        VERSION_FLAG[version],
        "-CAfile",
        str(files["ca"]),
        "-groups",
        "X25519:P-384:P-256",
    )
    seen = server.result()
    assert code == 0, output
    assert seen["group"] == "secp384r1"
    assert re.search(r"Server Temp Key: ECDH, (P-384|secp384r1)", output), output


# -- signature algorithms ---------------------------------------------------------


@versions
def test_s_client_sees_the_sigalg_our_server_allows(
    files: dict[str, Path], version: str
) -> None:
    ctx = our_server_context(files, rsa=True)
    ctx.set_sigalgs(["rsa_pss_rsae_sha512"])
    port, server = serve_once(ctx)
    code, output = s_client(port, VERSION_FLAG[version], "-CAfile", str(files["ca"]))
    server.result()
    assert code == 0, output
    assert "Peer signing digest: SHA512" in output
    assert "Peer signature type: RSA-PSS" in output


@versions
def test_our_client_sigalgs_against_s_server(
    files: dict[str, Path], version: str, log: Path
) -> None:
    args = [*cert_server_args(files, rsa=True), "-rev", VERSION_FLAG[version]]
    sigalgs = ("-sigalgs", "rsa_pss_rsae_sha384:rsa_pss_rsae_sha256")
    with s_server(*args, *sigalgs, log=log, stdin=True) as server:
        ok = cert_client_context(files)
        ok.set_sigalgs(["rsa_pss_rsae_sha384"])
        conn = tls_client(server.port, ok)
        assert rev_line(conn, b"sig") == b"gis"
        conn.close()
        refusing = cert_client_context(files)
        refusing.set_sigalgs(["rsa_pss_rsae_sha512"])
        with pytest.raises(SSL.Error):
            tls_client(server.port, refusing)


# -- TLS 1.3 cipher suites -----------------------------------------------------------


def test_our_client_ciphersuites_against_s_server(
    files: dict[str, Path], log: Path
) -> None:
    args = [*cert_server_args(files), "-rev", "-ciphersuites", "TLS_AES_256_GCM_SHA384"]
    with s_server(*args, log=log, stdin=True) as server:
        ctx = cert_client_context(files)
        ctx.set_tls13_ciphersuites(
            b"TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384"
        )
        conn = tls_client(server.port, ctx)
        assert conn.get_cipher_name() == "TLS_AES_256_GCM_SHA384"
        conn.close()
        ctx = cert_client_context(files)
        ctx.set_tls13_ciphersuites(b"TLS_CHACHA20_POLY1305_SHA256")
        ctx.set_min_proto_version(SSL.TLS1_3_VERSION)
        with pytest.raises(SSL.Error):
            tls_client(server.port, ctx)


def test_s_client_ciphersuites_against_our_server(files: dict[str, Path]) -> None:
    ctx = our_server_context(files)
    ctx.set_tls13_ciphersuites(b"TLS_CHACHA20_POLY1305_SHA256")
    port, server = serve_once(ctx)
    code, output = s_client(
        port, "-CAfile", str(files["ca"]), "-ciphersuites",
        "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256",
    )  # fmt: skip
    seen = server.result()
    assert code == 0, output
    assert seen["cipher"] == "TLS_CHACHA20_POLY1305_SHA256"
    assert "TLS_CHACHA20_POLY1305_SHA256" in output


# -- post-handshake authentication ------------------------------------------------


def pha_client_args(files: dict[str, Path]) -> list[str]:
    """``s_client`` arguments: TLS 1.3, post-handshake auth, client identity."""
    return [
        "-tls1_3", "-enable_pha", "-cert", str(files["client_cert"]),
        "-cert_chain", str(files["intermediate"]),
        "-key", str(files["client_key"]), "-CAfile", str(files["ca"]),
    ]  # fmt: skip


def test_s_client_enable_pha_against_our_server(
    pki: PKI, files: dict[str, Path], log: Path
) -> None:
    verified: list[int] = []
    ctx = our_server_context(files)
    ctx.load_verify_locations(str(files["ca"]))
    ctx.set_verify(
        SSL.VERIFY_PEER | SSL.VERIFY_POST_HANDSHAKE,
        lambda conn, cert, errnum, depth, ok: verified.append(depth) or ok,
    )
    with listener() as lst:
        with s_client_process(lst.port, *pha_client_args(files), log=log) as client:
            conn = SSL.Connection(ctx, blocking_with_deadline(lst.accept()))
            conn.set_accept_state()
            conn.do_handshake()
            assert conn.get_peer_certificate() is None
            conn.verify_client_post_handshake()
            conn.sendall(b"show me your certificate\n")
            # s_client answered the request before it printed what followed it.
            client.wait_for("show me your certificate")
            client.say(b"here it is\n")
            assert recv_line(conn.recv) == b"here it is\n"
            assert conn.get_peer_certificate(as_cryptography=True) == pki.client.cert
            assert verified == [2, 1, 0]
            conn.shutdown()
            conn.close()


def test_our_pha_client_against_s_server_c_command(
    files: dict[str, Path], log: Path
) -> None:
    # s_server's interactive "c" asks for a certificate after the handshake
    # (SSL_verify_client_post_handshake); "k" sends a KeyUpdate.
    args = [*cert_server_args(files), "-tls1_3", "-CAfile", str(files["ca"])]
    with s_server(*args, "-verify_return_error", log=log, stdin=True) as server:
        ctx = cert_client_context(files)
        ctx.use_certificate_chain_file(str(files["client_chain"]))
        ctx.use_privatekey_file(str(files["client_key"]))
        ctx.set_post_handshake_auth(True)
        conn = tls_client(server.port, ctx)
        server.wait_for("CIPHER is")
        # s_server takes a command only when it arrives alone in one read,
        # and prints its result when it next flushes (after printing data
        # it received): each command is followed by lines from our client
        # until its result shows.
        sync = 0
        for done, command in enumerate((b"c\n", b"k\n"), start=1):
            server.say(command)
            for _ in range(50):
                sync += 1
                conn.sendall(b"sync %d\n" % sync)
                server.wait_for(f"^sync {sync}$")
                if server.output().count("SSL_do_handshake -> 1") >= done:
                    break
            else:
                raise AssertionError(f"s_server did not run {command!r}")
        server.say(b"after both\n")
        assert recv_line(conn.recv) == b"after both\n"
        conn.sendall(b"still talking\n")
        server.wait_for("still talking")
        text = server.output()
        assert re.search(r"depth=0 .*CN = client", text), text
        assert "verify error" not in text
        # Both commands ran a handshake step (certificate request, key update).
        assert text.count("SSL_do_handshake -> 1") == 2, text
        conn.close()


# -- the same through ssl_compat ---------------------------------------------------


@versions
def test_ssl_compat_psk_client_against_s_server(version: str, log: Path) -> None:
    from OpenSSL import ssl_compat

    args = ["-psk", KEY.hex(), "-psk_identity", "alice", "-nocert", "-rev"]
    args += [VERSION_FLAG[version], "-cipher", "PSK-AES128-GCM-SHA256"]
    with s_server(*args, log=log, stdin=True) as server:
        ctx = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl_compat.CERT_NONE
        ctx.set_ciphers("PSK")
        ctx.maximum_version = getattr(ssl_compat.TLSVersion, version.replace(".", "_"))
        ctx.set_psk_client_callback(lambda hint: ("alice", KEY))
        with socket.create_connection(("127.0.0.1", server.port), PEER_TIMEOUT) as raw:
            with ctx.wrap_socket(raw) as tls:
                tls.sendall(b"compat psk\n")
                assert recv_line(tls.recv) == b"ksp tapmoc\n"
                assert tls.version() == version


def test_s_client_enable_pha_against_ssl_compat_server(
    pki: PKI, files: dict[str, Path], log: Path
) -> None:
    from OpenSSL import ssl_compat

    ctx = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(files["server_cert"]), str(files["server_key"]))
    ctx.load_verify_locations(str(files["ca"]))
    ctx.verify_mode = ssl_compat.CERT_REQUIRED
    ctx.post_handshake_auth = True
    with listener() as lst:
        with s_client_process(lst.port, *pha_client_args(files), log=log) as client:
            raw = lst.accept()
            with ctx.wrap_socket(raw, server_side=True) as tls:
                assert tls.getpeercert() is None
                tls.verify_client_post_handshake()
                tls.sendall(b"certificate, please\n")
                client.wait_for("certificate, please")
                client.say(b"sent\n")
                assert recv_line(tls.recv) == b"sent\n"
                subject = dict(item[0] for item in tls.getpeercert()["subject"])
                assert subject["commonName"] == "client"
