"""The message callback, and what is built on it: sessions, early data, sigalgs.

OpenSSL calls a Context's message callback (``SSL_CTX_set_msg_callback``)
for every handshake message, alert and record header a connection reads or
writes. One C callback per Context (made by ``_callbacks.message``, or
``_callbacks.handshake_message``) feeds :func:`_dispatch`, which serves four
users:

* the application's own callback, :meth:`MessageContext.set_msg_callback`
  (what ``openssl s_client -msg`` prints);
* the new-session callback, :meth:`MessageContext.set_new_session_callback`.
  The binding has no ``SSL_CTX_sess_set_new_cb``, so sessions are noticed
  here: a received NewSessionTicket (TLS 1.3), or the server's Finished of a
  TLS 1.2 handshake that made a new session. OpenSSL hands the message over
  *before* it processes it, so the session is taken afterwards -- at the
  connection's next message or record, or, when the call that processed it
  ends without one, by that call itself (``Connection._raise_io_error`` and
  a completed ``do_handshake`` call :meth:`MessageConnection._deliver_sessions`);
* the early-data bookkeeping of ``_ssl_early_data``, which reads the
  ``early_data`` extension of ClientHello and EncryptedExtensions, since the
  binding lacks ``SSL_get_early_data_status``;
* the signature schemes of ``_ssl_sigalgs`` (CertificateVerify and
  ServerKeyExchange), since the binding lacks ``SSL_get_signature_type_nid``.

The callback costs a Python call per record, so a Context installs it only
when one of these is asked for; other Contexts pay nothing. The last two
need only handshake messages: for them alone the Context installs
``_callbacks.handshake_message``, which drops other records at once.
"""

from __future__ import annotations

import functools
import weakref
from typing import TYPE_CHECKING, Any, Callable, Optional

from OpenSSL import _callbacks
from OpenSSL._ssl_controls import _configures as configures
from OpenSSL._util import ffi, lib

if TYPE_CHECKING:
    from OpenSSL._ssl_context import Context

__all__ = ["MessageConnection", "MessageContext"]


_HANDSHAKE = 22
_CLIENT_HELLO = 1
_NEW_SESSION_TICKET = 4
_ENCRYPTED_EXTENSIONS = 8
_FINISHED = 20
# ServerKeyExchange and CertificateVerify: they name a signature scheme.
_SIGNED = (12, 15)
_TLS1_3 = 0x0304

MessageCallback = Callable[[Any, bool, int, int, bytes], None]
NewSessionCallback = Callable[[Any, Any], None]


