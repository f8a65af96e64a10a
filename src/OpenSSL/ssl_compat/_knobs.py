"""The OpenSSL knobs ``ssl_compat`` needs and ``OpenSSL.SSL`` does not offer.

This is the only module of ``ssl_compat`` that calls ``lib`` on
``Context._context`` / ``Connection._ssl`` directly; everything else goes
through ``OpenSSL.SSL``'s public API. Each function here is a candidate for a
public method of ``OpenSSL.SSL`` later, and says which one.

Where cryptography's binding lacks the function OpenSSL has for a job, the
function does the nearest honest thing and its docstring says what that is.
"""

from __future__ import annotations

import contextlib
import functools
import weakref
from collections.abc import Iterator
from typing import Any, Callable, NamedTuple, Optional

from OpenSSL import SSL, _callbacks
from OpenSSL._util import checked, ffi, lib

__all__ = [
    "CipherInfo",
    "SessionDetails",
    "cipher_table",
    "context_options",
    "enable_post_handshake_auth",
    "install_servername_callback",
    "mutable",
    "output_pending_probe",
    "register_owner",
    "reinstall_servername_callback",
    "session_details",
    "session_reused",
    "set_connection_verify_flags",
    "set_curves",
    "set_verify_mode",
    "uninstall_servername_callback",
    "verify_client_post_handshake",
]


@contextlib.contextmanager
def mutable(context: SSL.Context) -> Iterator[None]:
    """Let one configuring call through on a Context already in use.

    ``OpenSSL.SSL.Context`` refuses changes once it made a ``Connection``
    (pyOpenSSL 26 policy); the stdlib's ``SSLContext`` allows them at any
    time, and urllib3, for one, calls ``set_alpn_protocols`` on every new
    connection. OpenSSL copies these settings into each ``SSL *`` at
    creation, so a change affects later connections only -- which is the
    stdlib's documented behaviour. Wanted in ``OpenSSL.SSL``: a public
    opt-out of the freeze (e.g. ``Context.allow_changes_after_use()``).
    """
    used = getattr(context, "_used", False)
    if used:
        context._used = False
    try:
        yield
    finally:
        if used:
            context._used = True


def context_options(context: SSL.Context) -> int:
    """``SSL_CTX_get_options`` (wanted: ``Context.get_options()``)."""
    return int(lib.SSL_CTX_get_options(context._context))


def set_verify_mode(context: SSL.Context, mode: int) -> None:
    """``SSL_CTX_set_verify`` keeping the verify callback already installed.

    ``Context.set_verify(mode)`` without a callback drops the callback a user
    installed through the escape hatch; the stdlib's ``verify_mode`` setter
    keeps it. Wanted: ``Context.set_verify_mode(mode)``.
    """
    callback = getattr(context, "_verify_cb", None)
    lib.SSL_CTX_set_verify(
        context._context, mode, ffi.NULL if callback is None else callback
    )


def enable_post_handshake_auth(connection: SSL.Connection, server_side: bool) -> None:
    """Arm TLS 1.3 post-handshake authentication on one connection.

    As CPython does: a client announces it will answer certificate requests
    after the handshake (``SSL_set_post_handshake_auth``); a server that
    verifies peers adds ``SSL_VERIFY_POST_HANDSHAKE`` to its verify mode.
    """
    ssl = connection._ssl
    if not server_side:
        lib.SSL_set_post_handshake_auth(ssl, 1)
        return
    mode = lib.SSL_get_verify_mode(ssl)
    if mode & lib.SSL_VERIFY_PEER:
        # A NULL callback keeps the one the SSL inherited from its SSL_CTX.
        lib.SSL_set_verify(ssl, mode | lib.SSL_VERIFY_POST_HANDSHAKE, ffi.NULL)


def verify_client_post_handshake(connection: SSL.Connection) -> None:
    """``SSL_verify_client_post_handshake``: queue a CertificateRequest.

    The request goes out with the next write or read; ``SSL.Error`` (from
    OpenSSL's error queue) when it cannot be made (not TLS 1.3, a client, or
    a client that did not offer post-handshake auth). Wanted:
    ``Connection.verify_client_post_handshake()``.
    """
    checked(SSL.Error, lib.SSL_verify_client_post_handshake, connection._ssl)


def session_reused(connection: SSL.Connection) -> bool:
    """``SSL_session_reused`` (wanted: ``Connection.session_reused()``)."""
    return bool(lib.SSL_session_reused(connection._ssl))


def set_connection_verify_flags(connection: SSL.Connection, flags: int) -> None:
    """Add X509 verification *flags* to one connection's verify parameters.

    The binding has ``X509_VERIFY_PARAM_set_flags`` but neither a getter nor
    ``clear_flags``, so the ``SSL_CTX`` cannot be told to *drop* a flag. The
    flags therefore live in Python on the ``SSLContext`` and are applied to
    each new connection's own parameters (which start from the context's,
    where ``ssl_compat`` never sets any). Wanted: ``Context.set_verify_flags``
    / ``get_verify_flags``.
    """
    if flags:
        param = lib.SSL_get0_param(connection._ssl)
        lib.X509_VERIFY_PARAM_set_flags(param, flags)


