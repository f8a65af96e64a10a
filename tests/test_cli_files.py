"""Files given to ``client`` and ``server``: passphrases, special files, OCSP.

Every bad file is one line on stderr (exit status 1 at run time, 2 for what
``argparse`` refuses), never a prompt when standard input is not a terminal
and never OpenSSL's error chain. Good files are proven good by a handshake
with a real peer (the standard library's ``ssl``).
"""

from __future__ import annotations

import os
import select
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import serialization

from tests.support import (
    PKI,
    TIMEOUT,
    assert_one_line_error,
    python_m_openssl,
    run_main,
    server_process,
)

Capture = pytest.CaptureFixture[str]

PASSPHRASE = b"correct horse"


def encrypted_key(
    pki: PKI, directory: Path, fmt: serialization.PrivateFormat, name: str
) -> Path:
    path = directory / name
    path.write_bytes(
        pki.server.key.private_bytes(
            serialization.Encoding.PEM,
            fmt,
            serialization.BestAvailableEncryption(PASSPHRASE),
        )
    )
    return path


@pytest.fixture(params=["PKCS8", "TraditionalOpenSSL"])
def server_key_encrypted(
    request: pytest.FixtureRequest, pki: PKI, pki_files: SimpleNamespace
) -> Path:
    fmt = getattr(serialization.PrivateFormat, request.param)
    return encrypted_key(pki, pki_files.directory, fmt, f"{request.param}.key")


def server_command(files: SimpleNamespace, key: Path, *extra: str) -> list[str]:
    return [
        "server",
        "--cert",
        str(files.server_pem),
        "--key",
        str(key),
        "--port",
        "0",
        *extra,
    ]


def handshake_with(files: SimpleNamespace, port: int) -> str | None:
    """A stdlib client's handshake with our server: the negotiated version."""
    ctx = ssl.create_default_context(cafile=str(files.ca_pem))
    with socket.create_connection(("127.0.0.1", port), TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.version()


# -- passphrases -------------------------------------------------------------------


def test_pass_sources_unlock_the_key(
    pki_files: SimpleNamespace, server_key_encrypted: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(PASSPHRASE + b"\nsecond line ignored\n")
    for source in (f"pass:{PASSPHRASE.decode()}", f"file:{secret}"):
        argv = ["--cert", str(pki_files.server_pem), "--key", str(server_key_encrypted)]
        with server_process(*argv, "--pass", source, "--max-clients", "1") as server:
            assert handshake_with(pki_files, server.port) == "TLSv1.3"
            status, _, err = server.finish()
        assert status == 0, err


def test_pass_env(
    capsys: Capture,
    monkeypatch: pytest.MonkeyPatch,
    pki: PKI,
    pki_files: SimpleNamespace,
) -> None:
    # The client's key, encrypted, unlocked from the environment; the
    # standard library's server requires and checks the certificate.
    key = pki_files.directory / "client-encrypted.key"
    key.write_bytes(
        pki.client.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSPHRASE),
        )
    )
    monkeypatch.setenv("CLI_TEST_PASSPHRASE", PASSPHRASE.decode())
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki_files.server_pem, pki_files.server_key)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(pki_files.ca_pem)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(TIMEOUT)
        port = listener.getsockname()[1]
        seen: list[object] = []

        def serve() -> None:
            raw, _ = listener.accept()
            with ctx.wrap_socket(raw, server_side=True) as tls:
                seen.append(tls.getpeercert())
                tls.sendall(tls.recv(10))

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        status, out, err = run_main(
            capsys,
            "client",
            f"localhost:{port}",
            "--cafile",
            str(pki_files.ca_pem),
            "--client-cert",
            str(pki_files.client_pem),
            "--client-key",
            str(key),
            "--pass",
            "env:CLI_TEST_PASSPHRASE",
            "--send",
            "hi",
        )
        thread.join(TIMEOUT)
    assert status == 0, err
    assert out.endswith("received 2 bytes:\nhi\n")
    assert seen and seen[0]


