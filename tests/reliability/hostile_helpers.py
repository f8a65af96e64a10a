"""Scripted peers and uniform drivers for the hostile-peer tests.

.. list-table:: The tests of ``test_hostile_peers.py``: checks and verdicts
   :header-rows: 1

   * - test
     - checks
     - verdict computed in
   * - ``test_peer_stops_mid_handshake``, ``test_peer_pauses_then_goes_on``,
       ``test_trickling_peer``
     - silence, pauses and single bytes: want-read or a timeout, then the
       conversation goes on or ends with the documented EOF
     - the tests (asserts on the :class:`Outcome` transcript;
       :func:`stall_transcript`, :class:`Trickler` here only drive)
   * - ``test_close_without_close_notify_while_receiving``,
       ``test_reset_while_receiving``, ``test_peer_gone_while_sending``,
       ``test_peer_vanishes_during_sendall``, ``test_peer_never_reads``
     - FIN, RST, a vanished or a never-reading peer: data before the end
       arrives, then the documented transport error
     - the tests (:func:`matches`, :func:`send_until_error` collect)
   * - ``test_close_notify_then_more_bytes``, ``test_garbage_after_data``,
       ``test_endless_stream_during_handshake``,
       ``test_endless_garbage_after_handshake``,
       ``test_endless_hello_requests_to_a_client``,
       ``test_flood_of_data_while_we_send``
     - misbehaving streams: a protocol error at the first bad record, or
       the conversation completes
     - the tests (:class:`BioPeer`, :class:`Flooder` here only script bytes)
   * - ``test_tls12_peer_ends``, ``test_shutdown_against_a_hostile_peer``,
       ``test_compat_state_after_the_peer_ends``,
       ``test_compat_use_after_eof_is_eof_error``
     - every call after the peer ended: ``ssl_compat`` answers as the
       standard library does
     - the tests (``_compare_with_stdlib`` in the test module;
       :func:`after_calls`, :func:`shutdown_transcript` here collect)
   * - ``test_outcome_of_reports_exceptions``
     - :func:`outcome_of` tells results and exceptions apart (self-test)
     - the test
   * - ``test_ssl_outcomes_match_pyopenssl``
     - the oracle scenarios give the same outcomes under pyOpenSSL 26.4
     - :func:`oracle_transcripts` here records both interpreters'
       transcripts; the test compares them (:func:`pyopenssl_queue_leak`
       excuses pyOpenSSL's own queue leak)

:meth:`Side.drive` fails a test whose peer's bytes never come: a hang guard,
never a verdict.

The tests in ``test_hostile_peers.py`` put one of our endpoints on a real
loopback TCP socket and a scripted peer on the other end. This module holds
the two halves:

* :class:`BioPeer` -- the peer. It speaks real TLS through the standard
  library's ``ssl.SSLObject`` (a different OpenSSL build from ours) over a
  raw socket, so a script can send exactly the bytes it wants: a part of a
  handshake flight, application records, a close_notify followed by more
  bytes, garbage, a FIN without close_notify or an RST.
* :class:`Side` -- our endpoint, in one of three socket modes, behind one
  interface for ``OpenSSL.SSL`` (:class:`SSLSide`) and for
  ``OpenSSL.ssl_compat`` or the standard library's ``ssl`` as the reference
  (:class:`CompatSide`). :meth:`Side.attempt` makes one call and reports what
  it did; :meth:`Side.drive` retries a call that has to wait for the peer,
  waiting in ``select`` (non-blocking and timeout modes) and failing the test
  if the peer's bytes never come (a hang guard, never a verdict).

Modes: ``blocking`` (``OpenSSL.SSL``: a blocking socket whose kernel receive
and send timeouts, ``SO_RCVTIMEO``/``SO_SNDTIMEO``, bound every call; the
compat layers: ``settimeout(None)`` with a watchdog that shuts the socket if
the test hangs), ``timeout`` (``settimeout(SHORT)``) and ``nonblocking``
(``setblocking(False)``).

Outcomes are :class:`Outcome` values, so a scenario's whole transcript can be
compared between ``ssl_compat`` and the standard library.
"""

from __future__ import annotations

import errno
import json
import os
import random
import select
import shlex
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Optional

from OpenSSL import SSL
from OpenSSL._util import lib
from tests import support

__all__ = [
    "GUARD",
    "ORACLE_PREFIX",
    "REPO_ROOT",
    "SHORT",
    "SHUTDOWN_PEER_ACTIONS",
    "BioPeer",
    "CompatSide",
    "Flooder",
    "Outcome",
    "SSLSide",
    "Side",
    "Trickler",
    "bench_python",
    "connected_pair",
    "handshake_pair",
    "is_no_reason",
    "matches",
    "oracle_result",
    "oracle_transcripts",
    "prime_pki",
    "pyopenssl_queue_leak",
    "rst_close",
    "shutdown_transcript",
    "start_oracle",
    "tcp_pair",
]

