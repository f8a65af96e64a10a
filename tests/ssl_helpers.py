"""Shared helpers for the ``OpenSSL.SSL`` tests (and the interop tests).

Two ways to run a TLS conversation inside one test process:

* **Memory BIOs.** ``Connection(ctx, None)`` owns two memory BIOs: bytes that
  OpenSSL wants to send are read out with ``bio_read`` and bytes that arrived
  are fed in with ``bio_write``. :func:`memory_pair` makes a client and a
  server this way, :func:`pump` moves the pending bytes between them,
  :func:`handshake` drives both handshakes to completion, and
  :func:`transfer` / :func:`interact_in_memory` move application data.

* **Sockets.** ``Connection(ctx, sock)`` lets OpenSSL do its own I/O on the
  socket's descriptor. :func:`socket_pair` (``socket.socketpair``) and
  :func:`loopback_tcp` (a real TCP connection on 127.0.0.1) give two
  connected sockets; :func:`socket_connection_pair` wraps them and
  :func:`handshake` also works on non-blocking socket connections (it simply
  retries ``do_handshake`` on ``WantReadError``).

Contexts come from :func:`server_context` and :func:`client_context`, built
from the generated test PKI (``tests/pki.py``). The client context trusts the
test root through a PEM file written once per process (:func:`ca_file`), so
the helpers need nothing from ``OpenSSL.crypto``.

Every loop here is bounded: a conversation that stops making progress fails
the test with ``AssertionError`` instead of hanging it.
"""

from __future__ import annotations

import atexit
import functools
import select
import shutil
import socket
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Callable, Optional

from OpenSSL.SSL import (
    TLS_METHOD,
    VERIFY_NONE,
    VERIFY_PEER,
    Connection,
    Context,
    WantReadError,
    WantWriteError,
)
from tests.pki import Identity, make_pki

__all__ = [
    "ca_file",
    "client_context",
    "drain",
    "dtls_step",
    "handshake",
    "handshake_pair",
    "interact_in_memory",
    "loopback_tcp",
    "memory_pair",
    "move_datagram",
    "pump",
    "read_all",
    "server_context",
    "socket_connection_pair",
    "socket_pair",
    "transfer",
]

#: Upper bound on pump/handshake rounds; real handshakes need fewer than 10.
MAX_ROUNDS = 100


@functools.cache
def _scratch_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="pyopenssl-ng-ssl-tests-"))
    atexit.register(shutil.rmtree, str(path), True)
    return path


@functools.cache
def ca_file() -> Path:
    """Path of a PEM file holding the test root CA (written once per process)."""
    return make_pki().write_ca(_scratch_dir())


def _apply_identity(ctx: Context, identity: Identity) -> None:
    ctx.use_certificate(identity.cert)
    ctx.use_privatekey(identity.key)
    for extra in identity.chain:
        ctx.add_extra_chain_cert(extra)


def server_context(
    identity: Optional[Identity] = None,
    *,
    method: int = TLS_METHOD,
    min_version: Optional[int] = None,
    max_version: Optional[int] = None,
    verify_client: bool = False,
) -> Context:
    """A server ``Context`` presenting *identity* (default: ``pki.server``).

    The intermediate is sent along (``add_extra_chain_cert``), so a client
    that trusts only the root can verify. With *verify_client* the server
    asks for a client certificate (``VERIFY_PEER``) and trusts the test root.
    """
    ctx = Context(method)
    _apply_identity(ctx, identity if identity is not None else make_pki().server)
    if min_version is not None:
        ctx.set_min_proto_version(min_version)
    if max_version is not None:
        ctx.set_max_proto_version(max_version)
    if verify_client:
        ctx.load_verify_locations(str(ca_file()))
        ctx.set_verify(VERIFY_PEER)
    return ctx


