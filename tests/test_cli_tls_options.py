"""The options ``client`` and ``server`` share: versions, ciphers, ALPN, SNI, --version.

Each option is tried against ``openssl`` as the independent peer:
``openssl s_server`` for the ``client`` command, ``openssl s_client`` for the
``server`` command (skipped, with the reason shown, where the tool is
missing). The client runs in-process through :func:`OpenSSL._cli.main`, the
server as a subprocess.
"""

from __future__ import annotations

import subprocess
from types import SimpleNamespace

import cryptography
import pytest

from OpenSSL import SSL
from OpenSSL.version import __version__
from tests.support import (
    PKI,
    TIMEOUT,
    assert_one_line_error,
    openssl_client,
    openssl_server,
    python_m_openssl,
    run_client,
    run_main,
    server_args,
    server_process,
)

Capture = pytest.CaptureFixture[str]


def serve_one(
    files: SimpleNamespace, *options: str, client: list[str]
) -> tuple[subprocess.CompletedProcess[str], str, str]:
    """Our server with *options*, one ``openssl s_client`` with *client* options.

    Returns s_client's result, then the server's stdout and stderr.
    """
    args = server_args(files, *options, "--max-clients", "1")
    with server_process(*args) as server:
        result = openssl_client(files, server.port, *client)
        status, out, err = server.finish()
    assert status == 0, err
    return result, out, err


# -- --version ---------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["client"], ["server"], ["demo"]])
def test_version(capsys: Capture, command: list[str]) -> None:
    status, out, err = run_main(capsys, *command, "--version")
    assert status == 0, err
    openssl = SSL.OpenSSL_version(SSL.OPENSSL_VERSION).decode()
    assert out == (
        f"pyopenssl-ng {__version__} on {openssl} "
        f"(cryptography {cryptography.__version__})\n"
    )


def test_version_as_a_module() -> None:
    proc = subprocess.run(
        python_m_openssl("--version"), capture_output=True, text=True, timeout=TIMEOUT
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith(f"pyopenssl-ng {__version__} on OpenSSL ")


# -- protocol versions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--tls1_2"], "TLSv1.2"),
        (["--tls1_3"], "TLSv1.3"),
        (["--max-version", "TLSv1.2"], "TLSv1.2"),
        (["--min-version", "tlsv1.3"], "TLSv1.3"),
        ([], "TLSv1.3"),
    ],
)
def test_client_versions_against_s_server(
    capsys: Capture, pki_files: SimpleNamespace, options: list[str], expected: str
) -> None:
    with openssl_server(pki_files) as server:
        status, out, err = run_client(capsys, pki_files, server.port, *options)
    assert status == 0, err
    assert f"protocol      {expected}\n" in out


def test_client_tls1_3_against_a_tls1_2_server(
    capsys: Capture, pki_files: SimpleNamespace
) -> None:
    with openssl_server(pki_files, "-tls1_2") as server:
        status, out, err = run_client(capsys, pki_files, server.port, "--tls1_3")
    assert status == 1
    assert out == ""
    assert_one_line_error(err, "client", "protocol version")


@pytest.mark.parametrize(
    ("options", "client", "expected"),
    [
        (["--tls1_2"], [], "Protocol version: TLSv1.2"),
        (["--tls1_3"], [], "Protocol version: TLSv1.3"),
        (["--max-version", "TLSv1.2"], [], "Protocol version: TLSv1.2"),
        (["--min-version", "TLSv1.3"], [], "Protocol version: TLSv1.3"),
    ],
)
def test_server_versions_with_s_client(
    pki_files: SimpleNamespace, options: list[str], client: list[str], expected: str
) -> None:
    result, out, _ = serve_one(pki_files, *options, client=client)
    assert result.returncode == 0, result.stdout
    assert expected in result.stdout
    assert f"protocol={expected.split()[-1]}," in out


def test_server_tls1_3_refuses_a_tls1_2_client(pki_files: SimpleNamespace) -> None:
    args = server_args(pki_files, "--tls1_3", "--max-clients", "1")
    with server_process(*args) as server:
        result = openssl_client(pki_files, server.port, "-tls1_2")
        status, _, err = server.finish()
    assert result.returncode != 0
    assert "alert protocol version" in result.stdout, result.stdout
    assert status == 0
    assert "failed: unsupported protocol" in err, err


# -- cipher lists ------------------------------------------------------------------