#: The socket timeout of the "timeout" mode and of silent-peer checks.
SHORT = 0.2
#: Hang guard for anything that waits on a live peer (never decides a result).
GUARD = 10.0
MODES = ("blocking", "timeout", "nonblocking")


# Scenarios hand the peer's end to helpers and threads and do not always
# close it: both ends are tracked (tests.support.track), so what is left open
# is closed after the test, or by the oracle after each scenario.


def tcp_pair() -> tuple[socket.socket, socket.socket]:
    """``(ours, peer)``: the two ends of a TCP connection on 127.0.0.1."""
    ours, peer = support.loopback_tcp()
    support.track(ours)
    support.track(peer)
    for sock in (ours, peer):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    peer.settimeout(GUARD)
    return ours, peer


def connected_pair(transport: str = "tcp") -> tuple[socket.socket, socket.socket]:
    """``(ours, peer)`` over ``"tcp"`` (loopback) or ``"unix"`` (``socketpair``)."""
    if transport == "tcp":
        return tcp_pair()
    ours, peer = socket.socketpair()
    support.track(ours)
    support.track(peer)
    peer.settimeout(GUARD)
    return ours, peer


def rst_close(sock: socket.socket) -> None:
    """Close *sock* with an RST (``SO_LINGER`` on, zero seconds)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def wait_readable(sock: Any, timeout: float = GUARD) -> None:
    """Wait until *sock* is readable; fail the test (hang guard) otherwise."""
    if not select.select([sock], [], [], timeout)[0]:
        raise AssertionError(f"no bytes from the peer within {timeout} s")


# -- outcomes ------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one call did: returned ``value``, or raised ``exc``."""

    value: Any = None
    exc: Optional[BaseException] = None

    @property
    def type(self) -> Optional[type[BaseException]]:
        return None if self.exc is None else type(self.exc)

    def key(self) -> tuple[Any, ...]:
        """What must agree between two implementations: result or class + code.

        Messages differ (CPython adds ``(_ssl.c:NNNN)``, OpenSSL 3 and 4 word
        reasons differently); the class and the error number must not.
        """
        if self.exc is None:
            value = self.value
            exact = value is None or isinstance(value, (bytes, int, str))
            return ("value", value if exact else "ok")
        exc = self.exc
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        return ("raise", type(exc).__name__, code)

    def __repr__(self) -> str:
        if self.exc is None:
            value = self.value
            if isinstance(value, bytes) and len(value) > 40:
                return f"<returned {len(value)} bytes>"
            return f"<returned {value!r}>"
        return f"<raised {type(self.exc).__name__}{self.exc.args!r}>"


def outcome_of(call: Callable[[], Any]) -> Outcome:
    try:
        return Outcome(value=call())
    except Exception as exc:
        return Outcome(exc=exc)


def error_queue_empty() -> bool:
    """Whether this thread's OpenSSL error queue (cryptography's OpenSSL) is empty."""
    return bool(lib.ERR_peek_error() == 0)


def _bounded(guard: float = 4 * GUARD) -> Iterator[int]:
    """Count loop rounds until *guard* seconds have passed (a hang guard)."""
    deadline = time.monotonic() + guard
    rounds = 0
    while time.monotonic() < deadline:
        yield rounds
        rounds += 1


def prime_pki() -> None:
    """Build the test PKI and its files now, in this thread.

    Two threads building them at once would make two different roots.
    """
    support.identity_files("server")
    support.ca_file()


def _stdlib_context(server_side: bool, tls12: bool = False) -> ssl.SSLContext:
    """A context of the standard library for the peer (no ssl_compat needed).

    With *tls12* the peer speaks TLS 1.2 at most.
    """
    settings = {"maximum_version": ssl.TLSVersion.TLSv1_2} if tls12 else {}
    if server_side:
        server: ssl.SSLContext = support.ssl_server_context(ssl, **settings)
        return server
    client: ssl.SSLContext = support.ssl_client_context(ssl, **settings)
    return client


# -- the scripted peer -----------------------------------------------------------


