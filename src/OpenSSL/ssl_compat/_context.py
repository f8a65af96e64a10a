"""``SSLContext``: the stdlib's context API over an ``OpenSSL.SSL.Context``.

The class subclasses :class:`ssl.SSLContext`, so ``isinstance(ctx,
ssl.SSLContext)`` holds (asyncio's ``start_tls``, aiohttp and others check
it). ``ssl.SSLContext`` is backed by a C type whose ``__new__`` allocates a
native ``SSL_CTX`` of the interpreter's own OpenSSL; that object is created
(the instance layout requires it) but never used: every attribute and method
is overridden here, and the native ``_wrap_socket``/``_wrap_bio`` refuse to
run, so nothing falls through to the interpreter's ``_ssl``.

Each property validates the way CPython does and then makes one call on the
``OpenSSL.SSL.Context`` underneath (:attr:`SSLContext.openssl_context`, the
documented escape hatch). A few settings cannot be read back through the
binding and are kept here instead: minimum and
maximum version, verify flags, security level, ``num_tickets``.
"""

from __future__ import annotations

import operator
import os
import re
import ssl as _stdlib_ssl
import sys
import threading
import warnings
import weakref
from typing import Any, Callable, Optional, Union

from cryptography.hazmat.primitives import serialization

from OpenSSL import SSL, crypto
from OpenSSL._alpn import parse_wire
from OpenSSL._util import StrOrBytesPath
from OpenSSL.ssl_compat import _tracing
from OpenSSL.ssl_compat._certs import decode_certificate, get_default_verify_paths
from OpenSSL.ssl_compat._ciphers import cipher_dict
from OpenSSL.ssl_compat._constants import (
    DEFAULT_CIPHERS,
    DEFAULT_SECURITY_LEVEL,
    Options,
    Purpose,
    TLSVersion,
    VerifyFlags,
    VerifyMode,
    _SSLMethod,
    _verify_flag,
)
from OpenSSL.ssl_compat._controls import ContextControls
from OpenSSL.ssl_compat._core import owner_of
from OpenSSL.ssl_compat._early_data import EarlyDataContext
from OpenSSL.ssl_compat._errors import pem_lib_error, translate_error
from OpenSSL.ssl_compat._extensions import ContextExtensions
from OpenSSL.ssl_compat._memory_certs import (
    Password,
    is_memory_input,
    load_chain_from_memory,
    load_private_key,
)
from OpenSSL.ssl_compat._trust import TrustLedger, parse_der_sequence, quietly

__all__ = ["SSLContext", "create_default_context"]

_METHODS = {
    _SSLMethod.PROTOCOL_TLS: SSL.TLS_METHOD,
    _SSLMethod.PROTOCOL_TLS_CLIENT: SSL.TLS_CLIENT_METHOD,
    _SSLMethod.PROTOCOL_TLS_SERVER: SSL.TLS_SERVER_METHOD,
    _SSLMethod.PROTOCOL_TLSv1: SSL.TLSv1_METHOD,
    _SSLMethod.PROTOCOL_TLSv1_1: SSL.TLSv1_1_METHOD,
    _SSLMethod.PROTOCOL_TLSv1_2: SSL.TLSv1_2_METHOD,
}
_NEGOTIATING = (
    _SSLMethod.PROTOCOL_TLS,
    _SSLMethod.PROTOCOL_TLS_CLIENT,
    _SSLMethod.PROTOCOL_TLS_SERVER,
)
_DEPRECATED_PROTOCOLS = (
    _SSLMethod.PROTOCOL_TLS,
    _SSLMethod.PROTOCOL_TLSv1,
    _SSLMethod.PROTOCOL_TLSv1_1,
    _SSLMethod.PROTOCOL_TLSv1_2,
)

# verify_mode <-> OpenSSL's SSL_VERIFY_* bits.
_VERIFY_BITS = {
    VerifyMode.CERT_NONE: SSL.VERIFY_NONE,
    VerifyMode.CERT_OPTIONAL: SSL.VERIFY_PEER,
    VerifyMode.CERT_REQUIRED: SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT,
}

# The options every new context starts with (CPython's choice): OpenSSL's
# bug workarounds except empty-fragment insertion, no SSLv2/SSLv3, no
# compression, server cipher preference, fresh DH/ECDH keys.
_DEFAULT_OPTIONS = (
    (SSL.OP_ALL & ~SSL.OP_DONT_INSERT_EMPTY_FRAGMENTS)
    | SSL.OP_NO_SSLv2
    | SSL.OP_NO_SSLv3
    | SSL.OP_NO_COMPRESSION
    | SSL.OP_CIPHER_SERVER_PREFERENCE
    | SSL.OP_SINGLE_DH_USE
    | SSL.OP_SINGLE_ECDH_USE
)

