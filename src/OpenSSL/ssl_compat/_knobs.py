"""The last reaches of ``ssl_compat`` into ``OpenSSL.SSL``'s private state.

Both belong to the sessions work (issue 14), which adds the public
``Connection.session_reused()`` and ``Session`` properties (``id``, ``time``,
``timeout``, ``ticket_lifetime_hint``, ``has_ticket``); when those land, the
callers switch to them and this module goes. The layer-rule test
(``tests/test_layering.py``) lists these two as its only known exceptions.
"""

from __future__ import annotations

from typing import NamedTuple

from OpenSSL import SSL
from OpenSSL._der import elements
from OpenSSL._util import ffi, lib

__all__ = ["SessionDetails", "session_details", "session_reused"]


def session_reused(connection: SSL.Connection) -> bool:
    """``SSL_session_reused`` (wanted: ``Connection.session_reused()``, issue 14)."""
    return bool(lib.SSL_session_reused(connection._ssl))


# -- sessions ----------------------------------------------------------------


class SessionDetails(NamedTuple):
    """Fields of an ``SSL_SESSION``, read from its DER encoding."""

    id: bytes
    time: int
    timeout: int
    ticket_lifetime_hint: int
    has_ticket: bool


def _der_items(data: bytes) -> list[tuple[int, bytes]]:
    return [(tag, contents) for tag, contents, _ in elements(data)]


def _der_int(contents: bytes) -> int:
    return int.from_bytes(contents, "big", signed=True) if contents else 0


def session_details(session: SSL.Session) -> SessionDetails:
    """id, time, timeout, ticket lifetime hint and ticket presence.

    The binding lacks ``SSL_SESSION_get_id``/``get_time``/``get_timeout``/
    ``get_ticket_lifetime_hint``/``has_ticket``; it has ``i2d_SSL_SESSION``,
    whose ASN.1 layout (OpenSSL's ``SSL_SESSION_ASN1``) carries all five:
    the session id is the fourth field, then ``[1]`` time, ``[2]`` timeout,
    ``[9]`` ticket lifetime hint and ``[10]`` ticket, each omitted when zero
    or empty. Wanted: a ``Session`` with these as properties.
    """
    pointer = session._session
    size = lib.i2d_SSL_SESSION(pointer, ffi.NULL)
    if size <= 0:
        return SessionDetails(b"", 0, 0, 0, False)
    buffer = ffi.new("unsigned char[]", size)
    cursor = ffi.new("unsigned char **", buffer)
    lib.i2d_SSL_SESSION(pointer, cursor)
    der = bytes(ffi.buffer(buffer, size))
    ((_tag, body),) = list(_der_items(der))
    fields = list(_der_items(body))
    session_id = fields[3][1] if len(fields) > 3 else b""
    tagged = {tag: contents for tag, contents in fields[5:]}

    def explicit_int(number: int) -> int:
        contents = tagged.get(0xA0 | number)
        if contents is None:
            return 0
        ((_inner_tag, value),) = list(_der_items(contents))
        return _der_int(value)

    ticket = tagged.get(0xA0 | 10)
    has_ticket = False
    if ticket is not None:
        ((_inner_tag, ticket_bytes),) = list(_der_items(ticket))
        has_ticket = len(ticket_bytes) > 0
    return SessionDetails(
        session_id,
        explicit_int(1),
        explicit_int(2),
        explicit_int(9),
        has_ticket,
    )
