"""TLS-PSK (TLS 1.2 and TLS 1.3) and the certificate callback.

External pre-shared keys reach OpenSSL through two pairs of callbacks:

* TLS 1.2 and older: ``SSL_CTX_set_psk_client_callback`` /
  ``SSL_CTX_set_psk_server_callback``, which copy an identity and a key into
  buffers OpenSSL provides (at most ``max_identity_len`` / ``max_psk_len``
  bytes: 256 and 512 in OpenSSL 3+).
* TLS 1.3: ``SSL_CTX_set_psk_use_session_callback`` (client) and
  ``SSL_CTX_set_psk_find_session_callback`` (server), which hand OpenSSL an
  ``SSL_SESSION`` carrying the key, the cipher suite it is bound to and the
  protocol version. The identity is not limited to 256 bytes there.

One Python callback per side serves both: :meth:`PskControls.set_psk_client_callback`
installs the client's two trampolines, :meth:`PskControls.set_psk_server_callback`
the server's. OpenSSL falls back from the TLS 1.3 callback to the TLS 1.2
one when the first offers no key; a connection remembers that the Python
callback already declined (``Connection._psk_declined``), so it is not asked
twice for the same decision.

A TLS 1.3 external PSK is bound to one hash, and so to the cipher suites
using it: the session built here uses the suite given as
``tls13_ciphersuite`` (``TLS_AES_128_GCM_SHA256`` by default, which is what
OpenSSL's own fallback, ``openssl s_client/s_server -psk`` and CPython use),
and the handshake must be able to negotiate a suite with the same hash
(SHA-256 for the default). Both peers must agree on it.

Every trampoline is a kind of ``_callbacks.callback_kind``: a result of the
wrong type or size raises ``TypeError``/``ValueError`` before anything
reaches C, the handshake fails, and the exception comes out of the call that
drove it.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional

from OpenSSL import _callbacks
from OpenSSL._ssl_controls import _configures, tls13_cipher
from OpenSSL._ssl_errors import Error
from OpenSSL._util import checked, ffi, lib

__all__ = ["PskControls"]

#: The TLS 1.3 suite external PSKs are bound to unless told otherwise.
DEFAULT_PSK_TLS13_CIPHERSUITE = "TLS_AES_128_GCM_SHA256"

# OpenSSL's PSK_MAX_PSK_LEN and PSK_MAX_IDENTITY_LEN (ssl.h; not in the
# binding): the largest key any PSK path takes, and the largest TLS 1.2
# identity (the TLS 1.2 trampolines get the exact limits from OpenSSL).
_PSK_MAX_PSK_LEN = 512
_PSK_MAX_IDENTITY_LEN = 256
# A TLS 1.3 PskIdentity.identity is an opaque<1..2^16-1> (RFC 8446 4.2.11).
_TLS13_MAX_IDENTITY_LEN = 0xFFFF


class _PskSetting(NamedTuple):
    """What a PSK trampoline needs: the user's callback and the TLS 1.3 suite."""

    callback: Callable[..., Any]
    tls13_ciphersuite: str


def _as_bytes(value: Any, what: str) -> bytes:
    if isinstance(value, (bytearray, memoryview)):
        value = bytes(value)
    if not isinstance(value, bytes):
        raise TypeError(f"{what} must be bytes, not {type(value).__name__}")
    return value


def _client_answer(result: Any) -> tuple[bytes, bytes]:
    """Check ``(identity, psk)`` from a PSK client callback."""
    if not isinstance(result, tuple) or len(result) != 2:
        raise TypeError(
            "PSK client callback must return a tuple (identity: bytes, psk: bytes)"
            f", not {type(result).__name__}"
        )
    identity = _as_bytes(result[0], "PSK identity")
    psk = _as_bytes(result[1], "PSK")
    if len(psk) > _PSK_MAX_PSK_LEN:
        raise ValueError(
            f"PSK client callback returned a key of {len(psk)} bytes; "
            f"OpenSSL takes at most {_PSK_MAX_PSK_LEN}"
        )
    return identity, psk


def _server_answer(result: Any) -> bytes:
    psk = _as_bytes(result, "PSK server callback result")
    if len(psk) > _PSK_MAX_PSK_LEN:
        raise ValueError(
            f"PSK server callback returned a key of {len(psk)} bytes; "
            f"OpenSSL takes at most {_PSK_MAX_PSK_LEN}"
        )
    return psk


