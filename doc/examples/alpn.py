"""ALPN: the client offers protocols, the server's callback picks one.

The client lists what it speaks (``set_alpn_protos``); the server's select
callback receives that list and returns the protocol to use, or
``SSL.NO_OVERLAPPING_PROTOCOLS`` to go on without ALPN. Both sides then read
the result with ``get_alpn_proto_negotiated()`` (``b""`` for none).
"""

from __future__ import annotations

from typing import Callable, Union

from OpenSSL import SSL

SelectCallback = Callable[[SSL.Connection, list[bytes]], Union[bytes, object]]


def server_preference(supported: list[bytes]) -> SelectCallback:
    """Choose the first of *supported* (server order) that the client offered."""

    def select(conn: SSL.Connection, offered: list[bytes]) -> bytes | object:
        for protocol in supported:
            if protocol in offered:
                return protocol
        return SSL.NO_OVERLAPPING_PROTOCOLS

    return select


def configure(client: SSL.Context, server: SSL.Context) -> None:
    client.set_alpn_protos([b"http/1.1", b"h2"])
    server.set_alpn_select_callback(server_preference([b"h2", b"http/1.1"]))