class BioPeer:
    """A TLS peer made of the stdlib's ``SSLObject`` and a raw socket.

    Every byte it sends goes through :meth:`send_raw`, so scripts decide
    exactly what reaches our endpoint and when.
    """

    def __init__(
        self, sock: socket.socket, *, server_side: bool, tls12: bool = False
    ) -> None:
        self.sock = sock
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        ctx = _stdlib_context(server_side, tls12)
        if server_side:
            self.obj = ctx.wrap_bio(self.incoming, self.outgoing, server_side=True)
        else:
            self.obj = ctx.wrap_bio(
                self.incoming, self.outgoing, server_hostname="localhost"
            )
        self.sent = 0

    # raw bytes
    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)
        self.sent += len(data)

    def pull(self) -> bool:
        """Move what the socket has into the SSLObject; ``False`` at EOF."""
        data = self.sock.recv(65536)
        if not data:
            return False
        self.incoming.write(data)
        return True

    def take_output(self) -> bytes:
        return self.outgoing.read()

    # TLS steps
    def first_flight(self) -> bytes:
        """Start the handshake; return the first flight without sending it.

        A client's is its ClientHello. A server reads our ClientHello first.
        """
        for _ in _bounded():
            try:
                self.obj.do_handshake()
            except ssl.SSLWantReadError:
                out = self.take_output()
                if out:
                    return out
                if not self.pull():
                    raise AssertionError(
                        "our endpoint closed before its hello"
                    ) from None
            else:
                return self.take_output()
        raise AssertionError("no first flight")

    def handshake(self) -> None:
        """Complete the handshake, sending everything it produces."""
        for _ in _bounded():
            try:
                self.obj.do_handshake()
            except ssl.SSLWantReadError:
                self.flush()
                if not self.pull():
                    raise AssertionError("our endpoint closed mid-handshake") from None
            else:
                self.flush()
                return
        raise AssertionError("peer handshake did not finish")

    def absorb_handshake(self) -> None:
        """Read our flight until the peer's handshake is done; send nothing."""
        for _ in _bounded():
            try:
                self.obj.do_handshake()
            except ssl.SSLWantReadError:
                if not self.pull():
                    raise AssertionError("our endpoint closed mid-handshake") from None
            else:
                self.take_output()
                return
        raise AssertionError("peer handshake did not finish")

    def flush(self) -> None:
        out = self.take_output()
        if out:
            self.send_raw(out)

    def records(self, data: bytes) -> bytes:
        """Encrypt *data* as application records; return them unsent."""
        view = memoryview(data)
        while view:
            written = self.obj.write(view)
            view = view[written:]
        return self.take_output()

    def send_app(self, data: bytes) -> None:
        self.send_raw(self.records(data))

    def close_notify(self) -> bytes:
        """Our close_notify record, unsent."""
        try:
            self.obj.unwrap()
        except ssl.SSLWantReadError:
            pass
        return self.take_output()

    def read_exact(self, size: int) -> bytes:
        """Read *size* bytes of application data (tickets etc. consumed on the way)."""
        received = bytearray()
        while len(received) < size:
            try:
                chunk = self.obj.read(size - len(received))
            except ssl.SSLWantReadError:
                if not self.pull():
                    raise AssertionError(
                        f"EOF after {len(received)} of {size} bytes"
                    ) from None
                continue
            if not chunk:
                raise AssertionError("close_notify before the expected data")
            received += chunk
        return bytes(received)

    def close(self) -> None:
        """FIN without close_notify."""
        self.sock.close()

    def reset(self) -> None:
        """RST."""
        rst_close(self.sock)


class PeerThread:
    """Run a peer script in a thread; :meth:`join` re-raises what it raised."""

    def __init__(self, script: Callable[[], Any]) -> None:
        self.error: Optional[BaseException] = None
        self.result: Any = None
        self._script = script
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.result = self._script()
        except BaseException as exc:
            self.error = exc

    def join(self, timeout: float = GUARD) -> Any:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError("the peer script hung")
        if self.error is not None:
            raise self.error
        return self.result


class Flooder:
    """Send ``chunk()`` results on *sock* until stopped, refused or at *cap* bytes."""

    def __init__(
        self, sock: socket.socket, chunk: Callable[[], bytes], cap: int
    ) -> None:
        self.sock = sock
        self.sent = 0
        self.cap = cap
        self._chunk = chunk
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set() and self.sent < self.cap:
                data = self._chunk()
                self.sock.sendall(data)
                self.sent += len(data)
        except OSError:
            pass  # our endpoint gave up and closed: the expected end

    def stop(self) -> int:
        """Stop; return how many bytes were sent."""
        self._stop.set()
        self._thread.join(GUARD)
        if self._thread.is_alive():
            # Blocked in sendall on a peer that no longer reads.
            rst_close(self.sock)
            self._thread.join(GUARD)
        assert not self._thread.is_alive(), "the flooder hung"
        return self.sent


# -- our endpoint ------------------------------------------------------------------


