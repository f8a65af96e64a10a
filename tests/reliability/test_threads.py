"""Threads: shared Contexts, concurrent callbacks, and the GIL released in OpenSSL.

* Eight threads run handshakes at once on one client and one server
  ``Context`` whose callbacks (verify, info, keylog, servername, ALPN, OCSP,
  session cache) therefore run concurrently. Every callback checks that it
  got a connection of the thread it runs in, and the data it sees is that
  connection's own: the SNI name and the first ALPN protocol are unique per
  thread, a keylog line carries its connection's client random. Six threads
  use memory BIOs, two socket mode over socketpairs; the SNI callback
  switches some connections to a third Context, one Session object is
  resumed by all threads, and a collector thread runs ``gc`` meanwhile.
* Concurrent failures: the shared callbacks raise an exception object that
  belongs to one handshake; it must come out of that handshake's call, in
  that thread, and no other.
* The GIL is released while OpenSSL works: a thread blocked inside OpenSSL
  (a blocking ``do_handshake``/``recv`` waiting for its peer) must let the
  main thread run Python code meanwhile. Decided by the order of events, not
  by timing; a kernel receive timeout on the blocked socket bounds the test
  if the GIL were held, and a blocking read that keeps the GIL (through
  ``ctypes.PyDLL``) must fail the same check.
* Socket-mode Connections made by several threads at once share one class.
* ``ssl_compat``: threads sharing one client and one server ``SSLContext``
  with ``SSLObject`` pairs (SNI per thread, resumption, shared counters and
  key log file).
"""

from __future__ import annotations

import array
import ctypes
import gc
import socket
import struct
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from OpenSSL import SSL
from OpenSSL._util import lib
from tests.reliability.profile import record, scale
from tests.support import (
    ca_file,
    close_pair,
    deliver,
    handshake,
    make_pki,
    object_pair,
    present,
    pump,
    read_all,
)
from tests.support import ssl_client_context as compat_client_context
from tests.support import ssl_server_context as compat_server_context

THREADS = 8
SOCKET_THREADS = 2
HANDSHAKES_PER_THREAD = scale(40, 1000)
FAILURES_PER_THREAD = scale(24, 300)
COMPAT_THREADS = 4
COMPAT_PER_THREAD = scale(25, 250)

#: Hang guard for joining the worker threads (seconds).
JOIN_TIMEOUT = 600.0
#: Upper bound for one wait on a socket (seconds).
IO_TIMEOUT = 10.0
MAX_ROUNDS = 100


# -- plumbing shared by the tests ---------------------------------------------


class Worker(threading.Thread):
    """A thread running *body*; its exception is kept for the main thread."""

    def __init__(self, index: int, body: Callable[[Worker], None]) -> None:
        super().__init__(name=f"tls-worker-{index}", daemon=True)
        self.index = index
        self.body = body
        self.error: Optional[BaseException] = None
        self.handshakes = 0
        self.owned: set[int] = set()
        self.calls: dict[str, int] = {}

    def run(self) -> None:
        try:
            self.body(self)
        except BaseException as exc:
            self.error = exc


def _run_workers(workers: Sequence[Worker]) -> None:
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(JOIN_TIMEOUT)
    stuck = [w.name for w in workers if w.is_alive()]
    assert not stuck, f"threads did not finish: {stuck}"
    failed = [(w.name, w.error) for w in workers if w.error is not None]
    if failed:
        name, error = failed[0]
        raise AssertionError(f"{len(failed)} threads failed; {name}: {error!r}") from (
            error
        )


def _current() -> Worker:
    thread = threading.current_thread()
    assert isinstance(thread, Worker), f"a callback ran in {thread.name}"
    return thread


# -- shared contexts, concurrent callbacks --------------------------------------


class CrossTalk(AssertionError):
    """A callback saw a connection or data of another thread."""