def test_client_ciphers_and_ciphersuites(
    capsys: Capture, pki_files: SimpleNamespace
) -> None:
    with openssl_server(pki_files) as server:
        status, out, err = run_client(
            capsys,
            pki_files,
            server.port,
            "--tls1_2",
            "--ciphers",
            "ECDHE-ECDSA-CHACHA20-POLY1305",
        )
        assert status == 0, err
        assert "cipher        ECDHE-ECDSA-CHACHA20-POLY1305 (256 bits)" in out
        status, out, err = run_client(
            capsys,
            pki_files,
            server.port,
            "--ciphersuites",
            "TLS_CHACHA20_POLY1305_SHA256",
        )
        assert status == 0, err
        assert "cipher        TLS_CHACHA20_POLY1305_SHA256 (256 bits)" in out


def test_server_ciphers_with_s_client(pki_files: SimpleNamespace) -> None:
    result, out, _ = serve_one(
        pki_files, "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256", client=["-tls1_2"]
    )
    assert result.returncode == 0, result.stdout
    assert "Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256" in result.stdout
    assert "cipher=ECDHE-ECDSA-AES128-GCM-SHA256 (128 bits)" in out


def test_server_ciphersuites_with_s_client(pki_files: SimpleNamespace) -> None:
    result, out, _ = serve_one(
        pki_files, "--ciphersuites", "TLS_AES_128_GCM_SHA256", client=[]
    )
    assert result.returncode == 0, result.stdout
    assert "Ciphersuite: TLS_AES_128_GCM_SHA256" in result.stdout
    assert "cipher=TLS_AES_128_GCM_SHA256 (128 bits)" in out


def test_server_without_a_shared_cipher(pki_files: SimpleNamespace) -> None:
    args = server_args(
        pki_files, "--ciphersuites", "TLS_AES_128_GCM_SHA256", "--max-clients", "1"
    )
    with server_process(*args) as server:
        result = openssl_client(
            pki_files, server.port, "-ciphersuites", "TLS_AES_256_GCM_SHA384"
        )
        status, _, err = server.finish()
    assert status == 0
    assert result.returncode != 0
    assert "handshake failure" in result.stdout, result.stdout
    assert "failed: no shared cipher" in err, err


# -- bad option values ---------------------------------------------------------------


@pytest.mark.parametrize("command", ["client", "server"])
@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--ciphers", "NOT-A-CIPHER"], "--ciphers 'NOT-A-CIPHER': no cipher in it"),
        (["--ciphers", "TLS_AES_128_GCM_SHA256"], "--ciphers 'TLS_AES_128_GCM"),
        (["--ciphersuites", "AES128-SHA"], "--ciphersuites 'AES128-SHA': not a list"),
        (["--groups", "P-384:NOPE"], "--groups 'P-384:NOPE': not a list of names"),
        (["--groups", ""], "--groups '': not a list of names"),
        (["--sigalgs", "ECDSA+MD4"], "--sigalgs 'ECDSA+MD4': not a list of names"),
        (["--min-version", "TLSv9"], "unknown TLS version 'TLSv9'"),
        (["--max-version", "SSLv3"], "unknown TLS version 'SSLv3'"),
        (["--tls1_2", "--tls1_3"], "not allowed with argument"),
        (["--tls1_3", "--max-version", "TLSv1.3"], "--tls1_3 cannot be combined"),
        (
            ["--min-version", "TLSv1.3", "--max-version", "TLSv1.2"],
            "--min-version TLSv1.3 is above --max-version TLSv1.2",
        ),
    ],
)
def test_bad_protocol_options(
    capsys: Capture,
    pki_files: SimpleNamespace,
    command: str,
    options: list[str],
    fragment: str,
) -> None:
    if command == "client":
        argv = ["client", "127.0.0.1:9", *options]
    else:
        argv = ["server", *server_args(pki_files, "--port", "0", *options)]
    status, out, err = run_main(capsys, *argv)
    assert status == 2
    assert out == ""
    assert_one_line_error(err, command, fragment)


# -- ALPN and SNI ----------------------------------------------------------------------


def test_client_alpn_against_s_server(
    capsys: Capture, pki_files: SimpleNamespace
) -> None:
    with openssl_server(pki_files, "-alpn", "h2") as server:
        status, out, err = run_client(
            capsys, pki_files, server.port, "--alpn", "http/1.1,h2"
        )
    assert status == 0, err
    assert "ALPN          h2" in out


def test_client_servername_against_s_server(
    capsys: Capture, pki: PKI, pki_files: SimpleNamespace
) -> None:
    sni = ["-servername", "localhost", "-servername_fatal"]
    # s_server checks the name only with a second certificate for it, sent
    # without its intermediate: the client trusts the intermediate too.
    sni += ["-cert2", str(pki_files.server_pem), "-key2", str(pki_files.server_key)]
    trusted = pki_files.directory / "root-and-intermediate.pem"
    trusted.write_bytes(pki.root_pem() + pki.intermediate.cert_pem())
    with openssl_server(pki_files, *sni) as server:
        address = f"127.0.0.1:{server.port}"
        status, out, err = run_main(
            capsys,
            "client",
            address,
            "--cafile",
            str(trusted),
            "--servername",
            "localhost",
        )
        assert status == 0, err
        assert "server name   localhost" in out
        # A name s_server does not serve: it refuses with unrecognized_name.
        status, out, err = run_main(
            capsys, "client", address, "--servername", "other.example", "--insecure"
        )
    assert status == 1
    assert_one_line_error(err, "client", "unrecognized name")


