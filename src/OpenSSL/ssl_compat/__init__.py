"""The standard library's ``ssl`` module surface, running on ``OpenSSL.SSL``.

Programs written for ``ssl`` switch with one import
(``from OpenSSL import ssl_compat as ssl``) or by being handed one of this
module's contexts: :class:`SSLContext` subclasses ``ssl.SSLContext`` and
:class:`SSLSocket` subclasses ``ssl.SSLSocket`` (and ``socket.socket``), so
``http.client``, ``urllib.request``, urllib3, asyncio and trio accept them.
The exceptions are the stdlib's own classes (``ssl.SSLError``,
``ssl.SSLCertVerificationError``, ...), filled in as CPython fills them.

Example, with a pyOpenSSL-only feature through the escape hatch::

    from OpenSSL import SSL, ssl_compat
    import urllib.request

    ctx = ssl_compat.create_default_context()
    def verify(conn, cert, errnum, depth, ok):   # sees every chain element
        return ok
    ctx.openssl_context.set_verify(
        SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, verify
    )
    urllib.request.urlopen("https://example.org/", context=ctx)

Beyond the standard library
---------------------------

In the stdlib's shape (``_extensions`` and the modules it names):
``load_cert_chain`` also takes PEM data and ``cryptography`` certificates
and keys (``_memory_certs``), ``load_verify_locations(cadata=...)`` also
``cryptography`` certificates; ``SSLContext.set_verify_callback``
(``_verification``); OCSP stapling with
``SSLContext.set_ocsp_response_callback``, ``SSLContext.ocsp_mode`` and
``get_ocsp_response()`` (``_ocsp``); ``get_channel_binding("tls-exporter")``
and ``export_keying_material()``. See ``doc/ssl_compat_beyond.rst``.

How the surface maps onto ``OpenSSL.SSL``
-----------------------------------------

* ``SSLContext`` owns one ``OpenSSL.SSL.Context``
  (:attr:`SSLContext.openssl_context`, the escape hatch for verify, OCSP and
  info callbacks). Its properties validate like CPython's and make one call
  on it; a few settings the binding cannot read back are kept in Python
  (``_context``). Everything goes through ``OpenSSL.SSL``'s public API
  (the layer rule, enforced by ``tests/test_layering.py``).
* ``SSLSocket`` (``_socket``) runs a socket-mode ``Connection`` on its own
  file descriptor; one retry helper handles want-read/want-write against the
  socket's blocking mode or timeout.
* ``SSLObject`` (``_object``) runs a memory-BIO ``Connection`` and moves
  bytes between it and the caller's ``MemoryBIO`` pair (this module's or the
  stdlib's).
* Both share ``_core.TLSCore``: SNI, hostname checking *inside* the
  handshake (``Connection.set_verify_hostname``: a mismatch fails
  verification with ``X509_V_ERR_HOSTNAME_MISMATCH``, as in CPython),
  ``getpeercert()`` (built from ``cryptography`` objects in ``_certs``, equal
  to CPython's dict), sessions (``_session``), error translation
  (``_errors``).
* ``_constants`` re-exports the stdlib's enums (``TLSVersion``, ``Options``,
  ``VerifyMode``, ``Purpose``, ...) so values compare equal; ``OP_*`` values
  and ``OPENSSL_VERSION*`` describe the OpenSSL we run on (cryptography's).
  On Python 3.9, whose ``VerifyFlags`` lacks ``VERIFY_X509_PARTIAL_CHAIN``
  and ``VERIFY_ALLOW_PROXY_CERTS``, ``VerifyFlags`` is a same-named
  ``IntFlag`` with every member of the newest CPython (equal to the
  stdlib's ints, but not an instance of ``ssl.VerifyFlags``).

Beyond CPython
--------------

* ``SSLSession.to_bytes()``/``from_bytes()``: sessions kept in a file or a
  shared cache, resumed from another process (``session=`` accepts them);
* TLS 1.3 early data: ``SSLContext.max_early_data``,
  ``SSLObject``/``SSLSocket.write_early_data()``, ``read_early_data()``,
  ``get_early_data_status()`` (``_early_data``; asyncio clients offer it
  from a ``wrap_bio`` override);
* CPython's private ``SSLContext._msg_callback`` hook works (``_tracing``).

What differs from CPython, and why
----------------------------------

cryptography's binding (the only C surface allowed) lacks some functions
CPython uses; the nearest honest thing is done instead:

* ``SSLContext.options`` is kept by the context and given to each new
  connection (``Connection.set_options``), so options can be cleared (the
  binding has no ``SSL_CTX_clear_options``) -- except the two OpenSSL puts
  in every ``SSL_CTX``, ``OP_NO_COMPRESSION`` and
  ``OP_ENABLE_MIDDLEBOX_COMPAT``, which stay on and are reported; so do
  options set through ``openssl_context.set_options``. Setting
  ``OP_NO_SSL*``/``OP_NO_TLS*`` warns as in CPython.
* Writes are all-or-nothing as in CPython (the context clears OpenSSL's
  partial-write mode); an ``openssl_context`` handed to ``SSL.Connection``
  directly keeps that setting.
* ``SSLObject`` hands the connection one TLS record at a time (CPython's
  OpenSSL reads the caller's BIO itself), so bytes after the peer's
  close_notify stay in the caller's ``MemoryBIO``.
* ``server_hostname`` values OpenSSL 4 refuses to check (one character,
  or a trailing dot) are accepted and checked by this module the moment
  the handshake completes, with OpenSSL 3's result ("example.com." does not
  match "example.com"); a mismatch raises the same
  ``SSLCertVerificationError``, but the server sees a finished handshake
  followed by a close instead of a ``bad_certificate`` alert.
* A certificate extension cryptography cannot parse (a CRL distribution
  point with no name, CPython's ``talos-2019-0758.pem``) is left out of
  ``getpeercert()`` and the CA check, as OpenSSL leaves it out.
* ``get_ca_certs()`` lists a CA found in a ``capath`` directory once a
  handshake verified a chain ending in it (OpenSSL keeps such CAs; CPython
  then lists them).
* ``verify_flags``, ``minimum_version``/``maximum_version`` and
  ``security_level`` are remembered in Python (no getters in the binding);
  verify flags are applied to each new connection.
* ``num_tickets`` is validated and remembered but not applied
  (no ``SSL_CTX_set_num_tickets``).
* ``session_stats()`` counts the handshakes this module drove, not OpenSSL's
  session-cache counters (no ``SSL_CTX_sess_*``).
* ``get_ca_certs()``/``cert_store_stats()`` list what this context loaded
  from files and ``cadata`` (the store cannot be enumerated): the same
  certificates and counts as CPython, in load order rather than OpenSSL's
  store order.
* ``get_ciphers()`` derives key exchange/auth/cipher/MAC fields from suite
  names; on a server ``shared_ciphers()`` lists this side's enabled suites
  (no ``SSL_get_client_ciphers``); on a client it is ``None``, as in CPython.
* ``RAND_bytes`` uses ``os.urandom`` (no ``RAND_bytes`` in the binding).
* NPN is absent from the OpenSSL in use (``HAS_NPN`` is false).
* An exception raised by ``sni_callback`` fails the handshake with
  ``HANDSHAKE_FAILURE`` (as CPython) and is chained as ``__cause__`` of the
  server's ``SSLError`` rather than printed by ``sys.unraisablehook``.
* Error messages lack CPython's ``(_ssl.c:NNNN)`` suffix. Transport
  failures during reads and writes are reported the way the running Python
  reports them (``SSLEOFError`` on 3.10-3.12, the ``OSError`` on 3.9 and
  3.13+). A transport that ends mid-record is CPython 3.10+'s
  ``SSLEOFError`` (reason ``UNEXPECTED_EOF_WHILE_READING``) on every
  Python; 3.9's ``_ssl`` raised a plain ``SSLError`` with that reason.
* Some ``reason`` values come from the OpenSSL version, not from this
  module: errors report the newest entry of OpenSSL's error queue, as
  CPython does, and OpenSSL 3.2+ (cryptography's bundled OpenSSL) pushes a
  generic entry on top of some. A corrupted record is thus
  ``RECORD_LAYER_FAILURE`` here where a CPython linked against OpenSSL 3.0/3.1
  says ``DECRYPTION_FAILED_OR_BAD_RECORD_MAC`` (a CPython on OpenSSL 3.2+
  says ``RECORD_LAYER_FAILURE`` too); the exception type is the same.
* ``server_hostname="[::1]"`` (brackets) is taken as an IP address; CPython
  treats it as a DNS name that never matches.
* The 3.13-3.15 additions exist on every Python (``_controls``): PSK
  callbacks, ``get_verified_chain()``/``get_unverified_chain()`` (DER
  bytes), ``set_ciphersuites``, ``set_groups``/``get_groups`` (probed: the
  binding cannot list groups), ``group()``, ``set_client_sigalgs``/
  ``set_server_sigalgs`` (one OpenSSL list for both directions) and
  ``get_sigalgs()``; ``client_sigalg()``/``server_sigalg()``, read from the
  handshake messages (the binding cannot tell the algorithm used).
* ``_ssl`` (CPython's private C module) is not offered; the stdlib's
  pure-Python private names that code uses (``_TLSContentType``,
  ``_PROTOCOL_NAMES``, ``_ASN1Object``, ...) are the stdlib's own objects.
* CPython's ``test_ssl`` runs against this module in ``make test``
  (``tests/conformance``); the tests it fails, each with its reason, are
  in ``tests/conformance/known_differences.txt``.
* ``SSLContext`` objects may be changed after use, as the stdlib allows;
  the ``OpenSSL.SSL.Context`` underneath is told so once
  (``Context.allow_changes_after_use``).
"""

