"""``python -m OpenSSL client HOST:PORT``: connect, verify, describe.

A readable ``openssl s_client``. It connects over TCP, runs the TLS handshake
with an ``OpenSSL.SSL`` socket-mode :class:`~OpenSSL.SSL.Connection`, verifies
the server's chain against the default trust store (or ``--cafile``) and its
name against the host (or ``--servername``) inside the handshake, then prints
the session and the certificates. With ``--send`` it also sends data and prints
the reply; ``--msg`` shows every protocol message, ``--sess-out``/``--sess-in``
keep and resume sessions in files and ``--early-data`` sends 0-RTT data. Any
failure ends the command with one line and exit status 1.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from typing import TextIO

from cryptography import x509

from OpenSSL import SSL

from . import _files, _io, _protocol, _resumption
from ._common import (
    CommandError,
    UsageError,
    alpn_list,
    describe_ssl_error,
    host_port,
    is_ip_address,
    seconds,
)
from ._messages import message_printer
from .report import (
    chain_lines,
    connection_fields,
    format_fields,
    ocsp_summary,
    verify_message,
    write_lines,
)

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``client`` sub-command's arguments."""
    parser.add_argument(
        "address",
        metavar="HOST:PORT",
        type=host_port,
        help="server to connect to; IPv6 addresses as [ADDR]:PORT",
    )
    parser.add_argument(
        "--servername",
        metavar="NAME",
        help="name sent as SNI and checked against the certificate (default: HOST)",
    )
    parser.add_argument(
        "--alpn",
        metavar="PROTO[,PROTO...]",
        type=alpn_list,
        action="append",
        default=[],
        help="offer these ALPN protocols, in order of preference (repeatable)",
    )
    _files.add_input_file(
        parser,
        "--cafile",
        "trust the CA certificates in this PEM file instead of the "
        "system's default trust store",
    )
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="do not fail on an untrusted certificate or a wrong name "
        "(the verification result is still shown)",
    )
    _files.add_input_file(
        parser,
        "--client-cert",
        "present this certificate (PEM, leaf first, then intermediates)",
    )
    _files.add_input_file(
        parser,
        "--client-key",
        "private key for --client-cert (default: read from that file)",
    )
    _files.add_passphrase(parser, "client key")
    parser.add_argument(
        "--ocsp",
        action="store_true",
        help="ask the server to staple an OCSP response, and show it",
    )
    parser.add_argument(
        "--msg",
        action="store_true",
        help="print each protocol message as it is sent (>>>) or received (<<<)",
    )
    parser.add_argument(
        "--show-certs",
        action="store_true",
        help="also print the server's certificates as PEM",
    )
    parser.add_argument(
        "--send",
        metavar="TEXT",
        help="after the handshake, send TEXT (\\n and \\r escapes allowed; "
        "'-' sends standard input) and print what the server sends back",
    )
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=seconds,
        default=10.0,
        help="give up on connecting, the handshake or a reply after this long "
        "(default: %(default)s)",
    )
    _protocol.add_arguments(parser)
    _resumption.add_arguments(parser)


def _make_context(
    args: argparse.Namespace, stapled: list[bytes], out: TextIO
) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    _protocol.apply(ctx, args)
    if args.cafile:
        _files.trust_certificates(ctx, args.cafile)
    else:
        try:
            ctx.set_default_verify_paths()
        except SSL.Error as exc:
            raise CommandError(
                f"cannot load the default CA certificates: {describe_ssl_error(exc)}"
            ) from None
    if args.client_cert:
        _files.use_identity(
            ctx, args.client_cert, args.client_key or args.client_cert, args.passphrase
        )
    ctx.set_verify(SSL.VERIFY_NONE if args.insecure else SSL.VERIFY_PEER)
    protocols = [proto for group in args.alpn for proto in group]
    if protocols:
        ctx.set_alpn_protos(protocols)
    if args.ocsp:

        def keep_response(conn: SSL.Connection, der: bytes, data: object) -> bool:
            stapled.append(der)
            return True  # only reported, never enforced

        ctx.set_ocsp_client_callback(keep_response)
    if args.msg:
        ctx.set_msg_callback(message_printer(lambda line: write_lines([line], out)))
    return ctx


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except socket.gaierror as exc:
        raise CommandError(f"cannot resolve {host!r}: {exc.strerror}") from None
    except (OSError, socket.timeout) as exc:
        reason = exc.strerror or str(exc) or "timed out"
        raise CommandError(f"cannot connect to {host}:{port}: {reason}") from None
    sock.setblocking(False)
    try:
        _io.no_delay(sock)
    except OSError as exc:
        sock.close()
        raise CommandError(
            f"cannot connect to {host}:{port}: {exc.strerror or exc}"
        ) from None
    return sock


def _set_hostname(conn: SSL.Connection, hostname: str) -> None:
    """SNI (for names, not addresses) and the name the certificate must match."""
    try:
        if is_ip_address(hostname):
            conn.set_verify_hostname(hostname)
        else:
            ascii_name = hostname.encode("idna")
            conn.set_tlsext_host_name(ascii_name)
            conn.set_verify_hostname(ascii_name.decode("ascii"))
    except ValueError as exc:  # UnicodeError included
        raise UsageError(f"invalid host name {hostname!r}: {exc}") from None


