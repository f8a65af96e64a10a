"""Callback plumbing: the C functions OpenSSL calls, and how their errors travel.

Every Python callback a user registers (verify, info, keylog, SNI, ALPN,
OCSP, DTLS cookies, passphrases) reaches OpenSSL as a cffi callback made by
one factory, :func:`callback_kind`. The frame it writes is the same for
every kind:

1. find the *owner* of the call from the C arguments -- for connection
   callbacks the :class:`~OpenSSL.SSL.Connection` that owns the ``SSL *``,
   looked up in :data:`connections` (the one ``SSL *`` -> ``Connection``
   registry); for passphrases the :class:`Passphrase` the load is using;
2. refuse to nest deeper than :data:`MAX_NESTING` (a callback that keeps
   driving its own connection), and count the owner as "inside a callback"
   while the kind runs, so the methods that drive OpenSSL can refuse
   re-entry (OpenSSL's handshake is not re-entrant);
3. run the kind's *conversion*: C arguments to Python, call the user's
   function, its result back to what OpenSSL expects;
4. on an exception, keep it on the owner (:func:`record`: the first one
   wins when several callbacks fail during one call) and return the value
   that makes OpenSSL abort (a fatal alert where the protocol has one).

The Python call that drove OpenSSL (``do_handshake``, ``recv``,
``bio_write``, ``use_privatekey_file``, ``load_privatekey``...) then
re-raises the stored exception unchanged, with its traceback. The servername
callback is the documented exception: its errors go to ``sys.excepthook``
(its kind passes ``on_error=report_to_excepthook``) and the handshake fails
with a fatal alert.

Adding a callback kind
----------------------

A kind is only its conversion. Decorate a function
``convert(owner, callback, *c_args)`` with :func:`callback_kind`, giving the
cffi signature and the value that tells OpenSSL "failed"; the decorated name
becomes a maker: ``maker(callback, *extra)`` returns the cffi callback to
hand to ``SSL_CTX_set_..._cb`` and to keep alive (``Context._hold`` on a
Context; a Connection attribute plus ``Connection._retire`` on a
Connection). *extra* values are appended to every call of *callback* (the
``data`` argument of the OCSP callbacks). For example, the certificate
callback (``SSL_CTX_set_cert_cb``: ``1`` goes on, ``0`` fails the handshake
with an alert)::

    @callback_kind("int (*)(SSL *, void *)", failed=0)
    def cert(conn, callback, ssl, arg):
        # conn: the owner found; callback: the user's function
        callback(conn)  # it may pick a certificate with conn.use_...
        return 1

    # in Context.set_cert_callback(callback), after check_callable(callback):
    #     self._cert_cb = self._hold(_callbacks.cert(callback))
    #     lib.SSL_CTX_set_cert_cb(self._context, self._cert_cb, ffi.NULL)

A conversion that returns a result the user computed checks its type
(``TypeError``/``ValueError``, which the frame records) before any of it
reaches C; see :func:`alpn_select` or :func:`cookie_generate`.

What the options cover:

* ``failed`` -- returned when the conversion raises, and by cffi itself if
  anything escapes the frame; ``None`` for ``void`` callbacks.
* ``find(*c_args) -> owner or None`` -- defaults to :func:`ssl_connection`
  (the first C argument is the ``SSL *``). ``verify`` passes
  :func:`store_ctx_connection`; passphrase callbacks find their
  :class:`Passphrase` through the ``void *`` user-data handle. A maker may
  instead be given ``owner=`` when the owner is known at creation.
* ``unowned`` -- returned when no owner is found (an ``SSL *`` created
  without callbacks, or a ``Connection`` being collected); defaults to
  ``failed``.
* ``on_error(owner, exc, c_args)`` -- defaults to :func:`record`.
* ``gate(frame) -> function of the C arguments`` -- for a callback OpenSSL
  makes on the data path (the message callback runs per TLS record): the
  function it returns is what cffi calls, and it runs *frame* only for the
  calls that matter (``handshake_message``).

The conversion must convert with care: wrong types from the user's function
raise ``TypeError``/``ValueError`` (which the frame records), never reach C.
Anything OpenSSL reads after the callback returned (a selected protocol)
must be kept alive on the owner. A Connection is registered in
:data:`connections` by ``Connection._register`` (done when its Context holds
callbacks, and by ``set_verify``/``set_info_callback``).

Lifetime: the cffi callback objects must outlive every ``SSL *`` that may
call them; the objects that register them (``Context``/``Connection``) keep
them in attributes, and a ``Connection`` keeps every ``Context`` it was ever
attached to alive. One replaced from inside a running callback is retired
(kept) instead of freed: OpenSSL is still executing it.
"""

