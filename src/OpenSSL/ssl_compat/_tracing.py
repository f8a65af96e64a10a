"""CPython's private ``SSLContext._msg_callback`` debugging hook.

CPython 3.11's ``ssl.py`` documents it: ``callback(conn, direction, version,
content_type, msg_type, data)`` for every TLS message, with *conn* the
``SSLSocket``/``SSLObject``, *direction* ``"read"`` or ``"write"``, and the
numbers turned into the stdlib's enums (``TLSVersion``, ``_TLSContentType``,
``_TLSAlertType``/``_TLSMessageType``) where they name a member. Here it runs
on the public ``OpenSSL.SSL.Context.set_msg_callback``; *msg_type* is read
from the message as CPython's C code does (an alert's description, a
handshake message's type, a record header's content type, and for a record
header the version comes from the header itself). An exception from the
callback comes out of the call that drove OpenSSL, as in CPython.
"""

from __future__ import annotations

import ssl as _stdlib_ssl
from typing import Any, Callable, Optional

from OpenSSL import SSL
from OpenSSL.ssl_compat._core import owner_of

__all__ = ["set_msg_callback"]

_CHANGE_CIPHER_SPEC = 20
_ALERT = 21
_HANDSHAKE = 22
_HEADER = SSL.SSL3_RT_HEADER
_INNER_CONTENT_TYPE = SSL.SSL3_RT_INNER_CONTENT_TYPE
# The stdlib's private enums for these numbers (3.8+).
_CONTENT_TYPES: Any = getattr(_stdlib_ssl, "_TLSContentType", int)
_ALERT_TYPES: Any = getattr(_stdlib_ssl, "_TLSAlertType", int)
_MESSAGE_TYPES: Any = getattr(_stdlib_ssl, "_TLSMessageType", int)
# CPython's stand-in message type for ChangeCipherSpec.
_MT_CHANGE_CIPHER_SPEC = 0x0101


def _enum(kind: Any, value: int) -> Any:
    try:
        return kind(value)
    except ValueError:
        return value


def _message_type(content_type: int, data: bytes) -> int:
    if content_type == _CHANGE_CIPHER_SPEC:
        return _MT_CHANGE_CIPHER_SPEC
    if content_type == _ALERT:
        return data[1] if len(data) > 1 else -1
    if content_type in (_HANDSHAKE, _HEADER, _INNER_CONTENT_TYPE):
        return data[0] if data else -1
    return -1


def set_msg_callback(context: Any, callback: Optional[Callable[..., Any]]) -> None:
    """Install *callback* (CPython's shape) on ``context.openssl_context``."""
    if callback is None:
        context._msg_callback_function = None
        context._configure(lambda: context.openssl_context.set_msg_callback(None))
        return
    if not callable(callback):
        raise TypeError(f"{callback} is not callable.")

    def inner(
        connection: SSL.Connection,
        sent: bool,
        version: int,
        content_type: int,
        data: bytes,
    ) -> None:
        core = owner_of(connection)
        if core is None:
            return
        owner = core.public
        if owner is None:
            return
        msg_type = _message_type(content_type, data)
        if content_type == _HEADER and len(data) >= 3:
            version = data[1] << 8 | data[2]
        content = _enum(_CONTENT_TYPES, content_type)
        if content_type == _HEADER:
            message = _enum(_CONTENT_TYPES, msg_type)
        elif content_type == _ALERT:
            message = _enum(_ALERT_TYPES, msg_type)
        else:
            message = _enum(_MESSAGE_TYPES, msg_type)
        callback(
            owner,
            "write" if sent else "read",
            _enum(_stdlib_ssl.TLSVersion, version),
            content,
            message,
            data,
        )

    context._msg_callback_function = callback
    context._configure(lambda: context.openssl_context.set_msg_callback(inner))
