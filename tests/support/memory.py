"""Two TLS ends in one process, and the one loop that drives a handshake.

An *end* is anything with the small interface of :class:`End`:
``step_handshake`` (one ``do_handshake`` attempt; ``True`` when finished),
``outgoing`` (the TLS bytes it wants sent), ``incoming`` (TLS bytes from the
peer), ``send`` and ``recv``. Three kinds exist:

* :class:`OurEnd`: an ``OpenSSL.SSL.Connection`` on memory BIOs
  (``Connection(ctx, None)``; ``bio_read``/``bio_write`` carry the bytes);
* :class:`~tests.support.objects.ObjectEnd`: an ``SSLObject`` of the
  standard library's ``ssl`` or of ``ssl_compat`` over two ``MemoryBIO``;
* a socket-mode ``Connection``, for :func:`handshake` only: OpenSSL moves its
  bytes itself, so the loop waits in ``select`` instead of delivering.

:func:`handshake` completes both ends' handshakes and raises the first
failure as it happens; :func:`run_handshake` instead records each end's
failure and keeps delivering (so the alert reaches the peer) for tests that
check what both ends saw. :func:`memory_pair` makes the usual client/server
pair of Connections; :func:`pump`, :func:`read_all`, :func:`transfer` and
:func:`interact_in_memory` move application data between them, and
:func:`close_pair` ends the conversation cleanly.

Every loop is bounded: a conversation that stops making progress fails the
test with ``AssertionError`` instead of hanging it.
"""

from __future__ import annotations

import select
from typing import Optional, Protocol, Union

from OpenSSL.SSL import (
    Connection,
    Context,
    WantReadError,
    WantWriteError,
    ZeroReturnError,
)
from tests.support.contexts import client_context, server_context

__all__ = [
    "MAX_ROUNDS",
    "End",
    "HandshakeOutcome",
    "OurEnd",
    "close_pair",
    "deliver",
    "drain",
    "handshake",
    "handshake_pair",
    "interact_in_memory",
    "memory_pair",
    "pump",
    "read_all",
    "read_exactly",
    "run_handshake",
    "transfer",
]

#: Upper bound on handshake/pump rounds; real handshakes need fewer than 10.
MAX_ROUNDS = 100


class End(Protocol):
    """What :func:`handshake` and :func:`deliver` need of one end."""

    def step_handshake(self) -> bool: ...

    def outgoing(self) -> bytes: ...

    def incoming(self, data: bytes) -> None: ...

    def send(self, data: bytes) -> None: ...

    def recv(self, size: int) -> Optional[bytes]: ...


def drain(source: Connection) -> bytes:
    """Everything waiting in *source*'s outgoing memory BIO (maybe ``b""``)."""
    chunks = []
    while True:
        try:
            chunk = source.bio_read(65536)
        except WantReadError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


