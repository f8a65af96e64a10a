"""Exceptions of ``OpenSSL.SSL`` and the one place OpenSSL failures become them.

An I/O call on an ``SSL *`` (``SSL_read``, ``SSL_do_handshake``, ...) returns
a value <= 0 when it did not complete. :func:`raise_ssl_error` asks
``SSL_get_error`` why and raises the matching exception from ``_BY_CODE``;
only the codes that need more than a class (``SSL_ERROR_SYSCALL`` and
``SSL_ERROR_SSL``, which carry errno or the error queue) have code of their
own. Nothing here runs on a successful call.
"""

from __future__ import annotations

import errno as _errno
from typing import Any, NoReturn

from OpenSSL._util import exception_from_error_queue, ffi, lib

__all__ = [
    "Error",
    "SysCallError",
    "WantReadError",
    "WantWriteError",
    "WantX509LookupError",
    "ZeroReturnError",
]


class Error(Exception):
    """An error in the TLS layer.

    ``args[0]`` is a list of ``(library, function, reason)`` string tuples
    taken from OpenSSL's error queue.
    """


class WantReadError(Error):
    """The operation needs more bytes from the peer before it can go on.

    Retry the same call once the transport is readable (socket mode) or once
    more data has been given to :meth:`Connection.bio_write` (memory mode).
    """


class WantWriteError(Error):
    """The operation needs to write to the transport before it can go on."""


class WantX509LookupError(Error):
    """A certificate callback asked for the operation to be retried."""


class ZeroReturnError(Error):
    """The peer closed the TLS session cleanly (it sent close_notify)."""


class SysCallError(Error):
    """The transport failed.

    ``args`` is ``(errno, strerror)`` for an operating-system error, or
    ``(-1, 'Unexpected EOF')`` when the transport ended without the peer's
    close_notify.
    """


_BY_CODE: dict[int, type[Error]] = {
    lib.SSL_ERROR_WANT_READ: WantReadError,
    lib.SSL_ERROR_WANT_WRITE: WantWriteError,
    lib.SSL_ERROR_ZERO_RETURN: ZeroReturnError,
    lib.SSL_ERROR_WANT_X509_LOOKUP: WantX509LookupError,
}

_UNEXPECTED_EOF_REASON = (
    lib.SSL_R_UNEXPECTED_EOF_WHILE_READING
    if lib.Cryptography_HAS_UNEXPECTED_EOF_WHILE_READING
    else None
)


# OpenSSL 4 fails an I/O call on a connection that already ended or failed
# without recording why. Rather than an empty list, say what that means; the
# wording starts as OpenSSL's own EOF reason does, so code that recognises an
# EOF by its reason text (Twisted does) still does.
_NO_REASON = (
    "SSL routines",
    "",
    "unexpected eof, or use after a fatal error (OpenSSL recorded no reason)",
)


def _unexpected_eof() -> NoReturn:
    raise SysCallError(-1, "Unexpected EOF")


def _syscall_error(err: int) -> NoReturn:
    raise SysCallError(err, _errno.errorcode.get(err, str(err)))


def raise_ssl_error(ssl: Any, result: int) -> NoReturn:
    """Raise the exception that explains why an I/O call on *ssl* returned *result*."""
    code = lib.SSL_get_error(ssl, result)
    exc_class = _BY_CODE.get(code)
    if exc_class is not None:
        raise exc_class()
    if code == lib.SSL_ERROR_SYSCALL:
        peeked = lib.ERR_peek_error()
        if peeked == 0:
            if result < 0:
                err = ffi.errno
                if err:
                    _syscall_error(err)
            _unexpected_eof()
        # OpenSSL 3+ records a failed socket call as a "system library"
        # error whose reason is errno; pyOpenSSL users expect SysCallError.
        if ffi.string(lib.ERR_lib_error_string(peeked)) == b"system library":
            lib.ERR_clear_error()
            _syscall_error(lib.ERR_GET_REASON(peeked))
        exception_from_error_queue(Error, "SSL I/O")
    if code == lib.SSL_ERROR_SSL:
        peeked = lib.ERR_peek_error()
        # OpenSSL 3 reports a transport EOF without close_notify as a protocol
        # error; pyOpenSSL has always called it a SysCallError, so keep that.
        if (
            _UNEXPECTED_EOF_REASON is not None
            and peeked != 0
            and lib.ERR_GET_REASON(peeked) == _UNEXPECTED_EOF_REASON
        ):
            lib.ERR_clear_error()
            _unexpected_eof()
        if peeked == 0:
            raise Error([_NO_REASON])
    exception_from_error_queue(Error, "SSL I/O")
