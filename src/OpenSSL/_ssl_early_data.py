"""TLS 1.3 early data (0-RTT): the client sends data in its first flight.

How it goes:

1. The server's Context calls :meth:`EarlyDataContext.set_max_early_data`;
   its tickets then tell clients how much early data it accepts (a
   session's ``max_early_data``). Without it a server accepts none.
2. A client that resumes such a session (``Connection.set_session``), from a
   Context that allowed early data with its own ``set_max_early_data``,
   calls :meth:`EarlyDataConnection.write_early_data` before the handshake;
   the ClientHello and the data leave together.
3. The server calls :meth:`EarlyDataConnection.read_early_data` first: it
   returns early data as it arrives, raises ``WantReadError`` while more
   is needed, and returns ``b""`` once the early data has ended (at once
   when there was none or it was refused); the handshake then goes on
   as usual (``do_handshake``, ``recv``...).
4. Both sides learn what happened from
   :meth:`EarlyDataConnection.get_early_data_status`. A client whose early
   data was rejected (``EARLY_DATA_REJECTED``: the server no longer knows
   the ticket, accepts no early data, or the ALPN changed) must send it
   again with ``send`` after the handshake: OpenSSL drops it, and this is
   the application's to resend -- never lost silently as long as the status
   is checked.

Replay: early data is not protected against replay across connections.
OpenSSL's anti-replay (single-use tickets, kept in the server's session
cache) is on whenever ``max_early_data`` is set and this binding offers no
way to turn it off. Send as early data only requests that are safe to run
twice (RFC 8446, section 8 and appendix E.5): an idempotent GET, not a
payment.

The binding lacks ``SSL_get_early_data_status`` and
``SSL_CTX_set_recv_max_early_data``: the status is derived from the
``early_data`` extension in the ClientHello and the EncryptedExtensions, as
the message callback sees them (``_ssl_messages``), which is why a client
Context must also opt in with ``set_max_early_data``; and since OpenSSL
aborts connections whose early data exceeds its fixed receive limit of
16384 bytes, that is the largest ``max_early_data`` accepted here.
"""

from __future__ import annotations

from typing import Any, Callable, NoReturn, Optional

from OpenSSL._ssl_constants import (
    EARLY_DATA_ACCEPTED,
    EARLY_DATA_NOT_SENT,
    EARLY_DATA_REJECTED,
    SSL_READ_EARLY_DATA_FINISH,
    SSL_READ_EARLY_DATA_SUCCESS,
)
from OpenSSL._ssl_controls import _configures as configures
from OpenSSL._ssl_errors import Error
from OpenSSL._ssl_messages import MessageConnection, MessageContext
from OpenSSL._util import checked, ffi, lib, no_zero_allocator

__all__ = ["EARLY_DATA_EXTENSION", "EarlyDataConnection", "EarlyDataContext"]

#: The ``early_data`` extension's type (RFC 8446).
EARLY_DATA_EXTENSION = 42

#: OpenSSL's default ``recv_max_early_data``, which the binding cannot change.
MAX_EARLY_DATA = 16384

_MAX_RECORD = 16384


class EarlyDataContext(MessageContext):
    """Early-data methods of ``Context`` (a base class of it)."""

    @configures
    def set_max_early_data(self, max_early_data: int) -> None:
        """Allow up to *max_early_data* bytes of early data per connection (0: none).

        On a server: accept that much early data from clients resuming a
        session (its tickets advertise it), read with
        :meth:`Connection.read_early_data`; OpenSSL's replay protection
        (single-use tickets) comes with it. On a client: allow
        :meth:`Connection.write_early_data`, at most this many bytes (and
        at most the session's own ``max_early_data``). At most 16384.
        """
        if not isinstance(max_early_data, int):
            raise TypeError("max_early_data must be an integer")
        if not 0 <= max_early_data <= MAX_EARLY_DATA:
            raise ValueError(
                f"max_early_data must be 0 to {MAX_EARLY_DATA} (OpenSSL aborts "
                "connections that send more early data than that)"
            )
        checked(Error, lib.SSL_CTX_set_max_early_data, self._context, max_early_data)
        self._max_early_data = max_early_data
        self._watch_messages()

    def get_max_early_data(self) -> int:
        """The value given to :meth:`set_max_early_data` (0 by default)."""
        return self._max_early_data