# Setting any of these warns, as in CPython 3.10+ (use minimum_version).
_NO_PROTOCOL_OPTIONS = (
    SSL.OP_NO_SSLv2
    | SSL.OP_NO_SSLv3
    | SSL.OP_NO_TLSv1
    | SSL.OP_NO_TLSv1_1
    | SSL.OP_NO_TLSv1_2
    | SSL.OP_NO_TLSv1_3
)

_VERSION_NUMBERS = {
    TLSVersion.SSLv3: 0x0300,
    TLSVersion.TLSv1: SSL.TLS1_VERSION,
    TLSVersion.TLSv1_1: SSL.TLS1_1_VERSION,
    TLSVersion.TLSv1_2: SSL.TLS1_2_VERSION,
    TLSVersion.TLSv1_3: SSL.TLS1_3_VERSION,
}

# The lowest version cryptography's OpenSSL can speak (no SSLv3 in its builds).
_LOWEST_VERSION = TLSVersion.TLSv1

# create_default_context()'s extra flags (CPython 3.13+); PARTIAL_CHAIN is
# not a VerifyFlags member before Python 3.10.
_STRICT_FLAGS = VerifyFlags.VERIFY_X509_STRICT | _verify_flag(
    "VERIFY_X509_PARTIAL_CHAIN"
)

_ULONG_MASK = 2**64 - 1  # X509_VERIFY_PARAM_set_flags takes an unsigned long
_SECLEVEL = re.compile(r"@SECLEVEL=(\d+)")


def _not_found(path: Any) -> FileNotFoundError:
    import errno

    return FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))


def _check_path(path: Any, what: str) -> Any:
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{what} should be a valid filesystem path")
    if not os.path.exists(os.fspath(path)):
        raise _not_found(path)
    return path


