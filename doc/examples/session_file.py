"""A client that keeps its TLS sessions in a file and resumes from it.

Every process that runs ``fetch`` reads the newest session the file holds,
offers it to the server, and writes back each new session the server sends
(TLS 1.3 servers send them after the handshake, while the client reads).
The file holds secrets: keep it private (mode 0600 here).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from OpenSSL import SSL


def load_session(path: Path) -> SSL.Session | None:
    try:
        return SSL.Session.from_bytes(path.read_bytes())
    except (OSError, ValueError):
        return None  # no file yet, or not a session: a full handshake


def save_session(path: Path, session: SSL.Session) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(session.to_bytes())
    os.replace(tmp, path)  # other processes see the old or the new one


def fetch(host: str, port: int, cafile: str, sessions: Path) -> tuple[bool, bytes]:
    """Send one request; return (whether the session was resumed, the answer)."""
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.load_verify_locations(cafile)
    context.set_verify(SSL.VERIFY_PEER)
    context.set_new_session_callback(
        lambda conn, session: save_session(sessions, session)
    )

    sock = socket.create_connection((host, port))
    conn = SSL.Connection(context, sock)
    conn.set_tlsext_host_name(host.encode())
    conn.set_verify_hostname(host)
    conn.set_connect_state()
    session = load_session(sessions)
    if session is not None:
        conn.set_session(session)  # the server decides whether to resume
    conn.do_handshake()
    conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
    answer = b""
    while True:
        try:
            answer += conn.recv(4096)
        except SSL.ZeroReturnError:
            break
    conn.shutdown()
    sock.close()
    return conn.session_reused(), answer
