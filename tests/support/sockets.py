"""Sockets, threads and processes: loopback plumbing with bounded waits.

* :func:`socket_pair` (``socket.socketpair``) and :func:`loopback_tcp` (a
  real TCP connection on 127.0.0.1 or ::1) give two connected sockets;
  :func:`socket_connection_pair` wraps them in socket-mode ``Connection``s
  that :func:`~tests.support.memory.handshake` drives from one thread.
* :class:`listener` is a listening socket on 127.0.0.1, :class:`Background`
  runs one peer in a thread and re-raises what it raised,
  :func:`blocking_with_deadline` gives OpenSSL a blocking descriptor that
  still cannot hang, :func:`free_port` gives a port that was
  free a moment ago.

Every wait is bounded (:data:`PEER_TIMEOUT`).
"""

from __future__ import annotations

import socket
import struct
import threading
from typing import Any, Callable, Optional

from OpenSSL.SSL import Connection, Context
from tests.support.contexts import client_context, server_context

__all__ = [
    "PEER_TIMEOUT",
    "Background",
    "accept_early_data",
    "blocking_with_deadline",
    "close_tracked",
    "free_port",
    "listener",
    "loopback_tcp",
    "recv_exactly",
    "recv_line",
    "socket_connection_pair",
    "socket_pair",
    "tls_client",
    "track",
]

#: Seconds a thread or subprocess peer may take before the test fails.
PEER_TIMEOUT = 20.0


def socket_pair() -> tuple[socket.socket, socket.socket]:
    """Two connected stream sockets from ``socket.socketpair()``."""
    a, b = socket.socketpair()
    return a, b


def loopback_tcp(family: int = socket.AF_INET) -> tuple[socket.socket, socket.socket]:
    """``(client, server)`` ends of a real TCP connection on the loopback.

    *family* is ``AF_INET`` (127.0.0.1) or ``AF_INET6`` (::1).
    """
    host = "127.0.0.1" if family == socket.AF_INET else "::1"
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.bind((host, 0))
        listener.listen(1)
        client = socket.socket(family, socket.SOCK_STREAM)
        client.connect(listener.getsockname()[:2])
        server, _ = listener.accept()
    return client, server


def socket_connection_pair(
    client_ctx: Optional[Context] = None,
    server_ctx: Optional[Context] = None,
    *,
    sockets: Optional[tuple[socket.socket, socket.socket]] = None,
    blocking: bool = False,
    server_name: Optional[bytes] = None,
) -> tuple[Connection, Connection]:
    """``(client, server)`` socket-mode connections over a socket pair.

    *sockets* defaults to :func:`socket_pair`. The sockets are made
    non-blocking unless *blocking*, so that :func:`handshake` can drive both
    ends from one thread.
    """
    client_sock, server_sock = sockets if sockets is not None else socket_pair()
    client_sock.setblocking(blocking)
    server_sock.setblocking(blocking)
    client = Connection(
        client_ctx if client_ctx is not None else client_context(), client_sock
    )
    server = Connection(
        server_ctx if server_ctx is not None else server_context(), server_sock
    )
    client.set_connect_state()
    server.set_accept_state()
    if server_name is not None:
        client.set_tlsext_host_name(server_name)
    return client, server


class Background:
    """Run *target* in a daemon thread; :meth:`result` returns or re-raises."""

    def __init__(self, target: Callable[[], Any]) -> None:
        self._target = target
        self._value: Any = None
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._target()
        except BaseException as exc:  # handed to the test thread by result()
            self._error = exc

    def result(self, timeout: float = PEER_TIMEOUT) -> Any:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError(f"background peer still running after {timeout}s")
        if self._error is not None:
            raise self._error
        return self._value


class listener:
    """A listening TCP socket on 127.0.0.1 (context manager).

    ``port`` is the bound port; ``accept()`` has a bounded timeout and
    returns a blocking socket with the same timeout.
    """

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(PEER_TIMEOUT)
        self.port: int = self.sock.getsockname()[1]

    def accept(self) -> socket.socket:
        conn, _ = self.sock.accept()
        conn.settimeout(PEER_TIMEOUT)
        return conn

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), PEER_TIMEOUT)

    def __enter__(self) -> listener:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.sock.close()


#: Sockets handed on (to a Connection, a thread, a peer object) by code that
#: may never close them itself; see :func:`track`.
_TRACKED: list[socket.socket] = []


def track(sock: socket.socket) -> socket.socket:
    """Have *sock* closed after the current test (or oracle scenario).

    conftest's autouse fixture calls :func:`close_tracked` after every test,
    so a socket a test leaves open is closed there, not by the garbage
    collector (a ResourceWarning each). Closing a closed socket is harmless.
    """
    _TRACKED.append(sock)
    return sock


def close_tracked() -> None:
    """Close every socket given to :func:`track` so far."""
    while _TRACKED:
        _TRACKED.pop().close()


def tls_client(
    port: int,
    ctx: Context,
    *,
    hostname: Optional[str] = None,
    session: Any = None,
    early: Optional[bytes] = None,
) -> Connection:
    """Our socket-mode client of a peer on 127.0.0.1:*port*, handshake done.

    *hostname* is sent as SNI and checked against the certificate; *session*
    is offered for resumption, with *early* as its early data. A refused
    handshake closes the socket at once; otherwise it goes to :func:`track`.
    """
    sock = track(socket.create_connection(("127.0.0.1", port), PEER_TIMEOUT))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = Connection(ctx, blocking_with_deadline(sock))
    if hostname is not None:
        conn.set_tlsext_host_name(hostname.encode())
        conn.set_verify_hostname(hostname)
    conn.set_connect_state()
    if session is not None:
        conn.set_session(session)
    try:
        if early is not None:
            assert conn.write_early_data(early) == len(early)
        conn.do_handshake()
    except BaseException:
        sock.close()
        raise
    return conn


def accept_early_data(conn: Any, chunk: int = 16384) -> bytes:
    """Blocking server side: all the early data *conn*'s client sent (``b""``
    when it sent none or it was refused), read until OpenSSL says it ended.

    *conn* is a server ``Connection`` or an ``ssl_compat`` server
    ``SSLSocket`` (both have ``read_early_data``)."""
    early = b""
    while True:
        data = conn.read_early_data(chunk)
        if not data:
            return early
        early += data


def blocking_with_deadline(sock: socket.socket, seconds: int = 20) -> socket.socket:
    """Make *sock* blocking for OpenSSL, with kernel send/receive timeouts.

    ``Connection(ctx, sock)`` lets OpenSSL read and write the descriptor
    itself, so the socket must be in blocking mode (a Python timeout would
    make the descriptor non-blocking). ``SO_RCVTIMEO``/``SO_SNDTIMEO`` turn a
    peer that never answers into an error instead of a hung test.
    """
    sock.settimeout(None)
    timeval = struct.pack("ll", seconds, 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
    return sock


def recv_exactly(recv: Callable[[int], bytes], size: int) -> bytes:
    """Call *recv* until *size* bytes arrived; EOF before that fails."""
    chunks: list[bytes] = []
    got = 0
    while got < size:
        chunk = recv(min(65536, size - got))
        assert chunk, f"EOF after {got} of {size} bytes"
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv_line(recv: Callable[[int], bytes], limit: int = 65536) -> bytes:
    """Call *recv* until a newline arrived; returns everything read."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = recv(4096)
        assert chunk, f"EOF before end of line, got {data!r}"
        data += chunk
        assert len(data) <= limit, "line too long"
    return data


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