class SSLContext(
    ContextControls, ContextExtensions, EarlyDataContext, _stdlib_ssl.SSLContext
):
    """The stdlib's ``SSLContext``, on pyopenssl-ng.

    Create it as the stdlib's (``SSLContext(PROTOCOL_TLS_CLIENT)``) or with
    :func:`create_default_context`. :attr:`openssl_context` is the
    ``OpenSSL.SSL.Context`` underneath.
    """

    sslsocket_class: Any = None  # set by the package to SSLSocket
    sslobject_class: Any = None  # set by the package to SSLObject

    def __new__(cls, protocol: Optional[int] = None, *args: Any, **kwargs: Any) -> Any:
        if protocol is None:
            warnings.warn(
                "ssl.SSLContext() without protocol argument is deprecated.",
                DeprecationWarning,
                stacklevel=2,
            )
            protocol = _SSLMethod.PROTOCOL_TLS
        try:
            method = _SSLMethod(protocol)
            openssl_method = _METHODS[method]
        except (ValueError, KeyError):
            raise ValueError("invalid or unsupported protocol version") from None
        if method in _DEPRECATED_PROTOCOLS:
            warnings.warn(
                f"ssl.{method.name} is deprecated", DeprecationWarning, stacklevel=2
            )
        # The native part must exist for the C type; it is never used.
        self = _stdlib_ssl._SSLContext.__new__(  # type: ignore[attr-defined]
            cls, _SSLMethod.PROTOCOL_TLS_CLIENT
        )
        self._setup(method, openssl_method)
        return self

    def __init__(self, protocol: Optional[int] = None, *args: Any, **kwargs: Any):
        # Everything happens in __new__, like the stdlib's.
        pass

    def _setup(self, method: Any, openssl_method: int) -> None:
        ctx = SSL.Context(openssl_method)
        # The stdlib lets a context change after it made connections (with
        # effect on later ones); urllib3 sets ALPN on every new connection.
        ctx.allow_changes_after_use()
        # client_sigalg()/server_sigalg() need signature-scheme tracking,
        # which costs a Python call per TLS record (see OpenSSL._ssl_sigalgs):
        # off unless openssl_context.set_signature_scheme_tracking(True), so
        # the data path of every other user stays as fast as the stdlib's.
        self._ctx = ctx
        self._protocol = method
        self._fixed_version = method not in _NEGOTIATING
        self._check_hostname = False
        self._hostname_checks_common_name = True
        self._verify_flags = int(VerifyFlags.VERIFY_X509_TRUSTED_FIRST)
        self._post_handshake_auth = False
        self._num_tickets = 2
        self._security_level = DEFAULT_SECURITY_LEVEL
        self._minimum_version = TLSVersion.MINIMUM_SUPPORTED
        self._maximum_version = TLSVersion.MAXIMUM_SUPPORTED
        self._alpn_protocols: list[bytes] = []
        self._alpn_callback_installed = False
        self._sni_callback: Any = None
        self._keylog_filename: Any = None
        self._keylog_file: Any = None
        self._keylog_lock = threading.Lock()
        self._keylog_installed = False
        self._trust = TrustLedger()
        # DER of the chain certificates loaded from memory (see _memory_certs).
        self._memory_chain: set[bytes] = set()
        self._stats_lock = threading.Lock()
        self._stats = dict.fromkeys(
            (
                "number",
                "connect",
                "connect_good",
                "connect_renegotiate",
                "accept",
                "accept_good",
                "accept_renegotiate",
                "hits",
                "misses",
                "timeouts",
                "cache_full",
            ),
            0,
        )
        # Options live here and go to each connection as it is made
        # (Connection.set_options): the binding cannot clear an option once
        # set on the SSL_CTX, and the stdlib lets ``options`` be lowered.
        self._options = _DEFAULT_OPTIONS
        # The stdlib's writes are all-or-nothing (SSLObject.write takes the
        # whole buffer, SSLSocket.send returns len(data) or raises), and
        # trio, anyio and asyncio ignore the count: no partial writes.
        ctx.clear_mode(SSL.MODE_ENABLE_PARTIAL_WRITE)
        ctx.set_cipher_list(DEFAULT_CIPHERS.encode("ascii"))
        if method != _SSLMethod.PROTOCOL_TLS_CLIENT:
            # Lets servers resume sessions of clients they verified. Not on
            # client contexts: a session id context there makes OpenSSL
            # refuse the TLS 1.3 external PSK sessions it is offered back
            # ("attempt to reuse session in different context").
            ctx.set_session_id(b"OpenSSL.ssl_compat")
        if not self._fixed_version:
            ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
            self._minimum_version = TLSVersion.TLSv1_2
        if method == _SSLMethod.PROTOCOL_TLS_CLIENT:
            ctx.set_verify_mode(_VERIFY_BITS[VerifyMode.CERT_REQUIRED])
            self._check_hostname = True
        else:
            ctx.set_verify_mode(SSL.VERIFY_NONE)

    # -- the escape hatch -----------------------------------------------------

    @property
    def openssl_context(self) -> SSL.Context:
        """The ``OpenSSL.SSL.Context`` underneath.

        Use it for what the stdlib surface lacks: ``set_verify(mode,
        callback)`` for a verify callback, ``set_ocsp_client_callback`` /
        ``set_ocsp_server_callback``, ``set_info_callback``,
        ``set_tls13_ciphersuites``, ``add_client_ca``, ... Settings made here
        apply to connections made afterwards, as the stdlib setters do.
        Install callbacks after setting ``verify_mode``/``check_hostname``
        (those keep an installed verify callback). ``sni_callback`` and
        ``set_tlsext_servername_callback`` share one OpenSSL slot: the last
        one set wins.
        """
        return self._ctx

    def _configure(self, call: Callable[[], Any]) -> Any:
        """Run one configuring call, also on a context already in use."""
        try:
            return call()
        except (SSL.Error, crypto.Error) as exc:
            raise translate_error(exc) from None  # type: ignore[arg-type]

    # -- the native part must never run ---------------------------------------

    def _wrap_socket(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            "this SSLContext belongs to OpenSSL.ssl_compat; wrap sockets with "
            "its wrap_socket() (sslsocket_class must be an ssl_compat SSLSocket)"
        )

    def _wrap_bio(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            "this SSLContext belongs to OpenSSL.ssl_compat; wrap BIOs with its "
            "wrap_bio() (sslobject_class must be an ssl_compat SSLObject)"
        )

    # -- wrapping -------------------------------------------------------------

    def wrap_socket(
        self,
        sock: Any,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: Optional[Union[str, bytes]] = None,
        session: Any = None,
    ) -> Any:
        """Wrap the stream socket *sock*; return an ``SSLSocket``."""
        return self.sslsocket_class._create(
            sock=sock,
            server_side=server_side,
            do_handshake_on_connect=do_handshake_on_connect,
            suppress_ragged_eofs=suppress_ragged_eofs,
            server_hostname=server_hostname,
            context=self,
            session=session,
        )

    def wrap_bio(
        self,
        incoming: Any,
        outgoing: Any,
        server_side: bool = False,
        server_hostname: Optional[Union[str, bytes]] = None,
        session: Any = None,
    ) -> Any:
        """Wrap two memory BIOs (ours or ``ssl.MemoryBIO``) in an ``SSLObject``."""
        return self.sslobject_class._create(
            incoming,
            outgoing,
            server_side=server_side,
            server_hostname=server_hostname,
            session=session,
            context=self,
        )

    # -- protocol, versions, options ------------------------------------------

    @property
    def protocol(self) -> Any:  # type: ignore[override]
        """The ``PROTOCOL_*`` this context was made with."""
        return self._protocol

    @property
    def options(self) -> Options:
        """The ``OP_*`` bits in force for new connections.

        Any option can be set and cleared, except the two OpenSSL puts in
        every new context (``OP_NO_COMPRESSION``, and
        ``OP_ENABLE_MIDDLEBOX_COMPAT``, TLS 1.3's wire-compatible layout):
        the binding has no ``SSL_CTX_clear_options``/``SSL_clear_options``,
        so those stay on (and are reported) whatever is assigned. Options
        set through ``openssl_context.set_options`` are reported and cannot
        be cleared either.
        """
        return Options(self._options | self._ctx.get_options())

    @options.setter
    def options(self, value: int) -> None:
        value = int(value)
        if value < 0 or value > _ULONG_MASK:
            raise OverflowError("options must fit in an unsigned long")
        added = value & ~self.options
        if added & _NO_PROTOCOL_OPTIONS:
            warnings.warn(
                "ssl.OP_NO_SSL*/ssl.OP_NO_TLS* options are deprecated",
                DeprecationWarning,
                stacklevel=2,
            )
        self._options = value

    def _connection_options(self) -> int:
        """What each new connection gets (``Connection.set_options``)."""
        return self._options

    def _version_setter(self, value: Any, which: str) -> None:
        if self._fixed_version:
            raise ValueError(
                "The context's protocol doesn't support modification of "
                "highest and lowest version."
            )
        try:
            version = TLSVersion(value)
        except ValueError:
            raise ValueError(f"Unsupported TLS/SSL version 0x{int(value):x}") from None
        # As CPython: the open end of a bound is "no limit" (0); the other
        # end means the lowest / highest version this OpenSSL speaks, and
        # reads back as that version.
        if version == TLSVersion.MINIMUM_SUPPORTED and which == "max":
            version = _LOWEST_VERSION
        elif version == TLSVersion.MAXIMUM_SUPPORTED and which == "min":
            version = TLSVersion.TLSv1_3
        if version in (TLSVersion.MINIMUM_SUPPORTED, TLSVersion.MAXIMUM_SUPPORTED):
            number = 0
        elif version == TLSVersion.SSLv3 and which == "min":
            # OpenSSL 4 refuses SSL3_VERSION as a bound; "SSLv3 and up" is
            # "whatever it speaks" there (it reads back as SSLv3, as asked).
            number = 0
        else:
            number = _VERSION_NUMBERS[version]
        setter = (
            self._ctx.set_min_proto_version
            if which == "min"
            else self._ctx.set_max_proto_version
        )
        try:
            setter(number)
        except SSL.Error:
            raise ValueError(f"Unsupported protocol version 0x{number:x}") from None
        if which == "min":
            self._minimum_version = version
        else:
            self._maximum_version = version

    @property  # type: ignore[override]
    def minimum_version(self) -> TLSVersion:
        """The lowest protocol version to negotiate (``TLSVersion``)."""
        return self._minimum_version

    @minimum_version.setter
    def minimum_version(self, value: TLSVersion) -> None:
        self._version_setter(value, "min")

    @property  # type: ignore[override]
    def maximum_version(self) -> TLSVersion:
        """The highest protocol version to negotiate (``TLSVersion``)."""
        return self._maximum_version

    @maximum_version.setter
    def maximum_version(self, value: TLSVersion) -> None:
        self._version_setter(value, "max")

    @property
    def security_level(self) -> int:  # type: ignore[override]
        """OpenSSL's security level (read-only).

        The binding cannot read it back; this is the level the last cipher
        string with ``@SECLEVEL=n`` chose (2 from the defaults, as CPython).
        Changing it through ``openssl_context.set_cipher_list`` is not seen.
        """
        return self._security_level

    # -- verification ---------------------------------------------------------

    @property
    def verify_mode(self) -> VerifyMode:
        """``CERT_NONE``, ``CERT_OPTIONAL`` or ``CERT_REQUIRED``."""
        bits = self._ctx.get_verify_mode()
        if not bits & SSL.VERIFY_PEER:
            return VerifyMode.CERT_NONE
        if bits & SSL.VERIFY_FAIL_IF_NO_PEER_CERT:
            return VerifyMode.CERT_REQUIRED
        return VerifyMode.CERT_OPTIONAL

    @verify_mode.setter
    def verify_mode(self, value: int) -> None:
        try:
            mode = VerifyMode(value)
        except (ValueError, TypeError):
            if not isinstance(value, int):
                raise TypeError("an integer is required") from None
            raise ValueError("invalid value for verify_mode") from None
        if mode == VerifyMode.CERT_NONE and self._check_hostname:
            raise ValueError(
                "Cannot set verify_mode to CERT_NONE when check_hostname is enabled."
            )
        self._ctx.set_verify_mode(_VERIFY_BITS[mode])

    @property
    def check_hostname(self) -> bool:
        """Whether client connections verify the server's name in the handshake."""
        return self._check_hostname

    @check_hostname.setter
    def check_hostname(self, value: Any) -> None:
        enable = bool(value)
        if enable and self.verify_mode == VerifyMode.CERT_NONE:
            self.verify_mode = VerifyMode.CERT_REQUIRED
        self._check_hostname = enable

    @property
    def hostname_checks_common_name(self) -> bool:
        """Whether the subject CN counts when a certificate has no DNS names."""
        return self._hostname_checks_common_name

    @hostname_checks_common_name.setter
    def hostname_checks_common_name(self, value: Any) -> None:
        self._hostname_checks_common_name = bool(value)

    @property
    def _host_flags(self) -> int:
        flags = 0x4  # X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS
        if not self._hostname_checks_common_name:
            flags |= 0x20  # X509_CHECK_FLAG_NEVER_CHECK_SUBJECT
        return flags

    @property
    def verify_flags(self) -> VerifyFlags:
        """``VERIFY_*`` flags for certificate verification (CRL checks, strict, ...)."""
        return VerifyFlags(self._verify_flags)

    @verify_flags.setter
    def verify_flags(self, value: int) -> None:
        if not isinstance(value, int):
            raise TypeError("an integer is required")
        # As CPython's unsigned long conversion: -1 is every flag. Kept
        # unmasked, a negative or huge value made every later wrap_socket /
        # wrap_bio fail with OverflowError when the flags are applied.
        self._verify_flags = int(value) & _ULONG_MASK

    @property
    def post_handshake_auth(self) -> bool:
        """Allow TLS 1.3 post-handshake client authentication."""
        return self._post_handshake_auth

    @post_handshake_auth.setter
    def post_handshake_auth(self, value: Any) -> None:
        self._post_handshake_auth = bool(value)

    # -- trust ----------------------------------------------------------------

    def load_verify_locations(
        self,
        cafile: Optional[StrOrBytesPath] = None,
        capath: Optional[StrOrBytesPath] = None,
        cadata: Any = None,
    ) -> None:
        """Trust CA certificates from a PEM file, a hashed directory, or *cadata*.

        *cadata* is PEM text (``str``) or DER (bytes-like, possibly several
        certificates back to back); ``ssl_compat`` also takes a
        ``cryptography.x509.Certificate`` or a list of them.
        """
        if cafile is None and capath is None and cadata is None:
            raise TypeError("cafile, capath and cadata cannot be all omitted")
        if cafile is not None:
            _check_path(cafile, "cafile")
        if capath is not None:
            _check_path(capath, "capath")
        if cadata is not None:
            self._load_cadata(cadata)
        if cafile is not None or capath is not None:
            ctx = self._ctx
            self._configure(lambda: ctx.load_verify_locations(cafile, capath))
            if cafile is not None:
                self._trust.add_file(cafile)
            if capath is not None:
                self._trust.uses_directory = True

    def _load_cadata(self, cadata: Any) -> None:
        from cryptography import x509

        if isinstance(cadata, x509.Certificate) or (
            isinstance(cadata, (list, tuple))
            and cadata
            and all(isinstance(c, x509.Certificate) for c in cadata)
        ):
            # ssl_compat extension: cryptography certificates, as objects.
            certs = [cadata] if isinstance(cadata, x509.Certificate) else list(cadata)
        elif isinstance(cadata, str):
            if not cadata:
                raise ValueError("Empty certificate data")
            try:
                data = cadata.encode("ascii")
            except UnicodeEncodeError:
                raise TypeError(
                    "cadata should be an ASCII string or a bytes-like object"
                ) from None
            try:
                certs = x509.load_pem_x509_certificates(data)
            except ValueError:
                certs = []
            if not certs:
                raise _stdlib_ssl.SSLError(
                    0, "no start line: cadata does not contain a certificate"
                )
        else:
            try:
                data = bytes(memoryview(cadata))
            except TypeError:
                raise TypeError(
                    "cadata should be an ASCII string or a bytes-like object"
                ) from None
            if not data:
                raise ValueError("Empty certificate data")
            try:
                certs = parse_der_sequence(data)
            except ValueError:
                certs = []
            if not certs:
                raise _stdlib_ssl.SSLError(
                    0, "not enough data: cadata does not contain a certificate"
                )
        store = self._ctx.get_cert_store()
        assert store is not None
        for cert in certs:
            try:
                store.add_cert(cert)  # type: ignore[arg-type]
            except crypto.Error as exc:
                raise translate_error(exc) from None  # type: ignore[arg-type]
        self._trust.add_certs(certs)

    def load_default_certs(self, purpose: Any = Purpose.SERVER_AUTH) -> None:
        """Trust the system's CA certificates."""
        if not isinstance(purpose, type(Purpose.SERVER_AUTH)):
            raise TypeError(purpose)
        self.set_default_verify_paths()

    def set_default_verify_paths(self) -> None:
        """Trust OpenSSL's default CA locations (or the system bundle).

        cryptography's OpenSSL has compiled-in paths that rarely exist; the
        underlying ``Context.set_default_verify_paths`` then falls back to the
        usual Linux bundle locations.
        """
        ctx = self._ctx
        self._configure(ctx.set_default_verify_paths)
        paths = get_default_verify_paths()
        if paths.cafile is not None:
            self._trust.add_file(paths.cafile)
        elif "SSL_CERT_FILE" not in os.environ and "SSL_CERT_DIR" not in os.environ:
            for candidate in ("/etc/ssl/certs/ca-certificates.crt",):
                if os.path.isfile(candidate):
                    self._trust.add_file(candidate)
                    break

    def get_ca_certs(self, binary_form: bool = False) -> list[Any]:
        """The CA certificates loaded (dicts; DER with *binary_form*)."""
        certs = self._trust.ca_certs()
        if binary_form:
            return [c.public_bytes(serialization.Encoding.DER) for c in certs]
        with quietly():
            return [decode_certificate(c) for c in certs]

    def cert_store_stats(self) -> dict[str, int]:
        """Counts of loaded certificates (``x509``, ``x509_ca``) and CRLs."""
        return self._trust.stats()

    # -- own certificate ------------------------------------------------------

    def load_cert_chain(
        self,
        certfile: Any,
        keyfile: Any = None,
        password: Optional[Password] = None,
    ) -> None:
        """Load this side's certificate chain and private key.

        From PEM files, as the stdlib; ``ssl_compat`` also takes them from
        memory (PEM ``str``/``bytes``, ``cryptography`` certificates and
        private keys; see ``_memory_certs`` for the rules). *password*
        decrypts the key: ``str``, ``bytes`` or a callable returning either,
        called only when the key is encrypted.
        """
        if is_memory_input(certfile) or is_memory_input(keyfile):
            load_chain_from_memory(
                self._ctx, certfile, keyfile, password, self._memory_chain
            )
            return
        _check_path(certfile, "certfile")
        if keyfile is not None:
            _check_path(keyfile, "keyfile")
        if password is not None and not callable(password):
            if not isinstance(password, (str, bytes, bytearray)):
                raise TypeError("password should be a string or callable")
        key_path = keyfile if keyfile is not None else certfile
        with open(os.fspath(key_path), "rb") as f:
            key_data = f.read()
        ctx = self._ctx
        try:
            ctx.use_certificate_chain_file(certfile)
        except SSL.Error as exc:
            raise pem_lib_error(exc) from None
        key = load_private_key(key_data, password)
        self._configure(lambda: ctx.use_privatekey(key))
        self._configure(ctx.check_privatekey)

    # -- ciphers and groups ---------------------------------------------------

    def set_ciphers(self, ciphers: str) -> None:
        """Choose the TLS 1.2-and-older cipher suites (OpenSSL cipher string)."""
        if not isinstance(ciphers, str):
            raise TypeError("ciphers must be a str")
        ctx = self._ctx
        try:
            ctx.set_cipher_list(ciphers.encode("ascii"))
        except (SSL.Error, UnicodeEncodeError):
            raise _stdlib_ssl.SSLError("No cipher can be selected.") from None
        levels = _SECLEVEL.findall(ciphers)
        if levels:
            self._security_level = int(levels[-1])

    def get_ciphers(self) -> list[dict[str, Any]]:  # type: ignore[override]
        """The enabled cipher suites, as CPython describes them."""
        connection = SSL.Connection(self._ctx, None)
        return [cipher_dict(info) for info in connection.get_cipher_details()]

    def set_ecdh_curve(self, curve_name: Union[str, bytes]) -> None:
        """Use the named curve (``"prime256v1"``, ``"X25519"``, ...) for ECDH."""
        if isinstance(curve_name, str):
            name = curve_name.encode("ascii", "replace")
        elif isinstance(curve_name, bytes):
            name = curve_name
        else:
            raise TypeError("curve_name must be str or bytes")
        try:
            self._ctx.set_groups([name])
        except (SSL.Error, ValueError):
            raise ValueError(f"unknown elliptic curve name {curve_name!r}") from None

    def load_dh_params(self, path: StrOrBytesPath) -> None:
        """Load DH parameters (PEM) for DHE key exchange."""
        _check_path(path, "path")
        ctx = self._ctx
        self._configure(lambda: ctx.load_tmp_dh(path))

    # -- ALPN / NPN -----------------------------------------------------------

    def set_alpn_protocols(self, alpn_protocols: Any) -> None:
        """Offer (clients) or accept (servers) these ALPN protocols, in order."""
        protocols = []
        for protocol in alpn_protocols:
            raw = protocol.encode("ascii") if isinstance(protocol, str) else protocol
            # memoryview, not bytes(): bytes(2**40) allocates a terabyte.
            raw = bytes(memoryview(raw))
            if len(raw) == 0 or len(raw) > 255:
                raise _stdlib_ssl.SSLError("ALPN protocols must be 1 to 255 in length")
            protocols.append(raw)
        self._alpn_protocols = protocols
        ctx = self._ctx
        if protocols:
            self._configure(lambda: ctx.set_alpn_protos(protocols))
        if not self._alpn_callback_installed:
            callback = _weak_method(self, "_select_alpn", SSL.NO_OVERLAPPING_PROTOCOLS)
            self._configure(lambda: ctx.set_alpn_select_callback(callback))
            self._alpn_callback_installed = True

    def _set_npn_protocols(self, wire: bytes) -> None:
        raise NotImplementedError("The NPN extension requires OpenSSL 1.0.1 or later.")

    def _set_alpn_protocols(self, wire: bytes) -> None:
        self.set_alpn_protocols(parse_wire(wire))

    def _select_alpn(self, connection: SSL.Connection, offered: list[bytes]) -> Any:
        # Server preference, as CPython (SSL_select_next_proto): our first
        # protocol the client also offers; none in common -> no ALPN.
        for protocol in self._alpn_protocols:
            if protocol in offered:
                return protocol
        return SSL.NO_OVERLAPPING_PROTOCOLS

    def set_npn_protocols(self, npn_protocols: Any) -> None:
        """NPN is gone from the OpenSSL in use: ``NotImplementedError``."""
        warnings.warn(
            "ssl NPN is deprecated, use ALPN instead", DeprecationWarning, stacklevel=2
        )
        raise NotImplementedError("The NPN extension requires OpenSSL 1.0.1 or later.")

    # -- SNI ------------------------------------------------------------------

    @property
    def sni_callback(self) -> Any:
        """``callback(ssl_object, server_name, context)`` for servers.

        Called during the handshake when the client sent SNI (or ``None`` as
        *server_name* when it did not). It may assign ``ssl_object.context``
        to switch certificates; returning an ``ALERT_DESCRIPTION_*`` fails
        the handshake with that alert. If it raises, the handshake fails
        with ``HANDSHAKE_FAILURE`` and the exception is chained as the
        ``__cause__`` of the ``SSLError`` the server's handshake raises
        (CPython reports it through ``sys.unraisablehook`` instead).
        """
        return self._sni_callback

    @sni_callback.setter
    def sni_callback(self, callback: Any) -> None:
        if self._protocol == _SSLMethod.PROTOCOL_TLS_CLIENT:
            raise ValueError("sni_callback cannot be set on TLS_CLIENT context")
        if callback is None:
            self._sni_callback = None
            self._ctx.clear_tlsext_servername_callback()
            return
        if not callable(callback):
            raise TypeError("not a callable object")
        self._sni_callback = callback
        # The slot is shared with set_tlsext_servername_callback, which may
        # have taken it since: the last one set wins.
        self._ctx.set_tlsext_servername_alert_callback(_dispatch_sni)

    def set_servername_callback(self, server_name_callback: Any) -> None:
        """The older spelling of :attr:`sni_callback`."""
        self.sni_callback = server_name_callback

    # -- sessions, tickets, key log -------------------------------------------

    @property
    def num_tickets(self) -> int:
        """TLS 1.3 session tickets a server sends (recorded only).

        The binding lacks ``SSL_CTX_set_num_tickets``: the value is validated
        and reported back, OpenSSL keeps sending its default of two.
        """
        return self._num_tickets

    @num_tickets.setter
    def num_tickets(self, value: int) -> None:
        if not isinstance(value, int):
            raise TypeError("an integer is required")
        if value < 0:
            raise ValueError("value must be non-negative")
        if self._protocol != _SSLMethod.PROTOCOL_TLS_SERVER:
            raise ValueError("SSLContext is not a server context.")
        self._num_tickets = value

    def session_stats(self) -> dict[str, int]:
        """Handshake and session-cache counters.

        The binding lacks ``SSL_CTX_sess_*``; the counters are kept by this
        module for the connections it drives: ``connect``/``accept`` when a
        handshake starts, ``*_good`` when it succeeds, ``hits`` when a
        server resumed a session, ``misses`` when a client offered one that
        was not resumed. ``number``, ``timeouts`` and ``cache_full`` stay 0.
        """
        with self._stats_lock:
            return dict(self._stats)

    def _count(self, key: str) -> None:
        with self._stats_lock:
            self._stats[key] += 1

    @property
    def keylog_filename(self) -> Any:
        """Append TLS secrets (NSS key log format) to this file; ``None`` to stop."""
        return self._keylog_filename

    @keylog_filename.setter
    def keylog_filename(self, filename: Any) -> None:
        if filename is None:
            with self._keylog_lock:
                self._keylog_filename = None
                if self._keylog_file is not None:
                    self._keylog_file.close()
                    self._keylog_file = None
            return
        if not isinstance(filename, (str, bytes, os.PathLike)):
            raise TypeError("filename must be a str, bytes or os.PathLike")
        handle = open(os.fspath(filename), "ab")
        if handle.tell() == 0:
            handle.write(b"# TLS secrets log file, generated by OpenSSL / Python\n")
            handle.flush()
        with self._keylog_lock:
            if self._keylog_file is not None:
                self._keylog_file.close()
            self._keylog_file = handle
            self._keylog_filename = filename
        if not self._keylog_installed:
            ctx = self._ctx
            callback = _weak_method(self, "_write_keylog", None)
            self._configure(lambda: ctx.set_keylog_callback(callback))
            self._keylog_installed = True

    def __del__(self) -> None:
        handle = getattr(self, "_keylog_file", None)
        if handle is not None:
            handle.close()

    def _write_keylog(self, connection: SSL.Connection, line: bytes) -> None:
        with self._keylog_lock:
            handle = self._keylog_file
            if handle is not None:
                handle.write(line + b"\n")
                handle.flush()

    # -- debugging hook of the stdlib -----------------------------------------

    _msg_callback_function: Any = None

    @property
    def _msg_callback(self) -> Any:
        """CPython's private TLS message tracing hook (see ``_tracing``)."""
        return self._msg_callback_function

    @_msg_callback.setter
    def _msg_callback(self, callback: Any) -> None:
        _tracing.set_msg_callback(self, callback)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__module__}.{type(self).__name__} "
            f"protocol={self._protocol.name}>"
        )


