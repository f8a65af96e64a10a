"""``python -m OpenSSL server --cert FILE --key FILE``: a TLS test server.

The server listens on ``--host``/``--port`` (port 0 picks a free port; the
first line printed is always ``listening on HOST:PORT``), completes a
handshake with each client on its own thread with an ``OpenSSL.SSL``
socket-mode :class:`~OpenSSL.SSL.Connection` and prints what was negotiated.
By default it then sends back every byte it receives until the client
closes; with ``--www`` it answers one HTTP request with a page describing
the session, as ``openssl s_server -www`` does. Ctrl-C stops it (exit status
130). It is meant for trying out TLS clients, not for serving anything real.
"""

from __future__ import annotations

import argparse
import errno
import functools
import socket
import sys
import threading
import time
from typing import Any, Callable, TextIO

from OpenSSL import SSL

from . import _files, _io, _protocol
from ._closing import linger_close
from ._common import (
    CommandError,
    UsageError,
    alpn_list,
    describe_ssl_error,
    port_number,
)
from ._messages import describe
from ._www import answer_request
from .report import connection_fields

__all__ = ["add_arguments", "run"]

# A client that sends nothing for this long is dropped.
_IDLE_TIMEOUT = 300.0

# How often the accept loop looks whether the output is still read.
_WAKE_UP = 0.5

# accept() errors that mean "not now": out of file descriptors or memory.
_SHORTAGES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
_SHORTAGE_PAUSE = 0.1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``server`` sub-command's arguments."""
    _files.add_input_file(
        parser,
        "--cert",
        "server certificate (PEM, leaf first, then intermediates; or DER)",
        required=True,
    )
    _files.add_input_file(
        parser,
        "--key",
        "private key for --cert (PEM or DER)",
        required=True,
    )
    _files.add_passphrase(parser, "--key")
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
        "--www",
        action="store_true",
        help="answer one HTTP request per connection with a page describing "
        "the session (as openssl s_server -www) instead of echoing",
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
        "--servername",
        metavar="NAME",
        help="refuse clients that ask (by SNI) for another name than NAME, with "
        "an unrecognized_name alert; clients that send no name are served",
    )
    _files.add_input_file(
        parser,
        "--client-ca",
        "require a client certificate issued by a CA in this PEM file",
    )
    _files.add_input_file(
        parser,
        "--ocsp-response",
        "staple this DER-encoded OCSP response for clients that ask",
    )
    parser.add_argument(
        "--msg",
        action="store_true",
        help="print each protocol message as it is sent (>>>) or received (<<<), "
        "after the client's address",
    )
    parser.add_argument(
        "--max-clients",
        metavar="N",
        type=int,
        help="stop after serving N clients (default: run until Ctrl-C)",
    )
    _protocol.add_arguments(parser)


class _Log:
    """Line-at-a-time output shared by the client threads.

    When the reader of the output goes away (``server | head -3``), a
    client thread cannot stop the server itself: it notes the broken pipe
    here, and the accept loop, which looks twice a second, ends the server
    as ``cat`` would end.
    """

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self._out = out
        self._err = err
        self._lock = threading.Lock()
        self.broken = threading.Event()

    def _write(self, stream: TextIO, line: str) -> None:
        with self._lock:
            if self.broken.is_set():
                return
            try:
                stream.write(line + "\n")
                stream.flush()
            except BrokenPipeError:
                self.broken.set()
                if threading.current_thread() is threading.main_thread():
                    raise

    def info(self, line: str) -> None:
        self._write(self._out, line)

    def error(self, line: str) -> None:
        self._write(self._err, line)