class Side:
    """Our TLS endpoint on a socket; subclasses bind it to one API."""

    api = ""
    #: Exceptions that mean "retry once the socket is ready".
    want_read: tuple[type[BaseException], ...] = ()
    want_write: tuple[type[BaseException], ...] = ()

    def __init__(self, sock: socket.socket, *, server: bool, mode: str) -> None:
        assert mode in MODES
        self.raw = sock
        self.server = server
        self.mode = mode
        self.watchdog_fired = False
        self._watchdog: Optional[threading.Timer] = None

    # operations, as zero-argument calls
    def handshake(self) -> Any:
        raise NotImplementedError

    def recv(self, size: int) -> Any:
        raise NotImplementedError

    def send(self, data: bytes) -> Any:
        raise NotImplementedError

    def sendall(self, data: bytes) -> Any:
        raise NotImplementedError

    def shutdown(self) -> Any:
        raise NotImplementedError

    def fileno_source(self) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()

    def arm_watchdog(self) -> None:
        """Blocking compat mode: shut the socket down if the test hangs."""

        def fire() -> None:
            self.watchdog_fired = True
            try:
                self.raw.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        self._watchdog = threading.Timer(GUARD, fire)
        self._watchdog.daemon = True
        self._watchdog.start()

    # one call, or a call driven to completion
    def attempt(self, call: Callable[[], Any]) -> Outcome:
        return outcome_of(call)

    def drive(self, call: Callable[[], Any], guard: float = GUARD) -> Outcome:
        """Retry *call* while it must wait for the peer; return its final outcome."""
        deadline = time.monotonic() + guard
        while True:
            outcome = outcome_of(call)
            exc = outcome.exc
            if exc is None or not isinstance(exc, self.want_read + self.want_write):
                assert not self.watchdog_fired, "the call hung (watchdog fired)"
                return outcome
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{call} made no progress in {guard} s")
            if isinstance(exc, socket.timeout):
                continue  # the call itself waited (compat "timeout" mode)
            if isinstance(exc, self.want_write):
                select.select([], [self.fileno_source()], [], left)
            else:
                select.select([self.fileno_source()], [], [], left)

    def recv_until_error(self, limit: int, size: int = 4096) -> tuple[bytes, Outcome]:
        """Read until a call does not return data; ``(data, final outcome)``.

        A ``b""`` (compat: the peer's close) also ends the loop; so do
        *limit* bytes (then the outcome is the last read).
        """
        received = bytearray()
        for _ in range(limit + 2):
            outcome = self.drive(lambda: self.recv(size))
            if outcome.exc is not None or not outcome.value:
                return bytes(received), outcome
            received += outcome.value
            if len(received) > limit:
                return bytes(received), outcome
        raise AssertionError("recv loop did not end")

    def recv_exact(self, size: int) -> bytes:
        received = bytearray()
        while len(received) < size:
            want = min(65536, size - len(received))
            outcome = self.drive(lambda want=want: self.recv(want))
            if outcome.exc is not None:
                raise AssertionError(
                    f"{outcome!r} after {len(received)} of {size} bytes"
                ) from outcome.exc
            if not outcome.value:
                raise AssertionError(f"EOF after {len(received)} of {size} bytes")
            received += outcome.value
        return bytes(received)

    def send_exact(self, data: bytes) -> None:
        """Send all of *data* with ``send`` (retried with the same bytes)."""
        view = memoryview(data)
        while view:
            chunk = bytes(view[:65536])
            outcome = self.drive(lambda chunk=chunk: self.send(chunk))
            if outcome.exc is not None:
                raise AssertionError(f"send failed: {outcome!r}") from outcome.exc
            view = view[outcome.value :]


class SSLSide(Side):
    """``OpenSSL.SSL.Connection`` in socket mode."""

    api = "SSL"
    want_read = (SSL.WantReadError,)
    want_write = (SSL.WantWriteError,)

    def __init__(self, sock: socket.socket, *, server: bool, mode: str) -> None:
        super().__init__(sock, server=server, mode=mode)
        if mode == "blocking":
            sock.setblocking(True)
            timeval = struct.pack("ll", int(SHORT), int((SHORT % 1) * 1e6))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        elif mode == "timeout":
            sock.settimeout(SHORT)
        else:
            sock.setblocking(False)
        ctx = support.server_context() if server else support.client_context()
        self.conn = SSL.Connection(ctx, sock)
        if server:
            self.conn.set_accept_state()
        else:
            self.conn.set_connect_state()
            self.conn.set_tlsext_host_name(b"localhost")

    def handshake(self) -> Any:
        return self.conn.do_handshake()

    def recv(self, size: int) -> Any:
        return self.conn.recv(size)

    def send(self, data: bytes) -> Any:
        return self.conn.send(data)

    def sendall(self, data: bytes) -> Any:
        return self.conn.sendall(data)

    def shutdown(self) -> Any:
        return self.conn.shutdown()

    def fileno_source(self) -> Any:
        return self.raw

    def close(self) -> None:
        super().close()
        self.raw.close()


