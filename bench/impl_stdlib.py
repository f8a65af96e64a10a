"""Scenarios on the standard library's ``ssl`` API.

Memory-BIO scenarios use ``SSLObject`` + ``MemoryBIO``; socket scenarios
use ``SSLSocket``. The same code runs ``OpenSSL.ssl_compat`` (the ``compat``
implementation) for the socket scenarios: :func:`use_module` swaps the
module every function here goes through.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

from common import (
    WRITE_CHUNK,
    Env,
    ForkedServer,
    bulk_sink,
    cpu_clock,
    echo,
    memory_per_connection,
    recv_size_rates,
    timed_rate,
    two_thread_rate,
    wall_clock,
    warm,
)

#: The ``ssl``-shaped module in use: ``ssl`` or ``OpenSSL.ssl_compat``.
mod: Any = ssl


def use_module(module: Any) -> None:
    global mod
    mod = module


def library_info() -> dict[str, str]:
    return {
        "module": getattr(mod, "__file__", None) or "?",
        "version": "",
        "openssl": getattr(mod, "OPENSSL_VERSION", "?"),
    }


def server_context(env: Env) -> Any:
    ctx = mod.SSLContext(mod.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(env.certs.server_pem), str(env.certs.server_key))
    return ctx


def client_context(env: Env, *, verify: bool = False, tls12: bool = False) -> Any:
    ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    if verify:
        ctx.verify_mode = mod.CERT_REQUIRED
        ctx.load_verify_locations(str(env.certs.ca_pem))
    else:
        ctx.verify_mode = mod.CERT_NONE
    if tls12:
        ctx.maximum_version = mod.TLSVersion.TLSv1_2
    return ctx


class Pair:
    """A client ``SSLObject`` and a server ``SSLObject`` with their BIOs."""

    __slots__ = ("c", "c_in", "c_out", "s", "s_in", "s_out")

    def __init__(self, cctx: Any, sctx: Any, session: Any = None) -> None:
        self.c_in, self.c_out = mod.MemoryBIO(), mod.MemoryBIO()
        self.s_in, self.s_out = mod.MemoryBIO(), mod.MemoryBIO()
        self.c = cctx.wrap_bio(self.c_in, self.c_out, session=session)
        self.s = sctx.wrap_bio(self.s_in, self.s_out, server_side=True)

    def handshake(self) -> Pair:
        c, c_out, s, s_out = self.c, self.c_out, self.s, self.s_out
        want_read = mod.SSLWantReadError
        c_done = s_done = False
        for _ in range(16):
            if not c_done:
                try:
                    c.do_handshake()
                    c_done = True
                except want_read:
                    pass
            if c_out.pending:
                self.s_in.write(c_out.read())
            if not s_done:
                try:
                    s.do_handshake()
                    s_done = True
                except want_read:
                    pass
            if s_out.pending:
                self.c_in.write(s_out.read())
            if c_done and s_done:
                return self
        raise RuntimeError("handshake did not complete")

    def close_notify(self) -> None:
        """The client's half of a clean close (the peer's reply is not read)."""
        try:
            self.c.unwrap()
        except mod.SSLWantReadError:
            pass

    def read_tickets(self) -> Pair:
        try:
            self.c.read(1)
        except mod.SSLWantReadError:
            return self
        raise RuntimeError("unexpected application data")


def _describe(obj: Any) -> dict[str, str]:
    cipher = obj.cipher()
    return {"protocol": obj.version() or "", "cipher": cipher[0] if cipher else ""}


def _handshakes(env: Env, cctx: Any, sctx: Any) -> Iterator[Any]:
    def batch(n: int) -> None:
        for _ in range(n):
            Pair(cctx, sctx).handshake()

    first = Pair(cctx, sctx).handshake()
    warm(batch, env.sizes.warmup, 4)
    yield _describe(first.c)
    while True:
        yield {"hs_per_s": timed_rate(batch, env.sizes.budget, 8)}


def hs_tls13(env: Env) -> Iterator[Any]:
    return _handshakes(env, client_context(env), server_context(env))


def hs_tls13_verify(env: Env) -> Iterator[Any]:
    return _handshakes(env, client_context(env, verify=True), server_context(env))


def hs_tls12(env: Env) -> Iterator[Any]:
    return _handshakes(env, client_context(env, tls12=True), server_context(env))


def resume_tls13(env: Env) -> Iterator[Any]:
    # As in impl_openssl.resume_tls13: each resumption uses the ticket the
    # previous one received, and the client sends close_notify.
    cctx, sctx = client_context(env), server_context(env)
    first = Pair(cctx, sctx).handshake().read_tickets()
    session = [first.c.session]

    def one() -> Pair:
        pair = Pair(cctx, sctx, session[0]).handshake().read_tickets()
        session[0] = pair.c.session
        pair.close_notify()
        return pair

    def batch(n: int) -> None:
        for _ in range(n):
            one()

    def check() -> None:
        if not one().c.session_reused:
            raise RuntimeError("the session was not resumed")

    check()
    warm(batch, env.sizes.warmup, 4)
    yield _describe(first.c)
    while True:
        rate = timed_rate(batch, env.sizes.budget, 8)
        check()
        yield {"hs_per_s": rate}


def bulk_membio(env: Env) -> Iterator[Any]:
    p = Pair(client_context(env), server_context(env)).handshake()
    c, c_out, s, s_in = p.c, p.c_out, p.s, p.s_in
    chunk = b"\x5a" * WRITE_CHUNK
    writes = env.sizes.bulk_bytes // WRITE_CHUNK

    def move(n: int) -> int:
        got = 0
        for _ in range(n):
            c.write(chunk)
            s_in.write(c_out.read())
            got += len(s.read(WRITE_CHUNK))
        return got

    move(64)
    yield _describe(c)
    while True:
        start = cpu_clock()
        got = move(writes)
        elapsed = cpu_clock() - start
        if got != writes * WRITE_CHUNK:
            raise RuntimeError(f"moved {got} bytes, expected {writes * WRITE_CHUNK}")
        yield {"mb_per_s": got / elapsed / 1e6}


def small_records(env: Env) -> Iterator[Any]:
    p = Pair(client_context(env), server_context(env)).handshake()
    c, c_out, s, s_in = p.c, p.c_out, p.s, p.s_in
    payload = b"\x5a" * 64

    def batch(n: int) -> None:
        for _ in range(n):
            c.write(payload)
            s_in.write(c_out.read())
            s.read(WRITE_CHUNK)

    warm(batch, env.sizes.warmup, 200)
    yield _describe(c)
    while True:
        yield {"ops_per_s": timed_rate(batch, env.sizes.budget, 200)}


def recv_size(env: Env) -> Iterator[Any]:
    p = Pair(client_context(env), server_context(env)).handshake().read_tickets()
    c, c_out, s, s_in = p.c, p.c_out, p.s, p.s_in
    payload = b"\x5a" * 64
    perf = cpu_clock

    def fill(k: int) -> None:
        for _ in range(k):
            c.write(payload)
        s_in.write(c_out.read())

    def drain(k: int, size: int) -> float:
        read = s.read
        start = perf()
        for _ in range(k):
            read(size)
        return perf() - start

    def once(k: int) -> None:
        fill(k)
        drain(k, 1 << 20)

    per = env.sizes.recv_batch
    warm(once, 0, per)
    yield _describe(c)
    while True:
        yield recv_size_rates(fill, drain, env.sizes.budget, per)


def threads(env: Env) -> Iterator[Any]:
    cctx, sctx = client_context(env), server_context(env)

    def batch(n: int) -> None:
        for _ in range(n):
            Pair(cctx, sctx).handshake()

    warm(batch, env.sizes.warmup, 4)
    yield {}
    while True:
        one, two = two_thread_rate(batch, env.sizes.budget, 4)
        yield {"hs1_per_s": one, "hs2_per_s": two, "scaling": two / one}


def memory_idle(env: Env) -> Iterator[Any]:
    cctx, sctx = client_context(env), server_context(env)

    def pair() -> Pair:
        return Pair(cctx, sctx).handshake().read_tickets()

    yield {}
    while True:
        yield memory_per_connection(pair, env.sizes.mem_pairs)


# -- TCP loopback, SSLSocket on both ends ------------------------------------


def _quiet_recv_into(sock: Any) -> Any:
    def recv_into(buf: bytearray) -> int:
        try:
            return int(sock.recv_into(buf))
        except OSError:
            return 0

    return recv_into


def _serving(env: Env, loop: Any) -> ForkedServer:
    sctx = server_context(env)

    def serve(sock: Any) -> None:
        loop(sctx.wrap_socket(sock, server_side=True))

    return ForkedServer(serve)


def sock_bulk(env: Env) -> Iterator[Any]:
    total = env.sizes.sock_bulk_bytes
    server = _serving(
        env, lambda tls: bulk_sink(_quiet_recv_into(tls), tls.sendall, total)
    )
    try:
        tls = server.adopt(client_context(env).wrap_socket(server.sock))
        chunk = b"\x5a" * WRITE_CHUNK
        writes = total // WRITE_CHUNK
        ack = bytearray(16)

        def one_round() -> float:
            start = wall_clock()
            for _ in range(writes):
                tls.sendall(chunk)
            if tls.recv_into(ack) != 1:
                raise RuntimeError("bad ack")
            return total / (wall_clock() - start) / 1e6

        one_round()
        yield _describe(tls)
        while True:
            yield {"mb_per_s": one_round()}
    finally:
        server.close()


def sock_rtt(env: Env) -> Iterator[Any]:
    server = _serving(env, lambda tls: echo(_quiet_recv_into(tls), tls.sendall))
    try:
        tls = server.adopt(client_context(env).wrap_socket(server.sock))
        payload = b"\x5a" * 64
        buf = bytearray(1 << 14)

        def batch(n: int) -> None:
            for _ in range(n):
                tls.sendall(payload)
                got = tls.recv_into(buf)
                while got < 64:
                    got += tls.recv_into(buf)

        warm(batch, env.sizes.warmup, 50)
        yield _describe(tls)
        while True:
            yield {"rtt_per_s": timed_rate(batch, env.sizes.budget, 50, wall_clock)}
    finally:
        server.close()


SCENARIOS = {
    f.__name__: f
    for f in (
        hs_tls13,
        hs_tls13_verify,
        hs_tls12,
        resume_tls13,
        bulk_membio,
        small_records,
        sock_bulk,
        sock_rtt,
        memory_idle,
        recv_size,
        threads,
    )
}

# asyncio streams and trio's SSLStream, on the same module (see event_loops).
from event_loops import SCENARIOS as _EVENT_LOOP_SCENARIOS  # noqa: E402

SCENARIOS.update(_EVENT_LOOP_SCENARIOS)
