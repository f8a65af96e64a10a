"""``python -m OpenSSL server --cert FILE --key FILE``: a TLS echo server.

The server listens on ``--host``/``--port`` (port 0 picks a free port; the
first line printed is always ``listening on HOST:PORT``), completes a
handshake with each client on its own thread with an ``OpenSSL.SSL``
socket-mode :class:`~OpenSSL.SSL.Connection`, prints what was negotiated,
and sends back every byte it receives until the client closes. Ctrl-C stops
it cleanly. It is meant for trying out TLS clients, not for serving anything
real.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
from typing import Any, Callable, TextIO

from OpenSSL import SSL

from . import _io
from ._common import (
    CommandError,
    UsageError,
    alpn_list,
    describe_ssl_error,
    existing_file,
    port_number,
)
from .report import connection_fields

__all__ = ["add_arguments", "run"]

# A client that sends nothing for this long is dropped.
_IDLE_TIMEOUT = 300.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``server`` sub-command's arguments."""
    parser.add_argument(
        "--cert",
        metavar="FILE",
        type=existing_file,
        required=True,
        help="server certificate (PEM, leaf first, then intermediates)",
    )
    parser.add_argument(
        "--key",
        metavar="FILE",
        type=existing_file,
        required=True,
        help="private key for --cert (PEM)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=4433,
        help="port to listen on, 0 for any free port (default: %(default)s)",
    )
    parser.add_argument(
        "--alpn",
        metavar="PROTO[,PROTO...]",
        type=alpn_list,
        action="append",
        default=[],
        help="accept these ALPN protocols, in order of preference (repeatable); "
        "with a client that offers none of them, no protocol is negotiated",
    )
    parser.add_argument(
        "--client-ca",
        metavar="FILE",
        type=existing_file,
        help="require a client certificate issued by a CA in this PEM file",
    )
    parser.add_argument(
        "--ocsp-response",
        metavar="FILE",
        type=existing_file,
        help="staple this DER-encoded OCSP response for clients that ask",
    )
    parser.add_argument(
        "--max-clients",
        metavar="N",
        type=int,
        help="stop after serving N clients (default: run until Ctrl-C)",
    )


class _Log:
    """Line-at-a-time output shared by the client threads."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self._out = out
        self._err = err
        self._lock = threading.Lock()

    def info(self, line: str) -> None:
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()

    def error(self, line: str) -> None:
        with self._lock:
            self._err.write(line + "\n")
            self._err.flush()


def _alpn_selector(
    accepted: list[bytes],
) -> Callable[[SSL.Connection, list[bytes]], Any]:
    def select(conn: SSL.Connection, offered: list[bytes]) -> Any:
        for proto in accepted:
            if proto in offered:
                return proto
        return SSL.NO_OVERLAPPING_PROTOCOLS

    return select


def _make_context(args: argparse.Namespace) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
    try:
        ctx.use_certificate_chain_file(args.cert)
        ctx.use_privatekey_file(args.key)
        ctx.check_privatekey()
    except SSL.Error as exc:
        raise CommandError(
            f"cannot use certificate/key: {describe_ssl_error(exc)}"
        ) from None
    if args.client_ca:
        try:
            ctx.load_verify_locations(args.client_ca)
            ctx.load_client_ca(args.client_ca.encode())
        except SSL.Error as exc:
            raise CommandError(
                f"cannot load client CA file: {describe_ssl_error(exc)}"
            ) from None
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT)
    protocols = [proto for group in args.alpn for proto in group]
    if protocols:
        ctx.set_alpn_select_callback(_alpn_selector(protocols))
    if args.ocsp_response:
        try:
            with open(args.ocsp_response, "rb") as file:
                response = file.read()
        except OSError as exc:
            raise CommandError(
                f"cannot read {args.ocsp_response}: {exc.strerror or exc}"
            ) from None

        def staple(conn: SSL.Connection, data: object) -> bytes:
            return response

        ctx.set_ocsp_server_callback(staple)
    return ctx


def _peer_name(address: object) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(address)


def _serve_client(ctx: SSL.Context, sock: socket.socket, peer: str, log: _Log) -> None:
    """Handshake with one client and echo until it closes."""
    sock.setblocking(False)
    conn = SSL.Connection(ctx, sock)
    conn.set_accept_state()
    try:
        _io.handshake(conn, sock, _io.deadline_after(_IDLE_TIMEOUT))
        fields = ", ".join(f"{k}={v}" for k, v in connection_fields(conn))
        client_cert = conn.get_peer_certificate(as_cryptography=True)
        if client_cert is not None:
            fields += f", client={client_cert.subject.rfc4514_string()}"
        log.info(f"{peer} connected: {fields}")
        echoed = 0
        while True:
            data = _io.recv(conn, sock, _io.deadline_after(_IDLE_TIMEOUT))
            if not data:
                break
            _io.send_all(conn, sock, data, _io.deadline_after(_IDLE_TIMEOUT))
            echoed += len(data)
        _io.shutdown(conn, sock, _io.deadline_after(1.0))
        log.info(f"{peer} closed: echoed {echoed} bytes")
    except SSL.Error as exc:
        log.error(f"{peer} failed: {describe_ssl_error(exc, conn)}")
    except _io.TransferTimeout:
        log.error(f"{peer} dropped: idle for {_IDLE_TIMEOUT:g} seconds")
    except OSError as exc:
        log.error(f"{peer} failed: {exc.strerror or exc}")
    finally:
        sock.close()


def _listen(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise CommandError(f"cannot resolve {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(16)
    except OSError as exc:
        listener.close()
        raise CommandError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None
    return listener


def run(
    args: argparse.Namespace,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Serve until Ctrl-C (or ``--max-clients``); :class:`CommandError` on setup."""
    if args.max_clients is not None and args.max_clients < 1:
        raise UsageError("--max-clients must be at least 1")
    ctx = _make_context(args)
    listener = _listen(args.host, args.port)
    log = _Log(out or sys.stdout, err or sys.stderr)
    workers: list[threading.Thread] = []
    try:
        log.info(f"listening on {_peer_name(listener.getsockname())}")
        while args.max_clients is None or len(workers) < args.max_clients:
            try:
                sock, address = listener.accept()
            except OSError as exc:
                raise CommandError(f"accept failed: {exc.strerror or exc}") from None
            worker = threading.Thread(
                target=_serve_client,
                args=(ctx, sock, _peer_name(address), log),
                daemon=True,
            )
            worker.start()
            workers.append(worker)
        for worker in workers:
            worker.join()
    except KeyboardInterrupt:
        log.info("interrupted, shutting down")
    finally:
        listener.close()
    return 0