def set_curves(context: SSL.Context, names: bytes) -> bool:
    """``SSL_CTX_set1_curves_list`` by OpenSSL curve name; ``False`` if unknown.

    ``Context.set_tmp_ecdh`` takes a ``cryptography`` curve object, while the
    stdlib's ``set_ecdh_curve`` takes OpenSSL's name (``"prime256v1"``,
    ``"X25519"``). Wanted: ``Context.set_groups(names)``.
    """
    ok = lib.SSL_CTX_set1_curves_list(context._context, names) == 1
    if not ok:
        lib.ERR_clear_error()
    return bool(ok)


def output_pending_probe(connection: SSL.Connection) -> Callable[[], int]:
    """A no-argument callable: how many TLS bytes wait to be ``bio_read``.

    ``BIO_get_mem_data`` with a NULL pointer only reports the length of a
    memory-BIO connection's outgoing BIO; asking first saves a ``bio_read``
    that would raise ``WantReadError`` when there is nothing (the common
    case after a read). A ``partial`` of the C function keeps the check
    free of Python frames. Wanted: ``Connection.bio_pending()``.
    """
    probe: Callable[[], int] = functools.partial(
        lib.BIO_get_mem_data, connection._from_ssl, ffi.NULL
    )
    return probe


# -- connections back to the object that owns them (for C callbacks) ---------


def register_owner(connection: SSL.Connection, owner: Any) -> None:
    """Remember *owner* (an SSLSocket/SSLObject core) for ``connection``.

    Callbacks find the Connection from its ``SSL *`` through the one
    registry, ``_callbacks.connections``; the owner hangs off the Connection
    by a weak reference (the owner holds the Connection already).
    """
    connection._owner = weakref.ref(owner)
    connection._register()


def _owner_of(connection: SSL.Connection) -> Any:
    ref = connection._owner
    return None if ref is None else ref()


def _sni_failed(connection: Any, exc: BaseException, c_args: tuple[Any, ...]) -> None:
    # The handler catches what the user's sni_callback raises; what still
    # arrives here (refused nesting, ...) fails the handshake with an
    # internal error and is chained by the owner's translated SSLError.
    owner = _owner_of(connection)
    if owner is not None:
        owner.callback_exception = exc
    else:
        _callbacks.record(connection, exc)
    c_args[1][0] = 80  # internal_error


@_callbacks.callback_kind(
    "int (*)(SSL *, int *, void *)",
    failed=lib.SSL_TLSEXT_ERR_ALERT_FATAL,
    unowned=lib.SSL_TLSEXT_ERR_OK,
    on_error=_sni_failed,
)
def _servername(connection: Any, handler: Any, ssl: Any, alert: Any, _arg: Any) -> int:
    owner = _owner_of(connection)
    if owner is None:
        # A Connection ssl_compat did not make (``openssl_context`` handed
        # to SSL.Connection): no sni_callback to run for it.
        return lib.SSL_TLSEXT_ERR_OK  # type: ignore[no-any-return]
    result = handler(owner)
    if result is None:
        return lib.SSL_TLSEXT_ERR_OK  # type: ignore[no-any-return]
    alert[0] = int(result)
    return lib.SSL_TLSEXT_ERR_ALERT_FATAL  # type: ignore[no-any-return]


def install_servername_callback(
    context: SSL.Context, handler: Callable[[Any], Optional[int]]
) -> Any:
    """Install an SNI callback that can answer with any TLS alert.

    ``Context.set_tlsext_servername_callback`` cannot make the handshake fail
    with a chosen alert, nor return its error to the caller; the stdlib's
    ``sni_callback`` returns an ``ALERT_DESCRIPTION_*`` to fail the handshake
    with that alert. ``handler(owner)`` returns ``None`` to go on or an alert
    number; exceptions are the handler's business (it must not raise; one
    that escapes fails the handshake with an internal error). The returned
    cffi callback is kept alive by *context* itself. This shares the OpenSSL
    slot with ``Context.set_tlsext_servername_callback``: whichever is set
    last wins. Wanted: an alert-returning variant in ``OpenSSL.SSL``.
    """
    callback = _servername(handler)
    # The OpenSSL Context holds it too, in the slot its own servername
    # callback uses: the SSL_CTX may outlive the caller (``openssl_context``
    # handed to SSL.Connection), and a freed callback crashes the handshake.
    context._servername_cb = callback
    lib.SSL_CTX_set_tlsext_servername_callback(context._context, callback)
    return callback


def reinstall_servername_callback(context: SSL.Context, callback: Any) -> None:
    """Put *callback* (from :func:`install_servername_callback`) back in the slot.

    ``Context.set_tlsext_servername_callback`` may have taken the slot since:
    the last one set wins, so setting ``sni_callback`` again takes it back.
    """
    context._servername_cb = callback
    lib.SSL_CTX_set_tlsext_servername_callback(context._context, callback)


