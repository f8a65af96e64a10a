"""``client --sess-out/--sess-in/--early-data/--msg`` against real peers.

Sessions cross between this command and ``openssl s_client``/``s_server``
in both directions (both write PEM ``SSL SESSION PARAMETERS``); early data
goes to ``openssl s_server -early_data``, which prints what it received;
``--msg`` shows the handshake as it happens. Skipped, visibly, where the
``openssl`` tool is missing.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.support import (
    OPENSSL,
    assert_one_line_error,
    openssl_client,
    openssl_server,
    run_client,
    run_main,
    s_client,
    server_args,
    server_process,
)

Capture = pytest.CaptureFixture[str]

EARLY = b"GET /early HTTP/1.0\r\n\r\n"


def tool_client(
    files: SimpleNamespace, port: int, *extra: str, line: bytes = b"hello\n"
) -> str:
    """``openssl s_client`` (full output): sends *line*, leaves at end of input."""
    if OPENSSL is None:
        pytest.skip("the openssl command-line tool is not installed")
    _, output = s_client(
        port,
        "-no_ign_eof",
        "-servername",
        "localhost",
        "-CAfile",
        str(files.ca_pem),
        *extra,
        data=line,
    )
    return output


def save_session(
    capsys: Capture, files: SimpleNamespace, port: int, path: Path, *extra: str
) -> str:
    """Our client with *extra* saves its session to *path* (``--sess-out``);
    it succeeds; returns its stdout."""
    status, out, err = run_client(capsys, files, port, *extra, "--sess-out", str(path))
    assert status == 0, err
    return out


# -- --sess-out / --sess-in ------------------------------------------------------------


def test_session_saved_and_resumed_with_s_server(
    capsys: Capture, pki_files: SimpleNamespace, tmp_path: Path
) -> None:
    session = tmp_path / "session.pem"
    with openssl_server(pki_files) as server:
        out = save_session(capsys, pki_files, server.port, session)
        assert out.endswith(f"session saved to {session}\n")
        assert session.read_bytes().startswith(
            b"-----BEGIN SSL SESSION PARAMETERS-----\n"
        )
        assert stat.S_IMODE(os.stat(session).st_mode) == 0o600
        status, out, err = run_client(
            capsys, pki_files, server.port, "--sess-in", str(session)
        )
        assert status == 0, err
        assert f"session       resumed from {session}\n" in out
        assert "(none: a resumed session is not authenticated again)" in out
        # The independent tool resumes the session this command saved.
        assert "Reused, TLSv1.3" in tool_client(
            pki_files, server.port, "-sess_in", str(session)
        )


def test_session_from_s_client_resumed_by_our_client(
    capsys: Capture, pki_files: SimpleNamespace, tmp_path: Path
) -> None:
    session = tmp_path / "from-openssl.pem"
    # --www: the server answers and closes, so s_client (-ign_eof) stays
    # until then and reads the TLS 1.3 tickets, sent after the handshake.
    args = server_args(pki_files, "--www", "--max-clients", "2")
    with server_process(*args) as server:
        request = b"GET / HTTP/1.0\r\n\r\n"
        tool_client(
            pki_files, server.port, "-ign_eof", "-sess_out", str(session), line=request
        )
        assert session.read_bytes().startswith(b"-----BEGIN SSL SESSION PARAMETERS")
        status, out, err = run_client(
            capsys, pki_files, server.port, "--sess-in", str(session)
        )
        server_status, server_out, server_err = server.finish()
    assert status == 0, err
    assert f"session       resumed from {session}\n" in out
    assert server_status == 0, server_err
    # The server's second line: the session the first client got, resumed.
    connected = [line for line in server_out.splitlines() if "connected:" in line]
    assert "session=resumed" not in connected[0]
    assert connected[1].endswith(", session=resumed")


def test_tls1_2_session(
    capsys: Capture, pki_files: SimpleNamespace, tmp_path: Path
) -> None:
    session = tmp_path / "tls12.pem"
    with openssl_server(pki_files) as server:
        save_session(capsys, pki_files, server.port, session, "--tls1_2")
        status, out, err = run_client(
            capsys, pki_files, server.port, "--tls1_2", "--sess-in", str(session)
        )
    assert status == 0, err
    assert "protocol      TLSv1.2" in out
    assert f"session       resumed from {session}\n" in out


def test_session_another_server_does_not_know(
    capsys: Capture, pki_files: SimpleNamespace, tmp_path: Path
) -> None:
    session = tmp_path / "session.pem"
    with openssl_server(pki_files) as first:
        save_session(capsys, pki_files, first.port, session)
    with openssl_server(pki_files) as second:
        status, out, err = run_client(
            capsys, pki_files, second.port, "--sess-in", str(session)
        )
    assert status == 0, err
    assert f"session       new (the server did not resume {session})\n" in out


@pytest.mark.parametrize(
    ("contents", "fragment"),
    [
        (b"garbage", "no usable session in"),
        (
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "no session found in",
        ),
        (
            b"-----BEGIN SSL SESSION PARAMETERS-----\n!!!\n"
            b"-----END SSL SESSION PARAMETERS-----\n",
            "is not valid base64",
        ),
    ],
)
def test_bad_session_file(
    capsys: Capture, tmp_path: Path, contents: bytes, fragment: str
) -> None:
    path = tmp_path / "bad.pem"
    path.write_bytes(contents)
    status, out, err = run_main(capsys, "client", "127.0.0.1:9", "--sess-in", str(path))
    assert status == 1
    assert out == ""
    assert_one_line_error(err, "client", fragment)


# -- --early-data ------------------------------------------------------------------


def test_early_data_accepted_by_s_server(
    capsys: Capture, pki_files: SimpleNamespace, tmp_path: Path
) -> None:
    session, early = tmp_path / "session.pem", tmp_path / "early.txt"
    early.write_bytes(EARLY)
    with openssl_server(pki_files, "-early_data") as server:
        save_session(capsys, pki_files, server.port, session)
        status, out, err = run_client(
            capsys,
            pki_files,
            server.port,
            "--sess-in",
            str(session),
            "--early-data",
            str(early),
        )
        server.wait_for("End of early data")
        output = server.stop()
    assert status == 0, err
    assert f"early data    accepted ({len(EARLY)} bytes)\n" in out
    assert "Early data received:" in output
    assert EARLY.decode().strip() in output


def test_early_data_rejected_is_sent_again(
    capsys: Capture, pki_files: SimpleNamespace, tmp_path: Path
) -> None:
    session, early = tmp_path / "session.pem", tmp_path / "early.txt"
    early.write_bytes(EARLY)
    with openssl_server(pki_files, "-early_data") as server:
        save_session(capsys, pki_files, server.port, session)
    # Another s_server: it does not know the ticket, so it refuses the data.
    with openssl_server(pki_files, "-early_data") as other:
        status, out, err = run_client(
            capsys,
            pki_files,
            other.port,
            "--sess-in",
            str(session),
            "--early-data",
            str(early),
        )
        other.wait_for("GET /early")
        output = other.stop()
    assert status == 0, err
    assert (
        f"early data    rejected: {len(EARLY)} bytes sent again after the handshake\n"
    ) in out
    assert "Early data received:" not in output


def test_early_data_option_errors(
    capsys: Capture, pki_files: SimpleNamespace, tmp_path: Path
) -> None:
    early = tmp_path / "early.txt"
    early.write_bytes(EARLY)
    status, _, err = run_main(
        capsys, "client", "127.0.0.1:9", "--early-data", str(early)
    )
    assert status == 2
    assert_one_line_error(err, "client", "--early-data needs --sess-in")
    # A session from a server that offers no early data.
    session = tmp_path / "no-early.pem"
    with openssl_server(pki_files) as server:
        save_session(capsys, pki_files, server.port, session)
    status, _, err = run_main(
        capsys,
        "client",
        "127.0.0.1:9",
        "--sess-in",
        str(session),
        "--early-data",
        str(early),
    )
    assert status == 1
    assert_one_line_error(err, "client", "allows no early data")


# -- --msg -------------------------------------------------------------------------


def test_msg_shows_the_handshake(capsys: Capture, pki_files: SimpleNamespace) -> None:
    with openssl_server(pki_files) as server:
        status, out, err = run_client(capsys, pki_files, server.port, "--msg")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(">>> ") and lines[0].endswith("ClientHello")
    assert any(line.startswith("<<< ") and "ServerHello" in line for line in lines)
    assert any(line.startswith(">>> ") and "Finished" in line for line in lines)
    assert out.index("ClientHello") < out.index("connected to")


def test_server_msg(pki_files: SimpleNamespace) -> None:
    args = server_args(pki_files, "--msg", "--max-clients", "1")
    with server_process(*args) as server:
        result = openssl_client(pki_files, server.port)
        status, out, err = server.finish()
    assert result.returncode == 0, result.stdout
    assert status == 0, err
    lines = out.splitlines()  # after "listening on ..."
    peer = lines[0].split(" ", 1)[0]
    assert lines[0].startswith(f"{peer} <<< TLS 1.3 Handshake [length ")
    assert lines[0].endswith("] ClientHello")
    assert lines[1].startswith(f"{peer} >>> ") and lines[1].endswith("ServerHello")
    assert any(line.startswith(f"{peer} <<< ") and "Finished" in line for line in lines)
    assert f"{peer} connected: " in out
