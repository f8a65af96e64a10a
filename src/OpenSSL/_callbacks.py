"""Callback plumbing: the C functions OpenSSL calls, and how their errors travel.

Every Python callback a user registers (verify, info, keylog, SNI, ALPN,
OCSP, DTLS cookies, passphrase) is wrapped here in a cffi trampoline. The
trampoline finds the :class:`~OpenSSL.SSL.Connection` for the ``SSL *``
OpenSSL hands it through :data:`connections`, calls the user's function,
converts the result to what OpenSSL expects, and on an exception:

1. stores the exception on the connection (:func:`record`), keeping the
   first one when several callbacks fail during one call, and
2. returns the value that makes OpenSSL abort (a fatal alert where the
   protocol has one).

The Python call that drove OpenSSL (``do_handshake``, ``recv``,
``bio_write``, ...) then re-raises the stored exception unchanged, with its
traceback. The servername callback is the documented exception: its errors
go to ``sys.excepthook`` and the handshake fails with a fatal alert.

The cffi callback objects must outlive every ``SSL *`` that may call them;
the objects that register them (``Context``/``Connection``) keep them in
attributes, and a ``Connection`` keeps every ``Context`` it was ever
attached to alive.
"""

from __future__ import annotations

import sys
import weakref
from typing import Any, Callable, TypeVar

from OpenSSL._ssl_constants import NO_OVERLAPPING_PROTOCOLS
from OpenSSL._util import exact_bytes, ffi, lib

__all__ = ["call", "connections", "record"]

_R = TypeVar("_R")

#: How deep a connection's callbacks may run inside one another.
MAX_NESTING = 4

# SSL * -> Connection. cffi pointers hash and compare by address, so the
# pointer OpenSSL passes to a callback finds the Connection that owns it.
connections: weakref.WeakValueDictionary[Any, Any] = weakref.WeakValueDictionary()


def record(conn: Any, exc: BaseException) -> None:
    """Keep *exc* on *conn* for the driving call to re-raise (first one wins)."""
    if conn._callback_exception is None:
        conn._callback_exception = exc


def call(conn: Any, callback: Callable[..., _R], *args: Any) -> _R:
    """Run a user callback for *conn*, marking *conn* as inside OpenSSL.

    OpenSSL's handshake is not re-entrant: a callback that drives the same
    connection again (``do_handshake`` from inside the SNI callback, ...)
    corrupts the ``SSL`` and crashes the interpreter. The counter lets those
    methods refuse with ``ValueError`` instead. Callbacks may nest: a
    ``shutdown`` from inside the info callback writes an alert, which the
    info callback hears. But the data path (``recv``, ``send``, ...) is not
    checked, to keep it free of work, and ``recv`` from inside the info
    callback runs the info callback again, which calls ``recv`` ...: past
    :data:`MAX_NESTING` levels the callback is refused with ``ValueError``
    instead of recursing until ``RecursionError`` (or the C stack runs out).
    """
    if conn._in_callback >= MAX_NESTING:
        raise ValueError(
            f"callbacks of this Connection nested {MAX_NESTING} deep: a "
            "callback keeps driving its own Connection (recv/send from the "
            "info callback?)"
        )
    conn._in_callback += 1
    try:
        return callback(*args)
    finally:
        conn._in_callback -= 1


def _store_ctx_connection(store_ctx: Any) -> Any:
    ssl = lib.X509_STORE_CTX_get_ex_data(
        store_ctx, lib.SSL_get_ex_data_X509_STORE_CTX_idx()
    )
    return connections.get(ffi.cast("SSL *", ssl))


