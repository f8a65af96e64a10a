"""Scenarios through event-loop libraries: asyncio streams and trio's SSLStream.

Both drive TLS with ``SSLObject`` over the stdlib's ``MemoryBIO`` -- the
path most ``ssl_compat`` users take without knowing it. They run for the
``stdlib`` and ``compat`` implementations (``impl_stdlib.mod``); the server
is a blocking ``SSLSocket`` of the same implementation in a forked child,
as in the other socket scenarios, so only the client's library differs
between the scenarios here and ``sock_rtt``/``sock_bulk``.

trio's streams belong to one ``trio.run``: the client runs in a trio loop
on a thread of its own and each round is one ``trio.from_thread.run``
call, timed inside the loop.

The round-trip scenarios open a new connection (and fork a new server)
for every round. Over loopback on a small machine, a round trip's time
depends on whether the client reaches its blocking receive before the
echo arrives: if it does, it sleeps, and being woken costs more than the
TLS work. Which of the two happens is settled early in a connection's
life and then holds (the scheduler's placement of the two processes), so
one connection per run made a run's figure one draw; one per round makes
the median a median over draws. Each round also reports how often the
client's thread slept per round trip (voluntary context switches, Linux
only), so that a slow round can be told from slow code.
"""

from __future__ import annotations

import asyncio
import resource
import threading
from collections.abc import Iterator
from typing import Any, Callable

import impl_stdlib
from common import WRITE_CHUNK, Env, bulk_sink, echo, timed_rate, wall_clock, warm

_PAYLOAD = b"\x5a" * 64


def _echo_server(env: Env) -> Any:
    return impl_stdlib._serving(
        env, lambda tls: echo(impl_stdlib._quiet_recv_into(tls), tls.sendall)
    )


def _sink_server(env: Env, total: int) -> Any:
    return impl_stdlib._serving(
        env,
        lambda tls: bulk_sink(impl_stdlib._quiet_recv_into(tls), tls.sendall, total),
    )


def _thread_sleeps() -> int | None:
    """Voluntary context switches of the calling thread so far (Linux)."""
    who = getattr(resource, "RUSAGE_THREAD", None)
    return None if who is None else resource.getrusage(who).ru_nvcsw


def _round_figures(
    rate: float, trips: int, slept_before: int | None
) -> dict[str, float]:
    """A round's figures; *slept_before* is ``_thread_sleeps()`` at its start."""
    figures = {"rtt_per_s": rate}
    after = _thread_sleeps()
    if slept_before is not None and after is not None and trips:
        figures["sleeps_per_rt"] = (after - slept_before) / trips
    return figures


def _per_connection(one_round: Callable[[bool], dict[str, Any]]) -> Iterator[Any]:
    """The scenario protocol with a new connection for every round.

    ``one_round(True)`` describes the connection (protocol, cipher),
    ``one_round(False)`` measures one.
    """
    yield one_round(True)
    while True:
        yield one_round(False)


def _describe(ssl_object: Any) -> dict[str, str]:
    cipher = ssl_object.cipher()
    return {
        "protocol": ssl_object.version() or "",
        "cipher": cipher[0] if cipher else "",
    }


# -- asyncio streams --------------------------------------------------------------


def _asyncio_client(env: Env, server: Any) -> tuple[Any, Any, Any]:
    loop = asyncio.new_event_loop()
    reader, writer = loop.run_until_complete(
        asyncio.open_connection(
            sock=server.sock,
            ssl=impl_stdlib.client_context(env),
            server_hostname="localhost",
        )
    )
    return loop, reader, writer


def _asyncio_close(loop: Any, writer: Any) -> None:
    writer.close()
    try:
        loop.run_until_complete(writer.wait_closed())
    except OSError:
        pass
    loop.close()


def asyncio_rtt(env: Env) -> Iterator[Any]:
    def one_round(describe: bool) -> dict[str, Any]:
        server = _echo_server(env)
        try:
            loop, reader, writer = _asyncio_client(env, server)
            done = [0]

            async def trips(n: int) -> None:
                for _ in range(n):
                    writer.write(_PAYLOAD)
                    await reader.readexactly(64)
                done[0] += n

            def batch(n: int) -> None:
                loop.run_until_complete(trips(n))

            try:
                warm(batch, env.sizes.warmup, 50)
                if describe:
                    return _describe(writer.get_extra_info("ssl_object"))
                done[0] = 0
                before = _thread_sleeps()
                rate = timed_rate(batch, env.sizes.budget, 50, wall_clock)
                return _round_figures(rate, done[0], before)
            finally:
                _asyncio_close(loop, writer)
        finally:
            server.close()

    return _per_connection(one_round)