def _payload(value: str) -> bytes:
    """``--send``'s bytes: standard input for ``-``, else the text unescaped."""
    if value == "-":
        return sys.stdin.buffer.read()
    return value.replace("\\n", "\n").replace("\\r", "\r").encode("utf-8")


def _exchange(
    conn: SSL.Connection, sock: socket.socket, data: bytes, timeout: float
) -> bytes:
    """Send *data*; collect the reply until the peer closes or goes quiet."""
    _io.send_all(conn, sock, data, _io.deadline_after(timeout))
    reply = b""
    # The first piece of the reply may take up to the full timeout; after
    # that, a short pause means the server has said what it had to say.
    wait = timeout
    while True:
        try:
            chunk = _io.recv(conn, sock, _io.deadline_after(wait))
        except _io.TransferTimeout:
            if not reply:
                raise CommandError(f"no reply within {timeout:g} seconds") from None
            return reply
        if not chunk:
            return reply
        reply += chunk
        wait = min(timeout, 0.5)


def _verification_line(conn: SSL.Connection, insecure: bool, hostname: str) -> str:
    code = conn.get_verify_result()
    if code == 0:
        if insecure:
            return f"OK (not enforced: --insecure; name {hostname!r} matched)"
        return f"OK (chain trusted, name {hostname!r} matched)"
    return f"FAILED, not enforced (--insecure): {verify_message(code)} (code {code})"


def _trusted_root(conn: SSL.Connection) -> str:
    """The subject of the root the chain was verified up to."""
    chain: list[x509.Certificate] | None = conn.get_verified_chain(as_cryptography=True)
    if not chain or conn.get_verify_result() != 0:
        return "-"
    return chain[-1].subject.rfc4514_string()


def _ocsp_field(
    conn: SSL.Connection, stapled: list[bytes], asked: bool
) -> list[tuple[str, str]]:
    if not asked:
        return []
    peer: x509.Certificate | None = conn.get_peer_certificate(as_cryptography=True)
    return [("OCSP", ocsp_summary(stapled[-1] if stapled else None, peer))]


def _show_reply(reply: bytes, out: TextIO) -> None:
    write_lines([f"received {len(reply)} bytes:"], out)
    out.write(reply.decode("utf-8", "replace"))
    if reply and not reply.endswith(b"\n"):
        out.write("\n")
    out.flush()


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Connect, handshake, report; raise :class:`CommandError` on failure."""
    if args.client_key and not args.client_cert:
        raise UsageError("--client-key needs --client-cert")
    if args.passphrase is not None and not args.client_cert:
        raise UsageError("--pass needs --client-cert")
    out = out or sys.stdout
    host, port = args.address
    hostname = args.servername or host
    stapled: list[bytes] = []
    resumption = _resumption.Resumption(args)
    ctx = _make_context(args, stapled, out)
    resumption.configure(ctx)
    sock = _connect(host, port, args.timeout)
    try:
        conn = SSL.Connection(ctx, sock)
        _set_hostname(conn, hostname)
        if args.ocsp:
            conn.request_ocsp()
        conn.set_connect_state()
        started = time.perf_counter()
        deadline = _io.deadline_after(args.timeout)
        try:
            resumption.before_handshake(conn, sock, deadline)
            _io.handshake(conn, sock, deadline)
        except SSL.Error as exc:
            raise CommandError(
                f"handshake with {host}:{port} failed: {describe_ssl_error(exc, conn)}"
            ) from None
        except _io.TransferTimeout:
            raise CommandError(
                f"handshake with {host}:{port} timed out after {args.timeout:g} s"
            ) from None
        elapsed = time.perf_counter() - started

        lines = [f"connected to {host}:{port}"]
        lines += format_fields(
            [
                *connection_fields(conn),
                ("verification", _verification_line(conn, args.insecure, hostname)),
                ("trusted root", _trusted_root(conn)),
                ("handshake", f"{elapsed * 1000:.1f} ms"),
                *_ocsp_field(conn, stapled, args.ocsp),
                *resumption.fields(conn),
            ]
        )
        lines.append("certificate chain sent by the server:")
        chain = conn.get_peer_cert_chain(as_cryptography=True)
        if not chain and conn.session_reused():
            lines.append("   (none: a resumed session is not authenticated again)")
        else:
            lines += chain_lines(chain, show_pem=args.show_certs)
        write_lines(lines, out)

        try:
            # Early data the server refused goes again, before anything else.
            resend = resumption.to_resend(conn)
            if args.send is not None:
                payload = resend + _payload(args.send)
                _show_reply(_exchange(conn, sock, payload, args.timeout), out)
            elif resend:
                _io.send_all(conn, sock, resend, _io.deadline_after(args.timeout))
            received, saved = resumption.save(conn, sock, args.timeout)
        except SSL.Error as exc:
            raise CommandError(
                f"exchanging data failed: {describe_ssl_error(exc, conn)}"
            ) from None
        except _io.TransferTimeout:
            raise CommandError("sending data timed out") from None
        if received:
            _show_reply(received, out)
        if saved is not None:
            write_lines([saved], out)
        _io.shutdown(conn, sock, _io.deadline_after(1.0))
    finally:
        sock.close()
    return 0