from __future__ import annotations

import sys
import weakref
from typing import Any, Callable

from OpenSSL._alpn import parse_wire
from OpenSSL._ssl_constants import NO_OVERLAPPING_PROTOCOLS
from OpenSSL._util import exact_bytes, ffi, lib

__all__ = [
    "MAX_NESTING",
    "Passphrase",
    "alpn_select",
    "callback_kind",
    "connections",
    "context_passphrase",
    "cookie_generate",
    "cookie_verify",
    "handshake_message",
    "info",
    "keylog",
    "message",
    "ocsp_client",
    "ocsp_server",
    "pem_passphrase",
    "record",
    "report_to_excepthook",
    "servername",
    "ssl_connection",
    "store_ctx_connection",
    "verify",
]

#: How deep a connection's callbacks may run inside one another.
MAX_NESTING = 4

# SSL * -> Connection. cffi pointers hash and compare by address, so the
# pointer OpenSSL passes to a callback finds the Connection that owns it.
connections: weakref.WeakValueDictionary[Any, Any] = weakref.WeakValueDictionary()

_OK = lib.SSL_TLSEXT_ERR_OK
_NOACK = lib.SSL_TLSEXT_ERR_NOACK
_ALERT_FATAL = lib.SSL_TLSEXT_ERR_ALERT_FATAL


# -- the factory --------------------------------------------------------------


def record(owner: Any, exc: BaseException, c_args: tuple[Any, ...] = ()) -> None:
    """Keep *exc* on *owner* for the driving call to re-raise (first one wins)."""
    if owner._callback_exception is None:
        owner._callback_exception = exc


def ssl_connection(ssl: Any, *c_args: Any) -> Any:
    """The Connection whose ``SSL *`` is the first C argument (or ``None``)."""
    return connections.get(ssl)


def store_ctx_connection(ok: int, store_ctx: Any) -> Any:
    """The Connection verifying with ``X509_STORE_CTX *`` *store_ctx*."""
    ssl = lib.X509_STORE_CTX_get_ex_data(
        store_ctx, lib.SSL_get_ex_data_X509_STORE_CTX_idx()
    )
    return connections.get(ffi.cast("SSL *", ssl))


_SAME_AS_FAILED: Any = object()


def _appending(callback: Any, extra: tuple[Any, ...]) -> Callable[..., Any]:
    def with_extra(*args: Any) -> Any:
        return callback(*args, *extra)

    return with_extra