def client_context(
    *,
    method: int = TLS_METHOD,
    verify: bool = True,
    identity: Optional[Identity] = None,
    min_version: Optional[int] = None,
    max_version: Optional[int] = None,
) -> Context:
    """A client ``Context`` that trusts the test root.

    With *verify* (the default) the mode is ``VERIFY_PEER``, otherwise
    ``VERIFY_NONE``. *identity* (for example ``pki.client``) is presented
    as the client certificate when the server asks for one.
    """
    ctx = Context(method)
    ctx.load_verify_locations(str(ca_file()))
    ctx.set_verify(VERIFY_PEER if verify else VERIFY_NONE)
    if identity is not None:
        _apply_identity(ctx, identity)
    if min_version is not None:
        ctx.set_min_proto_version(min_version)
    if max_version is not None:
        ctx.set_max_proto_version(max_version)
    return ctx


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


def move_datagram(source: Connection, sink: Connection) -> bool:
    """Move one datagram from *source*'s memory BIO to *sink* (DTLS).

    DTLS keeps datagram boundaries, so datagrams move one at a time; returns
    whether one was waiting.
    """
    try:
        data = source.bio_read(65536)
    except WantReadError:
        return False
    sink.bio_write(data)
    return True


def dtls_step(call: Callable[[], Any]) -> bool:
    """Run one DTLS call; ``False`` if it is waiting for the peer."""
    try:
        call()
    except WantReadError:
        return False
    return True


def _is_memory(conn: Connection) -> bool:
    # A socket-mode Connection answers fileno() through attribute
    # fall-through; a memory-BIO one has no such attribute.
    try:
        conn.fileno()
    except AttributeError:
        return True
    return False


def handshake(client: Connection, server: Connection, timeout: float = 10.0) -> None:
    """Complete the handshake of both connections.

    Works for memory-BIO pairs (bytes are pumped between the two) and for
    socket connections on non-blocking sockets (``do_handshake`` is retried on
    ``WantReadError``/``WantWriteError``, waiting up to *timeout* seconds in
    ``select`` for the peer's bytes). Any other exception from either side's
    ``do_handshake`` propagates unchanged, which is what tests of failed
    handshakes rely on: the client runs first in every round, so a failure in
    the client's verification surfaces from the client.
    """
    memory = _is_memory(client) and _is_memory(server)
    done = [False, False]
    for _ in range(MAX_ROUNDS):
        progressed = False
        for index, conn in enumerate((client, server)):
            if done[index]:
                continue
            try:
                conn.do_handshake()
            except (WantReadError, WantWriteError):
                pass
            else:
                done[index] = True
                progressed = True
        if memory:
            progressed = pump(client, server) or progressed
            if all(done) and not progressed:
                return
        else:
            if all(done):
                return
            if not progressed:
                waiting = [c for c, d in zip((client, server), done) if not d]
                readable, _, _ = select.select(waiting, [], [], timeout)
                if not readable:
                    raise AssertionError("handshake stalled: no bytes arrived")
    raise AssertionError(f"handshake did not complete (done={done})")


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


def read_all(
    receiver: Connection,
    size: int,
    pump_with: Optional[Connection] = None,
    timeout: float = 10.0,
) -> bytes:
    """Read exactly *size* bytes of application data from *receiver*.

    For memory-BIO connections pass the peer as *pump_with* so that its
    pending records are delivered whenever *receiver* runs dry. For a
    non-blocking socket connection leave it ``None``: the helper waits up to
    *timeout* seconds in ``select`` for more bytes.
    """
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


def close_all(objects: Iterable[Any]) -> None:
    """Close sockets / socket-mode connections, ignoring ones already closed."""
    for obj in objects:
        try:
            obj.close()
        except OSError:
            pass


def collect_calls(
    result: Any = None,
) -> tuple[Callable[..., Any], Sequence[tuple[Any, ...]]]:
    """A callback that records its positional arguments and returns *result*."""
    calls: list[tuple[Any, ...]] = []

    def callback(*args: Any) -> Any:
        calls.append(args)
        return result

    return callback, calls