@pytest.mark.parametrize("source", ["pass:wrong", "pass:"])
def test_wrong_passphrase_is_one_line(
    capsys: Capture,
    pki_files: SimpleNamespace,
    server_key_encrypted: Path,
    source: str,
) -> None:
    status, out, err = run_main(
        capsys, *server_command(pki_files, server_key_encrypted, "--pass", source)
    )
    assert status == 1
    assert out == ""
    assert_one_line_error(
        err, "server", f"wrong passphrase for the private key in {server_key_encrypted}"
    )
    assert err.count("\n") == 1


def test_missing_passphrase_does_not_prompt(
    pki_files: SimpleNamespace, server_key_encrypted: Path
) -> None:
    # Standard input is not a terminal: no prompt, one line, exit status 1.
    proc = subprocess.run(
        python_m_openssl(*server_command(pki_files, server_key_encrypted)),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 3,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == (
        f"python -m OpenSSL server: error: the private key in "
        f"{server_key_encrypted} is encrypted: give its passphrase with --pass "
        "(pass:TEXT, env:VARIABLE or file:PATH)\n"
    )


def test_pass_for_a_key_that_is_not_encrypted(
    pki_files: SimpleNamespace,
) -> None:
    # As openssl: the passphrase is simply not needed.
    argv = ["--cert", str(pki_files.server_pem), "--key", str(pki_files.server_key)]
    with server_process(*argv, "--pass", "pass:unused", "--max-clients", "1") as srv:
        assert handshake_with(pki_files, srv.port) == "TLSv1.3"
        status, _, err = srv.finish()
    assert status == 0, err


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("secret", "expected pass:TEXT, env:VARIABLE or file:PATH"),
        ("stdin", "expected pass:TEXT, env:VARIABLE or file:PATH"),
        ("env:CLI_TEST_SURELY_UNSET", "environment variable 'CLI_TEST_SURELY_UNSET'"),
        ("file:/nonexistent/secret", "no such file: '/nonexistent/secret'"),
    ],
)
def test_bad_pass_sources(
    capsys: Capture,
    monkeypatch: pytest.MonkeyPatch,
    pki_files: SimpleNamespace,
    source: str,
    fragment: str,
) -> None:
    monkeypatch.delenv("CLI_TEST_SURELY_UNSET", raising=False)
    status, _, err = run_main(
        capsys, *server_command(pki_files, pki_files.server_key, "--pass", source)
    )
    assert status == 2
    assert_one_line_error(err, "server", f"argument --pass: {fragment}")


def test_client_pass_needs_a_client_certificate(capsys: Capture) -> None:
    status, _, err = run_main(capsys, "client", "127.0.0.1:9", "--pass", "pass:x")
    assert status == 2
    assert_one_line_error(err, "client", "--pass needs --client-cert")


# -- special and wrong files -----------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
@pytest.mark.parametrize("option", ["--cert", "--key", "--client-ca"])
def test_dev_null(capsys: Capture, pki_files: SimpleNamespace, option: str) -> None:
    files = {
        "--cert": str(pki_files.server_pem),
        "--key": str(pki_files.server_key),
        "--client-ca": str(pki_files.ca_pem),
    }
    files[option] = "/dev/null"
    argv = ["server", "--port", "0"]
    for name, path in files.items():
        argv += [name, path]
    status, out, err = run_main(capsys, *argv)
    assert status == 1
    assert out == ""
    assert_one_line_error(err, "server", "/dev/null is empty (not a regular file)")


@pytest.mark.parametrize(
    "option", ["--cert", "--key", "--client-ca", "--ocsp-response"]
)
def test_directory(
    capsys: Capture, pki_files: SimpleNamespace, tmp_path: Path, option: str
) -> None:
    argv = ["server", "--cert", str(pki_files.server_pem)]
    argv += ["--key", str(pki_files.server_key), option, str(tmp_path)]
    status, _, err = run_main(capsys, *argv)
    assert status == 2
    assert_one_line_error(
        err, "server", f"argument {option}: '{tmp_path}' is a directory, not a file"
    )