def _tls13_session(ssl: Any, psk: bytes, ciphersuite: str) -> Any:
    """A new ``SSL_SESSION *`` for an external TLS 1.3 PSK (OpenSSL takes it)."""
    cipher = tls13_cipher(ssl, ciphersuite)
    if cipher == ffi.NULL:
        raise ValueError(f"the TLS 1.3 cipher suite {ciphersuite!r} is not available")
    session = lib.Cryptography_SSL_SESSION_new()
    if session == ffi.NULL:
        raise MemoryError("could not allocate an SSL_SESSION for the PSK")
    if (
        lib.SSL_SESSION_set1_master_key(session, psk, len(psk)) != 1
        or lib.SSL_SESSION_set_cipher(session, cipher) != 1
        or lib.SSL_SESSION_set_protocol_version(session, lib.TLS1_3_VERSION) != 1
    ):
        lib.SSL_SESSION_free(session)
        lib.ERR_clear_error()
        raise ValueError(f"OpenSSL refused a TLS 1.3 PSK of {len(psk)} bytes")
    return session


# -- the trampolines (one callback_kind each) ---------------------------------


@_callbacks.callback_kind(
    "unsigned int(*)(SSL *, char *, char *, unsigned int, unsigned char *, "
    "unsigned int)",
    failed=0,
)
def _psk_client(
    conn: Any,
    setting: _PskSetting,
    ssl: Any,
    hint: Any,
    identity_out: Any,
    max_identity_len: int,
    psk_out: Any,
    max_psk_len: int,
) -> int:
    """TLS 1.2 client: copy identity (NUL-terminated) and key to OpenSSL."""
    if conn._psk_declined:
        # The TLS 1.3 callback just asked and got no key: same answer.
        conn._psk_declined = False
        return 0
    hint_bytes = None if hint == ffi.NULL else ffi.string(hint)
    identity, psk = _client_answer(setting.callback(conn, hint_bytes))
    if not psk:
        return 0
    if len(identity) > max_identity_len or b"\0" in identity:
        raise ValueError(
            f"a TLS 1.2 PSK identity is at most {max_identity_len} bytes without "
            f"NUL; the PSK client callback returned {len(identity)} bytes"
        )
    if len(psk) > max_psk_len:
        raise ValueError(f"a PSK is at most {max_psk_len} bytes here")
    ffi.memmove(identity_out, identity + b"\0", len(identity) + 1)
    ffi.memmove(psk_out, psk, len(psk))
    return len(psk)


@_callbacks.callback_kind(
    "int(*)(SSL *, EVP_MD *, unsigned char * *, size_t *, SSL_SESSION * *)",
    failed=0,
)
def _psk_use_session(
    conn: Any,
    setting: _PskSetting,
    ssl: Any,
    md: Any,
    id_out: Any,
    idlen_out: Any,
    session_out: Any,
) -> int:
    """TLS 1.3 client: offer a session made from the callback's key (or none)."""
    session_out[0] = ffi.NULL
    conn._psk_declined = False
    identity, psk = _client_answer(setting.callback(conn, None))
    if not psk:
        conn._psk_declined = True
        return 1
    # An empty identity is not one (opaque identity<1..2^16-1>); OpenSSL
    # would fail the handshake with a bare internal_error.
    if not 0 < len(identity) <= _TLS13_MAX_IDENTITY_LEN:
        raise ValueError(
            f"a TLS 1.3 PSK identity is 1 to {_TLS13_MAX_IDENTITY_LEN} bytes; "
            f"the PSK client callback returned {len(identity)}"
        )
    # OpenSSL copies the identity, but only after we return: keep it alive.
    # (Made first: nothing may fail once the session exists, or it leaks.)
    conn._psk_identity = buf = ffi.new("unsigned char[]", identity)
    session = _tls13_session(ssl, psk, setting.tls13_ciphersuite)
    id_out[0] = buf
    idlen_out[0] = len(identity)
    session_out[0] = session
    return 1


