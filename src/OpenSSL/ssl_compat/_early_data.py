"""TLS 1.3 early data (0-RTT) in the standard library's shape (an extension).

The standard library has no early data. ``ssl_compat`` adds it on top of
``OpenSSL.SSL`` (``Connection.write_early_data``/``read_early_data``/
``get_early_data_status``, see ``OpenSSL._ssl_early_data``):

* ``SSLContext.max_early_data`` (default 0: off). On a server, how many
  bytes of early data to accept (its tickets say so); on a client, the most
  it may send. OpenSSL's replay protection comes with it on servers.
* Client: ``SSLObject.write_early_data(data)`` / ``SSLSocket.write_early_data
  (data)`` before the handshake, on an object made with ``session=`` (a
  session whose ``max_early_data`` allows it); then the handshake as usual.
  Afterwards ``get_early_data_status()`` is ``EARLY_DATA_ACCEPTED`` or
  ``EARLY_DATA_REJECTED``; when rejected the application writes the data
  again (nothing is sent twice, nothing is lost).
* Server: ``read_early_data(size)`` before the handshake until it returns
  ``b""``; then the handshake (``do_handshake``, or the first read).
  A server that never calls it accepts no early data: the client resends.

asyncio: its ``SSLProtocol`` calls ``SSLContext.wrap_bio`` and then
``do_handshake`` itself, so a client subclasses ``SSLContext`` and, in
``wrap_bio``, passes ``session=`` and calls ``write_early_data`` on the new
``SSLObject`` before asyncio starts the handshake; a server that accepts
early data sets ``sslobject_class`` to an ``SSLObject`` subclass whose
``do_handshake`` reads the early data first (the documentation's examples,
``doc/sessions.rst``). Early data may be replayed: send only what is safe to receive
twice (RFC 8446, section 8).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from OpenSSL import SSL
from OpenSSL.SSL import EARLY_DATA_ACCEPTED, EARLY_DATA_NOT_SENT, EARLY_DATA_REJECTED

__all__ = [
    "EARLY_DATA_ACCEPTED",
    "EARLY_DATA_NOT_SENT",
    "EARLY_DATA_REJECTED",
    "EarlyDataContext",
    "EarlyDataObject",
    "EarlyDataSocket",
]


class EarlyDataContext:
    """``SSLContext.max_early_data`` (a base class of ``SSLContext``)."""

    _ctx: SSL.Context
    _configure: Callable[[Callable[[], Any]], Any]

    @property
    def max_early_data(self) -> int:
        """Bytes of TLS 1.3 early data allowed per connection (0: none; max 16384)."""
        return self._ctx.get_max_early_data()

    @max_early_data.setter
    def max_early_data(self, value: int) -> None:
        self._configure(lambda: self._ctx.set_max_early_data(value))


class EarlyDataObject:
    """Early data on ``SSLObject`` (a base class of it)."""

    _sslobj: Any
    _connection: SSL.Connection
    _io: Callable[..., Any]
    _push: Callable[[], None]

    def write_early_data(self, data: Any) -> int:
        """Send *data* as TLS 1.3 early data before the handshake (clients).

        Returns how many bytes were taken; raises ``SSLWantReadError`` like
        ``write``. Check :meth:`get_early_data_status` after the handshake
        and write the data again if it was rejected.
        """
        written: int = self._exchange(self._connection.write_early_data, data)
        return written

    def read_early_data(self, size: int = 1024) -> bytes:
        """Read up to *size* bytes of the client's early data (servers).

        Call before the handshake until it returns ``b""``; raises
        ``SSLWantReadError`` while more input is needed. The data may be a
        replay.
        """
        data: bytes = self._exchange(self._connection.read_early_data, size)
        return data

    def _exchange(self, operation: Callable[..., Any], *args: Any) -> Any:
        # Record by record, as every SSLObject operation takes its input;
        # whatever OpenSSL wrote goes out, on success and on failure alike.
        try:
            result = self._io(operation, *args)
        except SSL.Error as exc:
            self._push()
            self._sslobj.raise_translated(exc)
        self._push()
        return result

    def get_early_data_status(self) -> int:
        """``EARLY_DATA_NOT_SENT``, ``_REJECTED`` or ``_ACCEPTED``."""
        return self._connection.get_early_data_status()


class EarlyDataSocket:
    """Early data on ``SSLSocket`` (a base class of it).

    The socket must be wrapped with ``do_handshake_on_connect=False`` (or
    wrapped before it connects, with that flag) so that the early data
    comes before the handshake.
    """

    _sslobj: Any
    _check_connected: Callable[[], None]
    _tls: Callable[[str], Any]
    _retry: Callable[..., Any]

    def write_early_data(self, data: Any) -> int:
        """Send *data* as TLS 1.3 early data before the handshake (clients)."""
        self._check_connected()
        core = self._tls("Write early data")
        return int(self._retry(core.connection.write_early_data, "write", data))

    def read_early_data(self, size: int = 1024) -> bytes:
        """Read up to *size* bytes of early data before the handshake (servers).

        ``b""`` once the early data has ended (or there was none).
        """
        self._check_connected()
        core = self._tls("Read early data")
        data: bytes = self._retry(core.connection.read_early_data, "read", size)
        return data

    def get_early_data_status(self) -> Optional[int]:
        """As ``SSLObject.get_early_data_status``; ``None`` without a connection."""
        core: Any = self._sslobj
        if core is None:
            return None
        status: int = core.connection.get_early_data_status()
        return status
