"""Scenarios on the ``OpenSSL.SSL`` API: this project and pyOpenSSL 26.4.

Both packages import as ``OpenSSL``; which one this module drives depends
only on the interpreter running the worker (the repo's ``.venv`` for this
project, the bench virtualenv for pyOpenSSL). The loops are written
inline, the way an application would call the API, so that the per-call
cost of the library is what the numbers show.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from common import (
    BIO_CHUNK,
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
from OpenSSL import SSL
from OpenSSL.SSL import Connection, Context, WantReadError

try:  # only to check that resumption really happened (not in timed loops)
    from OpenSSL._util import lib as _lib
except ImportError:  # pragma: no cover
    _lib = None


def library_info() -> dict[str, str]:
    import OpenSSL

    return {
        "module": OpenSSL.__file__ or "?",
        "version": getattr(OpenSSL, "__version__", "?"),
        "openssl": SSL.OpenSSL_version(SSL.OPENSSL_VERSION).decode(),
    }


def server_context(env: Env) -> Context:
    ctx = Context(SSL.TLS_SERVER_METHOD)
    ctx.use_certificate_chain_file(str(env.certs.server_pem))
    ctx.use_privatekey_file(str(env.certs.server_key))
    return ctx


def client_context(env: Env, *, verify: bool = False, tls12: bool = False) -> Context:
    ctx = Context(SSL.TLS_CLIENT_METHOD)
    if verify:
        ctx.set_verify(SSL.VERIFY_PEER)
        ctx.load_verify_locations(str(env.certs.ca_pem))
    if tls12:
        ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
    return ctx


def handshake(client: Connection, server: Connection) -> None:
    """Drive both ends to completion, moving bytes between memory BIOs."""
    client.set_connect_state()
    server.set_accept_state()
    c_done = s_done = False
    for _ in range(16):
        if not c_done:
            try:
                client.do_handshake()
                c_done = True
            except WantReadError:
                pass
        try:
            server.bio_write(client.bio_read(BIO_CHUNK))
        except WantReadError:
            pass
        if not s_done:
            try:
                server.do_handshake()
                s_done = True
            except WantReadError:
                pass
        try:
            client.bio_write(server.bio_read(BIO_CHUNK))
        except WantReadError:
            pass
        if c_done and s_done:
            return
    raise RuntimeError("handshake did not complete")


def read_tickets(client: Connection) -> None:
    """Let the client process the server's post-handshake messages."""
    try:
        client.recv(1)
    except WantReadError:
        return
    raise RuntimeError("unexpected application data")


def connected(cctx: Context, sctx: Context) -> tuple[Connection, Connection]:
    client = Connection(cctx, None)
    server = Connection(sctx, None)
    handshake(client, server)
    return client, server


def _describe(client: Connection) -> dict[str, str]:
    info = {
        "protocol": client.get_protocol_version_name(),
        "cipher": client.get_cipher_name() or "",
    }
    group = getattr(client, "get_group_name", None)
    if group is not None:
        info["group"] = group() or ""
    return info


def _handshakes(env: Env, cctx: Context, sctx: Context) -> Iterator[Any]:
    def batch(n: int) -> None:
        for _ in range(n):
            handshake(Connection(cctx, None), Connection(sctx, None))

    client, _ = connected(cctx, sctx)
    warm(batch, env.sizes.warmup, 4)
    yield _describe(client)
    while True:
        yield {"hs_per_s": timed_rate(batch, env.sizes.budget, 8)}


def hs_tls13(env: Env) -> Iterator[Any]:
    return _handshakes(env, client_context(env), server_context(env))


def hs_tls13_verify(env: Env) -> Iterator[Any]:
    return _handshakes(env, client_context(env, verify=True), server_context(env))


def hs_tls12(env: Env) -> Iterator[Any]:
    return _handshakes(env, client_context(env, tls12=True), server_context(env))


def resume_tls13(env: Env) -> Iterator[Any]:
    # Every resumption reads the fresh ticket the server sent and the next
    # one uses it (RFC 8446 asks clients to use a ticket once), and the
    # client closes with close_notify: OpenSSL marks the session of an SSL
    # freed without shutdown as not resumable.
    cctx, sctx = client_context(env), server_context(env)
    first, _ = connected(cctx, sctx)
    read_tickets(first)
    session = [first.get_session()]
    first.shutdown()

    def one() -> Connection:
        client = Connection(cctx, None)
        client.set_session(session[0])
        handshake(client, Connection(sctx, None))
        read_tickets(client)
        session[0] = client.get_session()
        client.shutdown()
        return client

    def batch(n: int) -> None:
        for _ in range(n):
            one()

    def check() -> None:
        if _lib is not None and not _lib.SSL_session_reused(one()._ssl):
            raise RuntimeError("the session was not resumed")

    check()
    warm(batch, env.sizes.warmup, 4)
    yield _describe(first)
    while True:
        rate = timed_rate(batch, env.sizes.budget, 8)
        check()
        yield {"hs_per_s": rate}