@_callbacks.callback_kind(
    "unsigned int(*)(SSL *, char *, unsigned char *, unsigned int)", failed=0
)
def _psk_server(
    conn: Any,
    setting: _PskSetting,
    ssl: Any,
    identity: Any,
    psk_out: Any,
    max_psk_len: int,
) -> int:
    """TLS 1.2 server: copy the key for *identity* into OpenSSL's buffer."""
    if conn._psk_declined:
        conn._psk_declined = False
        return 0
    name = b"" if identity == ffi.NULL else ffi.string(identity)
    psk = _server_answer(setting.callback(conn, name))
    if len(psk) > max_psk_len:
        raise ValueError(f"a PSK is at most {max_psk_len} bytes here")
    ffi.memmove(psk_out, psk, len(psk))
    return len(psk)


@_callbacks.callback_kind(
    "int(*)(SSL *, unsigned char *, size_t, SSL_SESSION * *)", failed=0
)
def _psk_find_session(
    conn: Any,
    setting: _PskSetting,
    ssl: Any,
    identity: Any,
    identity_len: int,
    session_out: Any,
) -> int:
    """TLS 1.3 server: the session for *identity*, or none (refused)."""
    session_out[0] = ffi.NULL
    # OpenSSL asks its TLS 1.2-style fallback right after a refusal, but not
    # for identities past 256 bytes: a mark left from one must not linger.
    conn._psk_declined = False
    psk = _server_answer(setting.callback(conn, ffi.buffer(identity, identity_len)[:]))
    if not psk:
        conn._psk_declined = True
        return 1
    session_out[0] = _tls13_session(ssl, psk, setting.tls13_ciphersuite)
    return 1


@_callbacks.callback_kind("int(*)(SSL *, void *)", failed=0)
def _certificate(conn: Any, callback: Any, ssl: Any, arg: Any) -> int:
    """``callback(conn) -> bool``: choose this side's certificate (False fails)."""
    result = callback(conn)
    if not isinstance(result, bool):
        raise TypeError(
            f"certificate callback must return a bool, not {type(result).__name__}"
        )
    return 1 if result else 0


def _check_ciphersuite(name: Any) -> str:
    if isinstance(name, bytes):
        name = name.decode("ascii", "replace")
    if not isinstance(name, str):
        raise TypeError("tls13_ciphersuite must be str or bytes")
    ctx = ffi.gc(lib.SSL_CTX_new(lib.TLS_method()), lib.SSL_CTX_free)
    ssl = ffi.gc(lib.SSL_new(ctx), lib.SSL_free)
    tls13_cipher(ssl, name)  # ValueError for a name that is not a TLS 1.3 suite
    return str(name)


