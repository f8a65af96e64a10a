"""asyncio streams with ``ssl_compat`` contexts on both ends.

asyncio accepts an ``ssl.SSLContext`` for ``ssl=``; it drives the TLS
session through the context's ``wrap_bio`` (``SSLObject`` over memory BIOs),
which ``ssl_compat`` runs on ``OpenSSL.SSL``.
"""

from __future__ import annotations

import asyncio

from OpenSSL import ssl_compat


async def echo_server(certfile: str, keyfile: str) -> asyncio.AbstractServer:
    context = ssl_compat.SSLContext(ssl_compat.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        line = await reader.readline()
        writer.write(line.upper())
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    return await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)


async def ask(port: int, cafile: str, line: bytes) -> tuple[bytes, str | None]:
    context = ssl_compat.create_default_context(cafile=cafile)
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="localhost"
    )
    version = writer.get_extra_info("ssl_object").version()
    writer.write(line)
    await writer.drain()
    answer = await reader.readline()
    writer.close()
    await writer.wait_closed()
    return answer, version
