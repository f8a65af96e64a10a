"""Sessions across processes and early data: this project only.

pyOpenSSL and the standard library can neither export a session nor send
early data, so these scenarios run on ``ours`` alone:

* ``resume_imported``: full TLS 1.3 handshakes against resumptions from a
  session loaded with ``Session.from_bytes`` -- on a client Context that
  never talked to the server, as a new process holding only the bytes
  would -- over memory BIOs (CPU time). The loading is part of each timed
  resumption.
* ``first_byte``: a request over TCP loopback to a server in a forked child
  process, three ways: a full handshake, a resumption (1-RTT), and a
  resumption with the request sent as early data (0-RTT). It reports the
  wall time from the first TLS byte to the first byte of the answer, and the
  round trips that took, counted by the server (its message callback):
  how many client flights it had read when it answered; the same again
  through :class:`_DelayedLink`, an emulated link with a 10 ms round trip.
"""

from __future__ import annotations

import heapq
import itertools
import os
import selectors
import signal
import socket
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from common import Env, timed_rate, wall_clock, warm
from impl_openssl import client_context, connected, handshake, read_tickets
from impl_openssl import server_context as _server_context
from OpenSSL import SSL
from OpenSSL.SSL import Connection, Session

REQUEST = b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n"
TICKETS = 32


def resume_imported(env: Env) -> Iterator[Any]:
    sctx = _server_context(env)
    issuing = client_context(env)
    tickets = []
    for _ in range(TICKETS):
        client, _server = connected(issuing, sctx)
        read_tickets(client)
        session = client.get_session()
        assert session is not None
        tickets.append(session.to_bytes())
        client.shutdown()
    fresh = client_context(env)  # never talked to the server
    cursor = [0]

    def full(n: int) -> None:
        for _ in range(n):
            handshake(Connection(fresh, None), Connection(sctx, None))

    def resumed(n: int) -> Connection:
        client = None
        for _ in range(n):
            cursor[0] = (cursor[0] + 1) % TICKETS
            client = Connection(fresh, None)
            client.set_session(Session.from_bytes(tickets[cursor[0]]))
            handshake(client, Connection(sctx, None))
            client.shutdown()
        assert client is not None
        return client

    if not resumed(1).session_reused():
        raise RuntimeError("the imported session was not resumed")
    warm(full, env.sizes.warmup / 2, 4)
    warm(resumed, env.sizes.warmup / 2, 4)
    yield {"protocol": "TLSv1.3", "tickets": str(TICKETS)}
    while True:
        full_rate = timed_rate(full, env.sizes.budget / 2, 8)
        resumed_rate = timed_rate(resumed, env.sizes.budget / 2, 8)
        if not resumed(1).session_reused():
            raise RuntimeError("the imported session was not resumed")
        yield {
            "full_per_s": full_rate,
            "resumed_per_s": resumed_rate,
            "resumed_ratio": resumed_rate / full_rate,
        }


# -- first byte over loopback ---------------------------------------------------


def _serve_forever(sctx: SSL.Context, listener: socket.socket) -> None:
    """The forked child: answer each connection, early data when offered."""
    while True:
        sock, _ = listener.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Connection(sctx, sock)
        conn.set_accept_state()
        conn.set_app_data([0])  # client flights read so far
        early = b""
        answered = False
        while True:
            chunk = conn.read_early_data(16384)
            if not chunk:
                break
            early += chunk
            if early.endswith(b"\r\n\r\n") and not answered:
                # 0.5-RTT: answer before the client's second flight.
                conn.write_early_data(_answer(conn))
                answered = True
        conn.do_handshake()
        if not answered:
            request = early
            while not request.endswith(b"\r\n\r\n"):
                request += conn.recv(4096)
            conn.sendall(_answer(conn))
        conn.shutdown()
        sock.close()


def _answer(conn: Connection) -> bytes:
    flights = conn.get_app_data()[0]
    return f"HTTP/1.0 200 OK\r\nX-Client-Flights: {flights}\r\n\r\n".encode()


def _count_flights(
    conn: Connection, sent: bool, version: int, kind: int, data: bytes
) -> None:
    # A client flight ends with its ClientHello or its Finished.
    if not sent and kind == 22 and data[:1] in (b"\x01", b"\x14"):
        conn.get_app_data()[0] += 1


class _Server:
    def __init__(self, env: Env) -> None:
        sctx = _server_context(env)
        sctx.set_max_early_data(16384)
        sctx.set_msg_callback(_count_flights)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        self.address = listener.getsockname()
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the child
            try:
                listener.settimeout(60)  # never outlive a parent that gave up
                _serve_forever(sctx, listener)
            finally:
                os._exit(0)
        listener.close()

    def close(self) -> None:
        os.kill(self.pid, signal.SIGTERM)
        os.waitpid(self.pid, 0)


#: Round-trip time of the emulated link (seconds).
LINK_RTT = 0.010