def callback_kind(
    signature: str,
    *,
    failed: Any,
    find: Callable[..., Any] = ssl_connection,
    unowned: Any = _SAME_AS_FAILED,
    on_error: Callable[[Any, BaseException, tuple[Any, ...]], None] = record,
    gate: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Turn a conversion ``convert(owner, callback, *c_args)`` into a maker.

    See the module docstring for the contract and an example. The maker,
    ``maker(callback, *extra, owner=None)``, returns the cffi callback.
    *gate*, for callbacks OpenSSL makes on the data path, wraps the frame in
    a function of the C arguments that drops the calls nobody needs before
    any other work (see ``handshake_message``).
    """
    if unowned is _SAME_AS_FAILED:
        unowned = failed
    options = {} if failed is None else {"error": failed}

    def decorate(convert: Callable[..., Any]) -> Callable[..., Any]:
        def make(callback: Any, *extra: Any, owner: Any = None) -> Any:
            user = callback if not extra else _appending(callback, extra)
            fixed_owner = owner

            def trampoline(*c_args: Any) -> Any:
                owner = fixed_owner if fixed_owner is not None else find(*c_args)
                if owner is None:
                    return unowned
                try:
                    # OpenSSL's handshake is not re-entrant: a callback that
                    # drives the same connection again (do_handshake from the
                    # SNI callback) would corrupt the SSL, so the methods that
                    # drive it refuse while _in_callback is set. Callbacks may
                    # nest (a shutdown from the info callback writes an alert
                    # the info callback hears), but the data path is left
                    # unchecked to keep it free of work, and recv from the
                    # info callback runs the info callback again: past
                    # MAX_NESTING levels that is refused instead of recursing
                    # until RecursionError (or the C stack runs out).
                    if owner._in_callback >= MAX_NESTING:
                        raise ValueError(
                            f"callbacks of this Connection nested {MAX_NESTING} "
                            "deep: a callback keeps driving its own Connection "
                            "(recv/send from the info callback?)"
                        )
                    owner._in_callback += 1
                    try:
                        return convert(owner, user, *c_args)
                    finally:
                        owner._in_callback -= 1
                except BaseException as exc:
                    on_error(owner, exc, c_args)
                    return failed

            entry = trampoline if gate is None else gate(trampoline)
            return ffi.callback(signature, entry, **options)

        make.__name__ = convert.__name__
        make.__qualname__ = convert.__qualname__
        make.__doc__ = convert.__doc__
        return make

    return decorate


# -- connection callbacks -----------------------------------------------------


@callback_kind("int (*)(int, X509_STORE_CTX *)", failed=0, find=store_ctx_connection)
def verify(conn: Any, callback: Any, ok: int, store_ctx: Any) -> int:
    """``callback(conn, cert, errnum, depth, ok) -> bool`` for SSL_*_set_verify."""
    x509 = lib.X509_STORE_CTX_get_current_cert(store_ctx)
    # Some failures (an unmet explicit policy) concern no one certificate:
    # the callback then gets None.
    cert = None
    if x509 != ffi.NULL:
        lib.X509_up_ref(x509)
        # Wrapped by the Connection, which knows OpenSSL.crypto's X509: this
        # module imports nothing above the binding (crypto imports it, for
        # the PEM passphrase callback).
        cert = conn._x509_from_pointer(x509)
    errnum = lib.X509_STORE_CTX_get_error(store_ctx)
    depth = lib.X509_STORE_CTX_get_error_depth(store_ctx)
    if callback(conn, cert, errnum, depth, ok):
        lib.X509_STORE_CTX_set_error(store_ctx, lib.X509_V_OK)
        # The application overrode the verdict: what OpenSSL queued while
        # judging this certificate (a bad signature, ...) no longer applies,
        # and left queued it would fail a later, unrelated call in this
        # thread.
        lib.ERR_clear_error()
        return 1
    return 0


@callback_kind("void (*)(const SSL *, int, int)", failed=None)
def info(conn: Any, callback: Any, ssl: Any, where: int, ret: int) -> None:
    """``callback(conn, where, ret)`` for SSL_*_set_info_callback."""
    callback(conn, where, ret)


@callback_kind("void (*)(const SSL *, const char *)", failed=None)
def keylog(conn: Any, callback: Any, ssl: Any, line: Any) -> None:
    """``callback(conn, line)`` for SSL_CTX_set_keylog_callback."""
    callback(conn, ffi.string(line))


def _message_connection(
    write_p: int,
    version: int,
    content_type: int,
    buf: Any,
    length: int,
    ssl: Any,
    arg: Any,
) -> Any:
    return connections.get(ssl)


_MESSAGE_SIGNATURE = "void (*)(int, int, int, void *, size_t, SSL *, void *)"
_HANDSHAKE = 22


def _message(
    conn: Any,
    callback: Any,
    write_p: int,
    version: int,
    content_type: int,
    buf: Any,
    length: int,
    ssl: Any,
    arg: Any,
) -> None:
    """``callback(conn, sent, version, content_type, data)``: the message callback.

    Called for every protocol message and record header a connection reads
    or writes. It returns nothing, so an exception cannot stop OpenSSL at
    once: it is kept and comes out of the driving call when that returns.
    ``_ssl_messages`` gives it its dispatcher (the user's message callback,
    the new-session callback, the early-data bookkeeping).
    """
    callback(conn, bool(write_p), version, content_type, ffi.buffer(buf, length)[:])


def _handshake_only(frame: Callable[..., Any]) -> Callable[..., Any]:
    # Every record (application data too) reaches the message callback: all
    # but handshake messages stop here, one compare, no other work.
    def gate(
        write_p: int,
        version: int,
        content_type: int,
        buf: Any,
        length: int,
        ssl: Any,
        arg: Any,
    ) -> None:
        if content_type == _HANDSHAKE:
            frame(write_p, version, content_type, buf, length, ssl, arg)

    return gate


#: The message callback, for every record (see :func:`_message`).
message = callback_kind(_MESSAGE_SIGNATURE, failed=None, find=_message_connection)(
    _message
)

#: :data:`message` for handshake messages only (the others are dropped before
#: the frame): what a Context installs when nothing needs the other records,
#: the early-data and signature-scheme bookkeeping.
handshake_message = callback_kind(
    _MESSAGE_SIGNATURE, failed=None, find=_message_connection, gate=_handshake_only
)(_message)


def report_to_excepthook(
    owner: Any, exc: BaseException, c_args: tuple[Any, ...] = ()
) -> None:
    """Hand a callback's exception to ``sys.excepthook`` (the servername rule).

    A hook that raises (or is missing) must not escape the trampoline: cffi
    would print it and return 0, ``SSL_TLSEXT_ERR_OK``, and the handshake
    would go on (the CVE-2026-27448 class). As Python does when its hook
    fails, both exceptions go to the default hook instead.
    """
    kind, tb = type(exc), exc.__traceback__
    try:
        sys.excepthook(kind, exc, tb)
    except BaseException:
        hook_failure = sys.exc_info()
        try:
            print("Error in sys.excepthook:", file=sys.stderr)
            sys.__excepthook__(*hook_failure)
            print("\nOriginal exception was:", file=sys.stderr)
            sys.__excepthook__(kind, exc, tb)
        except BaseException:
            pass  # nowhere left to report; the handshake fails regardless


@callback_kind(
    "int (*)(SSL *, int *, void *)",
    failed=_ALERT_FATAL,
    on_error=report_to_excepthook,
)
def servername(conn: Any, callback: Any, ssl: Any, alert: Any, arg: Any) -> int:
    """``callback(conn)`` for the SNI callback (errors: ``sys.excepthook``)."""
    callback(conn)
    return _OK


@callback_kind(
    "int (*)(SSL *, unsigned char **, unsigned char *, "
    "const unsigned char *, unsigned int, void *)",
    failed=_ALERT_FATAL,
)
def alpn_select(
    conn: Any,
    callback: Any,
    ssl: Any,
    out: Any,
    outlen: Any,
    in_: Any,
    inlen: int,
    arg: Any,
) -> int:
    """``callback(conn, offered) -> bytes | NO_OVERLAPPING_PROTOCOLS``."""
    offered = parse_wire(ffi.buffer(in_, inlen)[:])
    chosen = exact_bytes(callback(conn, offered))
    if chosen is NO_OVERLAPPING_PROTOCOLS:
        return _NOACK
    if chosen == b"":
        # Twisted answers b"" when nothing overlaps and expects the
        # handshake to fail with SSL.Error, as under pyOpenSSL.
        return _ALERT_FATAL
    if not isinstance(chosen, bytes):
        raise TypeError(
            "ALPN select callback must return bytes or "
            f"NO_OVERLAPPING_PROTOCOLS, not {type(chosen).__name__}"
        )
    if len(chosen) > 255:
        raise ValueError(
            "ALPN select callback must return a protocol of at most 255 bytes"
        )
    # OpenSSL reads the answer after we return: keep it alive on the
    # connection until the next selection replaces it.
    conn._alpn_selected = buf = ffi.new("unsigned char[]", chosen)
    out[0] = buf
    outlen[0] = len(chosen)
    return _OK


@callback_kind("int (*)(SSL *, void *)", failed=_ALERT_FATAL)
def ocsp_server(conn: Any, callback: Any, ssl: Any, arg: Any) -> int:
    """``callback(conn, data) -> bytes`` (the OCSP response to staple)."""
    response = exact_bytes(callback(conn))
    if not isinstance(response, bytes):
        raise TypeError(
            f"OCSP server callback must return bytes, not {type(response).__name__}"
        )
    if not response:
        return _NOACK
    # OpenSSL takes ownership of the buffer and frees it itself.
    buf = lib.OPENSSL_malloc(len(response))
    if buf == ffi.NULL:
        raise MemoryError("could not allocate the OCSP response buffer")
    ffi.memmove(buf, response, len(response))
    lib.SSL_set_tlsext_status_ocsp_resp(ssl, buf, len(response))
    # OpenSSL 4 parses the response here; one that is not a DER
    # OCSPResponse is dropped (nothing is stapled) but its ASN.1 error stays
    # queued and would surface from a later, unrelated call in this thread.
    # OpenSSL itself carries on, so forget it.
    if lib.ERR_peek_error():
        lib.ERR_clear_error()
    return _OK


@callback_kind("int (*)(SSL *, void *)", failed=-1)
def ocsp_client(conn: Any, callback: Any, ssl: Any, arg: Any) -> int:
    """``callback(conn, ocsp_response, data) -> bool`` (False rejects)."""
    pointer = ffi.new("unsigned char **")
    length = lib.SSL_get_tlsext_status_ocsp_resp(ssl, pointer)
    response = b"" if length < 0 else ffi.buffer(pointer[0], length)[:]
    return 1 if callback(conn, response) else 0


_COOKIE_LIMIT = lib.DTLS1_COOKIE_LENGTH


@callback_kind("int (*)(SSL *, unsigned char *, unsigned int *)", failed=0)
def cookie_generate(conn: Any, callback: Any, ssl: Any, out: Any, outlen: Any) -> int:
    """``callback(conn) -> bytes``, a DTLS cookie."""
    cookie = exact_bytes(callback(conn))
    if not isinstance(cookie, bytes):
        raise TypeError(
            f"cookie generate callback must return bytes, not {type(cookie).__name__}"
        )
    if len(cookie) > _COOKIE_LIMIT:
        raise ValueError(
            f"cookie generate callback returned {len(cookie)} bytes; "
            f"a DTLS cookie holds at most {_COOKIE_LIMIT}"
        )
    ffi.memmove(out, cookie, len(cookie))
    outlen[0] = len(cookie)
    return 1


@callback_kind("int (*)(SSL *, const unsigned char *, unsigned int)", failed=0)
def cookie_verify(conn: Any, callback: Any, ssl: Any, cookie: Any, length: int) -> int:
    """``callback(conn, cookie) -> bool``, checking a DTLS cookie."""
    return 1 if callback(conn, ffi.buffer(cookie, length)[:]) else 0


# -- passphrases --------------------------------------------------------------


class Passphrase:
    """The owner of a passphrase callback: what it supplies, what it raised.

    Passphrases are asked for while loading or writing a key, where no
    connection exists, so this object stands in for one: the exception
    waits here until the loading call re-raises it with
    :meth:`raise_if_failed`. A Context keeps one for all its
    ``set_passwd_cb`` callbacks (a callback that replaces itself and then
    raises must not take its exception away with it); ``OpenSSL.crypto``
    makes one per load or dump, holding *source* (bytes, a callable or
    ``None``) and reached through the ``void *`` user-data handle.
    """

    def __init__(self, source: Any = None) -> None:
        self.source = source
        self._callback_exception: BaseException | None = None
        self._in_callback = 0

    @property
    def exception(self) -> BaseException | None:
        """The exception waiting to be re-raised, if any."""
        return self._callback_exception

    def raise_if_failed(self) -> None:
        """Re-raise (and forget) the exception the callback raised, if any."""
        exc, self._callback_exception = self._callback_exception, None
        if exc is not None:
            lib.ERR_clear_error()
            raise exc

    def handle(self) -> Any:
        """A ``void *`` for this object, alive as long as the caller keeps it."""
        return ffi.new_handle(self)


_PASSPHRASE_SIGNATURE = "int (*)(char *, int, int, void *)"


@callback_kind(_PASSPHRASE_SIGNATURE, failed=0)
def context_passphrase(
    owner: Passphrase, callback: Any, buf: Any, size: int, rwflag: int, arg: Any
) -> int:
    """``callback(max_length, prompt_twice, userdata) -> bytes`` (a Context's)."""
    # A key load made from inside the callback would ask it again, and
    # again: refused, as re-entry is for connections.
    if owner._in_callback > 1:
        raise ValueError(
            "the passphrase callback ran again from a key load made inside it"
        )
    passphrase = callback(size, bool(rwflag))
    if not isinstance(passphrase, bytes):
        raise ValueError("passphrase callback must return bytes")
    # pyOpenSSL truncates an over-long passphrase for a Context.
    passphrase = passphrase[:size]
    ffi.memmove(buf, passphrase, len(passphrase))
    return len(passphrase)


def _handle_owner(buf: Any, size: int, rwflag: int, userdata: Any) -> Any:
    return ffi.from_handle(userdata)


@callback_kind(_PASSPHRASE_SIGNATURE, failed=0, find=_handle_owner)
def _pem_passphrase(
    owner: Passphrase, callback: Any, buf: Any, size: int, rwflag: int, arg: Any
) -> int:
    source = owner.source
    if source is None or owner._callback_exception is not None:
        # No passphrase (an encrypted key then fails with Error instead of
        # OpenSSL prompting on the terminal), or the callable already failed
        # once: OpenSSL may ask again, but the first problem is the one to
        # report.
        return 0
    result = exact_bytes(source(rwflag) if callable(source) else source)
    if not isinstance(result, bytes):
        raise ValueError(
            f"Bytes expected: the passphrase callback returned {type(result).__name__}"
        )
    if len(result) > size:
        raise ValueError("passphrase returned by callback is too long")
    ffi.memmove(buf, result, len(result))
    return len(result)


_PEM_CALLBACK: list[Any] = []


def pem_passphrase() -> Any:
    """The one cffi callback for ``OpenSSL.crypto``'s PEM loads and dumps.

    Pass it with a :meth:`Passphrase.handle` as the user data. It is made on
    first use: some platforms make cffi callbacks expensive or forbidden,
    and importing the package must not depend on them.
    """
    if not _PEM_CALLBACK:
        _PEM_CALLBACK.append(_pem_passphrase(None))
    return _PEM_CALLBACK[0]