class EarlyDataConnection(MessageConnection):
    """Early-data methods of ``Connection`` (a base class of it)."""

    _early_written = 0
    _early_finished = False
    # Early data read in a call that raised a callback's exception.
    _early_held = b""

    # Connection's own:
    _callback_exception: Optional[BaseException]
    _raise_io_error: Callable[[int], NoReturn]
    _check_callbacks: Callable[[], None]

    def write_early_data(self, buf: Any) -> int:
        """Send *buf* as early data; return how many bytes were sent.

        A client calls it before any other I/O of the connection, with a
        session set (:meth:`set_session`) whose ``max_early_data`` allows
        it, and may call it again while the handshake runs; then it
        finishes the handshake (``do_handshake``) and checks
        :meth:`get_early_data_status`: unless ``EARLY_DATA_ACCEPTED``, the
        data must be sent again. A session OpenSSL will not resume (a live
        one whose connection was dropped without a shutdown) gives
        :class:`Error`, and the connection is then unusable.
        Raises ``WantReadError``/``WantWriteError`` like ``send``. A server
        may also use it, after :meth:`read_early_data`, to answer before the
        handshake ends (to a client not yet authenticated).

        :raises ValueError: the Context did not allow early data, or *buf*
            would exceed the allowed amount (the Context's, or the
            session's ``max_early_data``); nothing is sent then.
        """
        if type(buf) is not bytes:
            try:
                buf = bytes(memoryview(buf))  # not bytes(5): five NUL bytes
            except TypeError:
                raise TypeError(
                    f"buf must be a bytes-like object, not {type(buf).__name__}"
                ) from None
        limit = self._context.get_max_early_data()
        if limit <= 0:
            raise ValueError(
                "early data is off for this Context: call "
                "Context.set_max_early_data(n) first"
            )
        # The limit is a client's: what a server sends before the handshake
        # ends (an answer to early data) is not early data.
        client = self._is_client is not False
        if client and self._early_written + len(buf) > limit:
            raise ValueError(
                f"{self._early_written + len(buf)} bytes of early data exceed "
                f"the {limit} this Context allows"
            )
        if client:
            self._check_session_limit(len(buf))
        data: bytes = buf
        written = ffi.new("size_t *")
        result = lib.SSL_write_early_data(self._ssl, data, len(data), written)
        if result <= 0 and self._session_refused(result):
            raise Error(
                [
                    (
                        "SSL routines",
                        "SSL_write_early_data",
                        "OpenSSL will not resume this session, so no early data "
                        "can be sent; this connection cannot go on (make a new "
                        "one, with another session or none)",
                    )
                ]
            )
        if result <= 0 or self._callback_exception is not None:
            self._raise_io_error(result)
        if client:
            self._early_written += written[0]
            self._early_offered = True
        return int(written[0])

    def _check_session_limit(self, size: int) -> None:
        """``ValueError`` unless the session's ``max_early_data`` allows *size* more.

        OpenSSL checks it too, but by failing the connection (``too much
        early data``, or ``called a function you should not call`` for a
        session that allows none); refused here nothing is sent and the
        connection can still do a normal handshake. Checked while the
        session is the one being resumed: before the ClientHello, or while
        it allows early data (a session that replaced it after a refused
        resumption is left to OpenSSL).
        """
        session = lib.SSL_get_session(self._ssl)
        if session == ffi.NULL:
            return  # no session (or an external PSK): OpenSSL decides
        allowed = int(lib.SSL_SESSION_get_max_early_data(session))
        if self._is_client is None or allowed > 0:
            if self._early_written + size > allowed:
                raise ValueError(
                    f"{self._early_written + size} bytes of early data exceed "
                    f"the {allowed} the session's server accepts (its "
                    "max_early_data)"
                )

    def _session_refused(self, result: int) -> bool:
        """Whether OpenSSL sent a ClientHello without early data and gave up.

        That is what it does with a session it will not resume (one whose
        connection was dropped without a shutdown, say): it reports only
        ``SSL_ERROR_SYSCALL`` with an empty error queue, and the connection
        cannot go on.
        """
        return (
            self._callback_exception is None
            and self._is_client is True
            and not self._early_offered
            and lib.SSL_get_error(self._ssl, result) == lib.SSL_ERROR_SYSCALL
            and not lib.ERR_peek_error()
        )

    def read_early_data(self, bufsiz: int) -> bytes:
        """Read up to *bufsiz* bytes of the client's early data (servers).

        Call it first on a new server connection, until it returns ``b""``
        (the early data has ended, or there was none, or it was refused);
        then go on with the handshake. Raises ``WantReadError`` while more
        input is needed. Anything read here may be a replay.
        """
        if not isinstance(bufsiz, int):
            raise TypeError("bufsiz must be an integer")
        if bufsiz < 0:
            raise ValueError("bufsiz must not be negative")
        if self._early_held and bufsiz:
            held, self._early_held = (
                self._early_held[:bufsiz],
                self._early_held[bufsiz:],
            )
            return held
        if self._early_finished or bufsiz == 0:
            return b""
        size = min(bufsiz, _MAX_RECORD)
        buffer = no_zero_allocator("char[]", size)
        readbytes = ffi.new("size_t *")
        result = lib.SSL_read_early_data(self._ssl, buffer, size, readbytes)
        if result in (SSL_READ_EARLY_DATA_SUCCESS, SSL_READ_EARLY_DATA_FINISH):
            data = ffi.buffer(buffer, readbytes[0])[:]
            if result == SSL_READ_EARLY_DATA_FINISH:
                self._early_finished = True
            if self._callback_exception is not None:
                # A callback raised while OpenSSL read on: its exception
                # comes out of this call, and the early data this call
                # read comes out of the next one (it is never lost).
                self._early_held = data
                self._check_callbacks()
            return data
        if self._callback_exception is not None:
            self._check_callbacks()
        self._raise_io_error(0)

    def get_early_data_status(self) -> int:
        """What became of early data on this connection.

        :data:`EARLY_DATA_NOT_SENT` (none was offered),
        :data:`EARLY_DATA_REJECTED` (offered, and the server refused it --
        also the answer until the server's answer has been read) or
        :data:`EARLY_DATA_ACCEPTED`. Known only on connections whose Context
        called :meth:`Context.set_max_early_data`, :meth:`Context.set_msg_callback`
        or :meth:`Context.set_new_session_callback` (others say ``NOT_SENT``).
        """
        if not self._early_offered:
            return EARLY_DATA_NOT_SENT
        return EARLY_DATA_ACCEPTED if self._early_accepted else EARLY_DATA_REJECTED
