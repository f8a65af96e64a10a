"""Controls pyOpenSSL never offered: groups, signature algorithms, PHA, ...

Two mixins that :class:`~OpenSSL.SSL.Context` and
:class:`~OpenSSL.SSL.Connection` inherit, and a few module-level helpers
exported by ``OpenSSL.SSL``:

* key-exchange groups (:meth:`ContextControls.set_groups`), signature
  algorithms (:meth:`ContextControls.set_sigalgs`), TLS 1.3 cipher suite
  names checked at once (:func:`check_tls13_ciphersuites`);
* TLS 1.3 post-handshake client authentication
  (:meth:`ContextControls.set_post_handshake_auth`,
  :meth:`ConnectionControls.verify_client_post_handshake`);
* a servername callback that can fail the handshake with a chosen alert;
* read-outs that the standard-library layer (``ssl_compat``) and the command
  line need and that used to require private state: options, the bytes
  waiting in the outgoing memory BIO, cipher suite details, verification
  error strings, OpenSSL's error strings and default CA locations.

Everything here calls only what cryptography's binding exposes; where it
lacks OpenSSL's function for a job, the docstring says what is done instead.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Callable, NamedTuple, Optional, TypeVar, Union

from OpenSSL import _callbacks, _util
from OpenSSL._ssl_errors import Error
from OpenSSL._util import checked, ffi, lib, text

__all__ = [
    "HAS_POST_HANDSHAKE_AUTH",
    "VERIFY_POST_HANDSHAKE",
    "X509_V_ERR_HOSTNAME_MISMATCH",
    "X509_V_ERR_IP_ADDRESS_MISMATCH",
    "CipherDetails",
    "ConnectionControls",
    "ContextControls",
    "check_tls13_ciphersuites",
    "default_verify_paths",
    "error_strings",
    "oid_long_name",
    "random_add",
    "random_status",
    "verify_error_string",
]

_F = TypeVar("_F", bound=Callable[..., Any])

#: Server verify-mode bit: ask for the client certificate only when
#: :meth:`Connection.verify_client_post_handshake` is called (TLS 1.3).
VERIFY_POST_HANDSHAKE: int = lib.SSL_VERIFY_POST_HANDSHAKE
#: Whether the OpenSSL in use can do TLS 1.3 post-handshake authentication.
HAS_POST_HANDSHAKE_AUTH: bool = bool(
    lib.Cryptography_HAS_SSL_VERIFY_CLIENT_POST_HANDSHAKE
)
#: Verification results of a hostname / IP address check (``X509_V_ERR_*``).
X509_V_ERR_HOSTNAME_MISMATCH: int = lib.X509_V_ERR_HOSTNAME_MISMATCH
X509_V_ERR_IP_ADDRESS_MISMATCH: int = lib.X509_V_ERR_IP_ADDRESS_MISMATCH

# Shift of the library code inside a packed OpenSSL 3+ error code
# (ERR_LIB_OFFSET; the binding has no ERR_PACK).
_ERR_LIB_SHIFT = 23
# Module-level references for bio_pending, which an event loop's memory-BIO
# pump calls after every operation: a cffi ``lib`` attribute lookup costs
# about as much as the call itself.
_BIO_get_mem_data: Callable[[Any, Any], int] = lib.BIO_get_mem_data
_NULL = ffi.NULL
# TLS alert number (RFC 8446 section 6): internal_error.
_ALERT_INTERNAL_ERROR = 80


def _configures(method: _F) -> _F:
    """``Context``'s own freeze rule (its ``_configures``) for mixin methods.

    Looked up at call time: ``_ssl_context`` imports this module while it is
    itself being imported.
    """

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        from OpenSSL import _ssl_context

        return _ssl_context._configures(method)(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _name_list(names: Any, what: str) -> bytes:
    """``["X25519", "P-256"]`` -> ``b"X25519:P-256"``; checked."""
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence):
        raise TypeError(f"{what} must be a list of names (str or bytes)")
    if not names:
        raise ValueError(f"{what} must name at least one entry")
    parts = []
    for name in names:
        if isinstance(name, str):
            name = name.encode("ascii", "replace")
        if not isinstance(name, bytes):
            raise TypeError(f"each entry of {what} must be str or bytes")
        if not name or b":" in name or b"\0" in name:
            raise ValueError(f"{what} entry {name!r} is not a single name")
        parts.append(name)
    return b":".join(parts)


def _explain(what: str, detail: str) -> Callable[[], None]:
    """An ``on_failure`` for :func:`checked`: say what was refused.

    OpenSSL queues nothing when it does not know a name; the error then
    says which list it refused instead of only naming the function.
    """

    def explain() -> None:
        if not lib.ERR_peek_error():
            raise Error([("SSL routines", what, detail)])

    return explain


# -- cipher suites -----------------------------------------------------------


class CipherDetails(NamedTuple):
    """What OpenSSL tells about one cipher suite."""

    name: str
    #: The two-byte IANA code point (``0x1301`` for ``TLS_AES_128_GCM_SHA256``).
    code: int
    #: The protocol version that introduced it: ``"TLSv1.2"``, ``"TLSv1.3"``...
    version: str
    #: Secret bits of the symmetric cipher.
    strength_bits: int
    #: Bits of the cipher algorithm (more than *strength_bits* for 3DES).
    alg_bits: int


_cipher_table: Optional[dict[str, CipherDetails]] = None


def cipher_table() -> dict[str, CipherDetails]:
    """Every cipher suite the OpenSSL in use knows, by OpenSSL name.

    The binding has neither ``SSL_get_ciphers`` nor ``SSL_CIPHER_get_id``:
    the only way from a name to an ``SSL_CIPHER`` is ``SSL_CIPHER_find`` by
    code point, so every two-byte code point is asked once per process (a
    few milliseconds, on a throw-away ``SSL``).
    """
    global _cipher_table
    if _cipher_table is not None:
        return _cipher_table
    table: dict[str, CipherDetails] = {}
    ctx = ffi.gc(lib.SSL_CTX_new(lib.TLS_method()), lib.SSL_CTX_free)
    ssl = ffi.gc(lib.SSL_new(ctx), lib.SSL_free)
    if ctx == ffi.NULL or ssl == ffi.NULL:
        raise MemoryError("could not allocate an SSL to list cipher suites")
    code_point = ffi.new("unsigned char[2]")
    alg_bits = ffi.new("int *")
    for code in range(0x10000):
        code_point[0] = code >> 8
        code_point[1] = code & 0xFF
        cipher = lib.SSL_CIPHER_find(ssl, code_point)
        if cipher == ffi.NULL:
            continue
        name = text(lib.SSL_CIPHER_get_name(cipher))
        version = text(lib.SSL_CIPHER_get_version(cipher))
        bits = lib.SSL_CIPHER_get_bits(cipher, alg_bits)
        table.setdefault(name, CipherDetails(name, code, version, bits, alg_bits[0]))
    lib.ERR_clear_error()
    _cipher_table = table
    return table


def tls13_cipher(ssl: Any, name: str) -> Any:
    """The ``const SSL_CIPHER *`` of the TLS 1.3 suite *name* (for PSK sessions)."""
    details = cipher_table().get(name)
    if details is None or details.version != "TLSv1.3":
        raise ValueError(f"{name!r} is not a TLS 1.3 cipher suite OpenSSL knows")
    code_point = ffi.new("unsigned char[2]", [details.code >> 8, details.code & 0xFF])
    return lib.SSL_CIPHER_find(ssl, code_point)


def check_tls13_ciphersuites(ciphersuites: bytes) -> None:
    """Raise :class:`Error` when *ciphersuites* names a suite OpenSSL lacks.

    ``SSL_CTX_set_ciphersuites`` skips unknown names silently when others
    in the list are valid; a typo would go unnoticed until a handshake
    picked something else.
    """
    table = cipher_table()
    for name in ciphersuites.split(b":"):
        if not name:
            continue
        suite = name.decode("ascii", "replace")
        details = table.get(suite)
        if details is None or details.version != "TLSv1.3":
            reason = f"unknown TLS 1.3 cipher suite {suite!r}"
            raise Error([("SSL routines", "SSL_CTX_set_ciphersuites", reason)])


# -- strings -------------------------------------------------------------------


def verify_error_string(code: int) -> str:
    """OpenSSL's description of an ``X509_V_*`` verification result.

    The text ``X509_verify_cert_error_string`` gives, e.g. ``"certificate has
    expired"`` for ``X509_V_ERR_CERT_HAS_EXPIRED`` (10), as reported by
    :meth:`Connection.get_verify_result` or a verify callback's *errnum*.
    ``ValueError`` for a number no C ``int`` holds.
    """
    if not isinstance(code, int):
        raise TypeError(f"code must be an integer, not {type(code).__name__}")
    # OpenSSL reads the code as a C int: a larger one would wrap onto a real
    # code (2**32 onto 0, "ok").
    if not -(2**31) <= code < 2**31:
        raise ValueError(f"{code} is not a verification result code")
    return _util.verify_error_string(code) or f"error {code}"


@functools.cache
def _load_ssl_strings() -> None:
    """Have libssl register its reason strings (once per process).

    OpenSSL does it when libssl is first initialised, which the binding can
    only cause with a first ``SSL_CTX_new`` (it has no ``OPENSSL_init_ssl``):
    until then ``ERR_reason_error_string`` knows no SSL reason.
    """
    lib.SSL_CTX_free(lib.SSL_CTX_new(lib.TLS_method()))


def error_strings(library: int, reason: int = 0) -> tuple[str, str]:
    """OpenSSL's descriptions of a library code and a reason code in it.

    ``error_strings(20, 134)`` is ``("SSL routines", "certificate verify
    failed")`` on OpenSSL 3+. Empty strings when OpenSSL has no text.
    """
    _load_ssl_strings()
    packed = (library << _ERR_LIB_SHIFT) | reason
    return (
        text(lib.ERR_lib_error_string(packed)),
        text(lib.ERR_reason_error_string(packed)) if reason else "",
    )


def default_verify_paths() -> tuple[str, str]:
    """The CA file and directory the OpenSSL in use was compiled to trust.

    These are the paths of cryptography's bundled OpenSSL and often do not
    exist on the machine; :meth:`Context.set_default_verify_paths` falls back
    to the distribution's bundle then.
    """
    return (
        text(lib.X509_get_default_cert_file()),
        text(lib.X509_get_default_cert_dir()),
    )


# -- the mixins ----------------------------------------------------------------


class ContextControls:
    """Context methods for groups, sigalgs, PHA, options and a SNI alert hook."""

    _context: Any
    _used: bool
    _verify_cb: Any
    _servername_cb: Any
    _has_callbacks: bool
    #: Whether :meth:`allow_changes_after_use` lifted the freeze.
    _changes_allowed = False

    def get_options(self) -> int:
        """The ``OP_*`` bits in force (what :meth:`set_options` added, and defaults)."""
        return int(lib.SSL_CTX_get_options(self._context))

    def allow_changes_after_use(self) -> None:
        """Let configuring methods work after this Context made a Connection.

        A Context is frozen from its first :class:`Connection` on, because
        OpenSSL copies some settings into each connection when it is made
        and a later change would apply to some connections and not others.
        Code that accepts that (the standard library's ``SSLContext`` allows
        changes at any time, with effect on later connections) opts out
        here. Connections of such a Context can always be found by callbacks
        installed later.
        """
        self._changes_allowed = True
        self._has_callbacks = True

    @_configures
    def set_verify_mode(self, mode: int) -> None:
        """Change the ``VERIFY_*`` mode, keeping the verify callback installed.

        :meth:`set_verify` without a callback removes the callback; this
        changes only the mode.
        """
        if not isinstance(mode, int):
            raise TypeError(f"mode must be an integer, not {type(mode).__name__}")
        callback = self._verify_cb
        lib.SSL_CTX_set_verify(
            self._context, mode, ffi.NULL if callback is None else callback
        )

    @_configures
    def set_groups(self, groups: Sequence[Union[str, bytes]]) -> None:
        """Offer / accept these key-exchange groups, most preferred first.

        Names are OpenSSL's: ``["X25519MLKEM768", "X25519", "P-256"]``,
        ``"secp384r1"``, ``"ffdhe2048"``... A name OpenSSL does not know raises
        :class:`Error` here, not at handshake time. The group a handshake
        chose is :meth:`Connection.get_group_name`.
        """
        wire = _name_list(groups, "groups")
        checked(
            Error,
            lib.SSL_CTX_set1_curves_list,
            self._context,
            wire,
            on_failure=_explain(
                "SSL_CTX_set1_groups_list", f"unknown or unusable group in {wire!r}"
            ),
        )

    @_configures
    def set_sigalgs(self, sigalgs: Sequence[Union[str, bytes]]) -> None:
        """Allow only these signature algorithms, most preferred first.

        Names are OpenSSL's (``"ed25519"``, ``"rsa_pss_rsae_sha256"``,
        ``"ECDSA+SHA256"``). They are what a client offers for the server's
        signature and what a server accepts and requests for client
        certificates, and they limit this side's own signatures. An unknown
        name raises :class:`Error` at once. (OpenSSL's separate list for
        client certificates, ``SSL_CTX_set1_client_sigalgs_list``, is not in
        cryptography's binding.)
        """
        wire = _name_list(sigalgs, "sigalgs")
        checked(
            Error,
            lib.SSL_CTX_set1_sigalgs_list,
            self._context,
            wire,
            on_failure=_explain(
                "SSL_CTX_set1_sigalgs_list", f"unknown signature algorithm in {wire!r}"
            ),
        )

    @_configures
    def set_post_handshake_auth(self, enabled: bool) -> None:
        """Let TLS 1.3 servers ask this client for a certificate after the handshake.

        A client that enables it announces ``post_handshake_auth`` in its
        ClientHello and answers a later CertificateRequest with the
        certificate and key of its Context (or none). The server side uses
        :data:`VERIFY_POST_HANDSHAKE` in :meth:`set_verify` and calls
        :meth:`Connection.verify_client_post_handshake`.
        """
        if not isinstance(enabled, bool):
            raise TypeError("enabled must be a bool")
        lib.SSL_CTX_set_post_handshake_auth(self._context, int(enabled))

    @_configures
    def set_tlsext_servername_alert_callback(
        self, callback: Callable[[Any], Optional[int]]
    ) -> None:
        """Call ``callback(conn) -> None | alert`` when a ClientHello arrives (servers).

        Like :meth:`set_tlsext_servername_callback` (the callback may read
        :meth:`Connection.get_servername` and switch Context with
        :meth:`Connection.set_context`), with two differences: returning a
        TLS alert number (``112``, unrecognized_name; ``40``,
        handshake_failure...) fails the handshake with that alert (a number
        TLS defines no alert for fails it without telling the peer, as
        OpenSSL sends nothing then), and an
        exception the callback raises comes out of the call that drove the
        handshake (``do_handshake``, ``recv``...), unchanged, after the
        handshake failed with an internal_error alert. Both share OpenSSL's
        one servername slot: the last one set is the one called.
        """
        if not callable(callback):
            raise TypeError("callback must be callable")
        self._has_callbacks = True
        self._servername_cb = _servername_alert(callback)
        lib.SSL_CTX_set_tlsext_servername_callback(self._context, self._servername_cb)

    @_configures
    def clear_tlsext_servername_callback(self) -> None:
        """Remove the servername callback, whichever kind was set."""
        lib.SSL_CTX_set_tlsext_servername_callback(self._context, ffi.NULL)
        # The C callback stays referenced: a connection made earlier may be
        # in the middle of a handshake that still calls it.


def _alert_failed(conn: Any, exc: BaseException, c_args: tuple[Any, ...]) -> None:
    # Kept for the driving call; the handshake fails with internal_error.
    _callbacks.record(conn, exc)
    c_args[1][0] = _ALERT_INTERNAL_ERROR


@_callbacks.callback_kind(
    "int (*)(SSL *, int *, void *)",
    failed=lib.SSL_TLSEXT_ERR_ALERT_FATAL,
    on_error=_alert_failed,
)
def _servername_alert(
    conn: Any, callback: Callable[[Any], Any], ssl: Any, alert: Any, arg: Any
) -> int:
    """``callback(conn) -> None | alert`` for the servername slot."""
    result = callback(conn)
    if result is None:
        return lib.SSL_TLSEXT_ERR_OK
    if isinstance(result, bool) or not isinstance(result, int):
        raise TypeError(
            "servername alert callback must return None or an alert number, "
            f"not {type(result).__name__}"
        )
    if not 0 <= result <= 255:
        raise ValueError(f"servername alert callback returned {result}, not an alert")
    alert[0] = result
    return lib.SSL_TLSEXT_ERR_ALERT_FATAL


class ConnectionControls:
    """Connection methods for PHA, the outgoing BIO, verify flags and ciphers."""

    _ssl: Any
    _from_ssl: Any
    # TLS-PSK state (see _ssl_psk): the TLS 1.3 callback declined just now,
    # and the identity buffer OpenSSL reads after the callback returned.
    _psk_declined = False
    _psk_identity: Any = None

    def bio_pending(self) -> int:
        """How many TLS bytes wait to be taken with :meth:`bio_read` (memory mode).

        Asking first saves a :meth:`bio_read` that would raise
        :class:`WantReadError` when there is nothing to send.
        """
        from_ssl = self._from_ssl
        if from_ssl is None:
            raise TypeError("bio_pending needs a memory-BIO Connection (socket=None)")
        return _BIO_get_mem_data(from_ssl, _NULL)

    def set_post_handshake_auth(self, enabled: bool) -> None:
        """Per-connection :meth:`Context.set_post_handshake_auth` (clients).

        Takes effect for a handshake not yet started.
        """
        if not isinstance(enabled, bool):
            raise TypeError("enabled must be a bool")
        lib.SSL_set_post_handshake_auth(self._ssl, int(enabled))

    def verify_client_post_handshake(self) -> None:
        """Ask the client for its certificate now (TLS 1.3 servers).

        The CertificateRequest goes out with the next :meth:`send` or
        :meth:`recv` (in memory mode: the next :meth:`bio_read` after one of
        those); the client's Certificate arrives in a later :meth:`recv`,
        which runs the verify callback on it, as during a handshake. The
        Context needs :data:`VERIFY_PEER` (and :data:`VERIFY_POST_HANDSHAKE`
        to ask only now). :class:`Error` when it cannot be asked: not TLS
        1.3, a client, or a client that did not offer post-handshake auth.
        """
        checked(Error, lib.SSL_verify_client_post_handshake, self._ssl)

    def add_verify_flags(self, flags: int) -> None:
        """Add ``X509StoreFlags`` bits to this connection's certificate checks.

        The connection's verify parameters start as a copy of its Context's;
        flags added here apply to this connection only. (The binding has no
        ``X509_VERIFY_PARAM_clear_flags``, so flags can only be added.)
        """
        if not isinstance(flags, int):
            raise TypeError(f"flags must be an integer, not {type(flags).__name__}")
        if not 0 <= flags < 2**64:
            raise ValueError("flags must fit an unsigned 64-bit integer")
        if flags:
            lib.X509_VERIFY_PARAM_set_flags(lib.SSL_get0_param(self._ssl), flags)

    def get_cipher_details(self) -> list[CipherDetails]:
        """The cipher suites this connection may use, most preferred first."""
        table = cipher_table()
        names: list[str] = self.get_cipher_list()  # type: ignore[attr-defined]
        return [table[name] for name in names if name in table]


# -- OpenSSL's random generator and object names ------------------------------


def random_status() -> bool:
    """Whether OpenSSL's random generator is seeded (OpenSSL 1.1.1+ seeds itself)."""
    return bool(lib.RAND_status())


def random_add(data: bytes, entropy: float) -> None:
    """Mix *data* into OpenSSL's random generator, crediting *entropy* bytes."""
    if not isinstance(data, bytes):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    lib.RAND_add(data, len(data), float(entropy))


def oid_long_name(dotted: str) -> Optional[str]:
    """OpenSSL's long name of an object identifier (``"2.5.4.3"`` -> ``"commonName"``).

    ``None`` when OpenSSL has no name for it.
    """
    if not isinstance(dotted, str):
        raise TypeError(f"dotted must be a str, not {type(dotted).__name__}")
    try:
        encoded = dotted.encode("ascii")
    except UnicodeEncodeError:
        return None
    nid = lib.OBJ_txt2nid(encoded)
    if nid == lib.NID_undef:
        lib.ERR_clear_error()
        return None
    name = lib.OBJ_nid2ln(nid)
    return None if name == ffi.NULL else text(name)