class Callbacks:
    """The shared Contexts' callbacks: each checks it sees its own thread's data."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.crosstalk: list[str] = []
        #: The Context the servername callback switches some connections to.
        self.alternate: Optional[SSL.Context] = None

    def _saw(self, name: str, conn: Any, ok: bool = True) -> Worker:
        worker = _current()
        if id(conn) not in worker.owned or not ok:
            message = f"{name} callback in {worker.name} saw another thread's data"
            with self._lock:
                self.crosstalk.append(message)
            raise CrossTalk(message)
        worker.calls[name] = worker.calls.get(name, 0) + 1
        return worker

    def verify(self, conn: Any, cert: Any, errnum: int, depth: int, ok: int) -> bool:
        self._saw("verify", conn, cert is not None)
        return bool(ok)

    def info(self, conn: Any, where: int, ret: int) -> None:
        self._saw("info", conn)

    def keylog(self, conn: Any, line: bytes) -> None:
        random = conn.client_random()
        self._saw("keylog", conn, line.split()[1] == random.hex().encode())

    def servername(self, conn: Any) -> None:
        worker = _current()
        self._saw("servername", conn, conn.get_servername() == _sni(worker.index))
        if conn.get_app_data() == "switch":
            conn.set_context(self.alternate)

    def alpn(self, conn: Any, offered: list[bytes]) -> bytes:
        worker = _current()
        self._saw("alpn", conn, offered[0] == _alpn(worker.index))
        return offered[0]

    def ocsp_server(self, conn: Any, data: Any) -> bytes:
        self._saw("ocsp server", conn)
        return b""

    def ocsp_client(self, conn: Any, response: bytes, data: Any) -> bool:
        self._saw("ocsp client", conn, response == b"")
        return True


def _sni(index: int) -> bytes:
    return b"thread-%d.test" % index


def _alpn(index: int) -> bytes:
    return b"thread-%d" % index


def _server_context(callbacks: Callbacks) -> SSL.Context:
    pki = make_pki()
    server = SSL.Context(SSL.TLS_METHOD)
    present(server, pki.server)
    server.load_verify_locations(str(ca_file()))
    server.set_verify(
        SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, callbacks.verify
    )
    server.set_info_callback(callbacks.info)
    server.set_keylog_callback(callbacks.keylog)
    server.set_tlsext_servername_callback(callbacks.servername)
    server.set_alpn_select_callback(callbacks.alpn)
    server.set_ocsp_server_callback(callbacks.ocsp_server)
    server.set_session_id(b"threads")
    return server


def _shared_contexts(callbacks: Callbacks) -> tuple[SSL.Context, SSL.Context]:
    """``(client, server)``; the server's SNI callback may switch to a third."""
    pki = make_pki()
    server = _server_context(callbacks)
    callbacks.alternate = _server_context(callbacks)
    client = SSL.Context(SSL.TLS_METHOD)
    client.load_verify_locations(str(ca_file()))
    client.set_verify(SSL.VERIFY_PEER, callbacks.verify)
    present(client, pki.client)
    client.set_info_callback(callbacks.info)
    client.set_keylog_callback(callbacks.keylog)
    client.set_ocsp_client_callback(callbacks.ocsp_client)
    return client, server


def _connections(
    worker: Worker, client_ctx: SSL.Context, server_ctx: SSL.Context, sockets: bool
) -> tuple[SSL.Connection, SSL.Connection, list[socket.socket]]:
    if sockets:
        a, b = socket.socketpair()
        a.setblocking(False)
        b.setblocking(False)
        client, server = SSL.Connection(client_ctx, a), SSL.Connection(server_ctx, b)
        raw = [a, b]
    else:
        client, server = SSL.Connection(client_ctx), SSL.Connection(server_ctx)
        raw = []
    worker.owned = {id(client), id(server)}
    client.set_connect_state()
    server.set_accept_state()
    client.set_tlsext_host_name(_sni(worker.index))
    client.set_alpn_protos([_alpn(worker.index), b"h2"])
    client.request_ocsp()
    return client, server, raw


def _collect_until(done: threading.Event) -> None:
    """Run the cyclic collector from this thread until *done* (mostly young
    generations: a full collection holds the GIL for tens of milliseconds)."""
    rounds = 0
    while not done.wait(0.002):
        rounds += 1
        gc.collect(2 if rounds % 50 == 0 else 0)


