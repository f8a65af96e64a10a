"""``SSLObject`` and ``MemoryBIO``: TLS without a socket, as event loops use it.

The caller owns two byte queues: *incoming* (TLS bytes received from the
peer, written by the caller) and *outgoing* (TLS bytes OpenSSL wants sent,
read by the caller). ``SSLObject`` runs on a memory-BIO
``OpenSSL.SSL.Connection`` and, around every operation, moves the bytes
waiting in *incoming* into the connection and the connection's output into
*outgoing* -- also when the operation raises ``SSLWantReadError``, so a
ClientHello reaches *outgoing* before the caller is told to wait. The two
queues may be this module's :class:`MemoryBIO` or the standard library's
``ssl.MemoryBIO`` (asyncio and trio create the latter); only their public
methods are used.
"""

from __future__ import annotations

import ssl as _stdlib_ssl
import warnings
from typing import Any, Callable, Optional

from OpenSSL import SSL
from OpenSSL.ssl_compat._controls import ConnectionControls
from OpenSSL.ssl_compat._core import TLSCore, check_wrap_arguments
from OpenSSL.ssl_compat._extensions import ConnectionExtensions

__all__ = ["MemoryBIO", "SSLObject"]

_CHUNK = 65536


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
            self._buffer += view.cast("B")
            return view.nbytes

    def write_eof(self) -> None:
        """Mark the end of the stream; ``eof`` turns true once it is read dry."""
        self._eof_written = True


class SSLObject(ConnectionControls, ConnectionExtensions, _stdlib_ssl.SSLObject):
    """A TLS connection over two memory BIOs; made by ``SSLContext.wrap_bio``."""

    _sslobj: TLSCore
    _incoming: Any
    _outgoing: Any
    _eof_passed: bool
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

    def _pull(self) -> None:
        incoming = self._incoming
        if incoming.pending:
            self._connection.bio_write(incoming.read())
        if not self._eof_passed and incoming.eof:
            self._eof_passed = True
            self._connection.bio_shutdown()

    def _push(self) -> None:
        connection = self._connection
        outgoing = self._outgoing
        pending = self._output_pending
        while pending():
            outgoing.write(connection.bio_read(_CHUNK))

    # -- operations -----------------------------------------------------------

    def do_handshake(self) -> None:
        """Run the handshake as far as the bytes in *incoming* allow."""
        core = self._sslobj
        self._pull()
        try:
            core.handshake_step()
        except SSL.Error as exc:
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
        incoming = self._incoming
        if incoming.pending:
            connection.bio_write(incoming.read())
        if not self._eof_passed and incoming.eof:
            self._pull()
        result: Any
        try:
            if buffer is None:
                if len <= 0:
                    if len < 0:
                        raise ValueError("size should not be negative")
                    return b""
                result = connection.recv(len)
            else:
                size = memoryview(buffer).nbytes
                if len <= 0 or len > size:
                    len = size
                if len == 0:
                    return 0
                result = connection.recv_into(buffer, len)
        except SSL.ZeroReturnError:
            self._push()
            return b"" if buffer is None else 0
        except SSL.Error as exc:
            self._push()
            self._sslobj.raise_translated(exc, True)
        # Reading can make OpenSSL answer (a KeyUpdate, an alert).
        if self._output_pending():
            self._push()
        return result

    def write(self, data: Any) -> int:
        """Encrypt *data* into *outgoing*; return how many bytes were taken."""
        connection = self._connection
        incoming = self._incoming
        if incoming.pending:
            connection.bio_write(incoming.read())
        try:
            if not memoryview(data).nbytes:
                return 0
            written = connection.send(data)
        except SSL.Error as exc:
            self._push()
            self._sslobj.raise_translated(exc, True)
        self._push()
        return written

    def unwrap(self) -> None:
        """Send close_notify and wait (``SSLWantReadError``) for the peer's."""
        core = self._sslobj
        connection = core.connection
        self._pull()
        try:
            for _attempt in range(2):
                if connection.shutdown():
                    return
        except SSL.Error as exc:
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