def test_client_directory_as_cafile(capsys: Capture, tmp_path: Path) -> None:
    status, _, err = run_main(
        capsys, "client", "127.0.0.1:9", "--cafile", str(tmp_path)
    )
    assert status == 2
    assert_one_line_error(err, "client", "is a directory, not a file")


def test_key_given_as_certificate(capsys: Capture, pki_files: SimpleNamespace) -> None:
    argv = ["server", "--cert", str(pki_files.server_key)]
    status, _, err = run_main(capsys, *argv, "--key", str(pki_files.server_key))
    assert status == 1
    assert_one_line_error(
        err,
        "server",
        f"no certificate found in certificate file {pki_files.server_key} "
        "(it holds PEM PRIVATE KEY)",
    )


def test_certificate_given_as_key(capsys: Capture, pki_files: SimpleNamespace) -> None:
    status, _, err = run_main(capsys, *server_command(pki_files, pki_files.server_pem))
    assert status == 1
    assert_one_line_error(
        err,
        "server",
        f"no private key found in {pki_files.server_pem} (it holds PEM CERTIFICATE)",
    )


def test_der_certificate_and_key(pki: PKI, pki_files: SimpleNamespace) -> None:
    cert = pki_files.directory / "server.der"
    cert.write_bytes(pki.server.cert.public_bytes(serialization.Encoding.DER))
    key = pki_files.directory / "server-key.der"
    key.write_bytes(
        pki.server.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    # A DER file holds one certificate: the client must know the intermediate.
    trusted = pki_files.directory / "root-and-intermediate.pem"
    trusted.write_bytes(pki.root_pem() + pki.intermediate.cert_pem())
    argv = ["--cert", str(cert), "--key", str(key), "--max-clients", "1"]
    with server_process(*argv) as server:
        assert handshake_with(SimpleNamespace(ca_pem=trusted), server.port) == "TLSv1.3"
        status, _, err = server.finish()
    assert status == 0, err


# -- --ocsp-response -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contents", "holds"),
    [
        ("certificate", "PEM CERTIFICATE"),
        ("garbage", "no PEM data and no DER structure that fits"),
        ("der certificate", "no PEM data and no DER structure that fits"),
    ],
)
def test_ocsp_response_must_be_der_ocsp(
    capsys: Capture,
    pki: PKI,
    pki_files: SimpleNamespace,
    contents: str,
    holds: str,
) -> None:
    path = pki_files.directory / "response.bin"
    if contents == "certificate":
        path.write_bytes(pki.server.cert_pem())
    elif contents == "garbage":
        path.write_bytes(b"\x30\x03garbage")
    else:
        path.write_bytes(pki.server.cert.public_bytes(serialization.Encoding.DER))
    status, out, err = run_main(
        capsys,
        *server_command(pki_files, pki_files.server_key, "--ocsp-response", str(path)),
    )
    assert status == 1
    assert out == ""
    assert_one_line_error(
        err,
        "server",
        f"{path} is not a DER-encoded OCSP response (it holds {holds})",
    )


def _terminal_session() -> None:
    # A new session whose controlling terminal is the pty on stdin, as in an
    # interactive shell: getpass talks to it through /dev/tty.
    import fcntl
    import termios

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="no pseudo-terminals here")
def test_terminal_is_asked_once(
    pki_files: SimpleNamespace, server_key_encrypted: Path
) -> None:
    controller, terminal = os.openpty()
    argv = server_command(pki_files, server_key_encrypted, "--max-clients", "1")
    proc = subprocess.Popen(
        python_m_openssl(*argv),
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_terminal_session,
    )
    os.close(terminal)
    try:
        shown = b""
        deadline = time.monotonic() + TIMEOUT
        while b"passphrase for" not in shown and time.monotonic() < deadline:
            if select.select([controller], [], [], 0.5)[0]:
                shown += os.read(controller, 1024)
        assert shown.strip() == f"passphrase for {server_key_encrypted}:".encode()
        os.write(controller, PASSPHRASE + b"\n")
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("listening on 127.0.0.1:"), first
        assert handshake_with(pki_files, int(first.rsplit(":", 1)[1])) == "TLSv1.3"
        _, err = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        os.close(controller)
