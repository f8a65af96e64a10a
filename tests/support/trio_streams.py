"""trio transport streams for the tests that drive ``trio.SSLStream``.

Not re-exported from :mod:`tests.support`: importing the package must not
need trio (the reliability oracle imports it under pyOpenSSL 26.4, in an
interpreter that may not have trio). Import from this module.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Callable, Optional

import trio
import trio.testing

__all__ = [
    "Corked",
    "corked_ssl_stream_pair",
    "run_together",
    "ssl_stream_pair",
]


class Corked(trio.abc.Stream):
    """A transport that holds what is sent until :meth:`flush`, when corked.

    Lets a test put the peer's close_notify and plain bytes after it into one
    chunk on the wire, which is where an engine that eats its whole input
    loses the plain bytes. Set ``corked`` to start holding.
    """

    def __init__(self, inner: trio.abc.Stream) -> None:
        self.inner = inner
        self.corked = False
        self._held = b""

    async def send_all(self, data: Any) -> None:
        if self.corked:
            self._held += bytes(data)
        else:
            await self.inner.send_all(data)

    async def flush(self) -> None:
        """Stop holding and send everything held as one chunk."""
        self.corked = False
        held, self._held = self._held, b""
        await self.inner.send_all(held)

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: Optional[int] = None) -> bytes:
        return bytes(await self.inner.receive_some(max_bytes))

    async def aclose(self) -> None:
        await self.inner.aclose()


def ssl_stream_pair(
    server_ctx: Any, client_ctx: Any
) -> tuple[trio.SSLStream[Any], trio.SSLStream[Any]]:
    """``(server, client)`` ``trio.SSLStream``s over a trio memory stream
    pair, the client expecting ``localhost``; no handshake done."""
    left, right = trio.testing.memory_stream_pair()
    server = trio.SSLStream(left, server_ctx, server_side=True)
    client = trio.SSLStream(right, client_ctx, server_hostname="localhost")
    return server, client


def corked_ssl_stream_pair(
    server_ctx: Any, client_ctx: Any
) -> tuple[Corked, trio.SSLStream[Any], trio.SSLStream[Any]]:
    """:func:`ssl_stream_pair` with the server writing through a
    :class:`Corked` transport, returned first."""
    left, right = trio.testing.memory_stream_pair()
    corked = Corked(left)
    server = trio.SSLStream(corked, server_ctx, server_side=True)
    client = trio.SSLStream(right, client_ctx, server_hostname="localhost")
    return corked, server, client


async def run_together(seconds: float, *tasks: Callable[[], Awaitable[Any]]) -> None:
    """Run *tasks* concurrently in one nursery, all done within *seconds*."""
    with trio.fail_after(seconds):
        async with trio.open_nursery() as nursery:
            for task in tasks:
                nursery.start_soon(task)
