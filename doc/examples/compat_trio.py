"""trio's ``SSLStream`` with an ``ssl_compat`` context.

``trio.SSLStream`` wraps any trio stream with ``context.wrap_bio``; an
``ssl_compat`` context makes it run on ``OpenSSL.SSL``.
"""

from __future__ import annotations

import trio

from OpenSSL import ssl_compat


async def ask(port: int, cafile: str, line: bytes) -> bytes:
    context = ssl_compat.create_default_context(cafile=cafile)
    tcp = await trio.open_tcp_stream("127.0.0.1", port)
    stream = trio.SSLStream(tcp, context, server_hostname="localhost")
    await stream.do_handshake()
    await stream.send_all(line)
    answer = b""
    while not answer.endswith(b"\n"):
        data = await stream.receive_some(65536)
        if not data:
            break
        answer += data
    await stream.aclose()
    return answer
