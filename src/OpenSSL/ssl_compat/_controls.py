"""The stdlib's 3.13-3.15 controls, on every Python: PSK, groups, sigalgs, suites.

:class:`ContextControls` is mixed into ``SSLContext`` and
:class:`ConnectionControls` into ``SSLSocket``/``SSLObject``. Each method
has CPython's signature and semantics and makes its calls on the public
``OpenSSL.SSL`` API underneath:

* ``set_psk_client_callback`` / ``set_psk_server_callback`` (3.13) run on
  ``Context.set_psk_client_callback`` / ``set_psk_server_callback``: TLS 1.2
  (with a PSK cipher from ``set_ciphers``) and TLS 1.3, where the key is
  bound to ``TLS_AES_128_GCM_SHA256`` as in CPython (OpenSSL's fallback);
* ``set_ciphersuites``, ``set_groups``, ``get_groups``,
  ``set_client_sigalgs``/``set_server_sigalgs`` and ``group()`` (3.15).

What the binding does not allow, and what is done instead:

* ``get_groups()`` -- no ``SSL_CTX_get0_implemented_groups``: the groups
  are found by offering each name of the TLS group registry (and OpenSSL's
  aliases) to a scratch context once per process; names OpenSSL implements
  under other spellings only are not listed.
* ``set_client_sigalgs`` -- no ``SSL_CTX_set1_client_sigalgs_list``:
  OpenSSL's one list (``set1_sigalgs_list``) serves both directions, so
  either setter alone limits both, and when both setters are used the union
  of the two lists applies to both.
* ``get_sigalgs()`` -- no ``SSL_CTX_get0_implemented_sigalgs``: derived
  by probing the names of the signature-scheme registry as ``get_groups()``;
* ``client_sigalg()``/``server_sigalg()`` -- no ``SSL_get0_signature_name``:
  built on ``Connection.get_signature_scheme()`` /
  ``get_peer_signature_scheme()``, which read the handshake messages
  once ``openssl_context.set_signature_scheme_tracking(True)`` is called
  (off by default: it costs a Python call per TLS record).
"""

from __future__ import annotations

import ssl as _stdlib_ssl
import weakref
from typing import Any, Callable, Optional

from OpenSSL import SSL
from OpenSSL.SSL import SIGNATURE_SCHEMES
from OpenSSL.ssl_compat._core import owner_of

__all__ = ["ConnectionControls", "ContextControls", "get_sigalgs"]

# IANA TLS Supported Groups (by OpenSSL's names), most common first.
_GROUP_CANDIDATES = (
    "X25519MLKEM768",
    "SecP256r1MLKEM768",
    "SecP384r1MLKEM1024",
    "x25519",
    "secp256r1",
    "x448",
    "secp384r1",
    "secp521r1",
    "brainpoolP256r1tls13",
    "brainpoolP384r1tls13",
    "brainpoolP512r1tls13",
    "ffdhe2048",
    "ffdhe3072",
    "ffdhe4096",
    "ffdhe6144",
    "ffdhe8192",
    "MLKEM512",
    "MLKEM768",
    "MLKEM1024",
    "brainpoolP256r1",
    "brainpoolP384r1",
    "brainpoolP512r1",
    "secp256k1",
)
# Aliases OpenSSL accepts for the same groups (listed with include_aliases).
_GROUP_ALIASES = ("P-256", "P-384", "P-521", "prime256v1", "X25519", "X448")
# Groups only TLS 1.3 can negotiate (key encapsulation, the *tls13 curves).
_TLS13_ONLY = ("MLKEM", "tls13")
# The signature-scheme registry's names, and OpenSSL 3.0/3.1's spellings of
# the TLS 1.3 brainpool schemes.
_SIGALG_CANDIDATES = (
    *SIGNATURE_SCHEMES.values(),
    "ecdsa_brainpoolP256r1_sha256",
    "ecdsa_brainpoolP384r1_sha384",
    "ecdsa_brainpoolP512r1_sha512",
)

_probed: dict[str, list[str]] = {}

