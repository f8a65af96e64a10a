"""``SSLObject`` and ``MemoryBIO``: TLS without a socket, as event loops use it.

The caller owns two byte queues: *incoming* (TLS bytes received from the
peer, written by the caller) and *outgoing* (TLS bytes OpenSSL wants sent,
read by the caller). ``SSLObject`` runs on a memory-BIO
``OpenSSL.SSL.Connection`` and moves bytes between the two:

* into the connection, **one TLS record at a time**, and only when OpenSSL
  has used up what it was given (a read finds no decrypted data waiting, or
  an operation answers "want read"). Record boundaries come from the 5-byte
  record headers. So nothing past the record that carried the peer's
  close_notify is taken from *incoming*: bytes the peer sends in the clear
  after ending TLS (STARTTLS-style protocols, trio's ``unwrap()``) stay in
  the caller's BIO, exactly as with CPython, where OpenSSL reads the BIO
  itself, one record at a time.
* out of the connection, everything OpenSSL produced, after every
  operation -- also when it raises ``SSLWantReadError``, so a ClientHello
  reaches *outgoing* before the caller is told to wait.

The two queues may be this module's :class:`MemoryBIO` or the standard
library's ``ssl.MemoryBIO`` (asyncio and trio create the latter); only their
public methods are used.
"""

from __future__ import annotations

import ssl as _stdlib_ssl
import warnings
from typing import Any, Callable, Optional, TypeVar

from OpenSSL import SSL
from OpenSSL.ssl_compat._controls import ConnectionControls
from OpenSSL.ssl_compat._core import TLSCore, byte_buffer, check_wrap_arguments
from OpenSSL.ssl_compat._early_data import EarlyDataObject
from OpenSSL.ssl_compat._errors import want_read_error
from OpenSSL.ssl_compat._extensions import ConnectionExtensions

__all__ = ["MemoryBIO", "SSLObject"]

_T = TypeVar("_T")
_HEADER_SIZE = 5  # content type, version (2 bytes), length (2 bytes)
# change_cipher_spec, alert, handshake, application_data, heartbeat
_CONTENT_TYPES = frozenset(range(20, 25))
# _records_in_bio once bytes went over without framing: never "known empty".
_UNKNOWN = 1 << 62
_WANT = (SSL.WantReadError, SSL.WantWriteError)
# The most plaintext one TLS record carries (and so one Connection.recv returns).
_MAX_RECORD = 16384
_len = len  # SSLObject.read's parameter takes the name, as in the stdlib


class MemoryBIO:
    """A byte queue for ``SSLObject``: ``write`` at one end, ``read`` at the other."""

    __slots__ = ("_buffer", "_eof_written")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._eof_written = False

    @property
    def pending(self) -> int:
        """How many bytes are waiting to be read."""
        return len(self._buffer)

    @property
    def eof(self) -> bool:
        """Whether the end was written and everything before it was read."""
        return self._eof_written and not self._buffer

    def read(self, n: int = -1) -> bytes:
        """Take up to *n* bytes (all when *n* is negative)."""
        buffer = self._buffer
        if n < 0 or n >= len(buffer):
            data = bytes(buffer)
            buffer.clear()
            return data
        data = bytes(buffer[:n])
        del buffer[:n]
        return data

    def write(self, buf: Any) -> int:
        """Append the bytes-like *buf*; return its length."""
        if self._eof_written:
            raise _stdlib_ssl.SSLError("cannot write() after write_eof()")
        with memoryview(buf) as view:
            if not view.c_contiguous:
                # As the stdlib, which asks for a simple (contiguous) buffer.
                raise BufferError("memoryview: underlying buffer is not C-contiguous")
            self._buffer += view.cast("B")
            return view.nbytes

    def write_eof(self) -> None:
        """Mark the end of the stream; ``eof`` turns true once it is read dry."""
        self._eof_written = True