def _weak_method(owner: Any, name: str, default: Any) -> Callable[..., Any]:
    """A callback for the OpenSSL context that does not keep *owner* alive.

    The ``OpenSSL.SSL.Context`` keeps its callbacks; a bound method would
    make a reference cycle with the ``SSLContext`` that owns that Context.
    """
    ref = weakref.ref(owner)

    def call(*args: Any) -> Any:
        target = ref()
        if target is None:
            return default
        return getattr(target, name)(*args)

    return call


def _dispatch_sni(connection: SSL.Connection) -> Optional[int]:
    """Run the stdlib ``sni_callback`` for one handshake; ``None`` or an alert.

    Never raises: the callback's exception is kept on the connection's core,
    which chains it to the ``SSLError`` the handshake then raises.
    """
    core = owner_of(connection)
    if core is None:
        return None
    context = core.context_at_creation
    callback = context._sni_callback
    if callback is None:
        return None
    name = core.connection.get_servername()
    server_name = name.decode("ascii", "replace") if name is not None else None
    try:
        result = callback(core.public, server_name, context)
    except BaseException as exc:
        core.callback_exception = exc
        return int(_stdlib_ssl.AlertDescription.ALERT_DESCRIPTION_HANDSHAKE_FAILURE)
    if result is None:
        return None
    try:
        # An integer, as CPython takes it (PyLong_AsLong: no "40", no 1.5),
        # and one an alert can carry: anything else fails the handshake with
        # an internal error instead of reaching the C int (an OverflowError
        # there would let the handshake go on).
        alert = operator.index(result)
        if not 0 <= alert <= 255:
            raise ValueError(f"sni_callback returned {alert}, not a TLS alert number")
    except (TypeError, ValueError) as exc:
        core.callback_exception = exc
        return int(_stdlib_ssl.AlertDescription.ALERT_DESCRIPTION_INTERNAL_ERROR)
    return alert