class MessageContext:
    """Message-callback methods of ``Context`` (a base class of it)."""

    _context: Any
    _msg_cb: Any = None
    _msg_user: Optional[MessageCallback] = None
    _new_session_user: Optional[NewSessionCallback] = None
    _max_early_data = 0
    _track_signatures = False
    # Which C callback is installed: "all" records, "handshake" messages, None.
    _msg_kind: Optional[str] = None
    _msg_retired: tuple[Any, ...] = ()
    _used: bool  # Context's: a Connection was made from it

    _hold: Callable[[Any], Any]  # Context's method

    @configures
    def set_msg_callback(self, callback: MessageCallback | None) -> None:
        """Call ``callback(conn, sent, version, content_type, data)`` per message.

        For every protocol message a connection made from this Context
        writes (*sent* true) or reads: *version* is the record's protocol
        version (``TLS1_3_VERSION``...), *content_type* the TLS content type
        (22 handshake, 21 alert, 20 change_cipher_spec, 23 application data)
        or one of the pseudo types :data:`SSL3_RT_HEADER` (the 5-byte record
        header) and :data:`SSL3_RT_INNER_CONTENT_TYPE` (the real content
        type of a TLS 1.3 record), and *data* the message's bytes (a
        handshake message starts with its type byte). This is what
        ``openssl s_client -msg`` prints; useful for debugging. Received
        messages are reported before OpenSSL checks them. An exception from
        *callback* comes out of the call that drove OpenSSL once it returns
        (OpenSSL cannot be stopped from this callback): what that call did
        stands -- data ``send`` raised from has been sent, and data ``recv``
        raised from is returned by the next ``recv``. ``None`` removes it.
        """
        if callback is not None and not callable(callback):
            raise TypeError("callback must be callable or None")
        self._msg_user = callback
        self._watch_messages()

    @configures
    def set_new_session_callback(self, callback: NewSessionCallback | None) -> None:
        """Call ``callback(conn, session)`` when a resumable session arrives.

        For client connections made from this Context: with TLS 1.3 for
        each NewSessionTicket the server sends (they come after the
        handshake, while the application reads), with TLS 1.2 once a
        handshake made a new session. *session* is a
        :class:`~OpenSSL.SSL.Session`; keep it, or its
        :meth:`~OpenSSL.SSL.Session.to_bytes`, to resume later, from this
        process or another. The callback runs during the call that read the
        session (``recv``, ``do_handshake``...), at the latest when that
        call returns (a TLS 1.2 session: when ``do_handshake`` completes,
        or, for a handshake driven by ``recv``/``send``, at the connection's
        next record), and its exceptions come out of that call; application
        data that call had already read is returned by the next ``recv``
        (nothing is lost). ``None`` removes it.
        """
        if callback is not None and not callable(callback):
            raise TypeError("callback must be callable or None")
        self._new_session_user = callback
        self._watch_messages()

    def _watch_messages(self) -> None:
        """Install, switch or remove the C callback as its users require.

        The application's callback and the new-session callback need every
        record; early data and signature schemes only handshake messages,
        for which the cheaper ``_callbacks.handshake_message`` suffices.
        """
        every_record = self._msg_user is not None or self._new_session_user is not None
        handshake_only = not every_record and (
            self._max_early_data > 0 or self._track_signatures
        )
        kind = "all" if every_record else "handshake" if handshake_only else None
        if kind == self._msg_kind:
            return
        if self._msg_cb is not None and self._used:
            # A Connection made while a change was allowed may still call it.
            self._msg_retired += (self._msg_cb,)
        self._msg_kind = kind
        if kind is None:
            lib.SSL_CTX_set_msg_callback(self._context, ffi.NULL)
            self._msg_cb = None
            return
        maker = _callbacks.message if every_record else _callbacks.handshake_message
        dispatch = functools.partial(_dispatch, weakref.ref(self))
        self._msg_cb = self._hold(maker(dispatch))
        lib.SSL_CTX_set_msg_callback(self._context, self._msg_cb)


class MessageConnection:
    """Per-connection state of the message callback (a base class of Connection)."""

    _ssl: Any
    _context: Context
    # Whether this side sent the ClientHello (None: not known yet).
    _is_client: Optional[bool] = None
    # A NewSessionTicket (or TLS 1.2 Finished) was read and the session it
    # makes is to be handed to the new-session callback once processed.
    _sessions_pending = False
    _ticket_seen = False
    _new_session_owner: Any = None
    # The last session handed over, held so its address cannot be reused.
    _last_session: Any = None
    # Early data (see _ssl_early_data): the ClientHello offered it, and the
    # EncryptedExtensions accepted it.
    _early_offered = False
    _early_accepted = False

    def _deliver_sessions(self, result: int) -> None:
        """End of a call that read a ticket: hand its session over if it stands.

        *result* is what the OpenSSL call returned; after a fatal error the
        ticket was not taken and nothing is delivered.
        """
        if result <= 0 and lib.SSL_get_error(self._ssl, result) not in (
            lib.SSL_ERROR_WANT_READ,
            lib.SSL_ERROR_WANT_WRITE,
            lib.SSL_ERROR_ZERO_RETURN,
        ):
            self._sessions_pending = False
            return
        _take_session(self)


