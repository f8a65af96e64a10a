"""Driving socket-mode Connections on non-blocking sockets, with a deadline.

Every socket the command line uses is non-blocking. An ``OpenSSL.SSL``
call on such a socket either completes or raises ``WantReadError`` /
``WantWriteError``; :func:`retry` then waits with ``select`` until the socket
is readable or writable and makes the same call again, until it completes or
the deadline passes. So a peer that goes silent costs a clear timeout
message, never a hang, and Ctrl-C is honoured at every wait.
"""

from __future__ import annotations

import functools
import math
import select
import socket
import time
from typing import Callable, Optional, TypeVar

from OpenSSL import SSL

__all__ = [
    "Deadline",
    "TransferTimeout",
    "deadline_after",
    "handshake",
    "no_delay",
    "read_until",
    "recv",
    "retry",
    "send_all",
    "shutdown",
    "wait_ready",
]

_T = TypeVar("_T")

#: A ``time.monotonic()`` value, or ``None`` to wait for ever.
Deadline = Optional[float]

_CHUNK = 16384


class TransferTimeout(Exception):
    """The peer did not let a call complete before the deadline."""


def deadline_after(seconds: float | None) -> Deadline:
    """The deadline *seconds* from now (``None`` means no deadline)."""
    return None if seconds is None else time.monotonic() + seconds


def wait_ready(sock: socket.socket, *, for_write: bool, timeout: float | None) -> bool:
    """Wait until *sock* is readable (or writable); ``False`` on timeout.

    ``poll`` where the system has it: ``select`` refuses descriptors from
    1024 up (``ValueError``), which a server with a thousand clients reaches.
    An error or hang-up on the socket counts as ready: the next call says what.
    """
    if not hasattr(select, "poll"):  # Windows: select has no such limit there
        lists: tuple[list[socket.socket], list[socket.socket]] = (
            ([], [sock]) if for_write else ([sock], [])
        )
        return any(select.select(*lists, [], timeout)[:2])
    poller = select.poll()
    poller.register(sock, select.POLLOUT if for_write else select.POLLIN)
    milliseconds = None if timeout is None else max(0, math.ceil(timeout * 1000))
    return bool(poller.poll(milliseconds))


def _wait(sock: socket.socket, *, for_write: bool, deadline: Deadline) -> None:
    remaining = None if deadline is None else deadline - time.monotonic()
    if remaining is not None and remaining <= 0:
        raise TransferTimeout("timed out")
    if not wait_ready(sock, for_write=for_write, timeout=remaining):
        raise TransferTimeout("timed out")


def no_delay(sock: socket.socket) -> None:
    """Send each record at once (``TCP_NODELAY``).

    TLS writes whole records, so Nagle's algorithm only hurts: it holds a
    small record back until the peer acknowledges the one before -- a
    server's echo behind its session tickets, a client's first data behind
    its Finished -- and the peer's delayed ACK costs 40 ms per exchange.
    """
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def retry(sock: socket.socket, call: Callable[[], _T], deadline: Deadline) -> _T:
    """Make *call* until it stops asking for the socket to become ready."""
    while True:
        try:
            return call()
        except SSL.WantReadError:
            _wait(sock, for_write=False, deadline=deadline)
        except SSL.WantWriteError:
            _wait(sock, for_write=True, deadline=deadline)


def handshake(conn: SSL.Connection, sock: socket.socket, deadline: Deadline) -> None:
    """Complete the handshake of *conn*, whose transport is *sock*."""
    retry(sock, conn.do_handshake, deadline)


def send_all(
    conn: SSL.Connection, sock: socket.socket, data: bytes, deadline: Deadline
) -> None:
    """Send all of *data* (in records of at most 16 KiB)."""
    view = memoryview(data)
    while view:
        piece = view[:_CHUNK]
        sent = retry(sock, functools.partial(conn.send, piece), deadline)
        view = view[sent:]


def recv(
    conn: SSL.Connection, sock: socket.socket, deadline: Deadline, size: int = 65536
) -> bytes:
    """The next chunk of application data; ``b""`` once the peer has closed.

    A close_notify (``ZeroReturnError``) and a transport EOF without one
    (``SysCallError`` with errno -1) both count as the end of the stream.
    """
    try:
        return retry(sock, lambda: conn.recv(size), deadline)
    except SSL.ZeroReturnError:
        return b""
    except SSL.SysCallError as exc:
        if exc.args and exc.args[0] == -1:
            return b""
        raise


def read_until(
    conn: SSL.Connection, sock: socket.socket, done: Callable[[], bool], seconds: float
) -> bytes:
    """Read until *done()* holds, the peer closes, or *seconds* pass.

    For what arrives beside application data (a TLS 1.3 session ticket):
    *done* is asked after every record, where :func:`recv` would wait on
    for data. Returns the application data read meanwhile.
    """
    deadline = deadline_after(seconds)
    received = b""
    while not done():
        try:
            received += conn.recv(65536)
        except SSL.WantReadError:
            if done():
                break
            try:
                _wait(sock, for_write=False, deadline=deadline)
            except TransferTimeout:
                break
        except SSL.WantWriteError:
            try:
                _wait(sock, for_write=True, deadline=deadline)
            except TransferTimeout:
                break
        except SSL.ZeroReturnError:
            break
        except SSL.SysCallError as exc:
            if exc.args and exc.args[0] == -1:
                break
            raise
    return received


def shutdown(conn: SSL.Connection, sock: socket.socket, deadline: Deadline) -> None:
    """Send close_notify; a peer that already went away is not an error here."""
    try:
        retry(sock, conn.shutdown, deadline)
    except (SSL.Error, OSError, TransferTimeout):
        pass