def bulk_membio(env: Env) -> Iterator[Any]:
    client, server = connected(client_context(env), server_context(env))
    chunk = b"\x5a" * WRITE_CHUNK
    writes = env.sizes.bulk_bytes // WRITE_CHUNK

    def move(n: int) -> int:
        got = 0
        for _ in range(n):
            client.send(chunk)
            server.bio_write(client.bio_read(BIO_CHUNK))
            got += len(server.recv(WRITE_CHUNK))
        return got

    move(64)
    yield _describe(client)
    while True:
        start = cpu_clock()
        got = move(writes)
        elapsed = cpu_clock() - start
        if got != writes * WRITE_CHUNK:
            raise RuntimeError(f"moved {got} bytes, expected {writes * WRITE_CHUNK}")
        yield {"mb_per_s": got / elapsed / 1e6}


def small_records(env: Env) -> Iterator[Any]:
    client, server = connected(client_context(env), server_context(env))
    payload = b"\x5a" * 64

    def batch(n: int) -> None:
        for _ in range(n):
            client.send(payload)
            server.bio_write(client.bio_read(BIO_CHUNK))
            server.recv(WRITE_CHUNK)

    warm(batch, env.sizes.warmup, 200)
    yield _describe(client)
    while True:
        yield {"ops_per_s": timed_rate(batch, env.sizes.budget, 200)}


def recv_size(env: Env) -> Iterator[Any]:
    client, server = connected(client_context(env), server_context(env))
    read_tickets(client)
    payload = b"\x5a" * 64
    perf = cpu_clock

    def fill(k: int) -> None:
        for _ in range(k):
            client.send(payload)
        server.bio_write(client.bio_read(1 << 20))

    def drain(k: int, size: int) -> float:
        recv = server.recv
        start = perf()
        for _ in range(k):
            recv(size)
        return perf() - start

    def once(k: int) -> None:
        fill(k)
        drain(k, 1 << 20)

    per = env.sizes.recv_batch
    warm(once, 0, per)
    yield _describe(client)
    while True:
        yield recv_size_rates(fill, drain, env.sizes.budget, per)


def threads(env: Env) -> Iterator[Any]:
    cctx, sctx = client_context(env), server_context(env)

    def batch(n: int) -> None:
        for _ in range(n):
            handshake(Connection(cctx, None), Connection(sctx, None))

    warm(batch, env.sizes.warmup, 4)
    yield {}
    while True:
        one, two = two_thread_rate(batch, env.sizes.budget, 4)
        yield {"hs1_per_s": one, "hs2_per_s": two, "scaling": two / one}


def memory_idle(env: Env) -> Iterator[Any]:
    cctx, sctx = client_context(env), server_context(env)

    def pair() -> tuple[Connection, Connection]:
        client, server = connected(cctx, sctx)
        read_tickets(client)
        return client, server

    yield {}
    while True:
        yield memory_per_connection(pair, env.sizes.mem_pairs)


# -- TCP loopback, socket-mode Connection on both ends ----------------------


def _quiet_recv_into(conn: Connection) -> Any:
    def recv_into(buf: bytearray) -> int:
        try:
            return conn.recv_into(buf)
        except (SSL.ZeroReturnError, SSL.SysCallError):
            return 0

    return recv_into


def _serving(env: Env, loop: Any) -> ForkedServer:
    sctx = server_context(env)

    def serve(sock: Any) -> None:
        conn = Connection(sctx, sock)
        conn.set_accept_state()
        conn.do_handshake()
        loop(conn)

    return ForkedServer(serve)


def _socket_client(env: Env, server: ForkedServer) -> Connection:
    conn = Connection(client_context(env), server.sock)
    conn.set_connect_state()
    conn.do_handshake()
    return conn


def sock_bulk(env: Env) -> Iterator[Any]:
    total = env.sizes.sock_bulk_bytes
    server = _serving(
        env, lambda conn: bulk_sink(_quiet_recv_into(conn), conn.sendall, total)
    )
    try:
        conn = _socket_client(env, server)
        chunk = b"\x5a" * WRITE_CHUNK
        writes = total // WRITE_CHUNK
        ack = bytearray(16)

        def one_round() -> float:
            start = wall_clock()
            for _ in range(writes):
                conn.sendall(chunk)
            if conn.recv_into(ack) != 1:
                raise RuntimeError("bad ack")
            return total / (wall_clock() - start) / 1e6

        one_round()
        yield _describe(conn)
        while True:
            yield {"mb_per_s": one_round()}
    finally:
        server.close()


def sock_rtt(env: Env) -> Iterator[Any]:
    server = _serving(env, lambda conn: echo(_quiet_recv_into(conn), conn.sendall))
    try:
        conn = _socket_client(env, server)
        payload = b"\x5a" * 64
        buf = bytearray(1 << 14)

        def batch(n: int) -> None:
            for _ in range(n):
                conn.sendall(payload)
                got = conn.recv_into(buf)
                while got < 64:
                    got += conn.recv_into(buf)

        warm(batch, env.sizes.warmup, 50)
        yield _describe(conn)
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

try:  # this project's own scenarios (sessions across processes, early data)
    from impl_sessions import SCENARIOS as _SESSION_SCENARIOS
except ImportError:  # pyOpenSSL has neither
    _SESSION_SCENARIOS = {}
SCENARIOS.update(_SESSION_SCENARIOS)