def _take_session(conn: Any) -> None:
    """Give the connection's current session to the new-session callback."""
    if conn._callback_exception is not None:
        # A callback already raised during this call, and one call can
        # raise only one exception: the session waits (still pending) for
        # the next call rather than be handed over with its exception lost.
        return
    conn._sessions_pending = False
    context = conn._new_session_owner
    callback = None if context is None else context._new_session_user
    if callback is None:
        return
    pointer = lib.SSL_get1_session(conn._ssl)
    if pointer == ffi.NULL:
        return
    pointer = ffi.gc(pointer, lib.SSL_SESSION_free)
    if conn._last_session is not None and pointer == conn._last_session:
        return
    conn._last_session = pointer
    from OpenSSL._ssl_connection import Session

    session = Session()
    session._session = pointer
    session._context = conn._context
    callback(conn, session)


def _dispatch(
    context_ref: Callable[[], Any],
    conn: Any,
    sent: bool,
    version: int,
    content_type: int,
    data: bytes,
) -> None:
    context = context_ref()
    if context is None:
        return
    if conn._sessions_pending:
        # OpenSSL went on to another message: the ticket read before this
        # one has been processed, and its session is in place.
        _take_session(conn)
    if content_type == _HANDSHAKE and data:
        _watch_handshake(context, conn, sent, version, data)
    user = context._msg_user
    if user is not None:
        user(conn, sent, version, content_type, data)


def _watch_handshake(
    context: Any, conn: Any, sent: bool, version: int, data: bytes
) -> None:
    from OpenSSL import _ssl_early_data, _ssl_sigalgs

    kind = data[0]
    if kind == _CLIENT_HELLO:
        conn._is_client = sent
        conn._client_scheme = conn._server_scheme = None
        if _ssl_early_data.EARLY_DATA_EXTENSION in client_hello_extensions(data):
            conn._early_offered = True
    elif kind == _ENCRYPTED_EXTENSIONS:
        extensions = extension_types(data[4:])
        conn._early_accepted = _ssl_early_data.EARLY_DATA_EXTENSION in extensions
    elif kind in _SIGNED:
        _ssl_sigalgs.watch_signature(conn, sent, version, data)
    elif sent or context._new_session_user is None:
        return
    elif kind == _NEW_SESSION_TICKET:
        conn._ticket_seen = True
        if version >= _TLS1_3:
            conn._new_session_owner = context
            conn._sessions_pending = True
    elif kind == _FINISHED and version < _TLS1_3 and conn._is_client:
        # TLS 1.2: the server's Finished ends the handshake; a new session
        # came with it unless an old one was resumed without a new ticket.
        if conn._ticket_seen or not lib.SSL_session_reused(conn._ssl):
            conn._new_session_owner = context
            conn._sessions_pending = True


def extension_types(block: bytes) -> set[int]:
    """The extension types in a TLS extensions block (2-byte length first).

    Received messages reach the message callback before OpenSSL checks
    them, so a malformed block gives what could be read, never an error.
    """
    found: set[int] = set()
    if len(block) < 2:
        return found
    end = min(len(block), 2 + int.from_bytes(block[:2], "big"))
    offset = 2
    while offset + 4 <= end:
        found.add(int.from_bytes(block[offset : offset + 2], "big"))
        offset += 4 + int.from_bytes(block[offset + 2 : offset + 4], "big")
    return found


def client_hello_extensions(message: bytes) -> set[int]:
    """The extension types of a ClientHello handshake message (with its header)."""
    # type(1) length(3) version(2) random(32) session_id<1> suites<2> compression<1>
    offset = 4 + 2 + 32
    if offset >= len(message):
        return set()
    offset += 1 + message[offset]
    if offset + 2 > len(message):
        return set()
    offset += 2 + int.from_bytes(message[offset : offset + 2], "big")
    if offset >= len(message):
        return set()
    offset += 1 + message[offset]
    return extension_types(message[offset:])
