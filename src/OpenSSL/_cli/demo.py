"""``python -m OpenSSL demo``: a complete TLS session over loopback, explained.

Self-contained and offline. It creates a throwaway PKI in memory with
``cryptography`` (root CA, intermediate CA, and a server certificate for
``localhost`` and ``127.0.0.1``), starts a server on a thread and connects a
client to it, both ``OpenSSL.SSL`` socket-mode Connections over 127.0.0.1.
The client verifies the chain and the host name inside the handshake,
exchanges a message with the server, and then shows that a client expecting
another host name is refused. Everything negotiated is printed.
"""

from __future__ import annotations

import argparse
import datetime
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Optional, TextIO

from cryptography import x509

from OpenSSL import SSL, crypto

from . import _io, _pki
from ._common import CommandError, describe_ssl_error, version_line
from .report import (
    chain_lines,
    connection_fields,
    format_fields,
    verify_message,
    write_lines,
)

__all__ = ["DemoPKI", "add_arguments", "make_pki", "run"]

HOSTNAME = "localhost"
_ALPN_OFFERED = [b"h2", b"http/1.1"]
_ALPN_ACCEPTED = [b"h2", b"http/1.1"]
_MESSAGE = b"hello from the pyopenssl-ng demo"
_TIMEOUT = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``demo`` sub-command's arguments."""
    parser.add_argument(
        "--show-certs",
        action="store_true",
        help="also print the certificates as PEM",
    )


@dataclass
class DemoPKI:
    """The throwaway certificates of one demo run."""

    root: x509.Certificate
    intermediate: x509.Certificate
    server: x509.Certificate
    server_key: _pki.PrivateKey


def make_pki() -> DemoPKI:
    """A root CA, an intermediate CA and a ``localhost`` server certificate.

    Valid from five minutes ago for a day: the demo needs them for seconds.
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    root, intermediate, server = _pki.server_chain(
        "pyopenssl-ng demo",
        ipv6=False,
        not_before=now - datetime.timedelta(minutes=5),
        not_after=now + datetime.timedelta(days=1),
    )
    return DemoPKI(root.cert, intermediate.cert, server.cert, server.key)


@dataclass
class _ServerView:
    """What the server thread saw, handed back to the main thread."""

    sessions: list[list[tuple[str, str]]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    received: bytes = b""
    error: Optional[BaseException] = None


def _server_context(pki: DemoPKI) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.use_certificate(pki.server)
    ctx.use_privatekey(pki.server_key)
    ctx.add_extra_chain_cert(pki.intermediate)
    ctx.check_privatekey()

    def choose(conn: SSL.Connection, offered: list[bytes]) -> bytes:
        for proto in _ALPN_ACCEPTED:
            if proto in offered:
                return proto
        return offered[0]

    ctx.set_alpn_select_callback(choose)
    return ctx


def _client_context(pki: DemoPKI) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_verify(SSL.VERIFY_PEER)
    store = ctx.get_cert_store()
    if store is None:  # pragma: no cover - a client context always has one
        raise CommandError("the client context has no certificate store")
    store.add_cert(crypto.X509.from_cryptography(pki.root))
    ctx.set_alpn_protos(_ALPN_OFFERED)
    return ctx


def _serve(
    listener: socket.socket, ctx: SSL.Context, clients: int, view: _ServerView
) -> None:
    """Server thread: one echo exchange per client; failures are recorded."""
    try:
        for _ in range(clients):
            sock, _address = listener.accept()
            sock.setblocking(False)
            deadline = _io.deadline_after(_TIMEOUT)
            conn = SSL.Connection(ctx, sock)
            conn.set_accept_state()
            try:
                _io.handshake(conn, sock, deadline)
            except SSL.Error as exc:
                view.failures.append(describe_ssl_error(exc, conn))
                sock.close()
                continue
            view.sessions.append(connection_fields(conn))
            data = _io.recv(conn, sock, deadline)
            view.received = data
            _io.send_all(conn, sock, data.upper(), deadline)
            _io.shutdown(conn, sock, deadline)
            sock.close()
    except BaseException as exc:  # handed to the main thread, re-raised there
        view.error = exc


def _connect(
    port: int, ctx: SSL.Context, hostname: str
) -> tuple[SSL.Connection, socket.socket]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=_TIMEOUT)
    sock.setblocking(False)
    conn = SSL.Connection(ctx, sock)
    conn.set_tlsext_host_name(hostname.encode("ascii"))
    conn.set_verify_hostname(hostname)
    conn.set_connect_state()
    return conn, sock


def _verification(code: int) -> str:
    if code == 0:
        return f"OK: chain up to the trusted root, host name {HOSTNAME!r} matched"
    return f"{verify_message(code)} (code {code})"


def _session(port: int, ctx: SSL.Context, show_certs: bool) -> tuple[list[str], bytes]:
    """The verified client session: report lines and the server's answer."""
    conn, sock = _connect(port, ctx, HOSTNAME)
    try:
        started = time.perf_counter()
        try:
            _io.handshake(conn, sock, _io.deadline_after(_TIMEOUT))
        except SSL.Error as exc:
            raise CommandError(
                f"demo handshake failed: {describe_ssl_error(exc, conn)}"
            ) from None
        elapsed = time.perf_counter() - started
        deadline = _io.deadline_after(_TIMEOUT)
        _io.send_all(conn, sock, _MESSAGE, deadline)
        reply = b""
        while len(reply) < len(_MESSAGE):
            chunk = _io.recv(conn, sock, deadline)
            if not chunk:
                break
            reply += chunk
        lines = [
            f"3. Client connected to {HOSTNAME}:{port}, verifying chain and "
            "host name during the handshake:"
        ]
        lines += format_fields(
            [
                *connection_fields(conn),
                ("verification", _verification(conn.get_verify_result())),
                ("handshake", f"{elapsed * 1000:.1f} ms"),
            ]
        )
        lines.append("   chain sent by the server (leaf first):")
        lines += chain_lines(
            conn.get_peer_cert_chain(as_cryptography=True), show_pem=show_certs
        )
        lines.append("   chain verified by the client (leaf to trusted root):")
        lines += chain_lines(
            conn.get_verified_chain(as_cryptography=True), show_pem=show_certs
        )
        lines.append(
            f"4. Data: sent {_MESSAGE.decode()!r}, the server answered "
            f"{reply.decode('ascii', 'replace')!r}"
        )
        _io.shutdown(conn, sock, _io.deadline_after(1.0))
    finally:
        sock.close()
    return lines, reply