from __future__ import annotations

import os
import socket as _socket_module
import ssl as _stdlib_ssl
import sys
import warnings
from typing import Any, Optional

from OpenSSL import SSL
from OpenSSL.ssl_compat._certs import (
    PEM_FOOTER,
    PEM_HEADER,
    DefaultVerifyPaths,
    DER_cert_to_PEM_cert,
    PEM_cert_to_DER_cert,
    cert_time_to_seconds,
    get_default_verify_paths,
    match_hostname,
)
from OpenSSL.ssl_compat._constants import (
    CHANNEL_BINDING_TYPES,
    DEFAULT_CIPHERS,
    OPENSSL_VERSION,
    OPENSSL_VERSION_INFO,
    OPENSSL_VERSION_NUMBER,
    AlertDescription,
    Options,
    Purpose,
    SSLErrorNumber,
    TLSVersion,
    VerifyFlags,
    VerifyMode,
    module_constants,
)
from OpenSSL.ssl_compat._context import SSLContext, create_default_context
from OpenSSL.ssl_compat._controls import get_sigalgs
from OpenSSL.ssl_compat._early_data import (
    EARLY_DATA_ACCEPTED,
    EARLY_DATA_NOT_SENT,
    EARLY_DATA_REJECTED,
)
from OpenSSL.ssl_compat._object import MemoryBIO, SSLObject
from OpenSSL.ssl_compat._ocsp import OCSPMode
from OpenSSL.ssl_compat._session import SSLSession
from OpenSSL.ssl_compat._socket import SSLSocket