class CompatSide(Side):
    """An ``SSLSocket`` of ``ssl_compat`` or, as the reference, of ``ssl``."""

    api = "compat"

    def __init__(
        self,
        sock: socket.socket,
        *,
        server: bool,
        mode: str,
        module: ModuleType,
        ragged: bool = True,
    ) -> None:
        super().__init__(sock, server=server, mode=mode)
        from tests import support  # imports ssl_compat: only here

        self.module = module
        self.want_read = (module.SSLWantReadError, socket.timeout)
        self.want_write = (module.SSLWantWriteError,)
        if server:
            ctx = support.ssl_server_context(module)
            self.tls = ctx.wrap_socket(
                sock,
                server_side=True,
                do_handshake_on_connect=False,
                suppress_ragged_eofs=ragged,
            )
        else:
            ctx = support.ssl_client_context(module)
            self.tls = ctx.wrap_socket(
                sock,
                server_hostname="localhost",
                do_handshake_on_connect=False,
                suppress_ragged_eofs=ragged,
            )
        # wrap_socket detached *sock*: the watchdog must shut the new socket.
        self.raw = self.tls
        if mode == "blocking":
            self.tls.settimeout(None)
            self.arm_watchdog()
        elif mode == "timeout":
            self.tls.settimeout(SHORT)
        else:
            self.tls.setblocking(False)

    def handshake(self) -> Any:
        return self.tls.do_handshake()

    def recv(self, size: int) -> Any:
        return self.tls.recv(size)

    def send(self, data: bytes) -> Any:
        return self.tls.send(data)

    def sendall(self, data: bytes) -> Any:
        return self.tls.sendall(data)

    def shutdown(self) -> Any:
        return self.tls.unwrap()

    def fileno_source(self) -> Any:
        return self.tls

    def close(self) -> None:
        super().close()
        self.tls.close()


def make_side(
    api: str, sock: socket.socket, *, server: bool, mode: str, ragged: bool = True
) -> Side:
    """Our endpoint for *api*: ``"SSL"``, ``"compat"`` or ``"stdlib"`` (reference)."""
    if api == "SSL":
        return SSLSide(sock, server=server, mode=mode)
    module: ModuleType
    if api == "compat":
        from OpenSSL import ssl_compat

        module = ssl_compat
    else:
        module = ssl
    return CompatSide(sock, server=server, mode=mode, module=module, ragged=ragged)


def handshake_pair(
    api: str,
    role: str,
    mode: str,
    ragged: bool = True,
    transport: str = "tcp",
    version: str = "TLSv1.3",
) -> tuple[Side, BioPeer]:
    """Our endpoint and a BioPeer, handshaken, tickets consumed both ways.

    *version* is what the peer negotiates: ``"TLSv1.3"`` or ``"TLSv1.2"``.
    """
    ours_sock, peer_sock = connected_pair(transport)
    server = role == "server"
    side = make_side(api, ours_sock, server=server, mode=mode, ragged=ragged)
    peer = BioPeer(peer_sock, server_side=not server, tls12=version == "TLSv1.2")
    thread = PeerThread(peer.handshake)
    outcome = side.drive(side.handshake)
    assert outcome.exc is None, outcome
    thread.join()
    # A round trip: the peer's reads consume our session tickets and ours
    # consume the peer's, so no unread bytes turn a later close into an RST.
    side.send_exact(b"ping")
    assert peer.read_exact(4) == b"ping"
    peer.send_app(b"pong")
    assert side.recv_exact(4) == b"pong"
    assert peer.obj.version() == version
    return side, peer


# -- scenario pieces shared by the tests and the pyOpenSSL oracle ---

#: What OpenSSL.SSL raises for a call on a connection that already failed:
#: pyOpenSSL 26.4 raises ``Error([])``; this project never raises an empty
#: list (README) and names the likely cause instead.
NO_REASON = "unexpected eof, or use after a fatal error"


def is_no_reason(outcome: Outcome) -> bool:
    """Whether *outcome* is the ``Error`` for a call on an already failed connection."""
    exc = outcome.exc
    if type(exc) is not SSL.Error or not exc.args:
        return False
    entries = exc.args[0]
    return bool(entries) and str(entries[-1][2]).startswith(NO_REASON)


def matches(outcome: Outcome, expected: Any) -> bool:
    """*expected* is a class, an exception (class and args) or a returned value."""
    if isinstance(expected, type):
        return outcome.type is expected
    if isinstance(expected, BaseException):
        return (
            outcome.type is type(expected)
            and outcome.exc is not None
            and outcome.exc.args == expected.args
        )
    return outcome.exc is None and outcome.value is expected


