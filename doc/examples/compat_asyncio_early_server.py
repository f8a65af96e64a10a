"""An asyncio server that accepts TLS 1.3 early data (``ssl_compat``).

asyncio runs the server's handshake itself (``SSLObject.do_handshake``), so a
server that wants 0-RTT gives its context an ``SSLObject`` subclass
(``sslobject_class``, a standard ``SSLContext`` attribute) that reads the
early data first and hands it to the application ahead of the rest. Early
data may be a replay: serve only requests that are safe twice.
"""

from __future__ import annotations

import asyncio
from typing import Any

from OpenSSL import ssl_compat


class EarlyDataSSLObject(ssl_compat.SSLObject):
    """Reads early data before the handshake; ``read`` returns it first."""

    _early: bytearray
    _early_done: bool

    def do_handshake(self) -> None:
        if not hasattr(self, "_early"):
            self._early, self._early_done = bytearray(), False
        while not self._early_done:
            chunk = self.read_early_data(16384)  # SSLWantReadError: wait for more
            if chunk:
                self._early += chunk
            else:
                self._early_done = True
        super().do_handshake()

    def read(self, len: int = 1024, buffer: Any = None) -> Any:
        early = getattr(self, "_early", None)
        if not early:
            return super().read(len, buffer)
        size = min(len, early.__len__()) if len > 0 else early.__len__()
        if buffer is not None:
            size = min(size, memoryview(buffer).nbytes)
            memoryview(buffer)[:size] = early[:size]
            del early[:size]
            return size
        data = bytes(early[:size])
        del early[:size]
        return data


def server_context(certfile: str, keyfile: str) -> ssl_compat.SSLContext:
    context = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    context.max_early_data = 16384  # advertised in tickets; single-use tickets
    context.sslobject_class = EarlyDataSSLObject
    return context


async def serve(certfile: str, keyfile: str, seen: list[tuple[bytes, int]]) -> Any:
    """Answer each request; note (request, early data status) in *seen*."""

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        status = writer.get_extra_info("ssl_object").get_early_data_status()
        seen.append((request, status))
        writer.write(b"HTTP/1.0 200 OK\r\n\r\nnews\n")
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    context = server_context(certfile, keyfile)
    return await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
