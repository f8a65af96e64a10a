"""An asyncio client that keeps its TLS sessions in a file (``ssl_compat``).

asyncio creates the ``SSLObject`` itself through ``SSLContext.wrap_bio``
and starts the handshake at once; a context subclass is where a session
(and, with it, early data) can be offered. After the answer has been read,
the connection's session holds the server's newest ticket: it is written
back for the next process.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from OpenSSL import ssl_compat

REQUEST = b"GET / HTTP/1.0\r\n\r\n"


class SessionFileContext(ssl_compat.SSLContext):
    """Offers the session stored in ``session_file`` to every connection."""

    session_file: Path
    early_data: bytes | None = None

    def wrap_bio(self, *args: Any, **kwargs: Any) -> Any:
        try:
            kwargs["session"] = ssl_compat.SSLSession.from_bytes(
                self.session_file.read_bytes()
            )
        except (OSError, ValueError):
            pass  # no usable session: a full handshake
        ssl_object = super().wrap_bio(*args, **kwargs)
        if self.early_data and kwargs.get("session") is not None:
            if kwargs["session"].max_early_data >= len(self.early_data):
                ssl_object.write_early_data(self.early_data)
        return ssl_object


async def fetch(
    host: str, port: int, cafile: str, session_file: Path, early: bool = False
) -> tuple[bool, int, bytes]:
    """One request; returns (resumed, early data status, answer)."""
    context = SessionFileContext(ssl_compat.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile)
    context.session_file = session_file
    if early:
        context.max_early_data = 16384
        context.early_data = REQUEST
    reader, writer = await asyncio.open_connection(
        host, port, ssl=context, server_hostname=host
    )
    ssl_object = writer.get_extra_info("ssl_object")
    status = ssl_object.get_early_data_status()
    if status != ssl_compat.EARLY_DATA_ACCEPTED:
        writer.write(REQUEST)  # not sent early, or refused: send it now
    answer = await reader.read()
    session_file.write_bytes(ssl_object.session.to_bytes())
    resumed = ssl_object.session_reused
    writer.close()
    try:
        await writer.wait_closed()
    except (ConnectionError, ssl_compat.SSLError):
        pass  # the server closed first
    return resumed, status, answer