def verify(callback: Callable[..., Any]) -> Any:
    """Wrap ``callback(conn, cert, errnum, depth, ok) -> bool`` for SSL_*_set_verify."""
    from OpenSSL.crypto import X509

    def trampoline(ok: int, store_ctx: Any) -> int:
        conn = _store_ctx_connection(store_ctx)
        if conn is None:
            return 0
        try:
            x509 = lib.X509_STORE_CTX_get_current_cert(store_ctx)
            # Some failures (an unmet explicit policy) concern no one
            # certificate: the callback then gets None.
            cert = None
            if x509 != ffi.NULL:
                lib.X509_up_ref(x509)
                cert = X509._from_raw_x509_ptr(x509)
            errnum = lib.X509_STORE_CTX_get_error(store_ctx)
            depth = lib.X509_STORE_CTX_get_error_depth(store_ctx)
            if call(conn, callback, conn, cert, errnum, depth, ok):
                lib.X509_STORE_CTX_set_error(store_ctx, lib.X509_V_OK)
                # The application overrode the verdict: what OpenSSL queued
                # while judging this certificate (a bad signature, ...) no
                # longer applies, and left queued it would fail a later,
                # unrelated call in this thread.
                lib.ERR_clear_error()
                return 1
            return 0
        except BaseException as exc:
            record(conn, exc)
            return 0

    return ffi.callback("int (*)(int, X509_STORE_CTX *)", trampoline)


def info(callback: Callable[[Any, int, int], None]) -> Any:
    """Wrap ``callback(conn, where, ret)`` for SSL_*_set_info_callback."""

    def trampoline(ssl: Any, where: int, ret: int) -> None:
        conn = connections.get(ssl)
        if conn is None:
            return
        try:
            call(conn, callback, conn, where, ret)
        except BaseException as exc:
            record(conn, exc)

    return ffi.callback("void (*)(const SSL *, int, int)", trampoline)


def keylog(callback: Callable[[Any, bytes], None]) -> Any:
    """Wrap ``callback(conn, line)`` for SSL_CTX_set_keylog_callback."""

    def trampoline(ssl: Any, line: Any) -> None:
        conn = connections.get(ssl)
        if conn is None:
            return
        try:
            call(conn, callback, conn, ffi.string(line))
        except BaseException as exc:
            record(conn, exc)

    return ffi.callback("void (*)(const SSL *, const char *)", trampoline)


def message(dispatch: Callable[..., None]) -> Any:
    """Wrap ``dispatch(conn, sent, version, content_type, data)`` (message callback).

    OpenSSL calls it for every protocol message and record header a
    connection reads or writes (``SSL_CTX_set_msg_callback``); it returns
    nothing, so an exception cannot stop OpenSSL at once: it is kept and
    comes out of the call that drove OpenSSL when that call returns.
    """

    def trampoline(
        write_p: int,
        version: int,
        content_type: int,
        buf: Any,
        length: int,
        ssl: Any,
        arg: Any,
    ) -> None:
        conn = connections.get(ssl)
        if conn is None:
            return
        try:
            data = ffi.buffer(buf, length)[:]
            call(conn, dispatch, conn, bool(write_p), version, content_type, data)
        except BaseException as exc:
            record(conn, exc)

    return ffi.callback(
        "void (*)(int, int, int, void *, size_t, SSL *, void *)", trampoline
    )


def servername(callback: Callable[[Any], None]) -> Any:
    """Wrap ``callback(conn)`` for the SNI callback.

    Errors are reported through ``sys.excepthook`` (pyOpenSSL's documented
    behaviour) and abort the handshake with a fatal alert.
    """

    def trampoline(ssl: Any, alert: Any, arg: Any) -> int:
        conn = connections.get(ssl)
        if conn is None:
            return lib.SSL_TLSEXT_ERR_ALERT_FATAL  # type: ignore[no-any-return]
        try:
            call(conn, callback, conn)
        except BaseException:
            _report(*sys.exc_info())
            return lib.SSL_TLSEXT_ERR_ALERT_FATAL  # type: ignore[no-any-return]
        return lib.SSL_TLSEXT_ERR_OK  # type: ignore[no-any-return]

    return ffi.callback("int (*)(SSL *, int *, void *)", trampoline)


def _report(kind: Any, value: Any, tb: Any) -> None:
    """Hand a servername callback's exception to ``sys.excepthook``.

    A hook that raises (or is missing) must not escape the trampoline: cffi
    would print it and return 0, ``SSL_TLSEXT_ERR_OK``, and the handshake
    would go on (the CVE-2026-27448 class). As Python does when its hook
    fails, both exceptions go to the default hook instead.
    """
    try:
        sys.excepthook(kind, value, tb)
    except BaseException:
        hook_failure = sys.exc_info()
        try:
            print("Error in sys.excepthook:", file=sys.stderr)
            sys.__excepthook__(*hook_failure)
            print("\nOriginal exception was:", file=sys.stderr)
            sys.__excepthook__(kind, value, tb)
        except BaseException:
            pass  # nowhere left to report; the handshake fails regardless