class _Clients:
    """The threads serving clients right now (finished ones are forgotten).

    A server used for load testing meets thousands of clients: it must not
    keep anything per client once that client is gone, so each thread
    removes itself when it ends and only the count of clients survives.
    """

    def __init__(self) -> None:
        self.started = 0
        self._live: set[threading.Thread] = set()
        self._changed = threading.Condition()

    def start(self, serve: Callable[[], None]) -> bool:
        """Serve a client on a new thread; ``False`` if no thread can start."""

        def run() -> None:
            try:
                serve()
            finally:
                with self._changed:
                    self._live.discard(threading.current_thread())
                    self._changed.notify_all()

        thread = threading.Thread(target=run, daemon=True)
        with self._changed:
            self._live.add(thread)
        try:
            thread.start()
        except RuntimeError:  # the system's limit of threads
            with self._changed:
                self._live.discard(thread)
            return False
        self.started += 1
        return True

    def wait(self) -> None:
        """Wait until every client being served has finished."""
        with self._changed:
            self._changed.wait_for(lambda: not self._live)


def _alpn_selector(
    accepted: list[bytes],
) -> Callable[[SSL.Connection, list[bytes]], Any]:
    def select(conn: SSL.Connection, offered: list[bytes]) -> Any:
        for proto in accepted:
            if proto in offered:
                return proto
        return SSL.NO_OVERLAPPING_PROTOCOLS

    return select


class _ServedName:
    """``--servername``: the one name clients may ask for (by SNI).

    As a servername callback it refuses a client asking for another name
    with the unrecognized_name alert (RFC 6066), as ``openssl s_server
    -servername NAME -servername_fatal`` does; a client that sends no name
    is served.
    """

    UNRECOGNIZED_NAME = 112

    def __init__(self, name: str) -> None:
        try:
            self._expected = name.lower().encode("idna")
        except UnicodeError as exc:
            raise UsageError(f"invalid --servername {name!r}: {exc}") from None

    def refused(self, conn: SSL.Connection) -> str | None:
        """The name *conn*'s client asked for, if it is not the one served."""
        asked = conn.get_servername()
        if asked is None or asked.lower() == self._expected:
            return None
        return asked.decode("ascii", "replace")

    def __call__(self, conn: SSL.Connection) -> int | None:
        return None if self.refused(conn) is None else self.UNRECOGNIZED_NAME


def _make_context(
    args: argparse.Namespace, served: _ServedName | None, log: _Log
) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    _protocol.apply(ctx, args)
    _files.use_identity(ctx, args.cert, args.key, args.passphrase)
    if args.client_ca:
        for cert in _files.trust_certificates(ctx, args.client_ca):
            ctx.add_client_ca(cert)
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT)
    protocols = [proto for group in args.alpn for proto in group]
    if args.www and not set(protocols) <= {b"http/1.1", b"http/1.0"}:
        raise UsageError("--www speaks HTTP/1.x: --alpn may name http/1.1, http/1.0")
    if protocols:
        ctx.set_alpn_select_callback(_alpn_selector(protocols))
    if served is not None:
        ctx.set_tlsext_servername_alert_callback(served)
    if args.ocsp_response:
        response = _files.load_ocsp_response(args.ocsp_response)

        def staple(conn: SSL.Connection, data: object) -> bytes:
            return response

        ctx.set_ocsp_server_callback(staple)
    if args.msg:

        def show(
            conn: SSL.Connection, sent: bool, version: int, kind: int, data: bytes
        ) -> None:
            line = describe(sent, version, kind, data)
            if line is not None:
                log.info(f"{conn.get_app_data()} {line}")

        ctx.set_msg_callback(show)
    return ctx


def _peer_name(address: object) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(address)


def _echo(conn: SSL.Connection, sock: socket.socket) -> str:
    """Send back everything the client sends until it closes."""
    echoed = 0
    while True:
        data = _io.recv(conn, sock, _io.deadline_after(_IDLE_TIMEOUT))
        if not data:
            return f"echoed {echoed} bytes"
        _io.send_all(conn, sock, data, _io.deadline_after(_IDLE_TIMEOUT))
        echoed += len(data)


