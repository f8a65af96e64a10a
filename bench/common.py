"""Helpers shared by the two scenario implementations (no TLS imports here).

Every scenario is a generator function ``scenario(env)``: the code before
the first ``yield`` sets up and warms up, and that ``yield`` hands the
worker a dict of facts about the set-up (protocol, cipher, ...). Each later
``next()`` runs one round and yields ``{metric key: value}``. Closing the
generator tears down (sockets, child processes).
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from certs import CertFiles
from scenarios import Sizes

Metrics = dict[str, float]
Round = Iterator[Any]

#: Size passed to ``bio_read`` / what a Twisted-style loop typically uses.
BIO_CHUNK = 1 << 15
#: Plaintext written per ``send`` in the bulk scenarios.
WRITE_CHUNK = 1 << 14
#: Receive buffer for socket reads.
SOCK_RECV = 1 << 16


@dataclass
class Env:
    """What a scenario needs: the certificate files and the size knobs."""

    certs: CertFiles
    sizes: Sizes


#: The clock of single-threaded, in-process scenarios: this thread's CPU
#: time, so that other programs on a shared machine do not count against
#: whichever implementation they happened to interrupt. Scenarios that wait
#: on a socket or run threads use wall time (``time.perf_counter``).
cpu_clock: Callable[[], float] = getattr(time, "thread_time", time.process_time)
wall_clock: Callable[[], float] = time.perf_counter


def timed_rate(
    batch: Callable[[int], None],
    budget: float,
    per_call: int,
    clock: Callable[[], float] = cpu_clock,
) -> float:
    """Run ``batch(per_call)`` until ``budget`` seconds passed; ops per second."""
    gc.collect()
    done = 0
    start = clock()
    deadline = start + budget
    while True:
        batch(per_call)
        done += per_call
        now = clock()
        if now >= deadline:
            return done / (now - start)


def warm(batch: Callable[[int], None], seconds: float, per_call: int) -> None:
    """Warm caches and allocators before the first measured round."""
    batch(per_call)
    if seconds > 0:
        timed_rate(batch, seconds, per_call)


def two_thread_rate(
    batch: Callable[[int], None], budget: float, per_call: int
) -> tuple[float, float]:
    """Aggregate handshake rate with one thread, then with two threads."""
    one = timed_rate(batch, budget, per_call, wall_clock)
    counts = [0, 0]
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)
    stop_at = [0.0]

    def loop(slot: int) -> None:
        try:
            barrier.wait()
            while time.perf_counter() < stop_at[0]:
                batch(per_call)
                counts[slot] += per_call
        except BaseException as exc:  # reported below, in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    gc.collect()
    stop_at[0] = time.perf_counter() + budget
    start = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return one, sum(counts) / elapsed


def rss_bytes() -> int:
    """Resident set size of this process, from /proc (Linux) or getrusage."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # pragma: no cover - not Linux
        import resource

        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def memory_per_connection(make_pair: Callable[[], Any], pairs: int) -> Metrics:
    """Bytes per idle established connection: RSS, then tracemalloc.

    ``make_pair()`` returns an object holding one established client and
    server (handshake done, tickets read). Both figures are the growth
    divided by ``2 * pairs`` connections.
    """
    make_pair()  # first-use allocations (error strings, ...) are not per-conn
    gc.collect()
    before = rss_bytes()
    held = [make_pair() for _ in range(pairs)]
    gc.collect()
    rss = (rss_bytes() - before) / (2 * pairs)
    del held
    gc.collect()

    tracemalloc.start()
    try:
        gc.collect()
        base, _ = tracemalloc.get_traced_memory()
        held = [make_pair() for _ in range(pairs)]
        gc.collect()
        now, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del held
    return {"rss_per_conn": rss, "py_per_conn": (now - base) / (2 * pairs)}


def recv_size_rates(
    fill: Callable[[int], None],
    drain: Callable[[int, int], float],
    budget: float,
    per_batch: int,
) -> Metrics:
    """Time only the ``recv`` calls, alternating 16 KiB and 1 MiB batches.

    ``fill(k)`` queues ``k`` 64-byte records in the receiver; ``drain(k,
    size)`` receives them with ``recv(size)`` and returns the seconds the
    receiving took (in :data:`cpu_clock` seconds).
    """
    gc.collect()
    spent = {1 << 14: 0.0, 1 << 20: 0.0}
    ops = {1 << 14: 0, 1 << 20: 0}
    deadline = cpu_clock() + budget
    while True:
        for size in spent:
            fill(per_batch)
            spent[size] += drain(per_batch, size)
            ops[size] += per_batch
        if cpu_clock() >= deadline:
            break
    small = ops[1 << 14] / spent[1 << 14]
    large = ops[1 << 20] / spent[1 << 20]
    return {"recv16k_per_s": small, "recv1m_per_s": large, "recv_ratio": large / small}


class ForkedServer:
    """A TCP loopback server running ``serve(sock)`` in a forked child.

    The client end is ``self.sock`` (TCP_NODELAY, blocking). The child never
    returns into the worker: it ends with ``os._exit``.
    """

    def __init__(self, serve: Callable[[socket.socket], None]) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the child
            code = 1
            try:
                listener.settimeout(30)  # never outlive a parent that gave up
                conn, _ = listener.accept()
                conn.settimeout(None)
                listener.close()
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                serve(conn)
                code = 0
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                os._exit(code)
        try:
            self.sock: Any = socket.create_connection(
                listener.getsockname(), timeout=30
            )
        except BaseException:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            raise
        finally:
            listener.close()
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def adopt(self, wrapper: Any) -> Any:
        """Close ``wrapper`` (which took over the socket) instead, at the end."""
        self.sock = wrapper
        return wrapper

    def close(self) -> None:
        try:
            self.sock.close()
        finally:
            _, status = os.waitpid(self.pid, 0)
            if status != 0:
                print(f"bench: server child exited with {status}", file=sys.stderr)


def bulk_sink(
    recv_into: Callable[[bytearray], int], send: Callable[[bytes], Any], per_round: int
) -> None:
    """Server loop for socket bulk: count bytes, ack each ``per_round``."""
    buf = bytearray(SOCK_RECV)
    got = 0
    while True:
        n = recv_into(buf)
        if n == 0:
            return
        got += n
        while got >= per_round:
            got -= per_round
            send(b"k")


def echo(recv_into: Callable[[bytearray], int], send: Callable[[Any], Any]) -> None:
    """Server loop for round trips: send back whatever arrives."""
    buf = bytearray(SOCK_RECV)
    view = memoryview(buf)
    while True:
        n = recv_into(buf)
        if n == 0:
            return
        send(view[:n])
