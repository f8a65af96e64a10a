"""Sessions and early data against the ``openssl`` command-line tool.

The system's ``openssl`` (OpenSSL 3.0, a different build from the one in
``cryptography``) writes and reads sessions with ``-sess_out``/``-sess_in``
(PEM around the same DER that ``Session.to_bytes`` gives) and sends or
accepts early data with ``-early_data``/``-max_early_data``. Sessions cross
in both directions; every subprocess is bounded and killed in ``finally``.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import time
from pathlib import Path
from typing import Any, Optional

import pytest

from OpenSSL import SSL
from OpenSSL.SSL import EARLY_DATA_ACCEPTED, EARLY_DATA_REJECTED, Session
from tests.support import (
    PEER_TIMEOUT,
    PKI,
    Background,
    OpenSSLProcess,
    accept_early_data,
    blocking_with_deadline,
    client_context,
    early_client_context,
    early_server_context,
    identity_args,
    listener,
    make_pki,
    needs_openssl,
    recv_line,
    s_client,
    s_client_process,
    s_server,
    tls_client,
    write_files,
)

pytestmark = needs_openssl

PEM_LABEL = "SSL SESSION PARAMETERS"
EARLY = b"GET /early HTTP/1.0\r\n\r\n"


def to_pem(der: bytes) -> bytes:
    body = base64.encodebytes(der).decode("ascii").replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        f"-----BEGIN {PEM_LABEL}-----\n"
        + "\n".join(lines)
        + f"\n-----END {PEM_LABEL}-----\n"
    ).encode("ascii")


def from_pem(pem: bytes) -> bytes:
    text = pem.decode("ascii")
    begin = text.index(f"-----BEGIN {PEM_LABEL}-----") + len(PEM_LABEL) + 16
    end = text.index(f"-----END {PEM_LABEL}-----")
    return base64.b64decode("".join(text[begin:end].split()))


@pytest.fixture
def files(pki: PKI, tmp_path: Path) -> dict[str, Path]:
    contents = {
        "ca": pki.root_pem(),
        "early": EARLY,
    }
    return {"dir": tmp_path, **write_files(tmp_path, contents)}


def tool_server(
    files: dict[str, Path], *args: str
) -> contextlib.AbstractContextManager[OpenSSLProcess]:
    """``openssl s_server`` with the server identity, its stdin kept open.

    Without ``-rev`` it relays what :meth:`~OpenSSLProcess.say` writes to the
    client and prints what the client sends.
    """
    identity = identity_args(make_pki().server, files["dir"])
    return s_server(*identity, *args, log=files["dir"] / "s_server.log", stdin=True)


def tool_client(
    files: dict[str, Path], port: int, *args: str, line: Optional[bytes] = None
) -> str:
    """``openssl s_client`` output: until the server closes (``-ign_eof``), or,
    with *line*, sending it and leaving at the end of its input."""
    _, output = s_client(
        port,
        "-servername", "localhost", "-CAfile", str(files["ca"]),
        "-verify_return_error", *(() if line is None else ("-no_ign_eof",)),
        *args,
        data=b"" if line is None else line,
    )  # fmt: skip
    return output


def our_client(
    port: int,
    ctx: SSL.Context,
    session: Optional[Session] = None,
    early: Optional[bytes] = None,
) -> SSL.Connection:
    return tls_client(port, ctx, hostname="localhost", session=session, early=early)


def ticket_from_s_server(
    server: OpenSSLProcess, ctx: SSL.Context, rev: bool = False
) -> Session:
    """Handshake with *server*, read a line from it, return the last ticket.

    The line is relayed from s_server's stdin, or with *rev* (an
    ``s_server -rev``) our own line reversed.
    """
    tickets: list[Session] = []
    ctx.set_new_session_callback(lambda conn, session: tickets.append(session))
    conn = our_client(server.port, ctx)
    if rev:
        conn.sendall(b"tsrif stekcit\n")
    else:
        server.say(b"tickets first\n")
    assert recv_line(conn.recv) == b"tickets first\n"
    assert tickets, "s_server sent no ticket"
    conn.shutdown()
    conn.sock_shutdown(socket.SHUT_RDWR)
    # Exported and imported, as a client keeping it in a file would.
    return Session.from_bytes(tickets[-1].to_bytes())


versions = pytest.mark.parametrize(
    ("version", "flag", "number"),
    [
        ("TLSv1.2", "-tls1_2", SSL.TLS1_2_VERSION),
        ("TLSv1.3", "-tls1_3", SSL.TLS1_3_VERSION),
    ],
    ids=["TLSv1.2", "TLSv1.3"],
)


class TestSessionsCrossTheTool:
    @versions
    def test_s_client_session_resumed_by_our_client(
        self, files: dict[str, Path], version: str, flag: str, number: int
    ) -> None:
        sess = files["dir"] / "sess.pem"
        with tool_server(files, "-rev") as server:
            with s_client_process(
                server.port,
                "-servername", "localhost", "-CAfile", str(files["ca"]),
                "-sess_out", str(sess), "-quiet", flag,
                log=files["dir"] / "s_client.log",
            ) as client:  # fmt: skip
                client.say(b"ping\n")
                # -quiet: s_client prints only what the server sent (and, on
                # stderr, into the same log, the verification it did).
                client.wait_for("^gnip$")
                deadline = time.monotonic() + PEER_TIMEOUT
                while not (sess.exists() and sess.stat().st_size):
                    assert time.monotonic() < deadline, "no -sess_out file"
                    time.sleep(0.02)
            session = Session.from_bytes(from_pem(sess.read_bytes()))
            assert session.protocol_version == number
            assert session.has_ticket
            conn = our_client(server.port, client_context(version=version), session)
            assert conn.session_reused()
            assert conn.get_protocol_version() == number
            conn.sendall(b"hello\n")
            assert recv_line(conn.recv) == b"olleh\n"

    @versions
    def test_our_session_resumed_by_s_client(
        self, files: dict[str, Path], version: str, flag: str, number: int
    ) -> None:
        sess = files["dir"] / "ours.pem"
        with tool_server(files, "-rev") as server:
            ctx = client_context(version=version)
            session = ticket_from_s_server(server, ctx, rev=True)
            assert session.protocol_version == number
            sess.write_bytes(to_pem(session.to_bytes()))
            out = tool_client(
                files, server.port, "-sess_in", str(sess), flag, line=b"x\n"
            )
        assert f"Reused, {version}" in out, out

    def test_unknown_ticket_is_a_full_handshake(self, files: dict[str, Path]) -> None:
        with tool_server(files) as first:
            session = ticket_from_s_server(first, client_context())
        der = session.to_bytes()
        with tool_server(files, "-rev") as second:
            # Another s_server process: other ticket keys.
            conn = our_client(second.port, client_context(), Session.from_bytes(der))
            assert not conn.session_reused()
            conn.sendall(b"full\n")
            assert recv_line(conn.recv) == b"lluf\n"


class TestEarlyDataWithTheTool:
    def test_our_early_data_accepted_by_s_server(self, files: dict[str, Path]) -> None:
        with tool_server(files, "-early_data", "-max_early_data", "16384") as server:
            session = ticket_from_s_server(server, early_client_context())
            assert session.max_early_data == 16384
            conn = our_client(server.port, early_client_context(), session, EARLY)
            assert conn.session_reused()
            assert conn.get_early_data_status() == EARLY_DATA_ACCEPTED
            server.say(b"answer\n")
            assert recv_line(conn.recv) == b"answer\n"
            conn.sendall(b"after the handshake\n")
            server.wait_for("after the handshake\n")
            output = server.output()
        # s_server writes the data itself unbuffered, its remarks buffered.
        assert "Early data received:" in output, output
        assert output.count(EARLY.decode()) == 1, output

    def test_rejected_by_s_server_without_early_data_then_resent(
        self, files: dict[str, Path]
    ) -> None:
        with tool_server(files, "-early_data", "-max_early_data", "16384") as server:
            session = ticket_from_s_server(server, early_client_context())
        # The same ticket against a server that reads no early data.
        with tool_server(files) as plain:
            conn = our_client(plain.port, early_client_context(), session, EARLY)
            assert conn.get_early_data_status() == EARLY_DATA_REJECTED
            conn.sendall(EARLY)  # the application's resend
            plain.say(b"got it\n")
            assert recv_line(conn.recv) == b"got it\n"
            # s_server prints what it read on its own schedule: the resent
            # request, then the line that follows it, must both be there.
            conn.sendall(b"after the handshake\n")
            plain.wait_for("after the handshake\n")
            output = plain.output()
        assert output.count(EARLY.decode()) == 1, output

    def test_s_client_early_data_accepted_by_our_server(
        self, files: dict[str, Path]
    ) -> None:
        ctx = early_server_context()
        sess = files["dir"] / "to-us.pem"
        with listener() as listening:
            first = Background(lambda: serve_once(ctx, listening))
            tool_client(files, listening.port, "-sess_out", str(sess))
            assert first.result()["early"] == b""
            second = Background(lambda: serve_once(ctx, listening))
            out = tool_client(
                files, listening.port,
                "-sess_in", str(sess), "-early_data", str(files["early"]),
            )  # fmt: skip
            seen = second.result()
        assert seen["early"] == EARLY
        assert seen["status"] == EARLY_DATA_ACCEPTED and seen["reused"]
        assert "Early data was accepted" in out, out
        assert "hello from pyopenssl-ng" in out


def serve_once(ctx: SSL.Context, listening: listener) -> dict[str, Any]:
    """Accept one client, read its early data, answer, close cleanly."""
    sock = blocking_with_deadline(listening.accept())
    conn = SSL.Connection(ctx, sock)
    conn.set_accept_state()
    early = accept_early_data(conn)
    conn.do_handshake()
    conn.sendall(b"hello from pyopenssl-ng\n")
    conn.shutdown()
    sock.close()
    return {
        "early": early,
        "status": conn.get_early_data_status(),
        "reused": conn.session_reused(),
    }