# The stdlib's exception classes themselves, so ``except ssl.SSLError`` works.
SSLError = _stdlib_ssl.SSLError
SSLZeroReturnError = _stdlib_ssl.SSLZeroReturnError
SSLWantReadError = _stdlib_ssl.SSLWantReadError
SSLWantWriteError = _stdlib_ssl.SSLWantWriteError
SSLSyscallError = _stdlib_ssl.SSLSyscallError
SSLEOFError = _stdlib_ssl.SSLEOFError
SSLCertVerificationError = _stdlib_ssl.SSLCertVerificationError
CertificateError = _stdlib_ssl.CertificateError

SSLContext.sslsocket_class = SSLSocket
SSLContext.sslobject_class = SSLObject

# Every OP_*, CERT_*, VERIFY_*, PROTOCOL_*, ALERT_DESCRIPTION_*, SSL_ERROR_*
# and HAS_* name; the most used are repeated below for type checkers.
globals().update(module_constants())
CERT_NONE = VerifyMode.CERT_NONE
CERT_OPTIONAL = VerifyMode.CERT_OPTIONAL
CERT_REQUIRED = VerifyMode.CERT_REQUIRED
PROTOCOL_TLS_CLIENT: Any = _stdlib_ssl.PROTOCOL_TLS_CLIENT
PROTOCOL_TLS_SERVER: Any = _stdlib_ssl.PROTOCOL_TLS_SERVER
PROTOCOL_TLS: Any = _stdlib_ssl.PROTOCOL_TLS
PROTOCOL_SSLv23: Any = _stdlib_ssl.PROTOCOL_SSLv23

SOL_SOCKET = _socket_module.SOL_SOCKET
SO_TYPE = _socket_module.SO_TYPE
SOCK_STREAM = _socket_module.SOCK_STREAM
socket_error = OSError
_DEFAULT_CIPHERS = DEFAULT_CIPHERS
_INT_MAX = 2**31 - 1

