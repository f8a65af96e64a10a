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

Where things live: ``_ssl_context`` (Context), ``_ssl_connection``
(Connection, Session), ``_ssl_errors`` (exceptions and their translation),
``_callbacks`` (how OpenSSL calls back into Python), ``_ssl_constants``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from OpenSSL._ssl_connection import Connection, Session
from OpenSSL._ssl_constants import *  # noqa: F403
from OpenSSL._ssl_constants import __all__ as _constant_names
from OpenSSL._ssl_context import Context
from OpenSSL._ssl_errors import (
    Error,
    SysCallError,
    WantReadError,
    WantWriteError,
    WantX509LookupError,
    ZeroReturnError,
)
from OpenSSL._util import deprecated

__all__ = [
    "Connection",
    "Context",
    "Error",
    "Session",
    "SysCallError",
    "WantReadError",
    "WantWriteError",
    "WantX509LookupError",
    "ZeroReturnError",
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