def asyncio_bulk(env: Env) -> Iterator[Any]:
    total = env.sizes.sock_bulk_bytes
    server = _sink_server(env, total)
    try:
        loop, reader, writer = _asyncio_client(env, server)
        chunk = b"\x5a" * WRITE_CHUNK
        writes = total // WRITE_CHUNK

        async def transfer() -> float:
            start = wall_clock()
            for _ in range(writes):
                writer.write(chunk)
                await writer.drain()
            if await reader.readexactly(1) != b"k":
                raise RuntimeError("bad ack")
            return total / (wall_clock() - start) / 1e6

        try:
            loop.run_until_complete(transfer())
            yield _describe(writer.get_extra_info("ssl_object"))
            while True:
                yield {"mb_per_s": loop.run_until_complete(transfer())}
        finally:
            _asyncio_close(loop, writer)
    finally:
        server.close()


# -- trio's SSLStream -------------------------------------------------------------


class _TrioClient:
    """A trio SSLStream client living in a trio loop on its own thread."""

    def __init__(self, env: Env, sock: Any) -> None:
        import trio

        self._trio = trio
        self.stream: Any = None
        self._token: Any = None
        self._ready = threading.Event()
        self._stop: Any = None
        self._error: list[BaseException] = []

        async def main() -> None:
            self._token = trio.lowlevel.current_trio_token()
            self._stop = trio.Event()
            try:
                transport = trio.SocketStream(trio.socket.from_stdlib_socket(sock))
                self.stream = trio.SSLStream(
                    transport,
                    impl_stdlib.client_context(env),
                    server_hostname="localhost",
                )
                await self.stream.do_handshake()
            except BaseException as exc:
                self._error.append(exc)
                self._ready.set()
                raise
            self._ready.set()
            await self._stop.wait()

        self._thread = threading.Thread(target=trio.run, args=(main,), daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error:
            raise self._error[0]

    def run(self, async_fn: Callable[..., Any], *args: Any) -> Any:
        return self._trio.from_thread.run(async_fn, *args, trio_token=self._token)

    def close(self) -> None:
        if self._token is not None:
            self._trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
        self._thread.join(30)


def trio_rtt(env: Env) -> Iterator[Any]:
    def one_round(describe: bool) -> dict[str, Any]:
        server = _echo_server(env)
        try:
            client = _TrioClient(env, server.sock)
            stream = client.stream

            async def trips(n: int) -> None:
                for _ in range(n):
                    await stream.send_all(_PAYLOAD)
                    got = 0
                    while got < 64:
                        got += len(await stream.receive_some(1 << 14))

            async def timed(budget: float) -> dict[str, float]:
                done = 0
                before = _thread_sleeps()
                start = wall_clock()
                while True:
                    await trips(50)
                    done += 50
                    elapsed = wall_clock() - start
                    if elapsed >= budget:
                        return _round_figures(done / elapsed, done, before)

            try:
                client.run(trips, 50)
                if describe:
                    return {
                        "protocol": stream.version() or "",
                        "cipher": stream.cipher()[0],
                    }
                if env.sizes.warmup > 0:
                    client.run(timed, env.sizes.warmup)
                return dict(client.run(timed, env.sizes.budget))
            finally:
                client.close()
        finally:
            server.close()

    return _per_connection(one_round)


def trio_bulk(env: Env) -> Iterator[Any]:
    total = env.sizes.sock_bulk_bytes
    server = _sink_server(env, total)
    try:
        client = _TrioClient(env, server.sock)
        stream = client.stream
        chunk = b"\x5a" * WRITE_CHUNK
        writes = total // WRITE_CHUNK

        async def transfer() -> float:
            start = wall_clock()
            for _ in range(writes):
                await stream.send_all(chunk)
            if await stream.receive_some(16) != b"k":
                raise RuntimeError("bad ack")
            return total / (wall_clock() - start) / 1e6

        try:
            client.run(transfer)
            yield {"protocol": stream.version() or "", "cipher": stream.cipher()[0]}
            while True:
                yield {"mb_per_s": client.run(transfer)}
        finally:
            client.close()
    finally:
        server.close()


SCENARIOS = {f.__name__: f for f in (asyncio_rtt, asyncio_bulk, trio_rtt, trio_bulk)}