# Private names of the stdlib's ssl.py that programs (and CPython's own
# test_ssl) reach for. They are pure Python there and describe no engine:
# the stdlib's own objects, so they compare equal with the stdlib's.
_ASN1Object = _stdlib_ssl._ASN1Object  # Purpose's base class
_PROTOCOL_NAMES: Any = getattr(_stdlib_ssl, "_PROTOCOL_NAMES")  # noqa: B009
_SSLMethod = _stdlib_ssl._SSLMethod
_TLSAlertType: Any = getattr(_stdlib_ssl, "_TLSAlertType")  # noqa: B009
_TLSContentType: Any = getattr(_stdlib_ssl, "_TLSContentType")  # noqa: B009
_TLSMessageType: Any = getattr(_stdlib_ssl, "_TLSMessageType")  # noqa: B009
_inet_paton: Any = getattr(_stdlib_ssl, "_inet_paton")  # noqa: B009
# The OpenSSL this module runs on (cryptography's), like OPENSSL_VERSION_INFO.
_OPENSSL_API_VERSION = OPENSSL_VERSION_INFO


def RAND_status() -> bool:
    """Whether OpenSSL's random generator is seeded."""
    return SSL.random_status()


def RAND_add(string: Any, entropy: float) -> None:
    """Mix *string* (str or bytes-like) into OpenSSL's random generator."""
    # memoryview, not bytes(): an int would become that many zero bytes.
    if isinstance(string, str):
        data = string.encode("utf-8")
    else:
        data = bytes(memoryview(string))
    SSL.random_add(data, float(entropy))


def RAND_bytes(n: int) -> bytes:
    """*n* cryptographically strong random bytes.

    The binding has no ``RAND_bytes``; the operating system's CSPRNG
    (``os.urandom``, which also seeds OpenSSL) supplies them.
    """
    if n < 0:
        raise ValueError("num must be positive")
    if n > _INT_MAX:
        # The stdlib takes a C int: refuse instead of allocating gigabytes.
        raise OverflowError("Python int too large to convert to C int")
    return os.urandom(n)


def RAND_pseudo_bytes(n: int) -> tuple[bytes, bool]:
    """Deprecated: ``(RAND_bytes(n), True)``."""
    warnings.warn(
        "ssl.RAND_pseudo_bytes() is deprecated", DeprecationWarning, stacklevel=2
    )
    return RAND_bytes(n), True


def enum_certificates(store_name: str) -> list[Any]:
    """Windows certificate stores: delegated to the stdlib there."""
    native = getattr(_stdlib_ssl, "enum_certificates", None)
    if native is None:
        raise NotImplementedError("enum_certificates() is only available on Windows")
    return native(store_name)  # type: ignore[no-any-return]


def enum_crls(store_name: str) -> list[Any]:
    """Windows CRL stores: delegated to the stdlib there."""
    native = getattr(_stdlib_ssl, "enum_crls", None)
    if native is None:
        raise NotImplementedError("enum_crls() is only available on Windows")
    return native(store_name)  # type: ignore[no-any-return]


def get_protocol_name(protocol_code: int) -> str:
    """The name of a ``PROTOCOL_*`` constant."""
    try:
        return str(_stdlib_ssl._SSLMethod(protocol_code).name)
    except ValueError:
        return "<unknown>"


def _create_unverified_context(
    protocol: Optional[int] = None,
    *,
    cert_reqs: int = CERT_NONE,
    check_hostname: bool = False,
    purpose: Any = Purpose.SERVER_AUTH,
    certfile: Any = None,
    keyfile: Any = None,
    cafile: Any = None,
    capath: Any = None,
    cadata: Any = None,
) -> SSLContext:
    """A context without verification, for legacy stdlib-style callers."""
    if not isinstance(purpose, type(Purpose.SERVER_AUTH)):
        raise TypeError(purpose)
    if purpose == Purpose.SERVER_AUTH:
        if protocol is None:
            protocol = PROTOCOL_TLS_CLIENT
    elif purpose == Purpose.CLIENT_AUTH:
        if protocol is None:
            protocol = PROTOCOL_TLS_SERVER
    else:
        raise ValueError(purpose)
    context = SSLContext(protocol)
    context.check_hostname = check_hostname
    if cert_reqs is not None:
        context.verify_mode = cert_reqs
    if keyfile and not certfile:
        raise ValueError("certfile must be specified")
    if certfile or keyfile:
        context.load_cert_chain(certfile, keyfile)
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    elif context.verify_mode != CERT_NONE:
        context.load_default_certs(purpose)
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog and not sys.flags.ignore_environment:
        context.keylog_filename = keylog
    return context