def _serve_client(
    ctx: SSL.Context,
    sock: socket.socket,
    peer: str,
    log: _Log,
    args: argparse.Namespace,
    served: _ServedName | None,
) -> None:
    """Handshake with one client, then echo or answer its HTTP request."""
    sock.setblocking(False)
    conn = SSL.Connection(ctx, sock)
    conn.set_app_data(peer)  # for --msg
    conn.set_accept_state()
    linger = True
    try:
        _io.no_delay(sock)
        _io.handshake(conn, sock, _io.deadline_after(_IDLE_TIMEOUT))
        fields = connection_fields(conn)
        client_cert = conn.get_peer_certificate(as_cryptography=True)
        if client_cert is not None:
            fields.append(("client", client_cert.subject.rfc4514_string()))
        if conn.session_reused():
            fields.append(("session", "resumed"))
        log.info(f"{peer} connected: " + ", ".join(f"{k}={v}" for k, v in fields))
        if args.www:
            outcome = answer_request(conn, sock, fields, _IDLE_TIMEOUT)
        else:
            outcome = _echo(conn, sock)
        _io.shutdown(conn, sock, _io.deadline_after(1.0))
        log.info(f"{peer} closed: {outcome}")
    except SSL.Error as exc:
        reason = describe_ssl_error(exc, conn)
        asked = served.refused(conn) if served is not None else None
        if asked is not None:
            reason = f"asked for {asked!r}, not {args.servername!r} ({reason})"
        log.error(f"{peer} failed: {reason}")
    except _io.TransferTimeout:
        linger = False  # a silent client does not deserve another second
        log.error(f"{peer} dropped: idle for {_IDLE_TIMEOUT:g} seconds")
    except OSError as exc:
        log.error(f"{peer} failed: {exc.strerror or exc}")
    finally:
        # After a fatal error too: the client must read our alert, not a reset.
        if linger:
            linger_close(sock)
        else:
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
        # A full backlog drops connection attempts, which clients retry only
        # after a second: keep it as long as the system allows.
        listener.listen(socket.SOMAXCONN)
    except OSError as exc:
        listener.close()
        raise CommandError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None
    return listener


class _Acceptor:
    """Takes clients from the listening socket, riding out shortages.

    Running out of file descriptors or memory for the moment does not end
    the server: the client waits in the backlog until a finished client has
    freed what it needs (reported once per shortage, and when it is over).
    """

    def __init__(self, listener: socket.socket, log: _Log) -> None:
        self._listener = listener
        self._log = log
        self._short = False
        listener.settimeout(_WAKE_UP)

    def accept(self) -> tuple[socket.socket, str] | None:
        """The next client and its name, or ``None`` when there is none yet."""
        try:
            sock, address = self._listener.accept()
        except socket.timeout:
            if self._log.broken.is_set():
                raise BrokenPipeError("the output's reader went away") from None
            return None
        except OSError as exc:
            if exc.errno == errno.ECONNABORTED:
                return None  # the client gave up while in the backlog
            if exc.errno not in _SHORTAGES:
                raise CommandError(f"accept failed: {exc.strerror or exc}") from None
            if not self._short:
                self._short = True
                self._log.error(
                    f"accept failed: {exc.strerror}; waiting for clients to leave"
                )
            time.sleep(_SHORTAGE_PAUSE)
            return None
        if self._short:
            self._short = False
            self._log.error("accepting clients again")
        return sock, _peer_name(address)


def run(
    args: argparse.Namespace,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Serve until Ctrl-C (status 130) or ``--max-clients`` (status 0)."""
    if args.max_clients is not None and args.max_clients < 1:
        raise UsageError("--max-clients must be at least 1")
    served = _ServedName(args.servername) if args.servername is not None else None
    log = _Log(out or sys.stdout, err or sys.stderr)
    ctx = _make_context(args, served, log)
    listener = _listen(args.host, args.port)
    clients = _Clients()
    acceptor = _Acceptor(listener, log)
    try:
        log.info(f"listening on {_peer_name(listener.getsockname())}")
        while args.max_clients is None or clients.started < args.max_clients:
            accepted = acceptor.accept()
            if accepted is None:
                continue
            sock, peer = accepted
            serve = functools.partial(_serve_client, ctx, sock, peer, log, args, served)
            if not clients.start(serve):
                sock.close()
                log.error(f"{peer} refused: no thread left to serve it")
        clients.wait()
    except KeyboardInterrupt:
        log.info("interrupted, shutting down")
        return 130
    finally:
        listener.close()
    return 0