def _parse_protocol_list(data: bytes) -> list[bytes]:
    protos = []
    i = 0
    while i < len(data):
        length = data[i]
        protos.append(data[i + 1 : i + 1 + length])
        i += 1 + length
    return protos


def alpn_select(callback: Callable[[Any, list[bytes]], Any]) -> Any:
    """Wrap ``callback(conn, offered) -> bytes | NO_OVERLAPPING_PROTOCOLS``."""

    def trampoline(
        ssl: Any, out: Any, outlen: Any, in_: Any, inlen: int, arg: Any
    ) -> int:
        conn = connections.get(ssl)
        if conn is None:
            return lib.SSL_TLSEXT_ERR_ALERT_FATAL  # type: ignore[no-any-return]
        try:
            offered = _parse_protocol_list(ffi.buffer(in_, inlen)[:])
            chosen = exact_bytes(call(conn, callback, conn, offered))
            if chosen is NO_OVERLAPPING_PROTOCOLS:
                return lib.SSL_TLSEXT_ERR_NOACK  # type: ignore[no-any-return]
            if chosen == b"":
                # Twisted answers b"" when nothing overlaps and expects the
                # handshake to fail with SSL.Error, as under pyOpenSSL.
                return lib.SSL_TLSEXT_ERR_ALERT_FATAL  # type: ignore[no-any-return]
            if not isinstance(chosen, bytes):
                raise TypeError(
                    "ALPN select callback must return bytes or "
                    f"NO_OVERLAPPING_PROTOCOLS, not {type(chosen).__name__}"
                )
            if len(chosen) > 255:
                raise ValueError(
                    "ALPN select callback must return a protocol of at most 255 bytes"
                )
        except BaseException as exc:
            record(conn, exc)
            return lib.SSL_TLSEXT_ERR_ALERT_FATAL  # type: ignore[no-any-return]
        # OpenSSL reads the answer after we return: keep it alive on the
        # connection until the next selection replaces it.
        conn._alpn_selected = buf = ffi.new("unsigned char[]", chosen)
        out[0] = buf
        outlen[0] = len(chosen)
        return lib.SSL_TLSEXT_ERR_OK  # type: ignore[no-any-return]

    return ffi.callback(
        "int (*)(SSL *, unsigned char **, unsigned char *, "
        "const unsigned char *, unsigned int, void *)",
        trampoline,
    )


def ocsp_server(callback: Callable[[Any, Any], bytes], data: Any) -> Any:
    """Wrap ``callback(conn, data) -> bytes`` (the OCSP response to staple)."""

    def trampoline(ssl: Any, arg: Any) -> int:
        conn = connections.get(ssl)
        if conn is None:
            return lib.SSL_TLSEXT_ERR_ALERT_FATAL  # type: ignore[no-any-return]
        try:
            response = exact_bytes(call(conn, callback, conn, data))
            if not isinstance(response, bytes):
                raise TypeError(
                    "OCSP server callback must return bytes, not "
                    f"{type(response).__name__}"
                )
            if not response:
                return lib.SSL_TLSEXT_ERR_NOACK  # type: ignore[no-any-return]
            # OpenSSL takes ownership of the buffer and frees it itself.
            buf = lib.OPENSSL_malloc(len(response))
            if buf == ffi.NULL:
                raise MemoryError("could not allocate the OCSP response buffer")
            ffi.memmove(buf, response, len(response))
            lib.SSL_set_tlsext_status_ocsp_resp(ssl, buf, len(response))
            # OpenSSL 4 parses the response here; one that is not a DER
            # OCSPResponse is dropped (nothing is stapled) but its ASN.1
            # error stays queued and would surface from a later, unrelated
            # call in this thread. OpenSSL itself carries on, so forget it.
            if lib.ERR_peek_error():
                lib.ERR_clear_error()
            return lib.SSL_TLSEXT_ERR_OK  # type: ignore[no-any-return]
        except BaseException as exc:
            record(conn, exc)
            return lib.SSL_TLSEXT_ERR_ALERT_FATAL  # type: ignore[no-any-return]

    return ffi.callback("int (*)(SSL *, void *)", trampoline)


