"""``Context``: the configuration shared by many TLS/DTLS connections.

A ``Context`` wraps one ``SSL_CTX *`` (``Context._context``). It is set up
first (protocol versions, certificates, trust, callbacks) and then handed to
``Connection``; from the first ``Connection`` on it is frozen, and the
configuring methods raise ``ValueError`` (pyOpenSSL 26.2 behaviour), since
OpenSSL copies some settings into each ``SSL *`` at creation and later
changes would apply to some connections and not others.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from OpenSSL import _callbacks
from OpenSSL._alpn import wire_format
from OpenSSL._crypto_base import _PRIVATE_KEY_TYPES, _PrivateKey
from OpenSSL._ssl_constants import (
    FILETYPE_PEM,
    METHODS,
    unsupported_method_message,
)
from OpenSSL._ssl_controls import ContextControls, check_tls13_ciphersuites
from OpenSSL._ssl_early_data import EarlyDataContext
from OpenSSL._ssl_errors import Error
from OpenSSL._ssl_messages import MessageContext
from OpenSSL._ssl_psk import PskControls
from OpenSSL._ssl_sigalgs import SignatureContext
from OpenSSL._util import (
    StrOrBytesPath,
    checked,
    deprecated,
    exact_bytes,
    ffi,
    is_zero,
    lib,
    not_null,
    path_bytes,
    positive,
    text_to_bytes_and_warn,
)
from OpenSSL.crypto import X509, PKey, X509Name, X509Store

if TYPE_CHECKING:
    from OpenSSL.crypto import _EllipticCurve

__all__ = ["Context"]

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])

# Where Linux distributions keep their CA bundle, for when the compiled-in
# default of cryptography's bundled OpenSSL points at nothing.
_SYSTEM_CA_FILES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
)
_SYSTEM_CA_DIRS = ("/etc/ssl/certs",)


# cryptography uses the SEC names; OpenSSL knows these two by their X9.62 names.
_OPENSSL_CURVE_NAMES = {"secp192r1": "prime192v1", "secp256r1": "prime256v1"}


def cert_pointer(cert: Any, what: str) -> Any:
    """The ``X509 *`` behind a cryptography certificate or a deprecated X509."""
    if isinstance(cert, x509.Certificate):
        return X509.from_cryptography(cert)._x509
    if isinstance(cert, X509):
        deprecated(
            f"passing OpenSSL.crypto.X509 to {what} is deprecated; "
            "pass a cryptography.x509.Certificate",
            stacklevel=4,
        )
        return cert._x509
    raise TypeError(
        f"{what} takes a cryptography.x509.Certificate, not {type(cert).__name__}"
    )


def key_pointer(pkey: Any, what: str) -> Any:
    """The ``EVP_PKEY *`` behind a cryptography private key or a deprecated PKey."""
    if isinstance(pkey, _PRIVATE_KEY_TYPES):
        return PKey.from_cryptography_key(pkey)._pkey
    if isinstance(pkey, PKey):
        deprecated(
            f"passing OpenSSL.crypto.PKey to {what} is deprecated; "
            "pass a cryptography private key",
            stacklevel=4,
        )
        if pkey._only_public:
            raise TypeError(f"{what} needs a private key, not a public-only PKey")
        return pkey._pkey
    raise TypeError(
        f"{what} takes a cryptography private key, not {type(pkey).__name__}"
    )


def check_int(value: Any, name: str) -> None:
    if not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}")


def check_callable(callback: Any, name: str = "callback") -> None:
    if not callable(callback):
        raise TypeError(f"{name} must be callable")


def _configures(method: _F) -> _F:
    """Mark *method* as changing the SSL_CTX, which a used Context refuses."""

    @functools.wraps(method)
    def wrapper(self: Context, *args: Any, **kwargs: Any) -> Any:
        if self._used and not self._changes_allowed:
            raise ValueError(
                "this Context has already been used to create a Connection "
                "and can no longer be changed; configure it first"
            )
        return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class Context(
    ContextControls, PskControls, EarlyDataContext, SignatureContext, MessageContext
):
    """Settings shared by the TLS or DTLS connections made from it.

    :param method: one of the ``*_METHOD`` constants; ``TLS_METHOD``,
        ``TLS_CLIENT_METHOD`` and ``TLS_SERVER_METHOD`` negotiate the best
        version both sides have, the ``TLSv1*_METHOD`` constants pin one.
    """

    __module__ = "OpenSSL.SSL"

    def __init__(self, method: int) -> None:
        check_int(method, "method")
        try:
            constructor, version = METHODS[method]
        except KeyError:
            raise ValueError(unsupported_method_message(method)) from None
        ctx = checked(Error, lib.SSL_CTX_new, getattr(lib, constructor)(), ok=not_null)
        self._context = ffi.gc(ctx, lib.SSL_CTX_free)
        self._used = False
        self._app_data: Any = None
        self._passphrase: _callbacks.Passphrase | None = None
        self._passphrase_cb: Any = None
        self._retired_passphrase_cbs: list[Any] = []
        # C callbacks registered with the SSL_CTX, kept alive with it.
        self._verify_cb: Any = None
        self._info_cb: Any = None
        self._keylog_cb: Any = None
        self._servername_cb: Any = None
        self._alpn_select_cb: Any = None
        self._ocsp_cb: Any = None
        self._cookie_generate_cb: Any = None
        self._cookie_verify_cb: Any = None
        # Whether any callback needs to find a Connection from its SSL *.
        self._has_callbacks = False
        # RELEASE_BUFFERS (as CPython's ssl sets it) frees a connection's
        # record buffers while it is idle: a third less memory per connection.
        lib.SSL_CTX_set_mode(
            self._context,
            lib.SSL_MODE_ENABLE_PARTIAL_WRITE
            | lib.SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
            | lib.SSL_MODE_RELEASE_BUFFERS,
        )
        if version is not None:
            self.set_min_proto_version(version)
            self.set_max_proto_version(version)

    # -- protocol and record settings ------------------------------------

    @_configures
    def set_min_proto_version(self, version: int) -> None:
        """Refuse protocol versions below *version* (``TLS1_2_VERSION``...; 0: none)."""
        check_int(version, "version")
        checked(Error, lib.SSL_CTX_set_min_proto_version, self._context, version)

    @_configures
    def set_max_proto_version(self, version: int) -> None:
        """Refuse protocol versions above *version* (0 for no limit)."""
        check_int(version, "version")
        checked(Error, lib.SSL_CTX_set_max_proto_version, self._context, version)

    @_configures
    def set_options(self, options: int) -> int:
        """Add the ``OP_*`` bits in *options*; return the resulting option mask."""
        check_int(options, "options")
        return lib.SSL_CTX_set_options(self._context, options)

    @_configures
    def set_mode(self, mode: int) -> int:
        """Add the ``MODE_*`` bits in *mode*; return the resulting mode mask."""
        check_int(mode, "mode")
        return lib.SSL_CTX_set_mode(self._context, mode)

    @_configures
    def clear_mode(self, mode_to_clear: int) -> int:
        """Remove the ``MODE_*`` bits in *mode_to_clear*; return the resulting mask."""
        check_int(mode_to_clear, "mode_to_clear")
        return lib.SSL_CTX_clear_mode(self._context, mode_to_clear)

    @_configures
    def set_cipher_list(self, cipher_list: bytes) -> None:
        """Choose the TLS 1.2-and-below cipher suites with an OpenSSL cipher string.

        A string that selects no usable suite raises :class:`Error`.
        """
        cipher_list = text_to_bytes_and_warn("cipher_list", cipher_list)
        if not isinstance(cipher_list, bytes):
            raise TypeError("cipher_list must be bytes")
        checked(Error, lib.SSL_CTX_set_cipher_list, self._context, cipher_list)

    @_configures
    def set_tls13_ciphersuites(self, ciphersuites: bytes) -> None:
        """Choose the TLS 1.3 cipher suites (colon-separated names)."""
        if not isinstance(ciphersuites, bytes):
            raise TypeError("ciphersuites must be bytes")
        check_tls13_ciphersuites(ciphersuites)
        checked(Error, lib.SSL_CTX_set_ciphersuites, self._context, ciphersuites)

    @_configures
    def set_tmp_ecdh(self, curve: _EllipticCurve | ec.EllipticCurve) -> None:
        """Use *curve* for ephemeral ECDH key exchange.

        Pass a ``cryptography`` curve instance (``ec.SECP384R1()``); the
        objects of the deprecated ``crypto.get_elliptic_curve`` still work,
        with a ``DeprecationWarning``.
        """
        from OpenSSL.crypto import _EllipticCurve

        if isinstance(curve, _EllipticCurve):
            deprecated(
                "passing crypto.get_elliptic_curve() results to set_tmp_ecdh is "
                "deprecated; pass a cryptography curve such as ec.SECP256R1()"
            )
            nid = curve._nid
        elif isinstance(curve, ec.EllipticCurve):
            name = _OPENSSL_CURVE_NAMES.get(curve.name, curve.name)
            nid = lib.OBJ_txt2nid(name.encode("ascii"))
            if nid == lib.NID_undef:
                raise ValueError(f"OpenSSL does not know the curve {curve.name}")
        else:
            raise TypeError("curve must be a cryptography EllipticCurve")
        key = checked(Error, lib.EC_KEY_new_by_curve_name, nid, ok=not_null)
        key = ffi.gc(key, lib.EC_KEY_free)
        checked(Error, lib.SSL_CTX_set_tmp_ecdh, self._context, key)

    @_configures
    def load_tmp_dh(self, dhfile: StrOrBytesPath) -> None:
        """Load Diffie-Hellman parameters for DHE key exchange from a PEM file."""
        bio = checked(Error, lib.BIO_new_file, path_bytes(dhfile), b"r", ok=not_null)
        bio = ffi.gc(bio, lib.BIO_free)
        dh = checked(
            Error,
            lib.PEM_read_bio_DHparams,
            bio,
            ffi.NULL,
            ffi.NULL,
            ffi.NULL,
            ok=not_null,
        )
        dh = ffi.gc(dh, lib.DH_free)
        checked(Error, lib.SSL_CTX_set_tmp_dh, self._context, dh)

    @_configures
    def set_tlsext_use_srtp(self, profiles: bytes) -> None:
        """Offer the DTLS-SRTP *profiles* (colon-separated names)."""
        if not isinstance(profiles, bytes):
            raise TypeError("profiles must be a byte string.")
        # This one returns 0 on success.
        checked(
            Error, lib.SSL_CTX_set_tlsext_use_srtp, self._context, profiles, ok=is_zero
        )

    # -- certificates and keys -------------------------------------------

    @_configures
    def set_passwd_cb(
        self,
        callback: Callable[[int, bool, _T | None], bytes],
        userdata: _T | None = None,
    ) -> None:
        """Deprecated: ask *callback* for the passphrase of encrypted key files.

        ``callback(max_length, prompt_twice, userdata)`` returns bytes; its
        exceptions come out of the loading method.
        """
        deprecated(
            "Context.set_passwd_cb is deprecated; decrypt keys with cryptography"
        )
        check_callable(callback)
        owner = self._passphrase
        if owner is None:
            owner = self._passphrase = _callbacks.Passphrase()
        elif owner._in_callback:
            # Replaced from inside itself: OpenSSL is still running the old
            # one, which must outlive that call.
            self._retired_passphrase_cbs.append(self._passphrase_cb)
        self._passphrase_cb = _callbacks.context_passphrase(
            callback, userdata, owner=owner
        )
        lib.SSL_CTX_set_default_passwd_cb(self._context, self._passphrase_cb)

    @_configures
    def use_certificate(self, cert: X509 | x509.Certificate) -> None:
        """Present *cert* as this side's certificate."""
        pointer = cert_pointer(cert, "use_certificate")
        checked(Error, lib.SSL_CTX_use_certificate, self._context, pointer)

    @_configures
    def use_certificate_file(
        self, certfile: StrOrBytesPath, filetype: int = FILETYPE_PEM
    ) -> None:
        """Load this side's certificate from *certfile* (PEM or ASN.1)."""
        check_int(filetype, "filetype")
        checked(
            Error,
            lib.SSL_CTX_use_certificate_file,
            self._context,
            path_bytes(certfile),
            filetype,
        )

    @_configures
    def use_certificate_chain_file(self, certfile: StrOrBytesPath) -> None:
        """Load this side's certificate followed by its chain from a PEM file."""
        checked(
            Error,
            lib.SSL_CTX_use_certificate_chain_file,
            self._context,
            path_bytes(certfile),
            # The passphrase callback's own exception comes first.
            on_failure=self._raise_passphrase_error,
        )
        self._raise_passphrase_error()

    @_configures
    def add_extra_chain_cert(self, certobj: X509 | x509.Certificate) -> None:
        """Send *certobj* as part of the chain after this side's certificate."""
        pointer = cert_pointer(certobj, "add_extra_chain_cert")
        copy = checked(Error, lib.X509_dup, pointer, ok=not_null)
        # On success the SSL_CTX owns the copy.
        checked(
            Error,
            lib.SSL_CTX_add_extra_chain_cert,
            self._context,
            copy,
            on_failure=functools.partial(lib.X509_free, copy),
        )

    @_configures
    def use_privatekey(self, pkey: _PrivateKey | PKey) -> None:
        """Use *pkey* as the private key of this side's certificate."""
        pointer = key_pointer(pkey, "use_privatekey")
        checked(Error, lib.SSL_CTX_use_PrivateKey, self._context, pointer)

    @_configures
    def use_privatekey_file(
        self, keyfile: StrOrBytesPath, filetype: int = FILETYPE_PEM
    ) -> None:
        """Load the private key from *keyfile* (see :meth:`set_passwd_cb`)."""
        check_int(filetype, "filetype")
        checked(
            Error,
            lib.SSL_CTX_use_PrivateKey_file,
            self._context,
            path_bytes(keyfile),
            filetype,
            # The passphrase callback's own exception comes first.
            on_failure=self._raise_passphrase_error,
        )
        self._raise_passphrase_error()

    def check_privatekey(self) -> None:
        """Raise :class:`Error` unless the private key matches the certificate."""
        checked(Error, lib.SSL_CTX_check_private_key, self._context)

    def _raise_passphrase_error(self) -> None:
        if self._passphrase is not None:
            self._passphrase.raise_if_failed()

    # -- trust -------------------------------------------------------------

    @_configures
    def load_verify_locations(
        self, cafile: StrOrBytesPath | None, capath: StrOrBytesPath | None = None
    ) -> None:
        """Trust the CA certificates in *cafile* and/or the hashed dir *capath*."""
        checked(
            Error,
            lib.SSL_CTX_load_verify_locations,
            self._context,
            ffi.NULL if cafile is None else path_bytes(cafile),
            ffi.NULL if capath is None else path_bytes(capath),
        )

    @_configures
    def set_default_verify_paths(self) -> None:
        """Trust the system's CA certificates.

        OpenSSL's compiled-in locations and the ``SSL_CERT_FILE`` /
        ``SSL_CERT_DIR`` environment variables come first. When neither
        variable is set and the compiled-in locations (those of
        cryptography's bundled OpenSSL) hold nothing, the usual Linux bundle
        locations are loaded instead, so verification works out of the box.
        """
        checked(Error, lib.SSL_CTX_set_default_verify_paths, self._context)
        if "SSL_CERT_FILE" in os.environ or "SSL_CERT_DIR" in os.environ:
            return
        default_file = ffi.string(lib.X509_get_default_cert_file())
        default_dir = ffi.string(lib.X509_get_default_cert_dir())
        if os.path.isfile(default_file) or _has_files(default_dir):
            return
        cafile = next((f for f in _SYSTEM_CA_FILES if os.path.isfile(f)), None)
        capath = next((d for d in _SYSTEM_CA_DIRS if _has_files(d)), None)
        if cafile is not None or capath is not None:
            self.load_verify_locations(cafile, capath)

    def get_cert_store(self) -> X509Store | None:
        """The certificate store used to verify peers (shared with this Context)."""
        store = lib.SSL_CTX_get_cert_store(self._context)
        if store == ffi.NULL:
            return None
        return X509Store._from_borrowed(store)

    @_configures
    def set_verify(self, mode: int, callback: Callable[..., Any] | None = None) -> None:
        """Set the peer verification *mode* (``VERIFY_*`` bits).

        ``callback(conn, cert, errnum, depth, ok)``, when given, is called for
        each certificate of the chain and returns whether to accept it;
        without one, OpenSSL's own verdict stands.
        """
        check_int(mode, "mode")
        if callback is None:
            self._verify_cb = None
            lib.SSL_CTX_set_verify(self._context, mode, ffi.NULL)
            return
        check_callable(callback)
        self._verify_cb = self._hold(_callbacks.verify(callback))
        lib.SSL_CTX_set_verify(self._context, mode, self._verify_cb)

    @_configures
    def set_verify_depth(self, depth: int) -> None:
        """Accept peer chains of at most *depth* certificates below the leaf."""
        check_int(depth, "depth")
        lib.SSL_CTX_set_verify_depth(self._context, depth)

    def get_verify_mode(self) -> int:
        """The ``VERIFY_*`` mode set by :meth:`set_verify`."""
        return lib.SSL_CTX_get_verify_mode(self._context)

    def get_verify_depth(self) -> int:
        """The depth set by :meth:`set_verify_depth`."""
        return lib.SSL_CTX_get_verify_depth(self._context)

    # -- client CA names sent in CertificateRequest ---------------------------

    @_configures
    def load_client_ca(self, cafile: bytes) -> None:
        """Name the subjects of the certificates in PEM *cafile* as acceptable CAs."""
        names = checked(
            Error, lib.SSL_load_client_CA_file, path_bytes(cafile), ok=not_null
        )
        lib.SSL_CTX_set_client_CA_list(self._context, names)

    @_configures
    def set_client_ca_list(self, certificate_authorities: Sequence[X509Name]) -> None:
        """Deprecated: send exactly these names as acceptable client-certificate CAs."""
        deprecated(
            "Context.set_client_ca_list is deprecated; use add_client_ca or "
            "load_client_ca"
        )
        names = checked(Error, lib.sk_X509_NAME_new_null, ok=not_null)
        try:
            for name in certificate_authorities:
                if not isinstance(name, X509Name):
                    raise TypeError(
                        "certificate_authorities must hold X509Name objects, not "
                        f"{type(name).__name__}"
                    )
                copy = checked(Error, lib.X509_NAME_dup, name._name, ok=not_null)
                checked(
                    Error,
                    lib.sk_X509_NAME_push,
                    names,
                    copy,
                    ok=positive,
                    on_failure=functools.partial(lib.X509_NAME_free, copy),
                )
        except BaseException:
            # sk_X509_NAME_free frees the stack alone: the copies pushed so
            # far are ours to free (a bad element after good ones leaked them).
            for i in range(lib.sk_X509_NAME_num(names)):
                lib.X509_NAME_free(lib.sk_X509_NAME_value(names, i))
            lib.sk_X509_NAME_free(names)
            raise
        lib.SSL_CTX_set_client_CA_list(self._context, names)

    @_configures
    def add_client_ca(self, certificate_authority: X509 | x509.Certificate) -> None:
        """Add the subject of *certificate_authority* to the acceptable client CAs."""
        pointer = cert_pointer(certificate_authority, "add_client_ca")
        checked(Error, lib.SSL_CTX_add_client_CA, self._context, pointer)

    # -- sessions ----------------------------------------------------------

    @_configures
    def set_session_id(self, buf: bytes) -> None:
        """Set the session ID context that scopes server-side session reuse."""
        buf = text_to_bytes_and_warn("buf", buf)
        if not isinstance(buf, bytes):
            raise TypeError("buf must be bytes")
        buf = exact_bytes(buf)
        checked(Error, lib.SSL_CTX_set_session_id_context, self._context, buf, len(buf))

    @_configures
    def set_session_cache_mode(self, mode: int) -> int:
        """Set the ``SESS_CACHE_*`` mode; return the previous one."""
        check_int(mode, "mode")
        return lib.SSL_CTX_set_session_cache_mode(self._context, mode)

    def get_session_cache_mode(self) -> int:
        """The current ``SESS_CACHE_*`` mode."""
        return lib.SSL_CTX_get_session_cache_mode(self._context)

    @_configures
    def set_timeout(self, timeout: int) -> None:
        """Let sessions made from this Context be resumed for *timeout* seconds."""
        check_int(timeout, "timeout")
        lib.SSL_CTX_set_timeout(self._context, timeout)

    def get_timeout(self) -> int:
        """The session timeout in seconds."""
        return lib.SSL_CTX_get_timeout(self._context)

    # -- application data ----------------------------------------------------

    @_configures
    def set_app_data(self, data: Any) -> None:
        """Attach any Python object to this Context."""
        self._app_data = data

    def get_app_data(self) -> Any:
        """The object given to :meth:`set_app_data` (``None`` if none)."""
        return self._app_data

    # -- callbacks ---------------------------------------------------------

    @_configures
    def set_info_callback(self, callback: Callable[[Any, int, int], None]) -> None:
        """Call ``callback(conn, where, ret)`` at each handshake state change."""
        check_callable(callback)
        self._info_cb = self._hold(_callbacks.info(callback))
        lib.SSL_CTX_set_info_callback(self._context, self._info_cb)

    @_configures
    def set_keylog_callback(self, callback: Callable[[Any, bytes], None]) -> None:
        """Call ``callback(conn, line)`` with each NSS key-log line (for Wireshark)."""
        check_callable(callback)
        self._keylog_cb = self._hold(_callbacks.keylog(callback))
        lib.SSL_CTX_set_keylog_callback(self._context, self._keylog_cb)

    @_configures
    def set_tlsext_servername_callback(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(conn)`` when a client sends SNI (servers).

        The callback may read :meth:`Connection.get_servername` and switch
        the connection to another Context with :meth:`Connection.set_context`.
        Its exceptions go to ``sys.excepthook``; the handshake then fails.
        """
        check_callable(callback)
        self._servername_cb = self._hold(_callbacks.servername(callback))
        lib.SSL_CTX_set_tlsext_servername_callback(self._context, self._servername_cb)

    @_configures
    def set_alpn_protos(self, protos: list[bytes]) -> None:
        """Offer the ALPN protocols *protos*, most preferred first (clients)."""
        wire = wire_format(protos)
        # This one returns 0 on success.
        checked(
            Error,
            lib.SSL_CTX_set_alpn_protos,
            self._context,
            wire,
            len(wire),
            ok=is_zero,
        )

    @_configures
    def set_alpn_select_callback(
        self, callback: Callable[[Any, list[bytes]], Any]
    ) -> None:
        """Choose the ALPN protocol with ``callback(conn, offered)`` (servers).

        Return one of the offered protocols, or :data:`NO_OVERLAPPING_PROTOCOLS`
        to go on without ALPN.
        """
        check_callable(callback)
        self._alpn_select_cb = self._hold(_callbacks.alpn_select(callback))
        lib.SSL_CTX_set_alpn_select_cb(self._context, self._alpn_select_cb, ffi.NULL)

    @_configures
    def set_ocsp_server_callback(
        self, callback: Callable[[Any, _T | None], bytes], data: _T | None = None
    ) -> None:
        """Staple ``callback(conn, data)`` (OCSP response bytes; ``b""`` for none)."""
        check_callable(callback)
        self._set_ocsp_callback(_callbacks.ocsp_server(callback, data))

    @_configures
    def set_ocsp_client_callback(
        self, callback: Callable[[Any, bytes, _T | None], bool], data: _T | None = None
    ) -> None:
        """Check a stapled response with ``callback(conn, response, data) -> bool``.

        Connections must call :meth:`Connection.request_ocsp` to ask for one.
        """
        check_callable(callback)
        self._set_ocsp_callback(_callbacks.ocsp_client(callback, data))

    def _hold(self, c_callback: Any) -> Any:
        self._has_callbacks = True
        return c_callback

    def _set_ocsp_callback(self, c_callback: Any) -> None:
        self._ocsp_cb = self._hold(c_callback)
        checked(Error, lib.SSL_CTX_set_tlsext_status_cb, self._context, c_callback)

    @_configures
    def set_cookie_generate_callback(self, callback: Callable[[Any], bytes]) -> None:
        """Make DTLS cookies with ``callback(conn) -> bytes`` (at most 255 bytes)."""
        check_callable(callback)
        self._cookie_generate_cb = self._hold(_callbacks.cookie_generate(callback))
        lib.SSL_CTX_set_cookie_generate_cb(self._context, self._cookie_generate_cb)

    @_configures
    def set_cookie_verify_callback(
        self, callback: Callable[[Any, bytes], bool]
    ) -> None:
        """Check DTLS cookies with ``callback(conn, cookie) -> bool``."""
        check_callable(callback)
        self._cookie_verify_cb = self._hold(_callbacks.cookie_verify(callback))
        lib.SSL_CTX_set_cookie_verify_cb(self._context, self._cookie_verify_cb)


def _has_files(directory: str | bytes) -> bool:
    try:
        with os.scandir(directory) as entries:
            return any(True for _ in entries)
    except OSError:
        return False