def uninstall_servername_callback(context: SSL.Context) -> None:
    """Remove the SNI callback from *context*."""
    lib.SSL_CTX_set_tlsext_servername_callback(context._context, ffi.NULL)


# -- cipher details ----------------------------------------------------------


class CipherInfo(NamedTuple):
    """What the binding can tell about one cipher suite."""

    name: str
    code: int  # the two-byte IANA code point
    version: str  # "TLSv1.2", "TLSv1.3", ...
    strength_bits: int
    alg_bits: int


_cipher_table: Optional[dict[str, CipherInfo]] = None


def cipher_table(connection: SSL.Connection) -> dict[str, CipherInfo]:
    """Every cipher suite the bundled OpenSSL knows, by OpenSSL name.

    The binding has no ``SSL_get_ciphers``/``SSL_CIPHER_get_id``: the only
    way from a name to an ``SSL_CIPHER`` is ``SSL_CIPHER_find`` by code point.
    So the table is built once per process by asking ``SSL_CIPHER_find`` about
    every two-byte code point (a few milliseconds). Wanted:
    ``Connection.get_ciphers()`` returning rich objects.
    """
    global _cipher_table
    if _cipher_table is not None:
        return _cipher_table
    table: dict[str, CipherInfo] = {}
    ssl = connection._ssl
    code_point = ffi.new("unsigned char[2]")
    alg_bits = ffi.new("int *")
    for code in range(0x10000):
        code_point[0] = code >> 8
        code_point[1] = code & 0xFF
        cipher = lib.SSL_CIPHER_find(ssl, code_point)
        if cipher == ffi.NULL:
            continue
        name = ffi.string(lib.SSL_CIPHER_get_name(cipher)).decode("ascii")
        version = ffi.string(lib.SSL_CIPHER_get_version(cipher)).decode("ascii")
        bits = lib.SSL_CIPHER_get_bits(cipher, alg_bits)
        table.setdefault(name, CipherInfo(name, code, version, bits, alg_bits[0]))
    lib.ERR_clear_error()
    _cipher_table = table
    return table


# -- sessions ----------------------------------------------------------------


class SessionDetails(NamedTuple):
    """Fields of an ``SSL_SESSION``, read from its DER encoding."""

    id: bytes
    time: int
    timeout: int
    ticket_lifetime_hint: int
    has_ticket: bool


def _der_items(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Yield ``(tag, contents)`` for each DER element in *data*."""
    offset = 0
    while offset < len(data):
        tag = data[offset]
        length = data[offset + 1]
        offset += 2
        if length & 0x80:
            size = length & 0x7F
            length = int.from_bytes(data[offset : offset + size], "big")
            offset += size
        yield tag, data[offset : offset + length]
        offset += length


def _der_int(contents: bytes) -> int:
    return int.from_bytes(contents, "big", signed=True) if contents else 0


def session_details(session: SSL.Session) -> SessionDetails:
    """id, time, timeout, ticket lifetime hint and ticket presence.

    The binding lacks ``SSL_SESSION_get_id``/``get_time``/``get_timeout``/
    ``get_ticket_lifetime_hint``/``has_ticket``; it has ``i2d_SSL_SESSION``,
    whose ASN.1 layout (OpenSSL's ``SSL_SESSION_ASN1``) carries all five:
    the session id is the fourth field, then ``[1]`` time, ``[2]`` timeout,
    ``[9]`` ticket lifetime hint and ``[10]`` ticket, each omitted when zero
    or empty. Wanted: a ``Session`` with these as properties.
    """
    pointer = session._session
    size = lib.i2d_SSL_SESSION(pointer, ffi.NULL)
    if size <= 0:
        return SessionDetails(b"", 0, 0, 0, False)
    buffer = ffi.new("unsigned char[]", size)
    cursor = ffi.new("unsigned char **", buffer)
    lib.i2d_SSL_SESSION(pointer, cursor)
    der = bytes(ffi.buffer(buffer, size))
    ((_tag, body),) = list(_der_items(der))
    fields = list(_der_items(body))
    session_id = fields[3][1] if len(fields) > 3 else b""
    tagged = {tag: contents for tag, contents in fields[5:]}

    def explicit_int(number: int) -> int:
        contents = tagged.get(0xA0 | number)
        if contents is None:
            return 0
        ((_inner_tag, value),) = list(_der_items(contents))
        return _der_int(value)

    ticket = tagged.get(0xA0 | 10)
    has_ticket = False
    if ticket is not None:
        ((_inner_tag, ticket_bytes),) = list(_der_items(ticket))
        has_ticket = len(ticket_bytes) > 0
    return SessionDetails(
        session_id,
        explicit_int(1),
        explicit_int(2),
        explicit_int(9),
        has_ticket,
    )
