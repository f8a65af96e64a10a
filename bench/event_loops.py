"""Scenarios through event-loop libraries: asyncio streams and trio's SSLStream.

Both drive TLS with ``SSLObject`` over the stdlib's ``MemoryBIO`` -- the
path most ``ssl_compat`` users take without knowing it. They run for the
``stdlib`` and ``compat`` implementations (``impl_stdlib.mod``); the server
is a blocking ``SSLSocket`` of the same implementation in a forked child,
as in the other socket scenarios, so only the client's library differs
between the scenarios here and ``sock_rtt``/``sock_bulk``.

trio's streams belong to one ``trio.run``: the client runs in a long-lived
trio loop on a thread of its own and each round is one
``trio.from_thread.run`` call, timed inside the loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any, Callable

import impl_stdlib
from common import WRITE_CHUNK, Env, bulk_sink, echo, timed_rate, wall_clock, warm

_PAYLOAD = b"\x5a" * 64


def _quiet(tls: Any) -> Callable[[bytearray], int]:
    def recv_into(buf: bytearray) -> int:
        try:
            return int(tls.recv_into(buf))
        except OSError:
            return 0

    return recv_into


def _echo_server(env: Env) -> Any:
    return impl_stdlib._serving(env, lambda tls: echo(_quiet(tls), tls.sendall))


def _sink_server(env: Env, total: int) -> Any:
    return impl_stdlib._serving(
        env, lambda tls: bulk_sink(_quiet(tls), tls.sendall, total)
    )


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
    server = _echo_server(env)
    try:
        loop, reader, writer = _asyncio_client(env, server)

        async def trips(n: int) -> None:
            for _ in range(n):
                writer.write(_PAYLOAD)
                await reader.readexactly(64)

        def batch(n: int) -> None:
            loop.run_until_complete(trips(n))

        try:
            warm(batch, env.sizes.warmup, 50)
            yield _describe(writer.get_extra_info("ssl_object"))
            while True:
                yield {"rtt_per_s": timed_rate(batch, env.sizes.budget, 50, wall_clock)}
        finally:
            _asyncio_close(loop, writer)
    finally:
        server.close()


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

        async def timed(budget: float) -> float:
            done = 0
            start = wall_clock()
            while True:
                await trips(50)
                done += 50
                elapsed = wall_clock() - start
                if elapsed >= budget:
                    return done / elapsed

        try:
            client.run(trips, 50)
            if env.sizes.warmup > 0:
                client.run(timed, env.sizes.warmup)
            yield {"protocol": stream.version() or "", "cipher": stream.cipher()[0]}
            while True:
                yield {"rtt_per_s": client.run(timed, env.sizes.budget)}
        finally:
            client.close()
    finally:
        server.close()


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
