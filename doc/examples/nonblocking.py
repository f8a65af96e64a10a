"""Socket-mode Connections on non-blocking sockets, with a timeout.

OpenSSL does the I/O on the socket's file descriptor itself, so Python's
socket timeouts do not apply to it: on a non-blocking socket (which is what a
socket with a timeout is underneath) a call that cannot finish raises
``WantReadError`` or ``WantWriteError``. The remedy is always the same: wait
until the socket is readable (or writable) and make the same call again.
"""

from __future__ import annotations

import functools
import selectors
import socket
import time
from typing import Callable, TypeVar

from OpenSSL import SSL

T = TypeVar("T")


def when_ready(sock: socket.socket, call: Callable[[], T], timeout: float) -> T:
    """Make *call* until it completes; ``TimeoutError`` after *timeout* seconds."""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        while True:
            try:
                return call()
            except SSL.WantReadError:
                events = selectors.EVENT_READ
            except SSL.WantWriteError:
                events = selectors.EVENT_WRITE
            remaining = deadline - time.monotonic()
            selector.register(sock, events)
            ready = remaining > 0 and selector.select(remaining)
            selector.unregister(sock)
            if not ready:
                raise TimeoutError(f"no progress within {timeout} seconds")


def send_all(
    conn: SSL.Connection, sock: socket.socket, data: bytes, timeout: float
) -> None:
    """``sendall`` for non-blocking sockets: resume where a ``send`` stopped."""
    view = memoryview(data)
    while view:
        sent = when_ready(sock, functools.partial(conn.send, view), timeout)
        view = view[sent:]


def request(
    context: SSL.Context, host: str, port: int, data: bytes, timeout: float = 10.0
) -> bytes:
    """Handshake, send *data*, return the first chunk of the reply."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setblocking(False)
    conn = SSL.Connection(context, sock)
    conn.set_tlsext_host_name(host.encode("idna"))
    conn.set_verify_hostname(host)
    conn.set_connect_state()
    try:
        when_ready(sock, conn.do_handshake, timeout)
        send_all(conn, sock, data, timeout)
        return when_ready(sock, functools.partial(conn.recv, 65536), timeout)
    finally:
        sock.close()