def ocsp_client(callback: Callable[[Any, bytes, Any], Any], data: Any) -> Any:
    """Wrap ``callback(conn, ocsp_response, data) -> bool`` (False rejects)."""

    def trampoline(ssl: Any, arg: Any) -> int:
        conn = connections.get(ssl)
        if conn is None:
            return -1
        try:
            pointer = ffi.new("unsigned char **")
            length = lib.SSL_get_tlsext_status_ocsp_resp(ssl, pointer)
            response = b"" if length < 0 else ffi.buffer(pointer[0], length)[:]
            return 1 if call(conn, callback, conn, response, data) else 0
        except BaseException as exc:
            record(conn, exc)
            return -1

    return ffi.callback("int (*)(SSL *, void *)", trampoline)


def cookie_generate(callback: Callable[[Any], bytes]) -> Any:
    """Wrap ``callback(conn) -> bytes`` producing a DTLS cookie."""
    limit = lib.DTLS1_COOKIE_LENGTH

    def trampoline(ssl: Any, out: Any, outlen: Any) -> int:
        conn = connections.get(ssl)
        if conn is None:
            return 0
        try:
            cookie = exact_bytes(call(conn, callback, conn))
            if not isinstance(cookie, bytes):
                raise TypeError(
                    "cookie generate callback must return bytes, not "
                    f"{type(cookie).__name__}"
                )
            if len(cookie) > limit:
                raise ValueError(
                    f"cookie generate callback returned {len(cookie)} bytes; "
                    f"a DTLS cookie holds at most {limit}"
                )
            ffi.memmove(out, cookie, len(cookie))
            outlen[0] = len(cookie)
            return 1
        except BaseException as exc:
            record(conn, exc)
            return 0

    return ffi.callback("int (*)(SSL *, unsigned char *, unsigned int *)", trampoline)


def cookie_verify(callback: Callable[[Any, bytes], Any]) -> Any:
    """Wrap ``callback(conn, cookie) -> bool`` checking a DTLS cookie."""

    def trampoline(ssl: Any, cookie: Any, length: int) -> int:
        conn = connections.get(ssl)
        if conn is None:
            return 0
        try:
            return 1 if call(conn, callback, conn, ffi.buffer(cookie, length)[:]) else 0
        except BaseException as exc:
            record(conn, exc)
            return 0

    return ffi.callback(
        "int (*)(SSL *, const unsigned char *, unsigned int)", trampoline
    )


class PassphraseSlot:
    """The passphrase callback of a Context, and the error it raised last.

    Passphrases are asked for while loading a key, where no connection
    exists yet, so the exception is kept here and re-raised by the loading
    method of the Context. The slots of one Context share that place
    (*previous*): a callback that replaces itself with ``set_passwd_cb`` and
    then raises must not take its exception away with the old slot.
    """

    def __init__(
        self,
        callback: Callable[[int, bool, Any], bytes],
        userdata: Any,
        previous: PassphraseSlot | None = None,
    ):
        self._box: list[BaseException | None] = (
            previous._box if previous is not None else [None]
        )
        running = [False]

        def trampoline(buf: Any, size: int, rwflag: int, arg: Any) -> int:
            try:
                # A key load made from inside the callback would ask it
                # again, and again: refused, as re-entry is for connections.
                if running[0]:
                    raise ValueError(
                        "the passphrase callback ran again from a key load "
                        "made inside it"
                    )
                running[0] = True
                try:
                    passphrase = callback(size, bool(rwflag), userdata)
                finally:
                    running[0] = False
                if not isinstance(passphrase, bytes):
                    raise ValueError("passphrase callback must return bytes")
                # pyOpenSSL truncates an over-long passphrase for a Context.
                passphrase = passphrase[:size]
                ffi.memmove(buf, passphrase, len(passphrase))
                return len(passphrase)
            except BaseException as exc:
                if self._box[0] is None:
                    self._box[0] = exc
                return 0

        self.c_callback = ffi.callback("int (*)(char *, int, int, void *)", trampoline)

    @property
    def exception(self) -> BaseException | None:
        """The exception waiting to be re-raised, if any."""
        return self._box[0]

    def raise_if_failed(self) -> None:
        """Re-raise (and forget) the exception the callback raised, if any."""
        exc, self._box[0] = self._box[0], None
        if exc is not None:
            lib.ERR_clear_error()
            raise exc