# OpenSSL's PSK_MAX_IDENTITY_LEN and PSK_MAX_PSK_LEN, the limits CPython's
# callbacks enforce (its TLS 1.3 PSK goes through the TLS 1.2 buffers; the
# identity is a C string there, so at most 255 bytes and no NUL).
_MAX_IDENTITY = 256
_MAX_PSK = 512


def _implemented(kind: str, names: tuple[str, ...]) -> list[str]:
    """The names a scratch Context accepts one by one (cached per process)."""
    known = _probed.get(kind)
    if known is None:
        known = []
        for name in names:
            ctx = SSL.Context(SSL.TLS_METHOD)
            setter = ctx.set_groups if kind != "sigalgs" else ctx.set_sigalgs
            try:
                setter([name])
            except SSL.Error:
                continue
            known.append(name)
        _probed[kind] = known
    return list(known)


def get_sigalgs() -> list[str]:
    """Signature algorithm names this OpenSSL implements (Python 3.15 API)."""
    return _implemented("sigalgs", _SIGALG_CANDIDATES)


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    return value


def _names(value: str) -> list[str]:
    return [part for part in value.split(":") if part] or [""]


class ContextControls:
    """``SSLContext`` methods of Python 3.13-3.15, on ``OpenSSL.SSL.Context``."""

    _ctx: SSL.Context
    _protocol: Any
    _maximum_version: _stdlib_ssl.TLSVersion
    _minimum_version: _stdlib_ssl.TLSVersion
    _psk_client: Optional[Callable[[Optional[str]], Any]] = None
    _psk_server: Optional[Callable[[Optional[str]], Any]] = None
    _psk_client_installed = False
    _psk_server_installed = False
    _client_sigalgs: Optional[list[str]] = None
    _server_sigalgs: Optional[list[str]] = None

    # -- PSK (3.13) -----------------------------------------------------------

    def set_psk_client_callback(self, callback: Any) -> None:
        """``callback(hint: str | None) -> (identity: str | None, psk: bytes)``.

        As CPython 3.13: ``None`` removes the callback; an empty *psk*
        offers no key. TLS 1.3 sends no hint (the callback gets ``None``).
        An exception in the callback fails the handshake; it is the
        ``__cause__`` of the ``SSLError`` raised.
        """
        if self._protocol == _stdlib_ssl.PROTOCOL_TLS_SERVER:
            raise _stdlib_ssl.SSLError(
                0, "Cannot add PSK client callback to a PROTOCOL_TLS_SERVER context"
            )
        if callback is not None and not callable(callback):
            raise TypeError("callback must be callable")
        self._psk_client = callback
        if callback is not None and not self._psk_client_installed:
            self._ctx.set_psk_client_callback(_psk_client_trampoline(self))
            self._psk_client_installed = True

    def set_psk_server_callback(
        self, callback: Any, identity_hint: Optional[str] = None
    ) -> None:
        """``callback(identity: str | None) -> bytes`` (``b""`` refuses).

        *identity_hint* is sent to TLS 1.2 clients (TLS 1.3 has none); each
        call replaces the hint, so one without it sends none.
        """
        # CPython's argument parsing comes first: the hint's type, no NUL.
        if identity_hint is not None and not isinstance(identity_hint, str):
            raise TypeError(
                "set_psk_server_callback() argument 'identity_hint' must be str "
                f"or None, not {type(identity_hint).__name__}"
            )
        if identity_hint is not None and "\0" in identity_hint:
            raise ValueError("embedded null character")
        if self._protocol == _stdlib_ssl.PROTOCOL_TLS_CLIENT:
            raise _stdlib_ssl.SSLError(
                0, "Cannot add PSK server callback to a PROTOCOL_TLS_CLIENT context"
            )
        if callback is not None and not callable(callback):
            raise TypeError("callback must be callable")
        # As CPython, every call sets the hint: none given (or no callback)
        # clears an earlier one (b"": OpenSSL then sends none).
        hint = b"" if callback is None or identity_hint is None else identity_hint
        try:
            self._ctx.use_psk_identity_hint(
                hint.encode("utf-8") if isinstance(hint, str) else hint
            )
        except (SSL.Error, ValueError):
            raise ValueError("failed to set identity hint") from None
        self._psk_server = callback
        if callback is not None and not self._psk_server_installed:
            self._ctx.set_psk_server_callback(_psk_server_trampoline(self))
            self._psk_server_installed = True

    # -- suites, groups, signature algorithms (3.15) ------------------------

    def set_ciphersuites(self, ciphersuites: str) -> None:
        """Choose the TLS 1.3 cipher suites (colon-separated OpenSSL names)."""
        _text("ciphersuites", ciphersuites)
        try:
            self._ctx.set_tls13_ciphersuites(ciphersuites.encode("ascii"))
        except (SSL.Error, UnicodeEncodeError):
            raise _stdlib_ssl.SSLError("No cipher suite can be selected.") from None

    def set_groups(self, groups: str) -> None:
        """Key-exchange groups, colon-separated, most preferred first."""
        _text("groups", groups)
        try:
            self._ctx.set_groups(_names(groups))
        except (SSL.Error, ValueError):
            raise _stdlib_ssl.SSLError(f"unrecognized group in {groups!r}") from None

    def get_groups(self, *, include_aliases: bool = False) -> list[str]:
        """Groups implemented for key agreement under the current version limits.

        Found by probing (see the module notes); with *include_aliases*,
        OpenSSL's other spellings (``P-256``...) are listed too.
        """
        names = _implemented("groups", _GROUP_CANDIDATES)
        maximum = self._maximum_version
        if maximum not in (
            _stdlib_ssl.TLSVersion.MAXIMUM_SUPPORTED,
            _stdlib_ssl.TLSVersion.TLSv1_3,
        ):
            names = [n for n in names if not any(k in n for k in _TLS13_ONLY)]
        if self._minimum_version == _stdlib_ssl.TLSVersion.TLSv1_3:
            # Curves TLS 1.3 dropped (only the *tls13 brainpool variants stay).
            names = [n for n in names if n not in ("secp256k1",) and not (
                n.startswith("brainpool") and not n.endswith("tls13")
            )]  # fmt: skip
        if include_aliases:
            names += _implemented("aliases", _GROUP_ALIASES)
        return names

    def set_client_sigalgs(self, sigalgs: str) -> None:
        """Signature algorithms allowed for client certificates (colon-separated).

        The binding has one list for both directions: this also limits the
        server's own signature (see the module notes).
        """
        _text("sigalgs", sigalgs)
        self._apply_sigalgs(_names(sigalgs), self._server_sigalgs, client=True)

    def set_server_sigalgs(self, sigalgs: str) -> None:
        """Signature algorithms allowed for the server's handshake signature.

        The binding has one list for both directions: this also limits
        client certificates (see the module notes).
        """
        _text("sigalgs", sigalgs)
        self._apply_sigalgs(self._client_sigalgs, _names(sigalgs), client=False)

    def _apply_sigalgs(
        self,
        client_list: Optional[list[str]],
        server_list: Optional[list[str]],
        *,
        client: bool,
    ) -> None:
        # One OpenSSL list serves both directions: the union, server's first.
        merged: list[str] = []
        for name in (server_list or []) + (client_list or []):
            if name not in merged:
                merged.append(name)
        try:
            self._ctx.set_sigalgs(merged)
        except (SSL.Error, ValueError):
            raise _stdlib_ssl.SSLError("unrecognized signature algorithm") from None
        if client:
            self._client_sigalgs = client_list
        else:
            self._server_sigalgs = server_list


