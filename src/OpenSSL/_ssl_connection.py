"""``Connection``: one TLS or DTLS session over a socket or over memory BIOs.

A ``Connection`` wraps one ``SSL *`` (``Connection._ssl``) and works in one
of two I/O modes, fixed at construction:

* socket mode, ``Connection(ctx, sock)``: OpenSSL reads and writes the
  socket's file descriptor itself, blocking or not as the socket is set;
  the socket's own methods are there too (``_ssl_socket``) and other
  unknown attributes fall through to the socket.
* memory mode, ``Connection(ctx, None)``: OpenSSL reads TLS bytes from an
  in-memory BIO filled by :meth:`Connection.bio_write` and writes to one
  drained by :meth:`Connection.bio_read`; the caller moves the bytes (this is
  what event loops such as Twisted do).

Every I/O method calls OpenSSL once. A return value > 0 is success and costs
nothing more than one attribute check; anything else goes to
``_raise_io_error``, which re-raises an exception a callback stored during the
call (see ``_callbacks``) or translates ``SSL_get_error`` (see
``_ssl_errors``). The data-path methods (``send``, ``recv``, ``recv_into``,
``bio_read``, ``bio_write``, ``pending``) are written for speed: bytes go to
OpenSSL without ``ffi.from_buffer`` where cffi accepts them directly, and
receive buffers are capped at one TLS record so that ``recv(1 MiB)`` costs
what ``recv(16 KiB)`` costs.
"""

from __future__ import annotations

import ipaddress
import socket as _socket_module
import threading
from typing import Any, Callable, Literal, NoReturn, overload

from cryptography import x509

from OpenSSL import _callbacks
from OpenSSL._alpn import wire_format
from OpenSSL._der import name_from_der
from OpenSSL._ssl_channel import ChannelMethods
from OpenSSL._ssl_context import (
    Context,
    cert_pointer,
    check_callable,
    check_int,
    key_pointer,
)
from OpenSSL._ssl_controls import ConnectionControls
from OpenSSL._ssl_early_data import EarlyDataConnection
from OpenSSL._ssl_errors import Error, WantReadError, WantWriteError, raise_ssl_error
from OpenSSL._ssl_messages import MessageConnection
from OpenSSL._ssl_session import SessionConnection, SessionExport
from OpenSSL._ssl_sigalgs import SignatureConnection
from OpenSSL._ssl_socket import NoSocketError, SocketMethods
from OpenSSL._util import (
    checked,
    deprecated,
    exact_bytes,
    exception_from_error_queue,
    ffi,
    is_zero,
    lib,
    no_zero_allocator,
    not_null,
    text,
    text_to_bytes_and_warn,
)
from OpenSSL._x509name import name_der
from OpenSSL.crypto import X509, X509Name

__all__ = ["Connection", "Session"]

# One TLS record carries at most 16 KiB of plaintext, and SSL_read returns at
# most one record, so a larger receive buffer would never be filled.
_MAX_RECORD = 16384
_MAX_INT = 2147483647
_TOO_LARGE = "Cannot send more than 2**31-1 bytes at once."  # pyOpenSSL's text

# Module-level references save an attribute lookup on every data-path call.
_SSL_read = lib.SSL_read
_SSL_peek = lib.SSL_peek
_SSL_write = lib.SSL_write
_SSL_pending = lib.SSL_pending
_BIO_read = lib.BIO_read
_BIO_write = lib.BIO_write
_from_buffer = ffi.from_buffer
_unpack = ffi.unpack
_MSG_PEEK = _socket_module.MSG_PEEK
_SCRATCH_SIZE = 65536


class _Scratch(threading.local):
    """A receive buffer per thread, so reads allocate nothing.

    ``recv`` and ``bio_read`` let OpenSSL fill it and copy out only what
    arrived; per thread (not per connection) because the GIL is released
    while OpenSSL writes into it, and so that idle connections hold no
    buffer at all.
    """

    def __init__(self) -> None:
        self.buf = no_zero_allocator("char[]", _SCRATCH_SIZE)


_scratch = _Scratch()


def _free_ssl(
    ssl: Any,
    _free: Any = lib.SSL_free,
    _peek: Any = lib.ERR_peek_error,
    _clear: Any = lib.ERR_clear_error,
) -> None:
    """``SSL_free`` that leaves no error behind in the thread's queue.

    OpenSSL 4 may queue record-layer errors ("invalid record") while freeing
    a connection whose input was left half-processed; the collector runs
    this at any time, in any thread, and the errors would then come out of
    a later, unrelated call there. (The binding has no ERR_set_mark, so only
    a queue that was empty before is cleaned.)
    """
    clean = not _peek()
    _free(ssl)
    if clean and _peek():
        _clear()


def _empty_read(bufsiz: int) -> bytes:
    if bufsiz < 0:
        raise ValueError("bufsiz must not be negative")
    return b""


class Session(SessionExport):
    """A TLS session that a later connection can resume.

    Get one from :meth:`Connection.get_session` after a handshake (or from
    the new-session callback, or :meth:`from_bytes`) and give it to
    :meth:`Connection.set_session` of a new connection.
    """

    __module__ = "OpenSSL.SSL"

    def __init__(self) -> None:
        self._session: Any = None
        self._context: Context | None = None


