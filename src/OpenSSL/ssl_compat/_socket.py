"""``SSLSocket``: a ``socket.socket`` speaking TLS through ``OpenSSL.SSL``.

Theory of operation
-------------------

The socket's file descriptor is handed to a socket-mode
``OpenSSL.SSL.Connection``; OpenSSL reads and writes it directly. What a call
does when the transport is not ready depends on the socket's mode, exactly
as for the stdlib:

* **blocking** (``gettimeout() is None``): the descriptor blocks, so OpenSSL
  itself waits inside ``SSL_read``/``SSL_write`` (cffi releases the GIL).
* **timeout** (``gettimeout() > 0``): Python keeps the descriptor
  non-blocking, OpenSSL answers "want read" / "want write", and we wait for
  the descriptor with ``poll``/``select`` up to what is left of the timeout,
  then retry *the same call* -- OpenSSL requires the retry to be identical.
  Running out of time raises ``socket.timeout`` (``TimeoutError`` since
  Python 3.10; "The read operation timed out"), as CPython does.
* **non-blocking** (``gettimeout() == 0``): "want read" / "want write" become
  ``SSLWantReadError`` / ``SSLWantWriteError`` for the caller to handle.

Note that *want read* can come out of a write and *want write* out of a read
(TLS may need to do either to make progress), so the wait follows what
OpenSSL asked for, not what the caller called. Every I/O method is one call of
:meth:`SSLSocket._retry`, the only place where waiting happens.

After ``unwrap()`` (or before ``connect()``) there is no TLS layer and the
methods act on the plain socket, as CPython's do.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import ssl as _stdlib_ssl
import time
import warnings
from typing import Any, Callable, Optional, TypeVar

from OpenSSL import SSL
from OpenSSL.ssl_compat._constants import CHANNEL_BINDING_TYPES, SSLErrorNumber
from OpenSSL.ssl_compat._controls import ConnectionControls
from OpenSSL.ssl_compat._core import (
    TLSCore,
    byte_buffer,
    check_wrap_roles,
    encode_server_hostname,
)
from OpenSSL.ssl_compat._early_data import EarlyDataSocket
from OpenSSL.ssl_compat._errors import want_read_error, want_write_error
from OpenSSL.ssl_compat._extensions import ConnectionExtensions

__all__ = ["SSLSocket"]

_T = TypeVar("_T")
_HAS_POLL = hasattr(select, "poll")
_MAX_POLL_MS = 2**31 - 1
_len = len  # read() takes the name for its parameter, as in the stdlib


def _wait(fd: int, for_write: bool, timeout: Optional[float]) -> bool:
    """Wait until *fd* is readable (or writable); ``False`` on timeout."""
    if _HAS_POLL:
        poller = select.poll()
        poller.register(fd, select.POLLOUT if for_write else select.POLLIN)
        if timeout is None:
            return bool(poller.poll(None))
        ms = max(0, int(timeout * 1000 + 0.999))
        # poll() takes a C int of milliseconds (about 24.8 days): wait longer
        # timeouts in slices instead of raising OverflowError at once.
        while ms > _MAX_POLL_MS:
            if poller.poll(_MAX_POLL_MS):
                return True
            ms -= _MAX_POLL_MS
        return bool(poller.poll(ms))
    readers, writers = ([], [fd]) if for_write else ([fd], [])
    r, w, _ = select.select(readers, writers, [], timeout)
    return bool(r or w)


class SSLSocket(
    ConnectionControls, ConnectionExtensions, EarlyDataSocket, _stdlib_ssl.SSLSocket
):
    """A TLS socket; made by ``SSLContext.wrap_socket``."""

    _sslobj: Optional[TLSCore]
    _connected: bool
    _context: Any
    _session: Any
    do_handshake_on_connect: bool
    suppress_ragged_eofs: bool
    #: Set per instance by ``_create``.
    server_side: bool = False
    server_hostname: Optional[str] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(
            f"{type(self).__name__} does not have a public constructor. "
            "Instances are returned by SSLContext.wrap_socket()."
        )

    @classmethod
    def _create(
        cls,
        sock: socket.socket,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: Any = None,
        context: Any = None,
        session: Any = None,
    ) -> SSLSocket:
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) != socket.SOCK_STREAM:
            raise NotImplementedError("only stream sockets are supported")
        check_wrap_roles(context, server_side, server_hostname, session)
        kwargs = dict(
            family=sock.family, type=sock.type, proto=sock.proto, fileno=sock.fileno()
        )
        self = cls.__new__(cls, **kwargs)
        socket.socket.__init__(self, **kwargs)
        timeout = sock.gettimeout()
        sock.detach()

        self._context = context
        self._session = session
        self._sslobj = None
        self.server_side = server_side
        hostname: Optional[str] = None
        if server_hostname is not None:
            # After detach(), as CPython: the descriptor is ours now, so a
            # refused name closes it rather than leaving it to the collector.
            try:
                hostname = encode_server_hostname(context, server_hostname)
            except BaseException:
                self.close()
                raise
        self.server_hostname = hostname
        self.do_handshake_on_connect = do_handshake_on_connect
        self.suppress_ragged_eofs = suppress_ragged_eofs
        try:
            self.getpeername()
        except OSError as exc:
            if exc.errno != errno.ENOTCONN:
                raise
            connected = False
            self._refuse_data_before_handshake(timeout)
        else:
            connected = True
        self.settimeout(timeout)
        self._connected = connected
        if connected:
            try:
                self._sslobj = self._new_core()
                if do_handshake_on_connect:
                    if self.gettimeout() == 0.0:
                        raise ValueError(
                            "do_handshake_on_connect should not be specified "
                            "for non-blocking sockets"
                        )
                    self.do_handshake()
            except BaseException:
                # Also for exceptions from user callbacks: the socket was
                # detached from the caller's object, so it is ours to close.
                self.close()
                raise
        return self

    def _refuse_data_before_handshake(self, timeout: Optional[float]) -> None:
        """CVE-2023-40217: refuse a socket whose peer sent data, then reset.

        Such a socket reports "not connected", so no TLS layer would be set
        up and the first ``recv()`` would hand the peer's plaintext to the
        caller as if TLS had protected it. As CPython (3.8.18+): look without
        blocking; any byte waiting means the socket is closed and
        ``SSLError`` raised. A socket that was simply never connected has
        nothing to read (``ENOTCONN``, or ``EINVAL`` for some families).
        """
        self.setblocking(False)
        try:
            early = socket.socket.recv(self, 1)
        except OSError as exc:
            if exc.errno not in (errno.ENOTCONN, errno.EINVAL, errno.EAGAIN):
                raise
            early = b""
        finally:
            self.settimeout(timeout)
        if not early:
            return
        reason = "Closed before TLS handshake with data in recv buffer."
        error = _stdlib_ssl.SSLError(errno.ENOTCONN, reason)
        # The attributes CPython's own SSLError instances always carry.
        error.reason = reason
        error.library = None  # type: ignore[assignment]
        try:
            self.close()
        except OSError:
            pass
        try:
            raise error
        finally:
            error = None  # type: ignore[assignment]  # no frame <-> exception cycle

    def _new_core(self) -> TLSCore:
        return TLSCore(
            self._context,
            server_side=self.server_side,
            server_hostname=self.server_hostname,
            session=self._session,
            public=self,
            # The descriptor, not the socket object: a Connection keeps what it
            # is given, and the socket keeps the Connection (no cycle).
            sock=self.fileno(),
        )

    # -- the one place that waits ---------------------------------------------

    def _retry(self, operation: Callable[..., _T], what: str, *args: Any) -> _T:
        """Run *operation* until it completes, waiting as the socket's mode says.

        *operation* is a Connection call; *what* ("read", "write",
        "handshake", "shutdown") names it in timeout messages. A shutdown is
        not a data transfer: as in CPython, its transport errors are the
        ``OSError`` itself, and its timeout message names what it waited for.

        The fast path is the first pass of the loop: a call that completes
        at once costs one Python frame and one ``try`` over calling the
        Connection directly; the timeout, clock and poll are touched only
        when OpenSSL asks to wait. One deadline covers all the waits of one
        call, as in CPython (a ``sendall`` is one call).
        """
        core = self._sslobj
        deadline: Optional[float] = None
        while True:
            try:
                return operation(*args)
            except SSL.WantReadError:
                for_write = False
            except SSL.WantWriteError:
                for_write = True
            except SSL.Error as exc:
                assert core is not None
                core.raise_translated(exc, what in ("read", "write"))
            timeout = self.gettimeout()
            if timeout == 0.0:
                raise want_write_error() if for_write else want_read_error()
            remaining: Optional[float] = None
            if timeout is not None:
                now = time.monotonic()
                if deadline is None:
                    deadline = now + timeout
                remaining = deadline - now
            fd = self.fileno()
            if fd < 0:  # closed by another thread while we waited
                raise OSError(errno.EBADF, os.strerror(errno.EBADF))
            if (remaining is not None and remaining <= 0) or not _wait(
                fd, for_write, remaining
            ):
                if what == "shutdown":
                    what = "write" if for_write else "read"
                raise socket.timeout(f"The {what} operation timed out")

    # -- state checks ---------------------------------------------------------

    def _checkClosed(self, msg: Optional[str] = None) -> None:
        # Like the stdlib's: nothing to check beyond what socket methods do.
        pass

    def _check_connected(self) -> None:
        if not self._connected:
            # Raises ENOTCONN (or the reason the socket is not usable).
            self.getpeername()

    def _tls(self, what: str) -> TLSCore:
        core = self._sslobj
        if core is None:
            raise ValueError(f"{what} on closed or unwrapped SSL socket.")
        return core

    # -- connecting and accepting ---------------------------------------------

    def _real_connect(self, addr: Any, connect_ex: bool) -> Optional[int]:
        if self.server_side:
            raise ValueError("can't connect in server-side mode")
        if self._connected or self._sslobj is not None:
            raise ValueError("attempt to connect already-connected SSLSocket!")
        self._sslobj = self._new_core()
        try:
            if connect_ex:
                rc: Optional[int] = socket.socket.connect_ex(self, addr)
            else:
                rc = None
                socket.socket.connect(self, addr)
            if not rc:
                self._connected = True
                if self.do_handshake_on_connect:
                    self.do_handshake()
            return rc
        except (OSError, ValueError):
            self._sslobj = None
            raise

    def connect(self, addr: Any) -> None:
        """Connect to *addr*; handshake too if ``do_handshake_on_connect``."""
        self._real_connect(addr, False)

    def connect_ex(self, addr: Any) -> int:
        """Like :meth:`connect`; returns an errno for connection failures."""
        return self._real_connect(addr, True) or 0

    def accept(self) -> tuple[Any, Any]:
        """Accept a connection; return ``(SSLSocket, address)`` (server side)."""
        newsock, addr = socket.socket.accept(self)
        wrapped = self._context.wrap_socket(
            newsock,
            do_handshake_on_connect=self.do_handshake_on_connect,
            suppress_ragged_eofs=self.suppress_ragged_eofs,
            server_side=True,
        )
        return wrapped, addr

    def do_handshake(self, block: bool = False) -> None:
        """Run the TLS handshake."""
        self._check_connected()
        core = self._tls("Handshake")
        timeout = self.gettimeout()
        try:
            if timeout == 0.0 and block:
                self.settimeout(None)
            self._retry(core.handshake_step, "handshake")
        finally:
            self.settimeout(timeout)

    # -- data -----------------------------------------------------------------

    def read(self, len: int = 1024, buffer: Any = None) -> Any:
        """Read up to *len* bytes (into *buffer* if given).

        A clean close by the peer reads as ``b""``/0; so does a close without
        close_notify when ``suppress_ragged_eofs`` is true.
        """
        core = self._sslobj or self._tls("Read")
        connection = core.connection
        try:
            if buffer is None:
                if len < 0:
                    raise ValueError("size should not be negative")
                if len == 0:
                    return b""
                return self._retry(connection.recv, "read", len)
            if type(buffer) is bytearray:
                size = _len(buffer)
            else:
                buffer, size = byte_buffer(buffer)
            if len <= 0 or len > size:
                len = size
            if len == 0:
                return 0
            return self._retry(connection.recv_into, "read", buffer, len)
        except _stdlib_ssl.SSLZeroReturnError:
            return b"" if buffer is None else 0
        except _stdlib_ssl.SSLError as exc:
            if (
                exc.args[0] == SSLErrorNumber.SSL_ERROR_EOF
                and self.suppress_ragged_eofs
            ):
                return b"" if buffer is None else 0
            raise

    def write(self, data: Any) -> int:
        """Write *data*; return the number of bytes written."""
        core = self._sslobj or self._tls("Write")
        if not memoryview(data).nbytes:
            return 0
        return self._retry(core.connection.send, "write", data)

    def send(self, data: Any, flags: int = 0) -> int:
        """Send *data* (``flags`` must be 0 while TLS is active)."""
        if self._sslobj is None:
            return socket.socket.send(self, data, flags)
        if flags != 0:
            raise ValueError(
                f"non-zero flags not allowed in calls to send() on {type(self)}"
            )
        return self.write(data)

    def sendall(self, data: Any, flags: int = 0) -> None:
        """Send all of *data*."""
        if self._sslobj is None:
            socket.socket.sendall(self, data, flags)
            return
        if flags != 0:
            raise ValueError(
                f"non-zero flags not allowed in calls to sendall() on {type(self)}"
            )
        if isinstance(data, str):
            raise TypeError("a bytes-like object is required, not 'str'")
        # Writes are all-or-nothing (no partial-write mode), so one call
        # sends everything, within one timeout as CPython's write does.
        core = self._sslobj or self._tls("Write")
        self._retry(core.connection.sendall, "write", data)

    def sendfile(self, file: Any, offset: int = 0, count: Optional[int] = None) -> int:
        """Send a file's contents (through TLS: read and send, no ``os.sendfile``)."""
        if self._sslobj is None:
            return socket.socket.sendfile(self, file, offset, count)
        return self._sendfile_use_send(file, offset, count)  # type: ignore[attr-defined,no-any-return]

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        """Receive up to *buflen* bytes (``flags`` must be 0 while TLS is active)."""
        if self._sslobj is None:
            return socket.socket.recv(self, buflen, flags)
        if flags != 0:
            raise ValueError(
                f"non-zero flags not allowed in calls to recv() on {type(self)}"
            )
        return self.read(buflen)  # type: ignore[no-any-return]

    def recv_into(
        self, buffer: Any, nbytes: Optional[int] = None, flags: int = 0
    ) -> int:
        """Receive into *buffer*; return the byte count."""
        if nbytes is None or nbytes == 0:
            nbytes = memoryview(buffer).nbytes
        if self._sslobj is None:
            return socket.socket.recv_into(self, buffer, nbytes, flags)
        if flags != 0:
            raise ValueError(
                f"non-zero flags not allowed in calls to recv_into() on {type(self)}"
            )
        return self.read(nbytes, buffer)  # type: ignore[no-any-return]

    def sendto(self, data: Any, flags_or_addr: Any, addr: Any = None) -> int:
        """Not allowed while TLS is active."""
        if self._sslobj is not None:
            raise ValueError(f"sendto not allowed on instances of {type(self)}")
        if addr is None:
            return socket.socket.sendto(self, data, flags_or_addr)
        return socket.socket.sendto(self, data, flags_or_addr, addr)

    def recvfrom(self, buflen: int = 1024, flags: int = 0) -> Any:
        """Not allowed while TLS is active."""
        if self._sslobj is not None:
            raise ValueError(f"recvfrom not allowed on instances of {type(self)}")
        return socket.socket.recvfrom(self, buflen, flags)

    def recvfrom_into(
        self, buffer: Any, nbytes: Optional[int] = None, flags: int = 0
    ) -> Any:
        """Not allowed while TLS is active."""
        if self._sslobj is not None:
            raise ValueError(f"recvfrom_into not allowed on instances of {type(self)}")
        return socket.socket.recvfrom_into(self, buffer, nbytes or 0, flags)

    def recvmsg(self, *args: Any, **kwargs: Any) -> Any:
        """Not available on TLS sockets."""
        raise NotImplementedError(f"recvmsg not allowed on instances of {type(self)}")

    def recvmsg_into(self, *args: Any, **kwargs: Any) -> Any:
        """Not available on TLS sockets."""
        raise NotImplementedError(
            f"recvmsg_into not allowed on instances of {type(self)}"
        )

    def sendmsg(self, *args: Any, **kwargs: Any) -> Any:
        """Not available on TLS sockets."""
        raise NotImplementedError(f"sendmsg not allowed on instances of {type(self)}")

    def pending(self) -> int:
        """Decrypted bytes readable without touching the socket."""
        core = self._sslobj
        return core.connection.pending() if core is not None else 0

    # -- closing --------------------------------------------------------------

    def shutdown(self, how: int) -> None:
        """Shut the socket down (no close_notify: use :meth:`unwrap` for that)."""
        self._sslobj = None
        socket.socket.shutdown(self, how)

    def unwrap(self) -> SSLSocket:
        """Close the TLS layer (close_notify both ways); return the now-plain socket."""
        core = self._sslobj
        if core is None:
            raise ValueError(f"No SSL wrapper around {self}")
        connection = core.connection
        for _attempt in range(2):
            if self._retry(connection.shutdown, "shutdown"):
                break
        self._sslobj = None
        return self

    def _real_close(self) -> None:
        self._sslobj = None
        socket.socket._real_close(self)  # type: ignore[attr-defined]

    def dup(self) -> Any:
        """Not possible for TLS sockets."""
        raise NotImplementedError(f"Can't dup() {type(self).__name__} instances")

    # -- information ----------------------------------------------------------

    @property
    def context(self) -> Any:
        """The ``SSLContext``; assign another one (e.g. in ``sni_callback``)."""
        return self._context

    @context.setter
    def context(self, ctx: Any) -> None:
        if self._sslobj is not None:
            self._sslobj.set_context(ctx)
        else:
            from OpenSSL.ssl_compat._context import SSLContext

            # Checked here too: kept unchecked, a later connect() failed
            # with AttributeError deep inside (no TLS layer to check it now).
            if not isinstance(ctx, SSLContext):
                raise TypeError(
                    "The value must be a SSLContext of OpenSSL.ssl_compat, "
                    f"not {type(ctx).__name__}"
                )
        self._context = ctx

    @property
    def session(self) -> Any:
        """The ``SSLSession`` (settable before the handshake, clients only)."""
        if self._sslobj is not None:
            return self._sslobj.session
        return self._session

    @session.setter
    def session(self, session: Any) -> None:
        self._session = session
        if self._sslobj is not None:
            self._sslobj.set_session(session)

    @property
    def session_reused(self) -> Optional[bool]:
        """Whether the handshake resumed the offered session."""
        if self._sslobj is not None:
            return self._sslobj.session_reused
        return None

    def getpeercert(self, binary_form: bool = False) -> Any:
        """The peer's certificate: the stdlib's dict, or DER with *binary_form*."""
        self._check_connected()
        return self._tls("getpeercert").getpeercert(binary_form)

    def cipher(self) -> Any:
        """``(name, protocol, secret_bits)``, or ``None``."""
        return None if self._sslobj is None else self._sslobj.cipher()

    def shared_ciphers(self) -> Any:
        """Cipher suites available to this connection, or ``None``."""
        return None if self._sslobj is None else self._sslobj.shared_ciphers()

    def compression(self) -> None:
        """Always ``None``: TLS compression is not available."""
        return None

    def version(self) -> Optional[str]:
        """The negotiated protocol version, or ``None``."""
        return None if self._sslobj is None else self._sslobj.version()

    def selected_alpn_protocol(self) -> Optional[str]:
        """The negotiated ALPN protocol, or ``None``."""
        return None if self._sslobj is None else self._sslobj.selected_alpn_protocol()

    def selected_npn_protocol(self) -> None:
        """NPN is not available: always ``None`` (deprecated, as in the stdlib)."""
        warnings.warn(
            "ssl NPN is deprecated, use ALPN instead", DeprecationWarning, stacklevel=2
        )
        return None

    def get_channel_binding(self, cb_type: str = "tls-unique") -> Optional[bytes]:
        """Channel binding data for *cb_type*, or ``None`` without TLS."""
        if self._sslobj is not None:
            return self._sslobj.get_channel_binding(cb_type)
        if cb_type not in CHANNEL_BINDING_TYPES:
            raise ValueError(f"{cb_type} channel binding type not implemented")
        return None

    def get_verified_chain(self) -> list[Any]:
        """The verified chain, leaf first (Python 3.13 API)."""
        return self._tls("get_verified_chain").verified_chain()

    def get_unverified_chain(self) -> list[Any]:
        """The chain the peer sent, leaf first (Python 3.13 API)."""
        return self._tls("get_unverified_chain").unverified_chain()

    def verify_client_post_handshake(self) -> None:
        """Ask a TLS 1.3 client for its certificate (sent with the next I/O)."""
        if self._sslobj is None:
            raise ValueError(f"No SSL wrapper around {self}")
        self._sslobj.verify_client_post_handshake()

    @property
    def openssl_connection(self) -> Optional[SSL.Connection]:
        """The ``OpenSSL.SSL.Connection`` underneath, or ``None`` (escape hatch)."""
        return None if self._sslobj is None else self._sslobj.connection