def _psk_failed(core: Any, exc: BaseException) -> SSL.Error:
    """Keep *exc* for the stdlib error the handshake raises; fail the handshake."""
    if core is not None and core.callback_exception is None:
        core.callback_exception = exc
    return SSL.Error([("SSL routines", "", "PSK callback failed")])


def _psk_client_trampoline(context: ContextControls) -> Any:
    ref = weakref.ref(context)

    def call(conn: SSL.Connection, hint: Optional[bytes]) -> tuple[bytes, bytes]:
        owner = ref()
        callback = owner._psk_client if owner is not None else None
        if callback is None:
            return b"", b""
        try:
            text = None if hint is None else hint.decode("utf-8")
        except UnicodeDecodeError:
            return b"", b""  # as CPython: no key, the callback is not asked
        core = owner_of(conn)
        try:
            result = callback(text)
            if not isinstance(result, tuple) or len(result) != 2:
                raise TypeError("PSK client callback must return (identity, psk)")
            identity, psk = result
            if identity is None:
                identity_bytes = b""
            elif isinstance(identity, str):
                identity_bytes = identity.encode("utf-8")
            else:
                raise TypeError("PSK identity must be str or None")
            key = bytes(memoryview(psk))
            # CPython's limits (OpenSSL's TLS 1.2 buffers, used for TLS 1.3
            # too by CPython): checked here so that they fail like CPython.
            if len(identity_bytes) + 1 > _MAX_IDENTITY or b"\0" in identity_bytes:
                raise ValueError(
                    f"PSK identity of {len(identity_bytes)} bytes; at most "
                    f"{_MAX_IDENTITY - 1}, without NUL"
                )
            # The TLS 1.3 offer (its ClientHello) has no empty identity.
            if not identity_bytes and conn.get_protocol_version() == SSL.TLS1_3_VERSION:
                raise ValueError("a TLS 1.3 PSK identity cannot be empty")
            if len(key) > _MAX_PSK:
                raise ValueError(f"PSK of {len(key)} bytes; at most {_MAX_PSK}")
            return identity_bytes, key
        except BaseException as exc:
            raise _psk_failed(core, exc) from exc

    return call