class SSLObject(
    ConnectionControls, ConnectionExtensions, EarlyDataObject, _stdlib_ssl.SSLObject
):
    """A TLS connection over two memory BIOs; made by ``SSLContext.wrap_bio``."""

    _sslobj: TLSCore
    _incoming: Any
    _outgoing: Any
    _eof_passed: bool
    _header: bytes
    _record_left: int
    _peer_closed: bool
    _records_in_bio: int
    _idle: bool
    _connection: SSL.Connection
    _output_pending: Callable[[], int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(
            f"{type(self).__name__} does not have a public constructor. "
            "Instances are returned by SSLContext.wrap_bio()."
        )

    @classmethod
    def _create(
        cls,
        incoming: Any,
        outgoing: Any,
        server_side: bool = False,
        server_hostname: Any = None,
        session: Any = None,
        context: Any = None,
    ) -> SSLObject:
        for bio in (incoming, outgoing):
            if not isinstance(bio, (MemoryBIO, _stdlib_ssl.MemoryBIO)):
                raise TypeError(
                    "incoming and outgoing must be MemoryBIO objects "
                    f"(ssl_compat's or the stdlib's), not {type(bio).__name__}"
                )
        hostname = check_wrap_arguments(context, server_side, server_hostname, session)
        self = cls.__new__(cls)
        self._incoming = incoming
        self._outgoing = outgoing
        self._eof_passed = False
        # The record being handed to the connection: its header so far, then
        # how many body bytes are still to come (-1: no framing, see _feed).
        self._header = b""
        self._record_left = 0
        # The peer's close_notify was read: what follows in *incoming* is
        # not TLS, and no more of it may be handed to the connection.
        self._peer_closed = False
        # Complete records handed over and perhaps not yet processed: 0 once
        # OpenSSL answered "want read" (it reads its BIO dry first), an
        # over-estimate otherwise (see _idle).
        self._records_in_bio = 0
        # OpenSSL has nothing to work on: no whole record it has not
        # processed (part of one waits for the rest), nothing decrypted
        # waiting, the handshake done and the peer not closed. Then a read
        # with nothing in *incoming* can only "want read" (answered without
        # asking OpenSSL), and one with bytes there needs the next record
        # (handed over without asking whether decrypted bytes wait). Set by
        # read(), which knows; cleared by everything that hands OpenSSL bytes.
        self._idle = False
        self._sslobj = TLSCore(
            context,
            server_side=server_side,
            server_hostname=hostname,
            session=session,
            public=self,
        )
        self._connection = self._sslobj.connection
        self._output_pending = self._connection.bio_pending
        return self

    # -- moving bytes between the caller's BIOs and the connection ------------

    def _feed(self) -> bool:
        """Hand the connection the next bytes of the current TLS record.

        At a record boundary this takes the next record's 5-byte header from
        *incoming* and then as much of its body as is there; inside a record,
        the rest of it. Never more than one record, so bytes after the
        peer's close_notify stay in *incoming*. Returns ``False`` when
        *incoming* had nothing for the connection (it must wait for more).
        """
        self._idle = False
        incoming = self._incoming
        connection = self._connection
        if (
            incoming.pending >= _HEADER_SIZE
            and not self._record_left
            and not self._header
        ):
            # At a record boundary with a whole header there (the common case).
            header = incoming.read(_HEADER_SIZE)
            if header[0] in _CONTENT_TYPES:
                length = (header[3] << 8) | header[4]
                body = incoming.read(length)
                left = length - _len(body)
                if left:
                    self._record_left = left
                else:
                    self._records_in_bio += 1
                connection.bio_write(header + body)
                return True
            return self._hand_over_unframed(header)
        if not incoming.pending:
            if self._eof_passed or not incoming.eof:
                return False
            self._eof_passed = True
            if self._header:
                # A truncated record header: OpenSSL reports the EOF inside it.
                connection.bio_write(self._header)
                self._header = b""
            connection.bio_shutdown()
            return True
        left = self._record_left
        if left:
            # The rest of the current record (everything, when unframed).
            body = incoming.read(left)
            if left > 0:
                left -= len(body)
                self._record_left = left
                if not left:
                    self._records_in_bio += 1
            connection.bio_write(body)
            return True
        header = self._header
        header = (
            header + incoming.read(_HEADER_SIZE - len(header))
            if header
            else (incoming.read(_HEADER_SIZE))
        )
        if header[0] not in _CONTENT_TYPES:
            return self._hand_over_unframed(header)
        if len(header) < _HEADER_SIZE:
            self._header = header
            return False
        self._header = b""
        length = (header[3] << 8) | header[4]
        body = incoming.read(length) if length else b""
        left = length - len(body)
        self._record_left = left
        if not left:
            self._records_in_bio += 1
        connection.bio_write(header + body)
        return True

    def _hand_over_unframed(self, data: bytes) -> bool:
        """Not TLS record framing (an SSLv2-style ClientHello, or bytes
        OpenSSL will refuse): from *data* on, hand everything over as it comes.
        """
        self._header = b""
        self._record_left = -1
        self._records_in_bio = _UNKNOWN
        self._connection.bio_write(data)
        return True

    def _io(self, operation: Callable[..., _T], *args: Any) -> _T:
        """Run *operation*, feeding it records while it wants more input.

        ``SSL.WantReadError`` comes out only once *incoming* is used up.
        """
        while True:
            try:
                return operation(*args)
            except SSL.WantReadError:
                if not (self._incoming.pending or self._incoming.eof) or not (
                    self._feed()
                ):
                    if self._records_in_bio != _UNKNOWN:
                        self._records_in_bio = 0
                    raise

    def _push(self) -> None:
        data = self._connection.bio_read_all()
        if data:
            self._outgoing.write(data)

    # -- operations -----------------------------------------------------------

    def do_handshake(self) -> None:
        """Run the handshake as far as the bytes in *incoming* allow."""
        core = self._sslobj
        # Record by record here too: the peer's last flight may carry data,
        # a close_notify and plain bytes behind it.
        self._feed()
        try:
            self._io(core.handshake_step)
        except SSL.Error as exc:
            if not isinstance(exc, _WANT):
                self._records_in_bio = _UNKNOWN  # failed: no shortcut any more
            self._push()
            core.raise_translated(exc)
        except BaseException:
            # A callback's own exception (verify, OCSP...): the alert OpenSSL
            # queued for the peer still goes out.
            self._push()
            raise
        self._push()

    def read(self, len: int = 1024, buffer: Any = None) -> Any:
        """Read up to *len* bytes of application data (into *buffer* if given).

        Returns ``b""`` (or 0) once the peer closed the TLS session cleanly.
        """
        connection = self._connection
        result: Any
        if buffer is None:
            if len <= 0:
                if len < 0:
                    raise ValueError("size should not be negative")
                return b""
        else:
            buffer, size = byte_buffer(buffer)
            if len <= 0 or len > size:
                len = size
            if len == 0:
                return 0
        incoming = self._incoming
        # This read handed OpenSSL the record its data comes from.
        fed = False
        if incoming.pending:
            # Nothing decrypted is waiting: the next record is needed (unless
            # the peer's close_notify was the last one, and what follows it
            # is not TLS). Handing it over now saves a "want read" round.
            if self._idle or (not self._peer_closed and not connection.pending()):
                fed = self._feed()
        elif self._idle and not incoming.eof:
            # OpenSSL has nothing to work on: it could only want more.
            raise want_read_error()
        try:
            try:
                if buffer is None:
                    result = connection.recv(len)
                else:
                    result = connection.recv_into(buffer, len)
            except SSL.WantReadError:
                # The record was not all there, or held no data (a ticket).
                if not (incoming.pending or incoming.eof) or not self._feed():
                    raise
                if buffer is None:
                    result = self._io(connection.recv, len)
                else:
                    result = self._io(connection.recv_into, buffer, len)
                fed = True
                quiet = False
            else:
                # One record in OpenSSL's input, and it held the data: no
                # handshake message came with it (a record has one content
                # type), so OpenSSL cannot have answered anything.
                quiet = fed and self._records_in_bio <= 1
        except SSL.WantReadError:
            # The common end of an event loop's reading: kept short.
            if self._records_in_bio != _UNKNOWN:
                self._records_in_bio = 0
                # OpenSSL read its input dry and holds nothing decrypted.
                self._idle = self._sslobj.handshake_done and not self._peer_closed
            if self._output_pending():
                self._push()
            if self._sslobj.callback_exception is None:
                raise want_read_error() from None
            self._sslobj.raise_translated(SSL.WantReadError(), True)
        except SSL.ZeroReturnError:
            self._peer_closed = True
            self._idle = False
            self._push()
            return b"" if buffer is None else 0
        except SSL.Error as exc:
            self._idle = False
            if not isinstance(exc, _WANT):
                self._records_in_bio = _UNKNOWN  # failed: no shortcut any more
            self._push()
            self._sslobj.raise_translated(exc, True)
        records = self._records_in_bio
        if fed and records and records != _UNKNOWN:
            # OpenSSL held nothing decrypted before: the data came from (at
            # least) one of the records handed over.
            records -= 1
            self._records_in_bio = records
        # Fewer bytes than asked for, and than one record holds: OpenSSL
        # used up every record it had decrypted, so with no whole record
        # left in its input it has nothing to work on.
        if not records and self._sslobj.handshake_done:
            count = result if buffer is not None else _len(result)
            self._idle = count < len and count < _MAX_RECORD
        # Reading can make OpenSSL answer (a KeyUpdate, a renegotiation, a
        # post-handshake certificate request).
        if not quiet and self._output_pending():
            self._push()
        return result

    def write(self, data: Any) -> int:
        """Encrypt all of *data* into *outgoing*; return its length.

        As CPython's: never a partial write (the context clears OpenSSL's
        partial-write mode, and a memory BIO never fills up).
        """
        connection = self._connection
        try:
            if type(data) is bytes:
                if not data:
                    return 0
            elif not memoryview(data).nbytes:
                return 0
            try:
                written = connection.send(data)
            except SSL.WantReadError:
                # Only while a renegotiation needs the peer's answer.
                if not self._feed():
                    raise
                written = self._io(connection.send, data)
        except SSL.Error as exc:
            if not isinstance(exc, _WANT):
                self._records_in_bio = _UNKNOWN  # failed: no shortcut any more
            self._push()
            self._sslobj.raise_translated(exc, True)
        # _push, inline: every write has records to move.
        records = connection.bio_read_all()
        if records:
            self._outgoing.write(records)
        return written

    def unwrap(self) -> None:
        """Send close_notify and wait (``SSLWantReadError``) for the peer's.

        Bytes the peer sent after its close_notify stay in *incoming*.
        """
        core = self._sslobj
        connection = core.connection
        try:
            for _attempt in range(2):
                if self._io(connection.shutdown):
                    self._peer_closed = True
                    self._idle = False
                    return
        except SSL.Error as exc:
            if not isinstance(exc, _WANT):
                self._records_in_bio = _UNKNOWN  # failed: no shortcut any more
            self._push()
            core.raise_translated(exc)
        finally:
            self._push()

    def pending(self) -> int:
        """Decrypted bytes that ``read`` can return without more input."""
        return self._sslobj.connection.pending()

    # -- information ----------------------------------------------------------

    @property
    def context(self) -> Any:
        """The ``SSLContext``; assign another one (e.g. in ``sni_callback``)."""
        return self._sslobj.context

    @context.setter
    def context(self, ctx: Any) -> None:
        self._sslobj.set_context(ctx)

    @property
    def server_side(self) -> bool:
        """Whether this is the server end."""
        return self._sslobj.server_side

    @property
    def server_hostname(self) -> Optional[str]:
        """The hostname the client asked for (A-label), or ``None``."""
        return self._sslobj.server_hostname

    @property
    def session(self) -> Any:
        """The ``SSLSession`` (settable before the handshake, clients only)."""
        return self._sslobj.session

    @session.setter
    def session(self, session: Any) -> None:
        self._sslobj.set_session(session)

    @property
    def session_reused(self) -> bool:
        """Whether the handshake resumed the offered session."""
        return self._sslobj.session_reused

    def getpeercert(self, binary_form: bool = False) -> Any:
        """The peer's certificate: the stdlib's dict, or DER with *binary_form*."""
        return self._sslobj.getpeercert(binary_form)

    def cipher(self) -> Any:
        """``(name, protocol, secret_bits)`` of the cipher in use, or ``None``."""
        return self._sslobj.cipher()

    def shared_ciphers(self) -> Any:
        """Cipher suites of this connection; ``None`` before the handshake."""
        return self._sslobj.shared_ciphers()

    def compression(self) -> None:
        """Always ``None``: TLS compression is not available."""
        return None

    def version(self) -> Optional[str]:
        """The negotiated protocol (``"TLSv1.3"``), or ``None`` before the handshake."""
        return self._sslobj.version()

    def selected_alpn_protocol(self) -> Optional[str]:
        """The negotiated ALPN protocol, or ``None``."""
        return self._sslobj.selected_alpn_protocol()

    def selected_npn_protocol(self) -> None:
        """NPN is not available: always ``None`` (deprecated, as in the stdlib)."""
        warnings.warn(
            "ssl NPN is deprecated, use ALPN instead", DeprecationWarning, stacklevel=2
        )
        return None

    def get_channel_binding(self, cb_type: str = "tls-unique") -> Optional[bytes]:
        """Channel binding data (``"tls-unique"``), or ``None`` before the handshake."""
        return self._sslobj.get_channel_binding(cb_type)

    def get_verified_chain(self) -> list[Any]:
        """The verified chain, leaf first (Python 3.13 API)."""
        return self._sslobj.verified_chain()

    def get_unverified_chain(self) -> list[Any]:
        """The chain the peer sent, leaf first (Python 3.13 API)."""
        return self._sslobj.unverified_chain()

    def verify_client_post_handshake(self) -> None:
        """Ask a TLS 1.3 client for its certificate now (server side)."""
        self._sslobj.verify_client_post_handshake()
        self._push()

    @property
    def openssl_connection(self) -> SSL.Connection:
        """The ``OpenSSL.SSL.Connection`` underneath (escape hatch)."""
        return self._sslobj.connection