class _ConnectionEnd:
    """One ``Connection`` whose handshake is stepped by :func:`handshake`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def step_handshake(self) -> bool:
        try:
            self.conn.do_handshake()
        except (WantReadError, WantWriteError):
            return False
        return True


class _SocketEnd(_ConnectionEnd):
    """A socket-mode Connection: OpenSSL does the I/O, nothing to deliver."""


class OurEnd(_ConnectionEnd):
    """An ``OpenSSL.SSL.Connection`` on memory BIOs, as an :class:`End`."""

    @classmethod
    def client(
        cls, ctx: Context, server_name: Optional[bytes] = b"localhost"
    ) -> OurEnd:
        """A connect-state end sending *server_name* as SNI."""
        conn = Connection(ctx, None)
        if server_name is not None:
            conn.set_tlsext_host_name(server_name)
        conn.set_connect_state()
        return cls(conn)

    @classmethod
    def server(cls, ctx: Context) -> OurEnd:
        """An accept-state end."""
        conn = Connection(ctx, None)
        conn.set_accept_state()
        return cls(conn)

    def outgoing(self) -> bytes:
        return drain(self.conn)

    def incoming(self, data: bytes) -> None:
        if data:
            assert self.conn.bio_write(data) == len(data)

    def send(self, data: bytes) -> None:
        self.conn.sendall(data)

    def recv(self, size: int) -> Optional[bytes]:
        """Up to *size* bytes, or None when nothing is there yet."""
        try:
            return self.conn.recv(size)
        except WantReadError:
            return None


def _is_memory(conn: Connection) -> bool:
    # A socket-mode Connection answers fileno() through attribute
    # fall-through; a memory-BIO one has no such attribute.
    try:
        conn.fileno()
    except AttributeError:
        return True
    return False


def _as_end(side: Union[Connection, End]) -> Union[End, _SocketEnd]:
    if isinstance(side, Connection):
        return OurEnd(side) if _is_memory(side) else _SocketEnd(side)
    return side


def deliver(a: End, b: End) -> bool:
    """Move pending TLS bytes both ways once; True if anything moved."""
    to_b = a.outgoing()
    to_a = b.outgoing()
    b.incoming(to_b)
    a.incoming(to_a)
    return bool(to_a or to_b)


def handshake(
    client: Union[Connection, End],
    server: Union[Connection, End],
    timeout: float = 10.0,
) -> None:
    """Complete the handshake of both ends.

    *client* and *server* are memory-BIO or socket-mode ``Connection``
    objects (socket ones on non-blocking sockets) or :class:`End` objects.
    Memory ends get their bytes delivered after every round; socket ends
    wait up to *timeout* seconds in ``select`` for the peer's bytes. Any
    exception other than want-read/want-write propagates unchanged the
    moment it is raised, which is what tests of failed handshakes rely on:
    the client runs first in every round, so a failure in the client's
    verification surfaces from the client.
    """
    ends = (_as_end(client), _as_end(server))
    sockets = [e for e in ends if isinstance(e, _SocketEnd)]
    assert len(sockets) in (0, 2), "one memory end and one socket end"
    done = [False, False]
    for _ in range(MAX_ROUNDS):
        progressed = False
        for index, end in enumerate(ends):
            if not done[index] and end.step_handshake():
                done[index] = progressed = True
        if not sockets:
            moved = deliver(*ends)  # type: ignore[arg-type]
            if all(done) and not moved:
                return
        elif all(done):
            return
        elif not progressed:
            waiting = [e.conn for e, d in zip(sockets, done) if not d]
            if not select.select(waiting, [], [], timeout)[0]:
                raise AssertionError("handshake stalled: no bytes arrived")
    raise AssertionError(f"handshake did not complete (done={done})")


class HandshakeOutcome:
    """How a handshake between two ends ended: which finished, what raised."""

    def __init__(self) -> None:
        self.done: dict[int, bool] = {}
        self.errors: dict[int, BaseException] = {}

    def error(self, end: End) -> Optional[BaseException]:
        """What *end* raised, or ``None``."""
        return self.errors.get(id(end))


def run_handshake(client: End, server: End) -> HandshakeOutcome:
    """Drive both handshakes until each finished or raised.

    Exceptions other than want-read are recorded, not raised, and the bytes
    the failing side produced (its alert) are still delivered to the other
    side, so a test can check what *both* ends saw. Use :func:`handshake`
    when both ends must succeed.
    """
    outcome = HandshakeOutcome()
    ends = (client, server)
    idle = 0
    for _ in range(MAX_ROUNDS):
        for end in ends:
            key = id(end)
            if outcome.done.get(key) or key in outcome.errors:
                continue
            try:
                outcome.done[key] = end.step_handshake()
            except Exception as exc:  # recorded for the test to inspect
                outcome.errors[key] = exc
        moved = deliver(client, server)
        settled = all(outcome.done.get(id(e)) or id(e) in outcome.errors for e in ends)
        if not moved:
            if settled:
                return outcome
            # Nothing in flight yet someone still waits: one more step each
            # lets a side finish on the bytes it just received; two idle
            # rounds in a row mean the conversation is stuck.
            idle += 1
            if idle > 1:
                break
        else:
            idle = 0
    raise AssertionError("handshake made no progress")


def read_exactly(reader: End, writer: End, size: int) -> bytes:
    """Read *size* application bytes on *reader*, delivering as needed."""
    chunks: list[bytes] = []
    got = 0
    for _ in range(MAX_ROUNDS + size // 1024):
        deliver(writer, reader)
        data = reader.recv(size - got)
        if data is None:
            continue
        if not data:
            break
        chunks.append(data)
        got += len(data)
        if got == size:
            return b"".join(chunks)
    raise AssertionError(f"read {got} of {size} bytes")


def memory_pair(
    client_ctx: Optional[Context] = None,
    server_ctx: Optional[Context] = None,
    *,
    server_name: Optional[bytes] = None,
) -> tuple[Connection, Connection]:
    """``(client, server)`` memory-BIO connections, states set, no I/O done.

    Missing contexts default to :func:`client_context` and
    :func:`server_context`. *server_name* is sent as SNI by the client.
    """
    client = Connection(client_ctx if client_ctx is not None else client_context())
    server = Connection(server_ctx if server_ctx is not None else server_context())
    client.set_connect_state()
    server.set_accept_state()
    if server_name is not None:
        client.set_tlsext_host_name(server_name)
    return client, server


def handshake_pair(
    client_ctx: Optional[Context] = None,
    server_ctx: Optional[Context] = None,
    *,
    server_name: Optional[bytes] = None,
) -> tuple[Connection, Connection]:
    """:func:`memory_pair` followed by :func:`handshake`; returns the pair."""
    client, server = memory_pair(client_ctx, server_ctx, server_name=server_name)
    handshake(client, server)
    return client, server


def pump(a: Connection, b: Connection) -> bool:
    """Move every byte waiting in either memory BIO to the other side.

    Returns whether anything moved.
    """
    moved = False
    for source, sink in ((a, b), (b, a)):
        data = drain(source)
        if data:
            sink.bio_write(data)
            moved = True
    return moved


def read_all(
    receiver: Connection,
    size: int,
    pump_with: Optional[Connection] = None,
    timeout: float = 10.0,
) -> bytes:
    """Read exactly *size* bytes of application data from *receiver*.

    For memory-BIO connections pass the peer as *pump_with* so that its
    pending records are delivered whenever *receiver* runs dry. A
    non-blocking socket connection (*pump_with* is then not needed) waits up
    to *timeout* seconds in ``select`` for more bytes.
    """
    if not _is_memory(receiver):
        pump_with = None
    received = bytearray()
    while len(received) < size:
        try:
            received += receiver.recv(size - len(received))
            continue
        except WantReadError:
            pass
        if pump_with is not None:
            if not pump(pump_with, receiver):
                break
        elif not select.select([receiver], [], [], timeout)[0]:
            break
    if len(received) != size:
        raise AssertionError(f"expected {size} bytes, got {len(received)}")
    return bytes(received)


def _await_close_notify(
    receiver: Connection, sender: Connection, timeout: float
) -> None:
    memory = _is_memory(receiver)
    for _ in range(MAX_ROUNDS):
        if memory:
            pump(sender, receiver)
        try:
            receiver.recv(1)
        except ZeroReturnError:
            return
        except WantReadError:
            if not memory and not select.select([receiver], [], [], timeout)[0]:
                break
    raise AssertionError("the peer's close_notify did not arrive")


def close_pair(client: Connection, server: Connection, timeout: float = 10.0) -> None:
    """A clean close both ways: each side sends close_notify and sees the other's.

    Memory-BIO or (non-blocking) socket-mode pairs; application data still in
    flight is read and dropped. Afterwards both report
    ``SENT_SHUTDOWN | RECEIVED_SHUTDOWN``, and the client's session stays
    resumable.
    """
    client.shutdown()
    _await_close_notify(server, client, timeout)
    server.shutdown()
    _await_close_notify(client, server, timeout)


def transfer(sender: Connection, receiver: Connection, data: bytes) -> bytes:
    """Send *data* from *sender* to *receiver* (memory BIOs); return what arrived."""
    sender.sendall(data)
    pump(sender, receiver)
    return read_all(receiver, len(data), pump_with=sender)


def interact_in_memory(
    client: Connection, server: Connection
) -> Optional[tuple[Connection, bytes]]:
    """Pump bytes between two memory-BIO connections until one reads data.

    Returns ``(connection, data)`` for the first connection that received
    application data, or ``None`` when no more bytes move and nothing was
    read. Exceptions other than ``WantReadError`` from ``recv`` propagate.
    """
    for _ in range(MAX_ROUNDS):
        for conn in (client, server):
            try:
                data = conn.recv(2**16)
            except WantReadError:
                continue
            return conn, data
        if not pump(client, server):
            return None
    raise AssertionError("interact_in_memory did not settle")