def pattern(size: int, seed: int = 0) -> bytes:
    """*size* reproducible random bytes."""
    return random.Random(seed).randbytes(size)


def after_calls(side: Side) -> list[Outcome]:
    """Further calls on a failed/closed compat connection, for the transcript."""
    return [
        side.attempt(lambda: side.recv(10)),
        # The size _send_until_error uses: OpenSSL 3.0 (the stdlib's) refuses
        # a retried write of another size with BAD_LENGTH, even after EOF.
        side.attempt(lambda: side.send(b"s" * 1024)),
    ]


def cut_flight(flight: bytes, stage: str) -> bytes:
    return {
        "nothing": b"",
        "header": flight[:3],
        "half": flight[: len(flight) // 2],
        "all_but_one": flight[:-1],
        "complete": flight,
    }[stage]


def stall_transcript(
    api: str, role: str, mode: str, stage: str, ending: str
) -> tuple[list[Outcome], Side]:
    ours_sock, peer_sock = tcp_pair()
    server = role == "server"
    side = make_side(api, ours_sock, server=server, mode=mode)
    peer = BioPeer(peer_sock, server_side=not server)
    partial_sent = threading.Event()
    release = threading.Event()

    def script() -> None:
        flight = peer.first_flight()  # a server peer reads our ClientHello first
        part = cut_flight(flight, stage)
        if part:
            peer.send_raw(part)
        partial_sent.set()
        if not release.wait(GUARD):
            raise AssertionError("never released")
        if stage == "complete":
            # Our server answered the ClientHello: read its whole flight. A
            # FIN then is not turned into an RST by unread bytes, and an RST
            # always meets our server waiting to read, never still writing
            # (where OpenSSL 3.0 and 4 differ on the call after).
            peer.absorb_handshake()
        if ending == "rst":
            peer.reset()
        else:
            peer.close()

    thread = PeerThread(script)
    transcript: list[Outcome] = []
    silent_checks = not (api != "SSL" and mode == "blocking")
    if silent_checks:
        if server and not partial_sent.wait(GUARD):
            raise AssertionError("the peer never sent its part")
        # A client's first call sends the ClientHello; whether or not the
        # peer's part has arrived by the time the call gives up waiting, the
        # handshake cannot go on: the answer is the same.
        transcript.append(side.attempt(side.handshake))  # the peer is silent
        if not partial_sent.wait(GUARD):
            raise AssertionError("the peer never sent its part")
    release.set()
    transcript.append(side.drive(side.handshake))  # the peer closes
    thread.join()
    transcript.append(side.attempt(side.handshake))
    transcript += after_calls(side)
    return transcript, side


def send_until_error(side: Side, limit: int = 4000) -> Outcome:
    chunk = b"s" * 1024
    for _ in range(limit):
        outcome = side.drive(lambda: side.send(chunk))
        if outcome.exc is not None:
            return outcome
    raise AssertionError(f"{limit} sends to a closed peer all succeeded")


# -- a byte-at-a-time proxy ------------------------------------------------------


class Trickler:
    """Forward bytes between two sockets one byte per ``send``, both ways."""

    def __init__(self, a: socket.socket, b: socket.socket) -> None:
        self.a, self.b = a, b
        self.forwarded = 0
        self.error: Optional[BaseException] = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        a, b = self.a, self.b
        open_ends = {a: b, b: a}
        pending: dict[socket.socket, bytearray] = {a: bytearray(), b: bytearray()}
        try:
            deadline = time.monotonic() + 4 * GUARD
            while open_ends and not self._stop.is_set():
                if time.monotonic() > deadline:
                    raise AssertionError("the trickle proxy ran past its guard")
                readers = [s for s in open_ends if len(pending[s]) < 65536]
                busy = bool(pending[a] or pending[b])
                readable, _, _ = select.select(readers, [], [], 0 if busy else 0.05)
                for src in readable:
                    data = src.recv(65536)
                    if not data:
                        dst = open_ends.pop(src)
                        self._drain(pending[src], dst)
                        try:
                            dst.shutdown(socket.SHUT_WR)
                        except OSError:
                            pass
                        continue
                    pending[src] += data
                for src, dst in ((a, b), (b, a)):
                    # One byte per send, one send per direction per round:
                    # the receiver sees the stream in the smallest pieces.
                    if pending[src]:
                        dst.send(pending[src][:1])
                        del pending[src][:1]
                        self.forwarded += 1
        except OSError as exc:
            if exc.errno not in (errno.ECONNRESET, errno.EPIPE, errno.EBADF):
                self.error = exc
        except BaseException as exc:
            self.error = exc

    def _drain(self, buffer: bytearray, dst: socket.socket) -> None:
        while buffer:
            dst.send(buffer[:1])
            del buffer[:1]
            self.forwarded += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(GUARD)
        assert not self._thread.is_alive(), "the trickle proxy hung"
        if self.error is not None:
            raise self.error


# -- the pyOpenSSL oracle ---------------------------------------------------------
#
# ``python -m tests.reliability.hostile_helpers oracle`` runs the
# ``OpenSSL.SSL`` scenarios below with whichever ``OpenSSL`` the interpreter
# imports and prints their outcomes as one ``ORACLE {json}`` line. Run by
# this project's interpreter and by one that has pyOpenSSL 26.4 (the bench
# venv), the two outputs must be equal: that is the check that our
# exceptions are pyOpenSSL's. Nothing here imports ssl_compat or pytest.

ORACLE_PREFIX = "ORACLE "
#: The repository (not taken from ``subproc``, which needs pytest).
REPO_ROOT = Path(__file__).resolve().parents[2]


def oracle_key(outcome: Outcome) -> list[Any]:
    """A JSON description of an ``OpenSSL.SSL`` outcome, comparable across builds.

    ``Error``'s list is reduced to its reason strings, and the entry this
    project raises where pyOpenSSL raises ``Error([])`` counts as nothing
    (README: no empty error lists).
    """
    if outcome.exc is None:
        value = outcome.value
        if isinstance(value, bytes):
            return ["value", value.hex()]
        if value is None or isinstance(value, (bool, int, str)):
            return ["value", value]
        return ["value", "ok"]
    exc = outcome.exc
    name = type(exc).__name__
    if isinstance(exc, SSL.SysCallError):
        return ["raise", name, list(exc.args)]
    if isinstance(exc, SSL.Error):
        entries = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
        reasons = [str(entry[2]) for entry in entries]
        return ["raise", name, [r for r in reasons if not r.startswith(NO_REASON)]]
    return ["raise", name, [str(arg) for arg in exc.args]]


def _oracle_after(side: Side) -> list[Outcome]:
    """Further calls on a connection that failed: the whole data/state surface."""
    assert isinstance(side, SSLSide)
    conn = side.conn
    buffer = bytearray(16)
    probes: list[Callable[[], Any]] = [
        side.handshake,
        lambda: conn.recv_into(buffer),
        lambda: conn.recv(16, socket.MSG_PEEK),
        lambda: conn.read(16),
        conn.pending,
        lambda: conn.sendall(b"s" * 1024),
        lambda: conn.write(b"s" * 1024),
        conn.shutdown,
        conn.get_shutdown,
        conn.want_read,
        conn.want_write,
        conn.get_protocol_version_name,
        conn.get_cipher_name,
        lambda: conn.get_peer_certificate() is not None,
        conn.get_state_string,
        conn.renegotiate_pending,
    ]
    return [*after_calls(side), *(side.attempt(probe) for probe in probes)]


#: What the peer does before our endpoint shuts the connection down.
SHUTDOWN_PEER_ACTIONS = ("silent", "fin", "rst", "data_then_cn", "cn", "garbage")


def shutdown_transcript(
    api: str, role: str, mode: str, peer_does: str
) -> tuple[list[Outcome], Side]:
    """Our shutdown (``unwrap``) twice after the peer did *peer_does*, then a read."""
    side, peer = handshake_pair(api, role, mode)
    if peer_does == "fin":
        peer.close()
    elif peer_does == "rst":
        peer.reset()
    elif peer_does == "data_then_cn":
        peer.send_raw(peer.records(b"late data") + peer.close_notify())
    elif peer_does == "cn":
        peer.send_raw(peer.close_notify())
    elif peer_does == "garbage":
        peer.send_raw(b"\x17\x03\x03\x00\x10" + bytes(16))
    if peer_does != "silent":
        wait_readable(side.fileno_source())
    first = side.attempt(side.shutdown)
    second = side.attempt(side.shutdown)
    after = side.attempt(lambda: side.recv(10))
    return [first, second, after], side


def _oracle_post_handshake(role: str, mode: str, action: str) -> list[Outcome]:
    if action.startswith("shutdown_"):
        transcript, side = shutdown_transcript(
            "SSL", role, mode, action[len("shutdown_") :]
        )
        side.close()
        return transcript
    side, peer = handshake_pair("SSL", role, mode)
    try:
        data = pattern(5000, 1)
        if action in ("fin_recv", "rst_recv"):
            peer.send_app(data)
            if action == "fin_recv":
                peer.close()
            else:
                peer.reset()
            received, final = side.recv_until_error(len(data) + 1)
            if action == "fin_recv":
                assert received == data
            return [final, *_oracle_after(side)]
        if action in ("fin_send", "rst_send"):
            if action == "fin_send":
                peer.close()
            else:
                peer.reset()
            return [send_until_error(side), *_oracle_after(side)]
        if action == "close_notify_garbage":
            peer.send_raw(peer.records(data) + peer.close_notify() + bytes(300))
            received, final = side.recv_until_error(len(data) + 1)
            assert received == data
            again = side.attempt(lambda: side.recv(10))
            shut = side.drive(side.shutdown)
            assert isinstance(side, SSLSide)
            return [final, again, shut, Outcome(value=side.conn.get_shutdown())]
        if action == "garbage":
            peer.send_raw(peer.records(data) + b"\x17\x03\x03\x00\x40" + bytes(64))
            received, final = side.recv_until_error(len(data) + 1)
            assert received == data
            return [final, *_oracle_after(side)]
        if action == "never_reads":
            return [side.attempt(lambda: side.sendall(b"n" * (16 << 20)))]
        raise ValueError(action)
    finally:
        side.close()
        peer.sock.close()


def oracle_transcripts(modes: tuple[str, ...] = MODES) -> dict[str, list[list[Any]]]:
    """Every oracle scenario's outcomes in *modes*, keyed by its name."""
    prime_pki()
    results: dict[str, list[list[Any]]] = {}
    for role in ("client", "server"):
        for mode in modes:
            for stage in ("nothing", "header", "half", "all_but_one", "complete"):
                if stage == "complete" and role == "client":
                    continue
                for ending in ("fin", "rst"):
                    transcript, side = stall_transcript(
                        "SSL", role, mode, stage, ending
                    )
                    side.close()
                    support.close_tracked()
                    name = f"stall-{role}-{mode}-{stage}-{ending}"
                    results[name] = [oracle_key(o) for o in transcript]
            for action in (
                "fin_recv",
                "rst_recv",
                "fin_send",
                "rst_send",
                "close_notify_garbage",
                "garbage",
                "never_reads",
                *(f"shutdown_{does}" for does in SHUTDOWN_PEER_ACTIONS),
            ):
                transcript = _oracle_post_handshake(role, mode, action)
                support.close_tracked()
                results[f"{action}-{role}-{mode}"] = [oracle_key(o) for o in transcript]
    return results


def bench_python() -> Path:
    configured = os.environ.get("PYOPENSSL_NG_BENCH_PYTHON")
    if configured:
        return Path(configured)
    return REPO_ROOT / ".bench-venv" / "bin" / "python"


def start_oracle(
    python: Path, modes: str, reference: bool = False
) -> tuple[list[str], Any]:
    """Start the oracle driver under *python* (the *reference* one: pyOpenSSL)."""
    command = [str(python), "-m", "tests.reliability.hostile_helpers", "oracle", modes]
    env = dict(os.environ)
    if reference:
        # A PYTHONPATH that points at this project's src would shadow pyOpenSSL.
        env.pop("PYTHONPATH", None)
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return command, process


def oracle_result(command: list[str], process: Any) -> dict[str, Any]:
    try:
        stdout, stderr = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError(f"hung: {shlex.join(command)}") from None
    assert process.returncode == 0, (
        f"{shlex.join(command)} failed:\n{stdout[-3000:]}\n{stderr[-3000:]}"
    )
    for line in stdout.splitlines():
        if line.startswith(ORACLE_PREFIX):
            parsed: dict[str, Any] = json.loads(line[len(ORACLE_PREFIX) :])
            return parsed
    raise AssertionError(f"no oracle output from {shlex.join(command)}")


def pyopenssl_queue_leak(ours: list[Any], theirs: list[Any]) -> bool:
    """pyOpenSSL's one known difference: an entry left behind by a failed write.

    When a write fails with EPIPE or ECONNRESET, pyOpenSSL 26.4 raises the
    ``SysCallError`` but leaves OpenSSL's "system library" entry in the
    error queue; its next call reports that stale entry (reason ``''``).
    This project empties the queue (the issue's "clean failed state"), so
    that call reports nothing stale.
    """
    if len(ours) != len(theirs) or ours[0] != theirs[0]:
        return False
    if ours[0][:2] != ["raise", "SysCallError"]:
        return False
    return ours[1] == ["raise", "Error", []] and theirs[1] == ["raise", "Error", [""]]


def _main(argv: list[str]) -> int:
    if not argv or argv[0] != "oracle" or len(argv) > 2:
        print("usage: python -m tests.reliability.hostile_helpers oracle [MODE,...]")
        return 2
    import OpenSSL

    modes = tuple(argv[1].split(",")) if len(argv) == 2 else MODES
    results = oracle_transcripts(modes)
    info = {"module": OpenSSL.__file__, "version": OpenSSL.__version__}
    print(ORACLE_PREFIX + json.dumps({"info": info, "results": results}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