def _psk_server_trampoline(context: ContextControls) -> Any:
    ref = weakref.ref(context)

    def call(conn: SSL.Connection, identity: bytes) -> bytes:
        owner = ref()
        callback = owner._psk_server if owner is not None else None
        if callback is None:
            return b""
        try:
            name = identity.decode("utf-8") if identity else None  # as CPython
        except UnicodeDecodeError:
            # Refused unasked, as CPython does: decoding it lossily would give
            # distinct identities one name, and so one key.
            return b""
        core = owner_of(conn)
        try:
            key = bytes(memoryview(callback(name)))
            if len(key) > _MAX_PSK:
                raise ValueError(f"PSK of {len(key)} bytes; at most {_MAX_PSK}")
            return key
        except BaseException as exc:
            raise _psk_failed(core, exc) from exc

    return call


class ConnectionControls:
    """``SSLSocket``/``SSLObject`` methods of Python 3.15."""

    _sslobj: Any

    def group(self) -> Optional[str]:
        """The key-agreement group of this connection, or ``None`` before one."""
        core = self._sslobj
        if core is None or not core.handshake_finished():
            return None
        name: Optional[str] = core.connection.get_group_name()
        return name

    def client_sigalg(self) -> Optional[str]:
        """The signature algorithm of the client's certificate authentication.

        As CPython 3.15: the name (``"rsa_pss_rsae_sha256"``...) of the
        scheme the client signed its ``CertificateVerify`` with, or ``None``
        before the handshake and when the client did not authenticate (no
        certificate asked for or sent, a resumed session).
        """
        return self._sigalg(client=True)

    def server_sigalg(self) -> Optional[str]:
        """The signature algorithm the server completed the handshake with.

        As CPython 3.15: the scheme of the server's ``CertificateVerify``
        (TLS 1.3) or ``ServerKeyExchange`` (TLS 1.2), or ``None`` before the
        handshake and when the server signed nothing (a resumed session,
        PSK, TLS 1.2 RSA key exchange).
        """
        return self._sigalg(client=False)

    def _sigalg(self, *, client: bool) -> Optional[str]:
        core = self._sslobj
        if core is None:
            return None
        conn: SSL.Connection = core.connection
        try:
            # This side's own signature, or the one it received.
            if client != core.server_side:
                return conn.get_signature_scheme()
            return conn.get_peer_signature_scheme()
        except ValueError:
            # Tracking is off (the default, for throughput): unknown, and
            # an SSLError as CPython's getters give without OpenSSL 3.5.
            raise _stdlib_ssl.SSLError(
                "signature algorithms are not recorded on this context: call "
                "context.openssl_context.set_signature_scheme_tracking(True) "
                "before the handshake"
            ) from None
