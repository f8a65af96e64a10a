"""TLS and DTLS connections: ``Context``, ``Connection``, ``Session``.

The API is pyOpenSSL 26.4's. In short:

* A :class:`Context` holds configuration shared by many connections:
  protocol versions, certificates and keys, trust, and callbacks. It is
  frozen once it has made its first :class:`Connection`.
* A :class:`Connection` is one TLS/DTLS session. Given a socket, OpenSSL
  does the I/O on the socket itself; given ``None``, it works on memory
  BIOs and the caller moves the TLS bytes with :meth:`Connection.bio_read`
  and :meth:`Connection.bio_write` (how event loops use it).
* Errors: :class:`WantReadError` / :class:`WantWriteError` mean "retry the
  same call when the transport is ready"; :class:`ZeroReturnError` is a
  clean close by the peer; :class:`SysCallError` is a transport failure
  (``(-1, 'Unexpected EOF')`` when the peer vanished without close_notify);
  :class:`Error` is everything else, with OpenSSL's
  ``(library, function, reason)`` list in ``args[0]``.
* Callbacks: an exception raised in a callback aborts what OpenSSL was doing
  and comes out of the call that drove it (``do_handshake``, ``recv``, ...)
  unchanged. The servername callback's exceptions go to ``sys.excepthook``
  instead, and the handshake fails.

Where things live (each a one-step answer; private modules of ``OpenSSL``):

* Context and its settings: ``_ssl_context.Context``. Connection, Session
  and the data path (``send``/``recv``/``bio_*``): ``_ssl_connection``; the
  socket calls a socket-mode Connection hands on (``bind``, ``fileno``...):
  ``_ssl_socket``.
* ALPN: ``_alpn`` (the wire format, encoder and parser); the methods are
  ``set_alpn_protos`` on Context and Connection, the server's choice goes
  through ``Context.set_alpn_select_callback`` and ``_callbacks.alpn_select``.
* Error translation: ``_ssl_errors.raise_ssl_error`` (``SSL_get_error`` code
  -> exception class, one table) for I/O calls; ``_util.checked`` (the one
  checked call) and ``_util.exception_from_error_queue`` for everything
  else; ``verify_error_string`` for ``X509_V_*`` codes.
* The blocking wait: none here. A socket-mode Connection lets OpenSSL block
  on the socket itself (a non-blocking socket gives ``WantReadError``); the
  one place that waits with a timeout is ``ssl_compat._socket.SSLSocket._retry``.
* DTLS: ``Connection.DTLSv1_listen`` / ``DTLSv1_get_timeout`` /
  ``DTLSv1_handle_timeout`` / ``get_cleartext_mtu`` in ``_ssl_connection``;
  cookies through ``Context.set_cookie_generate_callback`` /
  ``set_cookie_verify_callback`` (``_callbacks.cookie_generate``/``verify``).
* Sessions: ``_ssl_connection.Session`` and ``Connection.get_session`` /
  ``set_session``; the cache settings on Context (``set_session_cache_mode``,
  ``set_session_id``, ``set_timeout``).
* OCSP: ``Context.set_ocsp_server_callback`` / ``set_ocsp_client_callback``
  and ``Connection.request_ocsp``; the trampolines are
  ``_callbacks.ocsp_server`` / ``ocsp_client``.
* Callbacks: ``_callbacks`` -- one trampoline factory
  (``_callbacks.callback_kind``), each kind only its argument and result
  conversion; its module docstring says how to add one. The ``SSL *`` ->
  Connection registry is ``_callbacks.connections``.
* Groups, signature algorithms, TLS 1.3 suite names, post-handshake
  auth, the servername callback that answers with an alert, and the
  read-outs ``ssl_compat`` needs (options, ``bio_pending``, cipher details,
  verification and error strings): ``_ssl_controls`` (mixins of Context and
  Connection). TLS-PSK and the certificate callback: ``_ssl_psk``.
* Constants (``OP_*``, ``VERIFY_*``, methods, versions): ``_ssl_constants``.
* The binding itself (``ffi``/``lib``): ``_util``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from OpenSSL._ssl_connection import Connection, Session
from OpenSSL._ssl_constants import *  # noqa: F403
from OpenSSL._ssl_constants import __all__ as _constant_names
from OpenSSL._ssl_context import Context
from OpenSSL._ssl_controls import (
    HAS_POST_HANDSHAKE_AUTH,
    VERIFY_POST_HANDSHAKE,
    X509_V_ERR_HOSTNAME_MISMATCH,
    X509_V_ERR_IP_ADDRESS_MISMATCH,
    CipherDetails,
    default_verify_paths,
    error_strings,
    oid_long_name,
    random_add,
    random_status,
    verify_error_string,
)
from OpenSSL._ssl_errors import (
    Error,
    SysCallError,
    WantReadError,
    WantWriteError,
    WantX509LookupError,
    ZeroReturnError,
)
from OpenSSL._ssl_sigalgs import SIGNATURE_SCHEMES
from OpenSSL._util import deprecated

__all__ = [
    "HAS_POST_HANDSHAKE_AUTH",
    "SIGNATURE_SCHEMES",
    "VERIFY_POST_HANDSHAKE",
    "X509_V_ERR_HOSTNAME_MISMATCH",
    "X509_V_ERR_IP_ADDRESS_MISMATCH",
    "CipherDetails",
    "Connection",
    "Context",
    "Error",
    "Session",
    "SysCallError",
    "WantReadError",
    "WantWriteError",
    "WantX509LookupError",
    "ZeroReturnError",
    "default_verify_paths",
    "error_strings",
    "oid_long_name",
    "random_add",
    "random_status",
    "verify_error_string",
    *_constant_names,
]

# The class names of pyOpenSSL's first releases (when Context and Connection
# were C types), kept as deprecated aliases: reading one warns, and the value
# is the class itself, so isinstance() keeps working.
_DEPRECATED_ALIASES: dict[str, tuple[str, type]] = {
    "ContextType": ("Context", Context),
    "ConnectionType": ("Connection", Connection),
}

if TYPE_CHECKING:
    ContextType = Context
    ConnectionType = Connection
else:

    def __getattr__(name: str) -> Any:
        alias = _DEPRECATED_ALIASES.get(name)
        if alias is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        deprecated(f"OpenSSL.SSL.{name} is deprecated; use OpenSSL.SSL.{alias[0]}")
        return alias[1]