def test_handshakes_on_shared_contexts_in_eight_threads() -> None:
    callbacks = Callbacks()
    client_ctx, server_ctx = _shared_contexts(callbacks)
    resumed = [0] * THREADS
    shared: list[SSL.Session] = []

    def body(worker: Worker) -> None:
        sockets = worker.index < SOCKET_THREADS
        session: Optional[SSL.Session] = None
        payload = b"thread %d says hello" % worker.index
        for i in range(HANDSHAKES_PER_THREAD):
            client, server, raw = _connections(worker, client_ctx, server_ctx, sockets)
            try:
                if i % 4 == 3 and shared:
                    # One Session object resumed by every thread at once.
                    client.set_session(shared[0])
                elif session is not None and i % 2:
                    client.set_session(session)
                switch = i % 5 == 2
                if switch:
                    server.set_app_data("switch")
                handshake(client, server)
                expected = callbacks.alternate if switch else server_ctx
                assert server.get_context() is expected
                assert client.get_alpn_proto_negotiated() == _alpn(worker.index)
                assert server.get_servername() == _sni(worker.index)
                client.sendall(payload)
                if not sockets:
                    pump(client, server)
                assert read_all(server, pump_with=client, size=len(payload)) == payload
                server.sendall(payload[::-1])
                if not sockets:
                    pump(server, client)
                assert (
                    read_all(client, pump_with=server, size=len(payload))
                    == payload[::-1]
                )
                resumed[worker.index] += lib.SSL_session_reused(client._ssl)
                close_pair(client, server)
                session = client.get_session()
                if not shared and session is not None:
                    shared.append(session)
                worker.handshakes += 1
            finally:
                worker.owned = set()
                for sock in raw:
                    sock.close()

    # Meanwhile the collector runs in yet another thread, so Connections die
    # (and leave the SSL * -> Connection map) while others are looked up.
    done = threading.Event()
    collector = threading.Thread(target=_collect_until, args=(done,), daemon=True)
    collector.start()
    workers = [Worker(index, body) for index in range(THREADS)]
    try:
        _run_workers(workers)
    finally:
        done.set()
        collector.join(JOIN_TIMEOUT)
    assert not callbacks.crosstalk, callbacks.crosstalk[:3]
    handshakes = sum(w.handshakes for w in workers)
    assert handshakes == THREADS * HANDSHAKES_PER_THREAD
    names = {"verify", "info", "keylog", "servername", "alpn", "ocsp client"}
    names.add("ocsp server")
    for worker in workers:
        # Every callback ran in every thread, on that thread's connections.
        assert set(worker.calls) == names, (worker.name, worker.calls)
    assert all(resumed), f"sessions resumed per thread: {resumed}"
    record("threads: handshakes", handshakes)
    record("threads: threads", THREADS)