def test_server_alpn_with_s_client(pki_files: SimpleNamespace) -> None:
    result, out, _ = serve_one(
        pki_files, "--alpn", "h2,http/1.1", client=["-alpn", "http/1.1,h2"]
    )
    assert result.returncode == 0, result.stdout
    assert "ALPN=h2," in out
    assert "server name=localhost" in out


# -- key-exchange groups and signature algorithms (Context.set_groups/set_sigalgs) --


def test_client_groups_against_s_server(
    capsys: Capture, pki_files: SimpleNamespace
) -> None:
    with openssl_server(pki_files) as server:
        status, out, err = run_client(
            capsys, pki_files, server.port, "--groups", "P-384:X25519"
        )
        server.wait_for("Shared groups")
        output = server.stop()
    assert status == 0, err
    assert "group         secp384r1\n" in out
    assert "Supported groups: secp384r1:x25519" in output


def test_server_groups_with_s_client(pki_files: SimpleNamespace) -> None:
    result, out, _ = serve_one(pki_files, "--groups", "P-384", client=[])
    assert result.returncode == 0, result.stdout
    assert "group=secp384r1," in out


def test_server_without_a_shared_group(pki_files: SimpleNamespace) -> None:
    args = server_args(pki_files, "--groups", "P-384", "--max-clients", "1")
    with server_process(*args) as server:
        result = openssl_client(pki_files, server.port, "-groups", "X25519")
        status, _, err = server.finish()
    assert status == 0
    assert result.returncode != 0
    assert "handshake failure" in result.stdout, result.stdout
    assert " failed: " in err, err


def test_client_sigalgs_against_s_server(
    capsys: Capture, pki_files: SimpleNamespace
) -> None:
    with openssl_server(pki_files) as server:
        status, _, err = run_client(
            capsys, pki_files, server.port, "--tls1_2", "--sigalgs", "ECDSA+SHA384"
        )
        server.wait_for("Shared Signature Algorithms")
        output = server.stop()
    assert status == 0, err
    assert "Signature Algorithms: ECDSA+SHA384\n" in output


def test_client_sigalgs_the_server_cannot_meet(
    capsys: Capture, pki_files: SimpleNamespace
) -> None:
    # The test server's key is ECDSA P-256: RSA-PSS only leaves it nothing.
    with openssl_server(pki_files) as server:
        status, _, err = run_client(
            capsys, pki_files, server.port, "--sigalgs", "rsa_pss_rsae_sha256"
        )
    assert status == 1
    assert_one_line_error(err, "client", "handshake with localhost")


def test_server_sigalgs_with_s_client(pki_files: SimpleNamespace) -> None:
    result, _, _ = serve_one(
        pki_files, "--tls1_2", "--sigalgs", "ECDSA+SHA384", client=[]
    )
    assert result.returncode == 0, result.stdout
    assert "Hash used: SHA384" in result.stdout
    assert "Signature type: ECDSA" in result.stdout


# -- server --servername -----------------------------------------------------------


@pytest.mark.parametrize("sni", ["localhost", "LocalHost", None])
def test_server_servername_serves(pki_files: SimpleNamespace, sni: str | None) -> None:
    args = server_args(pki_files, "--servername", "localhost", "--max-clients", "1")
    with server_process(*args) as server:
        result = openssl_client(pki_files, server.port, servername=sni)
        status, out, err = server.finish()
    assert result.returncode == 0, result.stdout
    assert status == 0, err
    assert "connected: " in out


def test_server_servername_refuses_another_name(pki_files: SimpleNamespace) -> None:
    args = server_args(pki_files, "--servername", "localhost", "--max-clients", "1")
    with server_process(*args) as server:
        result = openssl_client(pki_files, server.port, "-servername", "other.example")
        status, _, err = server.finish()
    assert status == 0
    assert result.returncode != 0
    assert "unrecognized name" in result.stdout, result.stdout
    assert "asked for 'other.example', not 'localhost'" in err, err


def test_server_invalid_servername(capsys: Capture, pki_files: SimpleNamespace) -> None:
    argv = server_args(pki_files, "--servername", "a..b", "--port", "0")
    status, _, err = run_main(capsys, "server", *argv)
    assert status == 2
    assert_one_line_error(err, "server", "invalid --servername 'a..b'")