def _refusal(port: int, ctx: SSL.Context, hostname: str) -> str | None:
    """Why a client expecting *hostname* was refused (``None``: it was not)."""
    conn, sock = _connect(port, ctx, hostname)
    try:
        _io.handshake(conn, sock, _io.deadline_after(_TIMEOUT))
    except SSL.Error as exc:
        return describe_ssl_error(exc, conn)
    finally:
        sock.close()
    return None


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run the demonstration and print its report."""
    out = out or sys.stdout
    write_lines(
        [
            version_line(),
            "",
            "1. A throwaway PKI, made in memory: root CA -> intermediate CA -> "
            f"server certificate for {HOSTNAME!r} and 127.0.0.1",
        ],
        out,
    )
    pki = make_pki()
    view = _ServerView()
    wrong = "wrong.example"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(2)
        listener.settimeout(_TIMEOUT)
        port = listener.getsockname()[1]
        server = threading.Thread(
            target=_serve, args=(listener, _server_context(pki), 2, view), daemon=True
        )
        server.start()
        write_lines([f"2. Server listening on 127.0.0.1:{port} (a thread)"], out)
        client_ctx = _client_context(pki)
        lines, reply = _session(port, client_ctx, args.show_certs)
        write_lines(lines, out)
        # The same server, a client that expects another name: refused.
        refused = _refusal(port, client_ctx, wrong)
        server.join(_TIMEOUT)
    if view.error is not None:
        raise view.error
    if refused is None:
        raise CommandError(f"a client expecting {wrong!r} was not refused")
    lines = [f"5. A client expecting {wrong!r} is refused: {refused}"]
    if view.sessions:
        lines.append(
            "   server side of the first session: "
            + ", ".join(f"{k}={v}" for k, v in view.sessions[0])
        )
    if view.failures:
        lines.append(f"   server side of the refused one: {view.failures[0]}")
    write_lines(lines, out)
    if reply != _MESSAGE.upper():
        raise CommandError(f"the echo was {reply!r}, expected {_MESSAGE.upper()!r}")
    return 0