class Connection(
    ConnectionControls,
    SocketMethods,
    ChannelMethods,
    SessionConnection,
    EarlyDataConnection,
    SignatureConnection,
    MessageConnection,
):
    """One TLS or DTLS connection, in socket mode or memory-BIO mode.

    :param context: the :class:`Context` supplying the configuration; it can
        no longer be changed afterwards.
    :param socket: a connected (or to-be-connected) socket for socket mode,
        or ``None`` for memory-BIO mode.
    """

    __module__ = "OpenSSL.SSL"

    _socket: Any = None
    _registered = False
    # How many of this connection's callbacks are running (see _callbacks).
    _in_callback = 0
    # How the verify callback (in _callbacks) wraps an owned ``X509 *``.
    _x509_from_pointer = staticmethod(X509._from_raw_x509_ptr)

    def __init__(self, context: Context, socket: _socket_module.socket | None = None):
        if not isinstance(context, Context):
            raise TypeError("context must be an OpenSSL.SSL.Context")
        if socket is not None:
            fd = _file_descriptor(socket)
        ssl = checked(Error, lib.SSL_new, context._context, ok=not_null)
        self._ssl = ffi.gc(ssl, _free_ssl)
        context._used = True
        self._context = context
        # Every Context this SSL was attached to: OpenSSL may still call
        # callbacks an earlier one registered (the verify callback is copied
        # into the SSL at creation).
        self._contexts = [context]
        self._app_data: Any = None
        self._callback_exception: BaseException | None = None
        self._verify_cb: Any = None
        self._info_cb: Any = None
        # C callbacks replaced by set_verify/set_info_callback from inside a
        # callback: OpenSSL may still call the old one within the handshake
        # step that replaced it (it reads the pointer once per step), so they
        # live as long as we do. Replaced outside a callback, they just go.
        self._retired_callbacks: list[Any] = []
        self._alpn_selected: Any = None
        # The write modes (MODE_ACCEPT_MOVING_WRITE_BUFFER, which Context
        # sets by default) come from the Context, as in pyOpenSSL: a caller
        # that clears one there gets OpenSSL's behaviour without it.
        self._in_callback = 0

        if socket is None:
            into_ssl = lib.BIO_new(lib.BIO_s_mem())
            from_ssl = lib.BIO_new(lib.BIO_s_mem())
            if into_ssl == ffi.NULL or from_ssl == ffi.NULL:
                lib.BIO_free(into_ssl)
                lib.BIO_free(from_ssl)
                raise MemoryError("could not allocate the connection's memory BIOs")
            # The SSL owns both BIOs from here on and frees them with itself.
            lib.SSL_set_bio(self._ssl, into_ssl, from_ssl)
            self._into_ssl: Any = into_ssl
            self._from_ssl: Any = from_ssl
        else:
            self._into_ssl = None
            self._from_ssl = None
            self._socket = socket
            # Socket mode hands unknown attributes to the socket through
            # __getattr__. A class that merely has __getattr__ makes every
            # attribute and method lookup on its instances slower (CPython
            # cannot specialise them), so only socket-mode connections get
            # it, from a subclass that looks like the class they were made as.
            self.__class__ = _with_socket_attributes(type(self))
            checked(Error, lib.SSL_set_fd, self._ssl, fd)
        if context._has_callbacks:
            self._register()

    def _register(self) -> None:
        """Let callbacks find this Connection from its ``SSL *``."""
        if not self._registered:
            _callbacks.connections[self._ssl] = self
            self._registered = True

    # -- the error path shared by every I/O call ---------------------------

    def _raise_io_error(self, result: int) -> NoReturn:
        self._check_callbacks()
        if self._sessions_pending:
            # A session ticket arrived during this call (see _ssl_messages).
            self._deliver_sessions(result)
        raise_ssl_error(self._ssl, result)

    def _retire(self, c_callback: Any) -> None:
        # Only a replacement made while OpenSSL is running this connection
        # needs the old callback kept; the rest would pile up for nothing.
        if c_callback is not None and self._in_callback:
            self._retired_callbacks.append(c_callback)

    def _refuse_reentry(self, what: str) -> None:
        """Refuse to drive OpenSSL from inside one of this connection's callbacks.

        OpenSSL is not re-entrant there: a nested handshake step frees what
        the running one still uses and crashes the interpreter (and
        ``DTLSv1_listen`` starts with ``SSL_clear``). ``shutdown`` stays
        allowed: it never runs the handshake (OpenSSL refuses it while in
        init), and Twisted calls it from its verify and SNI callbacks.
        """
        if self._in_callback:
            raise ValueError(
                f"{what} cannot be called from inside a callback of the same "
                "Connection (OpenSSL is still running the call that invoked it)"
            )

    def _check_callbacks(self) -> None:
        """Re-raise (and forget) what a callback raised during the last call."""
        exc = self._callback_exception
        if exc is not None:
            self._callback_exception = None
            lib.ERR_clear_error()
            raise exc

    # -- data path -----------------------------------------------------------

    def send(self, buf: Any, flags: int = 0) -> int:
        """Send bytes from *buf*; return how many were sent.

        Fewer than ``len(buf)`` may be sent (partial writes are enabled);
        :meth:`sendall` sends everything. *flags* is accepted for socket API
        compatibility and ignored.
        """
        if type(buf) is bytes:
            size = len(buf)
            if size > _MAX_INT:
                raise ValueError(_TOO_LARGE)
            result = _SSL_write(self._ssl, buf, size)
        else:
            if isinstance(buf, str):
                buf = text_to_bytes_and_warn("buf", buf)
            with _from_buffer(buf) as data:
                # A bytes subclass's own len() counts too, as in pyOpenSSL
                # (whose tests fake a huge buffer that way).
                if len(data) > _MAX_INT or (
                    isinstance(buf, bytes) and len(buf) > _MAX_INT
                ):
                    raise ValueError(_TOO_LARGE)
                result = _SSL_write(self._ssl, data, len(data))
        if result <= 0 or self._callback_exception is not None:
            self._raise_io_error(result)
        return result

    write = send

    def sendall(self, buf: Any, flags: int = 0) -> int:
        """Send all of *buf*, retrying partial writes; return ``len(buf)``."""
        if type(buf) is bytes and len(buf) <= _MAX_INT:
            result = _SSL_write(self._ssl, buf, len(buf))
            if result == len(buf) and self._callback_exception is None:
                return result
            if result <= 0 or self._callback_exception is not None:
                self._raise_io_error(result)
            # A partial write: finish through the general loop below.
            buf = memoryview(buf)[result:]
            done: int = result
        else:
            if isinstance(buf, str):
                buf = text_to_bytes_and_warn("buf", buf)
            done = 0
        with _from_buffer(buf) as data:
            left = len(data)
            total: int = 0
            while left:
                result = _SSL_write(
                    self._ssl,
                    data + total if total else data,  # no new pointer on the 1st
                    left if left < _MAX_INT else _MAX_INT,
                )
                if result <= 0 or self._callback_exception is not None:
                    self._raise_io_error(result)
                total += result
                left -= result
            return done + total

    def recv(self, bufsiz: int, flags: int | None = None) -> bytes:
        """Receive up to *bufsiz* bytes of application data.

        ``flags=socket.MSG_PEEK`` leaves the data to be read again. Raises
        :class:`ZeroReturnError` once the peer has closed the session,
        :class:`WantReadError` when no data can be had without more input.
        """
        if bufsiz > _MAX_RECORD:
            bufsiz = _MAX_RECORD
        elif bufsiz <= 0:
            return _empty_read(bufsiz)
        peek = flags and flags & _MSG_PEEK
        if self._held:
            return self._take_held(bufsiz, peek)
        buf = _scratch.buf
        if peek:
            result = _SSL_peek(self._ssl, buf, bufsiz)
        else:
            result = _SSL_read(self._ssl, buf, bufsiz)
        if result <= 0 or self._callback_exception is not None:
            if result > 0 and not peek:
                self._held = _unpack(buf, result)
            self._raise_io_error(result)
        return _unpack(buf, result)

    read = recv

    def recv_into(
        self, buffer: Any, nbytes: int | None = None, flags: int | None = None
    ) -> int:
        """Receive application data straight into the writable *buffer*.

        Reads at most *nbytes* (default: the whole buffer); returns the count.
        """
        size = len(buffer)
        if nbytes is None or nbytes > size:
            nbytes = size
        elif nbytes < 0:
            raise ValueError("nbytes must not be negative")
        if nbytes > _MAX_INT:
            nbytes = _MAX_INT
        if type(buffer) is bytearray:
            view = _from_buffer(buffer)  # always writable; no keyword to parse
        else:
            try:
                view = _from_buffer(buffer, require_writable=True)
            except BufferError:
                raise TypeError("recv_into needs a writable buffer") from None
        peek = flags and flags & _MSG_PEEK
        with view as data:
            # Never past the buffer's real end: len() of a subclass may lie.
            if nbytes > len(data):
                nbytes = len(data)
            if self._held and nbytes > 0:
                held = self._take_held(nbytes, peek)
                ffi.memmove(data, held, len(held))
                return len(held)
            if peek:
                result = _SSL_peek(self._ssl, data, nbytes)
            else:
                result = _SSL_read(self._ssl, data, nbytes)
            if result > 0 and not peek and self._callback_exception is not None:
                self._held = ffi.buffer(data, result)[:]
        if result <= 0 or self._callback_exception is not None:
            if nbytes == 0 and self._callback_exception is None:
                # A zero-byte read reports no failure; what OpenSSL queued
                # for it ("uninitialized" before a connect/accept state)
                # must not surface from a later, unrelated call.
                lib.ERR_clear_error()
                return 0
            self._raise_io_error(result)
        return result

    #: Application data that a read took from OpenSSL in a call that then
    #: raised a callback's exception (a new-session or message callback runs
    #: while OpenSSL reads on): the exception comes out of that call, and the
    #: next reads return these bytes first, so none is lost.
    _held = b""

    def _take_held(self, bufsiz: int, peek: Any) -> bytes:
        held = self._held
        if not peek:
            self._held = held[bufsiz:]
        return held[:bufsiz]

    def pending(self) -> int:
        """How many decrypted bytes can be read without touching the transport."""
        return _SSL_pending(self._ssl) + len(self._held)

    def bio_write(self, buf: Any) -> int:
        """Give OpenSSL *buf*, TLS bytes received from the peer (memory mode)."""
        into_ssl = self._into_ssl
        if into_ssl is None:
            raise TypeError("bio_write needs a memory-BIO Connection (socket=None)")
        if type(buf) is bytes:
            size = len(buf)
            result = _BIO_write(into_ssl, buf, size)
        else:
            if isinstance(buf, str):
                buf = text_to_bytes_and_warn("buf", buf)
            with _from_buffer(buf) as data:
                size = len(data)
                result = _BIO_write(into_ssl, data, size)
        if result <= 0:
            if size == 0:
                return 0
            _raise_bio_error(into_ssl, "BIO_write")
        return result

    def bio_read(self, bufsiz: int) -> bytes:
        """Take up to *bufsiz* TLS bytes that OpenSSL wants sent to the peer.

        Raises :class:`WantReadError` when there are none (memory mode).
        """
        from_ssl = self._from_ssl
        if from_ssl is None:
            raise TypeError("bio_read needs a memory-BIO Connection (socket=None)")
        if bufsiz > _SCRATCH_SIZE:
            bufsiz = _SCRATCH_SIZE
        elif bufsiz <= 0:
            return _empty_read(bufsiz)
        buf = _scratch.buf
        result = _BIO_read(from_ssl, buf, bufsiz)
        if result <= 0:
            _raise_bio_error(from_ssl, "BIO_read")
        return _unpack(buf, result)

    def bio_read_all(self) -> bytes:
        """Take every TLS byte OpenSSL wants sent to the peer; ``b""`` when none.

        For a memory-BIO pump that moves all output after each operation
        (as ``ssl_compat.SSLObject`` does): one call where
        :meth:`bio_pending` and :meth:`bio_read` take two, and no
        :class:`WantReadError` to catch when there is nothing (memory mode).
        """
        from_ssl = self._from_ssl
        if from_ssl is None:
            raise TypeError("bio_read_all needs a memory-BIO Connection (socket=None)")
        buf = _scratch.buf
        result = _BIO_read(from_ssl, buf, _SCRATCH_SIZE)
        if result < _SCRATCH_SIZE:
            # A memory BIO's read fails only when it is empty.
            return _unpack(buf, result) if result > 0 else b""
        chunks = [_unpack(buf, result)]
        while result == _SCRATCH_SIZE:
            result = _BIO_read(from_ssl, buf, _SCRATCH_SIZE)
            if result > 0:
                chunks.append(_unpack(buf, result))
        return b"".join(chunks)

    def bio_shutdown(self) -> None:
        """Tell OpenSSL the peer's byte stream has ended (memory mode)."""
        if self._into_ssl is None:
            raise TypeError("bio_shutdown needs a memory-BIO Connection (socket=None)")
        lib.BIO_set_mem_eof_return(self._into_ssl, 0)

    # -- handshake and shutdown -------------------------------------------

    def set_accept_state(self) -> None:
        """Act as the server in the coming handshake."""
        lib.SSL_set_accept_state(self._ssl)

    def set_connect_state(self) -> None:
        """Act as the client in the coming handshake."""
        lib.SSL_set_connect_state(self._ssl)

    def do_handshake(self) -> None:
        """Run (or continue) the handshake; raises ``Want*Error`` until it is done."""
        if self._in_callback:
            self._refuse_reentry("do_handshake")
        result = lib.SSL_do_handshake(self._ssl)
        if result <= 0 or self._callback_exception is not None:
            self._raise_io_error(result)
        if self._sessions_pending:
            # A TLS 1.2 handshake that just made a new session (_ssl_messages).
            self._deliver_sessions(result)

    def renegotiate(self) -> bool:
        """Start a TLS 1.2 renegotiation; ``False`` if one is already pending."""
        if self.renegotiate_pending():
            return False
        checked(Error, lib.SSL_renegotiate, self._ssl)
        return True

    def renegotiate_pending(self) -> bool:
        """Whether a renegotiation has been started but not finished."""
        return lib.SSL_renegotiate_pending(self._ssl) == 1

    def total_renegotiations(self) -> int:
        """How many renegotiations this connection has started."""
        return lib.SSL_total_renegotiations(self._ssl)

    def shutdown(self) -> bool:
        """Send close_notify; ``True`` once the peer's close_notify has arrived too."""
        result = lib.SSL_shutdown(self._ssl)
        if result < 0 or self._callback_exception is not None:
            self._raise_io_error(result)
        if lib.ERR_peek_error():
            # A fatal alert from the peer ends the session (OpenSSL answers 1)
            # but stays queued; left there, it would fail a later, unrelated
            # call of this thread (SSL_get_error reads the queue first).
            lib.ERR_clear_error()
        return result > 0

    def get_shutdown(self) -> int:
        """The ``SENT_SHUTDOWN`` / ``RECEIVED_SHUTDOWN`` bits of this connection."""
        return lib.SSL_get_shutdown(self._ssl)

    def set_shutdown(self, state: int) -> None:
        """Set the shutdown bits (to close without a close_notify exchange)."""
        check_int(state, "state")
        lib.SSL_set_shutdown(self._ssl, state)

    def want_read(self) -> bool:
        """Whether OpenSSL is waiting for bytes from the peer."""
        return lib.SSL_want_read(self._ssl) > 0

    def want_write(self) -> bool:
        """Whether OpenSSL has bytes waiting to go to the peer."""
        return lib.SSL_want_write(self._ssl) > 0

    # -- socket mode ---------------------------------------------------------

    def connect(self, addr: Any) -> None:
        """Connect the socket to *addr* and become the client."""
        self.set_connect_state()
        self._require_socket().connect(addr)

    def connect_ex(self, addr: Any) -> int:
        """Like :meth:`connect`, returning an errno instead of raising."""
        connect_ex: Callable[[Any], int] = self._require_socket().connect_ex
        self.set_connect_state()
        return connect_ex(addr)

    def accept(self) -> tuple[Connection, Any]:
        """Accept a client on the listening socket; return ``(Connection, address)``."""
        client, address = self._require_socket().accept()
        conn = Connection(self._context, client)
        conn.set_accept_state()
        return conn, address

    def sock_shutdown(self, *args: Any, **kwargs: Any) -> None:
        """Shut the underlying socket down (``socket.shutdown``)."""
        self._require_socket().shutdown(*args, **kwargs)

    def makefile(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported (a file object would bypass TLS): ``NotImplementedError``."""
        raise NotImplementedError("Cannot make file object of OpenSSL.SSL.Connection")

    def _require_socket(self) -> Any:
        if self._socket is None:
            raise NoSocketError("this Connection has no socket (memory-BIO mode)")
        return self._socket

    # -- per-connection settings ------------------------------------------

    def get_context(self) -> Context:
        """The :class:`Context` this connection uses now."""
        return self._context

    def set_context(self, context: Context) -> None:
        """Switch to *context* (typically from the servername callback)."""
        if not isinstance(context, Context):
            raise TypeError("context must be an OpenSSL.SSL.Context")
        checked(Error, lib.SSL_set_SSL_CTX, self._ssl, context._context, ok=not_null)
        context._used = True
        self._context = context
        if context not in self._contexts:
            self._contexts.append(context)
        if context._has_callbacks:
            self._register()

    def set_tlsext_host_name(self, name: bytes) -> None:
        """Send *name* as the SNI server name (clients; bytes only)."""
        if not isinstance(name, bytes):
            raise TypeError("name must be a byte string")
        if b"\0" in name:
            raise TypeError("name must not contain NUL byte")
        if not name:
            raise ValueError("name must not be empty")
        # The binding declares this one void: a refusal shows in the queue.
        lib.SSL_set_tlsext_host_name(self._ssl, name)
        if lib.ERR_peek_error():
            exception_from_error_queue(Error, "SSL_set_tlsext_host_name")

    def get_servername(self) -> bytes | None:
        """The SNI name the client sent (servers), or ``None``."""
        name = lib.SSL_get_servername(self._ssl, lib.TLSEXT_NAMETYPE_host_name)
        if name == ffi.NULL:
            return None
        return ffi.string(name)

    def set_verify_hostname(
        self, hostname: str | bytes, *, check_common_name: bool = False
    ) -> None:
        """Check the peer's certificate against *hostname* during the handshake.

        *hostname* is a DNS name or an IP address literal. The check is part
        of OpenSSL's certificate verification: a mismatch fails it with
        ``X509_V_ERR_HOSTNAME_MISMATCH`` or ``X509_V_ERR_IP_ADDRESS_MISMATCH``,
        which the verify callback sees and which aborts the handshake under
        ``VERIFY_PEER``. Wildcards match one whole label. The subject's
        common name is consulted only with *check_common_name* and only when
        the certificate has no DNS names. (An extension of pyopenssl-ng.)
        """
        if isinstance(hostname, bytes):
            hostname = hostname.decode("ascii")
        if not isinstance(hostname, str):
            raise TypeError("hostname must be str or bytes")
        if not hostname or "\0" in hostname:
            raise ValueError("hostname must be non-empty and contain no NUL")
        param = lib.SSL_get0_param(self._ssl)
        try:
            address = ipaddress.ip_address(hostname.strip("[]"))
        except ValueError:
            address = None
        if address is not None:
            packed = address.packed
            ok = lib.X509_VERIFY_PARAM_set1_ip(param, packed, len(packed))
        else:
            flags = lib.X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS
            if not check_common_name:
                flags |= lib.X509_CHECK_FLAG_NEVER_CHECK_SUBJECT
            lib.X509_VERIFY_PARAM_set_hostflags(param, flags)
            name = exact_bytes(
                hostname.encode("idna") if not hostname.isascii() else hostname.encode()
            )
            ok = lib.X509_VERIFY_PARAM_set1_host(param, name, len(name))
        if ok != 1:
            lib.ERR_clear_error()
            # OpenSSL gives no reason; what it refuses is the name itself
            # (a trailing dot, an empty label).
            raise ValueError(f"OpenSSL cannot check a certificate for {hostname!r}")

    def get_verify_result(self) -> int:
        """The certificate verification result code (``X509_V_OK``, 0, is success).

        (An extension of pyopenssl-ng.)
        """
        return lib.SSL_get_verify_result(self._ssl)

    def set_verify(self, mode: int, callback: Callable[..., Any] | None = None) -> None:
        """Override the Context's verification mode and callback for this connection."""
        check_int(mode, "mode")
        if callback is None:
            if self._verify_cb is None:
                lib.SSL_set_verify(self._ssl, mode, ffi.NULL)
                return
            # SSL_set_verify ignores a NULL callback: the one set before would
            # stay in force, called after being freed (a crash). Replace it by
            # one that keeps OpenSSL's own verdict, as no callback would.
            callback = _keep_verdict
        check_callable(callback)
        self._register()
        self._retire(self._verify_cb)
        self._verify_cb = _callbacks.verify(callback)
        lib.SSL_set_verify(self._ssl, mode, self._verify_cb)

    def get_verify_mode(self) -> int:
        """The ``VERIFY_*`` mode in force for this connection."""
        return lib.SSL_get_verify_mode(self._ssl)

    def set_options(self, options: int) -> int:
        """Add ``OP_*`` bits for this connection; return the resulting mask."""
        check_int(options, "options")
        return lib.SSL_set_options(self._ssl, options)

    def set_info_callback(
        self, callback: Callable[[Connection, int, int], None]
    ) -> None:
        """Call ``callback(conn, where, ret)`` on state changes of this connection."""
        check_callable(callback)
        self._register()
        self._retire(self._info_cb)
        self._info_cb = _callbacks.info(callback)
        lib.SSL_set_info_callback(self._ssl, self._info_cb)

    def set_alpn_protos(self, protos: list[bytes]) -> None:
        """Offer the ALPN protocols *protos*, most preferred first (clients)."""
        wire = wire_format(protos)
        # This one returns 0 on success.
        checked(Error, lib.SSL_set_alpn_protos, self._ssl, wire, len(wire), ok=is_zero)

    def get_alpn_proto_negotiated(self) -> bytes:
        """The negotiated ALPN protocol, ``b""`` if none."""
        data = ffi.new("unsigned char **")
        length = ffi.new("unsigned int *")
        lib.SSL_get0_alpn_selected(self._ssl, data, length)
        if not length[0]:
            return b""
        return ffi.buffer(data[0], length[0])[:]

    def request_ocsp(self) -> None:
        """Ask the server to staple an OCSP response (clients)."""
        checked(
            Error,
            lib.SSL_set_tlsext_status_type,
            self._ssl,
            lib.TLSEXT_STATUSTYPE_ocsp,
        )

    def use_certificate(self, cert: X509 | x509.Certificate) -> None:
        """Present *cert* on this connection instead of the Context's."""
        pointer = cert_pointer(cert, "use_certificate")
        checked(Error, lib.SSL_use_certificate, self._ssl, pointer)

    def use_privatekey(self, pkey: Any) -> None:
        """Use *pkey* as this connection's private key instead of the Context's."""
        pointer = key_pointer(pkey, "use_privatekey")
        checked(Error, lib.SSL_use_PrivateKey, self._ssl, pointer)

    def set_app_data(self, data: Any) -> None:
        """Attach any Python object to this connection."""
        self._app_data = data

    def get_app_data(self) -> Any:
        """The object given to :meth:`set_app_data` (``None`` if none)."""
        return self._app_data

    # -- sessions ----------------------------------------------------------

    def get_session(self) -> Session | None:
        """The session of this connection, for resuming later, or ``None``."""
        pointer = lib.SSL_get1_session(self._ssl)
        if pointer == ffi.NULL:
            return None
        session = Session()
        session._session = ffi.gc(pointer, lib.SSL_SESSION_free)
        session._context = self._context
        return session

    def set_session(self, session: Session) -> None:
        """Try to resume *session* in the coming handshake (clients)."""
        if not isinstance(session, Session):
            raise TypeError("session must be an OpenSSL.SSL.Session")
        if session._session is None:
            raise ValueError("this Session holds no TLS session")
        # Sessions imported with Session.from_bytes belong to no Context:
        # whether they resume is the server's decision.
        pointer = session._session
        if session._context is None:
            # Imported: OpenSSL marks the session of a connection freed
            # without a shutdown as not resumable, and the Session (a cache
            # entry) must stay usable, so every use after the first gets a
            # copy made from the DER form (which has no such mark).
            pointer = session._lend()
        elif session._context is not self._context:
            raise ValueError(
                "the Session comes from a Connection with a different Context"
            )
        checked(Error, lib.SSL_set_session, self._ssl, pointer)

    # -- introspection -------------------------------------------------------

    @overload
    def get_certificate(
        self, *, as_cryptography: Literal[False] = ...
    ) -> X509 | None: ...
    @overload
    def get_certificate(
        self, *, as_cryptography: Literal[True]
    ) -> x509.Certificate | None: ...
    @overload
    def get_certificate(
        self, *, as_cryptography: bool = ...
    ) -> X509 | x509.Certificate | None: ...

    def get_certificate(self, *, as_cryptography: bool = False) -> Any:
        """This side's certificate, or ``None``."""
        pointer = lib.SSL_get_certificate(self._ssl)
        if pointer == ffi.NULL:
            return None
        lib.X509_up_ref(pointer)
        return _certificate(pointer, as_cryptography)

    @overload
    def get_peer_certificate(
        self, *, as_cryptography: Literal[False] = ...
    ) -> X509 | None: ...
    @overload
    def get_peer_certificate(
        self, *, as_cryptography: Literal[True]
    ) -> x509.Certificate | None: ...
    @overload
    def get_peer_certificate(
        self, *, as_cryptography: bool = ...
    ) -> X509 | x509.Certificate | None: ...

    def get_peer_certificate(self, *, as_cryptography: bool = False) -> Any:
        """The peer's certificate, or ``None`` if it sent none."""
        pointer = lib.SSL_get_peer_certificate(self._ssl)
        if pointer == ffi.NULL:
            return None
        return _certificate(pointer, as_cryptography)

    @overload
    def get_peer_cert_chain(
        self, *, as_cryptography: Literal[False] = ...
    ) -> list[X509] | None: ...
    @overload
    def get_peer_cert_chain(
        self, *, as_cryptography: Literal[True]
    ) -> list[x509.Certificate] | None: ...
    @overload
    def get_peer_cert_chain(
        self, *, as_cryptography: bool = ...
    ) -> list[X509] | list[x509.Certificate] | None: ...

    def get_peer_cert_chain(self, *, as_cryptography: bool = False) -> Any:
        """The chain the peer sent (a server's includes its leaf), or ``None``."""
        return _certificates(lib.SSL_get_peer_cert_chain(self._ssl), as_cryptography)

    @overload
    def get_verified_chain(
        self, *, as_cryptography: Literal[False] = ...
    ) -> list[X509] | None: ...
    @overload
    def get_verified_chain(
        self, *, as_cryptography: Literal[True]
    ) -> list[x509.Certificate] | None: ...
    @overload
    def get_verified_chain(
        self, *, as_cryptography: bool = ...
    ) -> list[X509] | list[x509.Certificate] | None: ...

    def get_verified_chain(self, *, as_cryptography: bool = False) -> Any:
        """The chain verification built, leaf to trust anchor, or ``None``."""
        return _certificates(lib.SSL_get0_verified_chain(self._ssl), as_cryptography)

    @overload
    def get_client_ca_list(
        self, *, as_cryptography: Literal[False] = ...
    ) -> list[X509Name]: ...
    @overload
    def get_client_ca_list(
        self, *, as_cryptography: Literal[True]
    ) -> list[x509.Name]: ...
    @overload
    def get_client_ca_list(
        self, *, as_cryptography: bool = ...
    ) -> list[X509Name] | list[x509.Name]: ...

    def get_client_ca_list(self, *, as_cryptography: bool = False) -> Any:
        """The acceptable client-certificate CA names (sent by or to the server)."""
        names = lib.SSL_get_client_CA_list(self._ssl)
        if names == ffi.NULL:
            return []
        result: list[Any] = []
        for i in range(lib.sk_X509_NAME_num(names)):
            name = lib.sk_X509_NAME_value(names, i)
            if as_cryptography:
                result.append(name_from_der(name_der(name)))
            else:
                result.append(X509Name._from_raw_name_copy(name))
        return result

    def get_cipher_list(self) -> list[str]:
        """The names of the cipher suites this connection may use, in order."""
        ciphers: list[str] = []
        i = 0
        while True:
            name = lib.SSL_get_cipher_list(self._ssl, i)
            if name == ffi.NULL:
                return ciphers
            ciphers.append(text(name))
            i += 1

    def get_cipher_name(self) -> str | None:
        """The negotiated cipher suite's name, or ``None`` before the handshake."""
        cipher = lib.SSL_get_current_cipher(self._ssl)
        return None if cipher == ffi.NULL else text(lib.SSL_CIPHER_get_name(cipher))

    def get_cipher_bits(self) -> int | None:
        """The negotiated cipher's secret bits, or ``None``."""
        cipher = lib.SSL_get_current_cipher(self._ssl)
        if cipher == ffi.NULL:
            return None
        return lib.SSL_CIPHER_get_bits(cipher, ffi.NULL)

    def get_cipher_version(self) -> str | None:
        """The protocol version that introduced the negotiated cipher, or ``None``."""
        cipher = lib.SSL_get_current_cipher(self._ssl)
        return None if cipher == ffi.NULL else text(lib.SSL_CIPHER_get_version(cipher))

    def get_protocol_version_name(self) -> str:
        """The protocol version as text (``"TLSv1.3"``)."""
        return text(lib.SSL_get_version(self._ssl))

    def get_protocol_version(self) -> int:
        """The protocol version number (``TLS1_3_VERSION``, ...)."""
        return lib.SSL_version(self._ssl)

    def get_group_name(self) -> str | None:
        """The key-exchange group negotiated (``"x25519"``), or ``None``."""
        if not lib.Cryptography_HAS_SSL_GET0_GROUP_NAME:
            return None
        # SSL_get0_group_name crashes on an SSL that has no session yet
        # (a fresh connection): there is no group to name then anyway.
        if lib.SSL_get_session(self._ssl) == ffi.NULL:
            return None
        name = lib.SSL_get0_group_name(self._ssl)
        return None if name == ffi.NULL else text(name)

    def get_state_string(self) -> bytes:
        """OpenSSL's description of the handshake state."""
        return ffi.string(lib.SSL_state_string_long(self._ssl))

    def state_string(self) -> bytes:
        """Deprecated: the first releases' name of :meth:`get_state_string`."""
        deprecated("Connection.state_string() is deprecated; use get_state_string()")
        return self.get_state_string()

    def get_selected_srtp_profile(self) -> bytes:
        """The negotiated DTLS-SRTP profile name, ``b""`` if none."""
        profile = lib.SSL_get_selected_srtp_profile(self._ssl)
        if profile == ffi.NULL:
            return b""
        return ffi.string(profile.name)

    def client_random(self) -> bytes | None:
        """The client's handshake random, or ``None`` before there is a session."""
        if lib.SSL_get_session(self._ssl) == ffi.NULL:
            return None
        return _sized(lambda buf, n: lib.SSL_get_client_random(self._ssl, buf, n))

    def server_random(self) -> bytes | None:
        """The server's handshake random, or ``None`` before there is a session."""
        if lib.SSL_get_session(self._ssl) == ffi.NULL:
            return None
        return _sized(lambda buf, n: lib.SSL_get_server_random(self._ssl, buf, n))

    def master_key(self) -> bytes | None:
        """The session's master secret, or ``None`` before there is a session."""
        session = lib.SSL_get_session(self._ssl)
        if session == ffi.NULL:
            return None
        return _sized(lambda buf, n: lib.SSL_SESSION_get_master_key(session, buf, n))

    def get_finished(self) -> bytes | None:
        """The last Finished message this side sent, or ``None``."""
        return _sized(lambda buf, n: lib.SSL_get_finished(self._ssl, buf, n)) or None

    def get_peer_finished(self) -> bytes | None:
        """The last Finished message the peer sent, or ``None``."""
        data = _sized(lambda buf, n: lib.SSL_get_peer_finished(self._ssl, buf, n))
        return data or None

    def export_keying_material(
        self, label: bytes, olen: int, context: bytes | None = None
    ) -> bytes:
        """Derive *olen* bytes of keying material (RFC 5705 / RFC 8446 exporters)."""
        label, context = exact_bytes(label), exact_bytes(context)
        out = no_zero_allocator("unsigned char[]", olen)
        if context is None:
            context_args = (ffi.NULL, 0, 0)
        else:
            context_args = (context, len(context), 1)
        checked(
            Error,
            lib.SSL_export_keying_material,
            self._ssl,
            out,
            olen,
            label,
            len(label),
            *context_args,
        )
        return ffi.buffer(out, olen)[:]

    # -- DTLS --------------------------------------------------------------

    def DTLSv1_listen(self) -> None:
        """Answer ClientHellos with cookie requests until one returns a valid cookie.

        Raises :class:`WantReadError` while no ClientHello with a valid
        cookie has arrived (send what :meth:`bio_read` yields and retry).
        """
        self._refuse_reentry("DTLSv1_listen")
        address = lib.BIO_ADDR_new()
        try:
            result = lib.DTLSv1_listen(self._ssl, address)
        finally:
            lib.BIO_ADDR_free(address)
        self._check_callbacks()
        if result == 0:
            # OpenSSL dropped a datagram that was no acceptable ClientHello
            # and queued why (a bad length, an unexpected message, ...); left
            # there it would fail a later, unrelated call in this thread.
            lib.ERR_clear_error()
            raise WantReadError()
        if result < 0:
            self._raise_io_error(result)

    def DTLSv1_get_timeout(self) -> float | None:
        """Seconds until :meth:`DTLSv1_handle_timeout` is due, or ``None``."""
        seconds = ffi.new("int64_t *")
        microseconds = ffi.new("long *")
        if lib.Cryptography_DTLSv1_get_timeout(self._ssl, seconds, microseconds):
            return float(seconds[0] + microseconds[0] / 1000000.0)
        return None

    def DTLSv1_handle_timeout(self) -> bool:
        """Retransmit if the DTLS timer expired; ``True`` if it did."""
        self._refuse_reentry("DTLSv1_handle_timeout")
        result = lib.DTLSv1_handle_timeout(self._ssl)
        if result < 0:
            self._raise_io_error(result)
        self._check_callbacks()
        return bool(result)

    def get_cleartext_mtu(self) -> int:
        """The largest application payload one DTLS datagram carries."""
        if not lib.Cryptography_HAS_DTLS_GET_DATA_MTU:
            raise NotImplementedError("this OpenSSL lacks DTLS_get_data_mtu")
        # DTLS_get_data_mtu reads DTLS-only state without checking that the
        # SSL is DTLS: on a TLS connection with a cipher it crashed.
        if not _is_dtls(self._ssl):
            raise TypeError("get_cleartext_mtu needs a DTLS Connection")
        return lib.DTLS_get_data_mtu(self._ssl)

    def set_ciphertext_mtu(self, mtu: int) -> None:
        """Set the DTLS datagram size (use with ``OP_NO_QUERY_MTU``)."""
        check_int(mtu, "mtu")
        lib.SSL_set_mtu(self._ssl, mtu)


def _socket_getattr(self: Connection, name: str) -> Any:
    # Only reached for names the Connection lacks: socket mode hands them to
    # the socket, as pyOpenSSL always has.
    return getattr(self._socket, name)


_socket_classes: dict[type, type] = {}


def _with_socket_attributes(cls: type[Connection]) -> type[Connection]:
    """*cls*, or a subclass of it that falls through to the socket."""
    if getattr(cls, "__getattr__", None) is not None:
        return cls
    subclass = _socket_classes.get(cls)
    if subclass is None:
        subclass = type(
            cls.__name__,
            (cls,),
            {
                "__getattr__": _socket_getattr,
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
                "__doc__": cls.__doc__,
            },
        )
        # setdefault, not assignment: threads making their first socket-mode
        # Connection of *cls* at once must all get the one subclass kept.
        subclass = _socket_classes.setdefault(cls, subclass)
    return subclass


def _file_descriptor(sock: Any) -> int:
    if isinstance(sock, int):
        fd = sock
    else:
        fileno = getattr(sock, "fileno", None)
        if fileno is None:
            raise TypeError("socket must be a socket object (with fileno()) or None")
        fd = fileno()
        if not isinstance(fd, int):
            raise TypeError("socket.fileno() must return an integer")
    if fd < 0:
        raise ValueError(f"file descriptor must be >= 0 (a closed socket?), not {fd}")
    return fd


def _keep_verdict(conn: Any, cert: Any, errnum: int, depth: int, ok: int) -> bool:
    """A verify callback that changes nothing: OpenSSL's verdict stands."""
    return bool(ok)


def _is_dtls(ssl: Any) -> bool:
    # DTLS versions count down from 0xFEFF (DTLS1_BAD_VER is 0x0100); a DTLS
    # SSL reports one even before its handshake, a TLS SSL a 0x03xx one.
    return (lib.SSL_version(ssl) >> 8) in (0xFE, 0x01)


def _raise_bio_error(bio: Any, what: str) -> NoReturn:
    if lib.BIO_should_retry(bio):
        if lib.BIO_should_read(bio):
            raise WantReadError()
        if lib.BIO_should_write(bio):
            raise WantWriteError()
        raise ValueError(f"{what} needs a retry of an unknown kind")
    exception_from_error_queue(Error, what)


def _sized(fill: Callable[[Any, int], int]) -> bytes:
    """Call an OpenSSL getter that reports its size when given no buffer."""
    size = fill(ffi.NULL, 0)
    if not size:
        return b""
    buf = no_zero_allocator("unsigned char[]", size)
    fill(buf, size)
    return ffi.buffer(buf, size)[:]


def _certificate(owned_pointer: Any, as_cryptography: bool) -> Any:
    cert = X509._from_raw_x509_ptr(owned_pointer)
    return cert.to_cryptography() if as_cryptography else cert


def _certificates(stack: Any, as_cryptography: bool) -> Any:
    if stack == ffi.NULL:
        return None
    result = []
    for i in range(lib.sk_X509_num(stack)):
        pointer = lib.sk_X509_value(stack, i)
        lib.X509_up_ref(pointer)
        result.append(_certificate(pointer, as_cryptography))
    return result