def create_default_context(
    purpose: Any = Purpose.SERVER_AUTH,
    *,
    cafile: Optional[StrOrBytesPath] = None,
    capath: Optional[StrOrBytesPath] = None,
    cadata: Optional[Union[str, bytes]] = None,
) -> SSLContext:
    """A context with the stdlib's secure defaults.

    For ``Purpose.SERVER_AUTH`` (a client checking servers): TLS 1.2 or
    newer, ``CERT_REQUIRED``, hostname checked inside the handshake, system
    CAs unless *cafile*/*capath*/*cadata* are given. For
    ``Purpose.CLIENT_AUTH``: a server context. On Python 3.13+ also
    ``VERIFY_X509_STRICT | VERIFY_X509_PARTIAL_CHAIN`` on every Python, as
    the stdlib does from 3.13 on.
    ``SSLKEYLOGFILE`` is honoured (unless Python runs with ``-E``).
    """
    if not isinstance(purpose, type(Purpose.SERVER_AUTH)):
        raise TypeError(purpose)
    if purpose == Purpose.SERVER_AUTH:
        context = SSLContext(_SSLMethod.PROTOCOL_TLS_CLIENT)
        context.verify_mode = VerifyMode.CERT_REQUIRED
        context.check_hostname = True
    elif purpose == Purpose.CLIENT_AUTH:
        context = SSLContext(_SSLMethod.PROTOCOL_TLS_SERVER)
    else:
        raise ValueError(purpose)
    # What CPython 3.13+ does, on every Python: RFC 5280-strict
    # certificates, and trusted intermediates usable as anchors.
    context.verify_flags |= _STRICT_FLAGS
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    elif context.verify_mode != VerifyMode.CERT_NONE:
        context.load_default_certs(purpose)
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog and not sys.flags.ignore_environment:
        context.keylog_filename = keylog
    return context