def _types_made_at_once(cls: type[SSL.Connection], ctx: SSL.Context) -> list[type]:
    """The types of socket-mode *cls* Connections made by THREADS threads at once."""
    pairs = [socket.socketpair() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS, timeout=IO_TIMEOUT)
    kinds: list[type] = []

    def make(index: int) -> None:
        barrier.wait()
        kinds.append(type(cls(ctx, pairs[index][0])))

    threads = [threading.Thread(target=make, args=(i,)) for i in range(THREADS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(JOIN_TIMEOUT)
    finally:
        for a, b in pairs:
            a.close()
            b.close()
    assert len(kinds) == THREADS
    return kinds


def test_socket_mode_connections_made_in_threads_share_one_class() -> None:
    """Socket-mode Connections of one class have one type, whoever made them.

    Socket mode gives a Connection a subclass that falls through to the
    socket, made on first use and cached. Threads making their first
    socket-mode Connection at once each made their own subclass (about one
    trial in fifteen), so ``type(a) is type(b)`` depended on timing.
    """
    ctx = SSL.Context(SSL.TLS_METHOD)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for trial in range(scale(100, 400)):

            class Fresh(SSL.Connection):
                """A class no socket-mode Connection was made from yet."""

            kinds = _types_made_at_once(Fresh, ctx)
            assert len(set(kinds)) == 1, f"trial {trial}: {len(set(kinds))} types"
            assert issubclass(kinds[0], Fresh)
    finally:
        sys.setswitchinterval(previous)


# -- concurrent failures ----------------------------------------------------------


class Planted(Exception):
    """Raised by a callback on behalf of one handshake of one thread."""


def test_callback_exceptions_surface_in_their_own_thread() -> None:
    """Each planted exception comes out of its own handshake's call, only."""

    def raise_planted(conn: Any) -> None:
        planted = conn.get_app_data()
        if isinstance(planted, Planted):
            raise planted

    def verify(conn: Any, cert: Any, errnum: int, depth: int, ok: int) -> bool:
        raise_planted(conn)
        return bool(ok)

    def info(conn: Any, where: int, ret: int) -> None:
        if where & SSL.SSL_CB_HANDSHAKE_DONE:
            raise_planted(conn)

    def alpn(conn: Any, offered: list[bytes]) -> bytes:
        raise_planted(conn)
        return offered[0]

    pki = make_pki()
    server_ctx = SSL.Context(SSL.TLS_METHOD)
    present(server_ctx, pki.server)
    server_ctx.set_alpn_select_callback(alpn)
    server_ctx.set_info_callback(info)
    client_ctx = SSL.Context(SSL.TLS_METHOD)
    client_ctx.load_verify_locations(str(ca_file()))
    client_ctx.set_verify(SSL.VERIFY_PEER, verify)
    client_ctx.set_alpn_protos([b"h2"])
    # Which side's callback raises, by iteration: (client verify, server ALPN,
    # server info at the end of the handshake, nobody).
    plans = ("client", "server", "server-info", None)
    outcomes: list[list[str]] = [[] for _ in range(THREADS)]

    def body(worker: Worker) -> None:
        for i in range(FAILURES_PER_THREAD):
            plan = plans[(i + worker.index) % len(plans)]
            client, server = SSL.Connection(client_ctx), SSL.Connection(server_ctx)
            client.set_connect_state()
            server.set_accept_state()
            planted = Planted(f"{worker.name} handshake {i}")
            if plan == "client":
                client.set_app_data(planted)
            elif plan is not None:
                server.set_app_data(planted)
            try:
                handshake(client, server)
            except Planted as exc:
                assert exc is planted, f"{worker.name} got {exc} instead of {planted}"
                side = "client" if plan == "client" else "server"
                outcomes[worker.index].append(side)
            except SSL.Error as exc:
                # The peer of the side that raised sees the fatal alert.
                raise AssertionError(f"{worker.name}, plan {plan}: {exc!r}") from exc
            else:
                assert plan is None, f"{worker.name}: {planted} was lost"
                outcomes[worker.index].append("ok")
            worker.handshakes += 1

    workers = [Worker(index, body) for index in range(THREADS)]
    _run_workers(workers)
    for index, seen in enumerate(outcomes):
        assert len(seen) == FAILURES_PER_THREAD
        assert {"client", "server", "ok"} <= set(seen), (index, seen)
    record("threads: handshakes", sum(w.handshakes for w in workers))
    record("threads: threads", THREADS)


# -- the GIL is released inside OpenSSL --------------------------------------------

#: How long the blocked thread's kernel read may wait: if the GIL were held
#: during it, the main thread would run only after this much time, and the
#: order of events (not the time) fails the test.
BLOCKED_READ_LIMIT = 10


def _blocking_with_kernel_timeout(
    sock: socket.socket, seconds: int = BLOCKED_READ_LIMIT
) -> None:
    # A Python socket timeout would make the descriptor non-blocking (and
    # OpenSSL would return WantReadError at once): a kernel receive timeout
    # keeps the read blocking inside OpenSSL but bounded.
    sock.setblocking(True)
    timeval = struct.pack("ll", seconds, 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)


def _read_record(sock: socket.socket) -> bytes:
    """One whole TLS record from *sock* (so closing it sends a FIN, not a RST)."""
    sock.settimeout(IO_TIMEOUT + BLOCKED_READ_LIMIT)
    record = b""
    wanted = 5
    while len(record) < wanted:
        chunk = sock.recv(wanted - len(record))
        if not chunk:
            break
        record += chunk
        if len(record) == 5:
            wanted = 5 + int.from_bytes(record[3:5], "big")
    return record


def _unread(sock: socket.socket) -> int:
    """Bytes waiting in *sock*'s kernel receive queue."""
    import fcntl
    import termios

    count = array.array("i", [0])
    fcntl.ioctl(sock.fileno(), termios.FIONREAD, count)
    return count[0]


def _events_while_blocked(
    call: Callable[[], Any], inside: Callable[[], None], peer: socket.socket
) -> tuple[list[str], Optional[BaseException]]:
    """Run *call* in a thread, where it blocks reading inside OpenSSL.

    The main thread waits with *inside* for evidence that the thread is
    inside the C call (something only OpenSSL, running in that thread, can
    have done), logs it, does some Python work and logs that, then closes
    *peer*, which ends the blocked read with an EOF. If the GIL were held
    during the read, the main thread could log nothing until the kernel
    receive timeout ended the call, so the thread's return would come first.
    """
    events: list[str] = []
    lock = threading.Lock()
    outcome: list[Optional[BaseException]] = [None]

    def log(event: str) -> None:
        with lock:
            events.append(event)

    def blocked() -> None:
        log("thread: calls OpenSSL")
        try:
            call()
        except BaseException as exc:
            outcome[0] = exc
        log("thread: OpenSSL returned")

    thread = threading.Thread(target=blocked, daemon=True)
    thread.start()
    inside()
    log("main: the thread is inside OpenSSL")
    counter = 0
    for _ in range(100000):
        counter += 1
    log(f"main: counted to {counter}")
    peer.close()
    thread.join(BLOCKED_READ_LIMIT + IO_TIMEOUT)
    assert not thread.is_alive(), "the blocked thread never returned"
    return events, outcome[0]


def _partial_record_taken(
    reader: socket.socket, peer: socket.socket, patience: float = IO_TIMEOUT
) -> Callable[[], None]:
    """Evidence that a thread is blocked reading *reader*: it took a partial record.

    Three bytes of a record header go to *reader*; SSL_read takes them off
    the socket and waits for the rest, which never comes. Only the blocked
    thread can empty the receive queue.
    """

    def inside() -> None:
        peer.setblocking(True)
        peer.sendall(b"\x17\x03\x03")
        for _ in range(int(patience / 0.001)):
            if _unread(reader) == 0:
                return
            threading.Event().wait(0.001)
        raise AssertionError("the thread never read from its socket")

    return inside


EXPECTED_EVENTS = [
    "thread: calls OpenSSL",
    "main: the thread is inside OpenSSL",
    "main: counted to 100000",
    "thread: OpenSSL returned",
]


@pytest.mark.skipif(sys.platform == "win32", reason="needs SO_RCVTIMEO as timeval")
def test_gil_is_released_during_a_blocking_handshake() -> None:
    """The main thread runs Python code while a thread waits in do_handshake."""
    a, b = socket.socketpair()
    try:
        _blocking_with_kernel_timeout(a)
        conn = SSL.Connection(SSL.Context(SSL.TLS_METHOD), a)
        conn.set_connect_state()

        def inside() -> None:
            # The ClientHello is written inside SSL_do_handshake, which then
            # waits for the server's answer that never comes.
            record = _read_record(b)
            assert record[:1] == b"\x16", f"no ClientHello: {record[:5]!r}"

        events, error = _events_while_blocked(conn.do_handshake, inside, b)
    finally:
        a.close()
        b.close()
    assert events == EXPECTED_EVENTS, events
    # The close ended the read: an EOF, not the kernel timeout.
    assert isinstance(error, SSL.SysCallError), repr(error)
    assert error.args[0] == -1, repr(error)


@pytest.mark.skipif(sys.platform == "win32", reason="needs SO_RCVTIMEO and FIONREAD")
def test_gil_is_released_during_a_blocking_recv() -> None:
    """The same for SSL_read on an established blocking connection."""
    pki = make_pki()
    server_ctx = SSL.Context(SSL.TLS_METHOD)
    server_ctx.use_certificate(pki.server.cert)
    server_ctx.use_privatekey(pki.server.key)
    a, b = socket.socketpair()
    try:
        a.setblocking(False)
        b.setblocking(False)
        client = SSL.Connection(SSL.Context(SSL.TLS_METHOD), a)
        server = SSL.Connection(server_ctx, b)
        client.set_connect_state()
        server.set_accept_state()
        handshake(client, server)
        # The client processes the server's tickets, then reads nothing more.
        server.sendall(b"x")
        assert read_all(client, pump_with=server, size=1) == b"x"
        assert _unread(a) == 0
        _blocking_with_kernel_timeout(a)

        events, error = _events_while_blocked(
            lambda: client.recv(1024), _partial_record_taken(a, b), b
        )
    finally:
        a.close()
        b.close()
    assert events == EXPECTED_EVENTS, events
    assert isinstance(error, SSL.SysCallError), repr(error)
    assert error.args[0] == -1, repr(error)


@pytest.mark.skipif(sys.platform == "win32", reason="needs SO_RCVTIMEO and FIONREAD")
def test_the_gil_check_fails_for_a_call_that_keeps_the_gil() -> None:
    """The check above can fail: a blocking read that keeps the GIL fails it.

    ``ctypes.PyDLL`` calls keep the GIL, so a libc ``recv(MSG_WAITALL)``
    through it blocks the whole interpreter until its one-second kernel
    timeout; the main thread's events then come after the thread's return,
    or the evidence never appears.
    """
    libc = ctypes.PyDLL(None)
    recv = libc.recv
    recv.restype = ctypes.c_ssize_t
    recv.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
    buffer = ctypes.create_string_buffer(16)
    a, b = socket.socketpair()
    try:
        _blocking_with_kernel_timeout(a, seconds=1)

        def holds_the_gil() -> None:
            recv(a.fileno(), buffer, 5, socket.MSG_WAITALL)

        try:
            events, _ = _events_while_blocked(
                holds_the_gil, _partial_record_taken(a, b, patience=1.5), b
            )
        except AssertionError as exc:
            assert "never read" in str(exc)
        else:
            assert events != EXPECTED_EVENTS, events
    finally:
        a.close()
        b.close()


# -- ssl_compat ---------------------------------------------------------------------


def test_ssl_compat_objects_share_contexts_across_threads(tmp_path: Path) -> None:
    """SNI per thread, session resumption, shared counters and key log."""
    seen_names: list[str] = []
    lock = threading.Lock()

    def sni(sslobj: Any, name: Optional[str], ctx: Any) -> None:
        worker = _current()
        if name != f"thread-{worker.index}.test":
            raise CrossTalk(f"{worker.name} saw SNI {name!r}")
        with lock:
            seen_names.append(name)

    server_ctx = compat_server_context()
    server_ctx.sni_callback = sni
    server_ctx.set_alpn_protocols(["h2"])
    client_ctx = compat_client_context()
    client_ctx.check_hostname = False
    client_ctx.set_alpn_protocols(["h2"])
    keylog = tmp_path / "keys.log"
    client_ctx.keylog_filename = str(keylog)
    resumed = [0] * COMPAT_THREADS

    def body(worker: Worker) -> None:
        session = None
        for i in range(COMPAT_PER_THREAD):
            client_end, server_end = object_pair(
                client_ctx,
                server_ctx,
                server_hostname=f"thread-{worker.index}.test",
                session=session if i % 2 else None,
            )
            handshake(client_end, server_end)
            client, server = client_end.obj, server_end.obj
            assert client.selected_alpn_protocol() == "h2"
            message = f"{worker.name} #{i}".encode()
            client.write(message)
            deliver(client_end, server_end)
            assert server.read(len(message)) == message
            # The reply carries the TLS 1.3 tickets along.
            server.write(message[::-1])
            deliver(client_end, server_end)
            assert client.read(len(message)) == message[::-1]
            resumed[worker.index] += client.session_reused
            session = client.session
            worker.handshakes += 1

    workers = [Worker(index, body) for index in range(COMPAT_THREADS)]
    _run_workers(workers)
    total = COMPAT_THREADS * COMPAT_PER_THREAD
    assert len(seen_names) == total
    assert all(resumed), f"sessions resumed per thread: {resumed}"
    # Counters shared by the threads lost no update.
    client_stats, server_stats = client_ctx.session_stats(), server_ctx.session_stats()
    assert client_stats["connect"] == client_stats["connect_good"] == total
    assert server_stats["accept"] == server_stats["accept_good"] == total
    assert server_stats["hits"] == sum(resumed)
    # Key log lines written by several threads at once stay whole.
    client_ctx.keylog_filename = None
    lines = keylog.read_bytes().splitlines()[1:]
    assert lines and all(len(line.split()) == 3 for line in lines), lines[:3]
    assert len({line.split()[1] for line in lines}) == total
    record("threads: handshakes", sum(w.handshakes for w in workers))
    record("threads: threads", COMPAT_THREADS)


@pytest.fixture(autouse=True)
def _switch_interval() -> Any:
    """Switch threads often, so that the callbacks really interleave."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(previous)