class PskControls:
    """Context methods for TLS-PSK and the certificate callback."""

    _context: Any
    _psk_client_cbs: Any = None
    _psk_server_cbs: Any = None
    _cert_cb: Any = None

    _hold: Callable[[Any], Any]  # Context's: marks it as having callbacks

    @_configures
    def set_psk_client_callback(
        self,
        callback: Callable[[Any, Optional[bytes]], tuple[bytes, bytes]],
        *,
        tls13_ciphersuite: str = DEFAULT_PSK_TLS13_CIPHERSUITE,
    ) -> None:
        """Authenticate with a pre-shared key from ``callback(conn, hint)`` (clients).

        ``callback(connection, identity_hint) -> (identity, psk)``, both
        bytes. *identity_hint* is what a TLS 1.2 server announced (``None``
        if it sent none, and always ``None`` in TLS 1.3, which has no hint).
        An empty *psk* offers no key: a TLS 1.2 PSK handshake then fails, a
        TLS 1.3 one goes on without PSK (certificate authentication).
        TLS 1.2 identities are at most 256 bytes, TLS 1.3 ones 1 to 65535;
        keys at most 512 bytes. Anything else raises ``TypeError``/``ValueError``
        from the call that drove the handshake.

        In TLS 1.3 the key is bound to *tls13_ciphersuite*, and a suite with
        the same hash must be negotiated: with the default
        (``TLS_AES_128_GCM_SHA256``) OpenSSL's default suites do; for
        ``TLS_AES_256_GCM_SHA384`` limit both sides with
        :meth:`set_tls13_ciphersuites`. The server must bind the same suite. TLS 1.2
        PSK needs a PSK cipher suite in :meth:`set_cipher_list`
        (``b"PSK-AES128-GCM-SHA256"``, ``b"PSK"``...). With both versions
        enabled the callback may be asked twice in one handshake: once for
        TLS 1.3 (hint ``None``) and again, with the server's hint, if TLS 1.2
        is negotiated.

        A client Context with a session id context (:meth:`set_session_id`,
        a server setting) cannot use TLS 1.3 PSK: OpenSSL refuses the
        accepted key with "attempt to reuse session in different context".
        """
        if not callable(callback):
            raise TypeError("callback must be callable")
        setting = _PskSetting(callback, _check_ciphersuite(tls13_ciphersuite))
        legacy = self._hold(_psk_client(setting))
        use_session = self._hold(_psk_use_session(setting))
        self._psk_client_cbs = (legacy, use_session)
        lib.SSL_CTX_set_psk_client_callback(self._context, legacy)
        lib.SSL_CTX_set_psk_use_session_callback(self._context, use_session)

    @_configures
    def set_psk_server_callback(
        self,
        callback: Callable[[Any, bytes], bytes],
        *,
        tls13_ciphersuite: str = DEFAULT_PSK_TLS13_CIPHERSUITE,
    ) -> None:
        """Accept clients that know the pre-shared key for their identity (servers).

        ``callback(connection, identity) -> psk``: the key (bytes, at most
        512) for that identity, or ``b""`` to refuse it (TLS 1.2: the
        handshake fails with unknown_psk_identity; TLS 1.3: the server goes
        on without PSK, so with a certificate if it has one). The TLS 1.3
        session is bound to *tls13_ciphersuite*, as on the client. TLS 1.2
        needs a PSK cipher suite in :meth:`set_cipher_list`; see
        :meth:`use_psk_identity_hint` for the hint TLS 1.2 clients receive.
        """
        if not callable(callback):
            raise TypeError("callback must be callable")
        setting = _PskSetting(callback, _check_ciphersuite(tls13_ciphersuite))
        legacy = self._hold(_psk_server(setting))
        find_session = self._hold(_psk_find_session(setting))
        self._psk_server_cbs = (legacy, find_session)
        lib.SSL_CTX_set_psk_server_callback(self._context, legacy)
        lib.SSL_CTX_set_psk_find_session_callback(self._context, find_session)

    @_configures
    def use_psk_identity_hint(self, hint: bytes) -> None:
        """Send *hint* to TLS 1.2 PSK clients (their callback's ``identity_hint``).

        TLS 1.3 has no hint. At most 256 bytes, no NUL.
        """
        if not isinstance(hint, bytes):
            raise TypeError(f"hint must be bytes, not {type(hint).__name__}")
        if b"\0" in hint or len(hint) > _PSK_MAX_IDENTITY_LEN:
            raise ValueError(
                f"a PSK identity hint is at most {_PSK_MAX_IDENTITY_LEN} bytes "
                "without NUL"
            )
        checked(Error, lib.SSL_CTX_use_psk_identity_hint, self._context, hint)

    @_configures
    def set_cert_callback(self, callback: Callable[[Any], bool]) -> None:
        """Call ``callback(conn) -> bool`` when this side must present its certificate.

        On a server it runs once the ClientHello has been read (its server
        name is :meth:`Connection.get_servername`; the groups and signature
        algorithms it offered decide which certificates OpenSSL can then
        use, though the binding offers no way to read them), before the
        server's certificate is chosen; on a client
        when the server asks for a certificate. The callback may call
        :meth:`Connection.use_certificate` and
        :meth:`Connection.use_privatekey` to pick one. ``True`` goes on;
        ``False`` fails the handshake (internal_error alert), an exception
        too, and comes out of the call that drove the handshake.

        Unlike the servername callback, which exists to switch the whole
        :class:`Context` by name and runs earlier, this one runs for every
        handshake (with or without SNI), on clients too, and only chooses
        certificate and key. OpenSSL's "retry later" answer (-1) is not
        offered.
        """
        if not callable(callback):
            raise TypeError("callback must be callable")
        self._cert_cb = self._hold(_certificate(callback))
        lib.SSL_CTX_set_cert_cb(self._context, self._cert_cb, ffi.NULL)