class _DelayedLink:
    """A TCP relay to *target* that delays every chunk by *one_way* seconds.

    It emulates a link's propagation delay (not its bandwidth), in one
    thread: what arrives on either side is sent on to the other side once
    its time has come, and an end of stream travels the same way.
    """

    def __init__(self, target: Any, one_way: float) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.address = self.listener.getsockname()
        self._target = target
        self._delay = one_way
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self.listener, selectors.EVENT_READ, None)
        # (when, order, destination, bytes; b"": end of stream; None: close)
        due: list[tuple[float, int, socket.socket, Any]] = []
        order = itertools.count()
        ended: set[socket.socket] = set()
        while not self._stop:
            timeout = 0.05 if not due else max(0.0, due[0][0] - time.monotonic())
            for key, _ in selector.select(timeout):
                if key.data is None:
                    near, _ = self.listener.accept()
                    far = socket.create_connection(self._target)
                    for a, b in ((near, far), (far, near)):
                        a.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        selector.register(a, selectors.EVENT_READ, b)
                    continue
                sock: socket.socket = key.fileobj  # type: ignore[assignment]
                peer: socket.socket = key.data
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                when = time.monotonic() + self._delay
                heapq.heappush(due, (when, next(order), peer, data))
                if not data:
                    selector.unregister(sock)
                    ended.add(sock)
                    if peer in ended:  # both directions over: close the pair
                        ended -= {sock, peer}
                        for end in (sock, peer):
                            heapq.heappush(due, (when, next(order), end, None))
            now = time.monotonic()
            while due and due[0][0] <= now:
                _, _, target, data = heapq.heappop(due)
                try:
                    if data is None:
                        target.close()
                    elif data:
                        target.sendall(data)
                    else:
                        target.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop = True
        self._thread.join(5)
        self.listener.close()


#: Sessions the client received on its current connection.
_tickets: list[Session] = []


def _request(
    address: Any, cctx: SSL.Context, session: Any, early: bool
) -> tuple[float, int, Any]:
    del _tickets[:]
    sock = socket.create_connection(address)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    start = wall_clock()
    conn = Connection(cctx, sock)
    conn.set_connect_state()
    if session is not None:
        conn.set_session(Session.from_bytes(session))
    if early:
        conn.write_early_data(REQUEST)
    conn.do_handshake()
    if conn.get_early_data_status() != SSL.EARLY_DATA_ACCEPTED:
        conn.sendall(REQUEST)
    answer = conn.recv(4096)
    elapsed = wall_clock() - start
    while True:
        try:
            more = conn.recv(4096)
        except SSL.ZeroReturnError:
            break
        answer += more
    conn.shutdown()
    sock.close()
    if early and conn.get_early_data_status() != SSL.EARLY_DATA_ACCEPTED:
        raise RuntimeError("early data was not accepted")
    if session is not None and not conn.session_reused():
        raise RuntimeError("the session was not resumed")
    flights = int(answer.split(b"X-Client-Flights: ")[1].split(b"\r\n")[0])
    return elapsed, flights, _tickets[-1].to_bytes()


def first_byte(env: Env) -> Iterator[Any]:
    server = _Server(env)
    try:
        cctx = client_context(env)
        cctx.set_max_early_data(16384)
        cctx.set_new_session_callback(lambda conn, session: _tickets.append(session))
        per_round = max(2, int(env.sizes.budget * 40))
        _, _, ticket = _request(server.address, cctx, None, False)
        link = _DelayedLink(server.address, LINK_RTT / 2)
        over_link = max(2, per_round // 4)

        def one_round() -> dict[str, float]:
            nonlocal ticket
            times: dict[str, list[float]] = {"full": [], "resumed": [], "zero": []}
            linked: dict[str, list[float]] = {"full": [], "resumed": [], "zero": []}
            trips: dict[str, int] = {}
            for i in range(per_round):
                for mode in ("full", "resumed", "zero"):
                    session = None if mode == "full" else ticket
                    elapsed, flights, ticket = _request(
                        server.address, cctx, session, mode == "zero"
                    )
                    times[mode].append(elapsed * 1000)
                    trips[mode] = flights
                    if i < over_link:
                        elapsed, flights, ticket = _request(
                            link.address, cctx, session and ticket, mode == "zero"
                        )
                        linked[mode].append(elapsed * 1000)
                        if flights != trips[mode]:
                            raise RuntimeError("round trips differ over the link")
            return {
                "rt_full": trips["full"],
                "rt_resumed": trips["resumed"],
                "rt_0rtt": trips["zero"],
                "ms_full": statistics.median(times["full"]),
                "ms_resumed": statistics.median(times["resumed"]),
                "ms_0rtt": statistics.median(times["zero"]),
                "link_full": statistics.median(linked["full"]),
                "link_resumed": statistics.median(linked["resumed"]),
                "link_0rtt": statistics.median(linked["zero"]),
            }

        one_round()
        yield {"protocol": "TLSv1.3", "connections per mode and round": str(per_round)}
        while True:
            yield one_round()
    finally:
        server.close()
        if "link" in locals():
            link.close()


SCENARIOS = {f.__name__: f for f in (resume_imported, first_byte)}