_create_default_https_context = create_default_context
_create_stdlib_context = _create_unverified_context


def wrap_socket(
    sock: _socket_module.socket,
    keyfile: Any = None,
    certfile: Any = None,
    server_side: bool = False,
    cert_reqs: int = CERT_NONE,
    ssl_version: int = PROTOCOL_TLS,
    ca_certs: Any = None,
    do_handshake_on_connect: bool = True,
    suppress_ragged_eofs: bool = True,
    ciphers: Optional[str] = None,
) -> SSLSocket:
    """The early stdlib API: wrap *sock* with a one-off context.

    Deprecated in the stdlib since 3.7 (removed in 3.12); kept for old code.
    Without ``cert_reqs``/``ca_certs`` nothing is verified -- prefer
    ``create_default_context().wrap_socket(sock, server_hostname=...)``.
    """
    warnings.warn(
        "ssl.wrap_socket() is deprecated, use SSLContext.wrap_socket()",
        DeprecationWarning,
        stacklevel=2,
    )
    if server_side and not certfile:
        raise ValueError("certfile must be specified for server-side operations")
    if keyfile and not certfile:
        raise ValueError("certfile must be specified")
    context = SSLContext(ssl_version)
    context.verify_mode = cert_reqs
    if ca_certs:
        context.load_verify_locations(ca_certs)
    if certfile:
        context.load_cert_chain(certfile, keyfile)
    if ciphers:
        context.set_ciphers(ciphers)
    return context.wrap_socket(  # type: ignore[no-any-return]
        sock=sock,
        server_side=server_side,
        do_handshake_on_connect=do_handshake_on_connect,
        suppress_ragged_eofs=suppress_ragged_eofs,
    )


# socket.create_connection's "use the global default" marker.
_DEFAULT_TIMEOUT: Any = getattr(_socket_module, "_GLOBAL_DEFAULT_TIMEOUT")  # noqa: B009


def get_server_certificate(
    addr: tuple[str, int],
    ssl_version: Optional[int] = None,
    ca_certs: Optional[str] = None,
    timeout: Any = _DEFAULT_TIMEOUT,
) -> str:
    """The PEM certificate of the server at *addr*.

    Verified against *ca_certs* when given (hostname checks are not part of
    this function, as in CPython); otherwise fetched without verification.
    """
    host, _port = addr
    if ssl_version is None:
        ssl_version = PROTOCOL_TLS_CLIENT
    context = SSLContext(ssl_version)
    context.check_hostname = False
    if ca_certs is not None:
        context.verify_mode = CERT_REQUIRED
        context.load_verify_locations(ca_certs)
    else:
        context.verify_mode = CERT_NONE
    with _socket_module.create_connection(addr, timeout=timeout) as sock:
        with context.wrap_socket(sock, server_hostname=host) as ssl_sock:
            der = ssl_sock.getpeercert(True)
    assert der is not None
    return DER_cert_to_PEM_cert(der)


__all__ = [
    "CHANNEL_BINDING_TYPES",
    "EARLY_DATA_ACCEPTED",
    "EARLY_DATA_NOT_SENT",
    "EARLY_DATA_REJECTED",
    "OPENSSL_VERSION",
    "OPENSSL_VERSION_INFO",
    "OPENSSL_VERSION_NUMBER",
    "PEM_FOOTER",
    "PEM_HEADER",
    "AlertDescription",
    "CertificateError",
    "DER_cert_to_PEM_cert",
    "DefaultVerifyPaths",
    "MemoryBIO",
    "OCSPMode",
    "Options",
    "PEM_cert_to_DER_cert",
    "Purpose",
    "RAND_add",
    "RAND_bytes",
    "RAND_pseudo_bytes",
    "RAND_status",
    "SSLCertVerificationError",
    "SSLContext",
    "SSLEOFError",
    "SSLError",
    "SSLErrorNumber",
    "SSLObject",
    "SSLSession",
    "SSLSocket",
    "SSLSyscallError",
    "SSLWantReadError",
    "SSLWantWriteError",
    "SSLZeroReturnError",
    "TLSVersion",
    "VerifyFlags",
    "VerifyMode",
    "cert_time_to_seconds",
    "create_default_context",
    "enum_certificates",
    "enum_crls",
    "get_default_verify_paths",
    "get_protocol_name",
    "get_server_certificate",
    "get_sigalgs",
    "match_hostname",
    "wrap_socket",
    *sorted(module_constants()),
]
