"""DTLS over memory BIOs: datagrams move one at a time.

* :func:`dtls_server_context` (cookie callbacks set) and
  :func:`dtls_client_context` make the contexts; :func:`dtls_pair` a client
  and a server ``Connection`` with an MTU set (memory BIOs cannot report one);
* :func:`move_datagram` delivers one datagram, :func:`dtls_step` runs one
  call that may wait for the peer;
* :func:`dtls_handshake` runs the cookie exchange (``DTLSv1_listen``) and the
  handshake that follows (:func:`dtls_finish_handshake`).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from OpenSSL.SSL import (
    DTLS_METHOD,
    OP_NO_QUERY_MTU,
    Connection,
    Context,
    WantReadError,
)
from tests.support.contexts import present

__all__ = [
    "DTLS_COOKIE",
    "dtls_client_context",
    "dtls_finish_handshake",
    "dtls_handshake",
    "dtls_listen_exchange",
    "dtls_pair",
    "dtls_server_context",
    "dtls_step",
    "move_datagram",
]

#: Upper bound on handshake rounds.
MAX_ROUNDS = 50

#: The cookie :func:`dtls_server_context` issues and accepts by default.
DTLS_COOKIE = b"an opaque cookie"


def dtls_server_context(
    generate: Optional[Callable[[Connection], Any]] = None,
    verify: Optional[Callable[[Connection, bytes], Any]] = None,
    method: int = DTLS_METHOD,
) -> Context:
    """A DTLS server ``Context`` presenting ``pki.server``, with cookie callbacks.

    *generate* and *verify* default to issuing and accepting
    :data:`DTLS_COOKIE`. ``OP_NO_QUERY_MTU``: memory BIOs have no path MTU.
    """
    ctx = Context(method)
    present(ctx, None)
    ctx.set_options(OP_NO_QUERY_MTU)
    ctx.set_cookie_generate_callback(generate or (lambda conn: DTLS_COOKIE))
    ctx.set_cookie_verify_callback(verify or (lambda conn, got: got == DTLS_COOKIE))
    return ctx


def dtls_client_context(method: int = DTLS_METHOD) -> Context:
    """A DTLS client ``Context`` (no verification, ``OP_NO_QUERY_MTU``)."""
    ctx = Context(method)
    ctx.set_options(OP_NO_QUERY_MTU)
    return ctx


def move_datagram(source: Connection, sink: Connection) -> bool:
    """Move one datagram from *source*'s memory BIO to *sink*.

    DTLS keeps datagram boundaries, so datagrams move one at a time; returns
    whether one was waiting.
    """
    try:
        data = source.bio_read(65536)
    except WantReadError:
        return False
    sink.bio_write(data)
    return True


def dtls_step(call: Callable[[], Any]) -> bool:
    """Run one DTLS call; ``False`` if it is waiting for the peer."""
    try:
        call()
    except WantReadError:
        return False
    return True


def dtls_pair(
    client_ctx: Context, server_ctx: Context
) -> tuple[Connection, Connection]:
    """``(client, server)`` memory-BIO DTLS connections, states and MTU set."""
    client = Connection(client_ctx, None)
    server = Connection(server_ctx, None)
    client.set_connect_state()
    server.set_accept_state()
    # Memory BIOs cannot report a path MTU (and OP_NO_QUERY_MTU forbids
    # asking); with none set, OpenSSL 4 cannot even send the ClientHello.
    client.set_ciphertext_mtu(1500)
    server.set_ciphertext_mtu(1500)
    return client, server


def dtls_listen_exchange(client: Connection, server: Connection) -> None:
    """Drive the cookie exchange up to the point where the server listens."""
    assert not dtls_step(client.do_handshake)  # ClientHello without cookie
    assert move_datagram(client, server)
    assert not dtls_step(server.DTLSv1_listen)  # HelloVerifyRequest
    assert move_datagram(server, client)
    assert not dtls_step(client.do_handshake)  # ClientHello with the cookie
    assert move_datagram(client, server)


def dtls_finish_handshake(
    client: Connection,
    server: Connection,
    stalled: type[Exception] = AssertionError,
) -> None:
    """After ``DTLSv1_listen`` accepted: run both handshakes to their end.

    A handshake that stops moving raises *stalled* (the reliability drivers
    pass the exception class they count as "stalled, not hung").
    """
    done = [False, False]
    for _ in range(MAX_ROUNDS):
        for index, conn in enumerate((server, client)):
            if not done[index]:
                done[index] = dtls_step(conn.do_handshake)
        moved = move_datagram(server, client) | move_datagram(client, server)
        if all(done) and not moved:
            return
    raise stalled("DTLS handshake did not complete")


def dtls_handshake(client: Connection, server: Connection) -> None:
    """The cookie exchange, ``DTLSv1_listen`` and the handshake to its end."""
    dtls_listen_exchange(client, server)
    server.DTLSv1_listen()  # the cookie checks out: no exception
    dtls_finish_handshake(client, server)
