"""Sessions that outlive their process: export, import and read-only facts.

A :class:`~OpenSSL.SSL.Session` wraps one ``SSL_SESSION *``. This module adds
what lets a client keep it anywhere (a file, Redis, a shared cache) and
resume from another process: :meth:`SessionExport.to_bytes` gives OpenSSL's
DER encoding (``i2d_SSL_SESSION``) and :meth:`SessionExport.from_bytes` loads
one back (``d2i_SSL_SESSION``), refusing malformed, truncated or hostile bytes
with :class:`ValueError` -- never a crash.

The facts (``id``, ``time``, ``timeout``, ...) are read-only properties.
cryptography's binding has a getter for only one of them
(``SSL_SESSION_get_max_early_data``); the others are read from the DER
encoding, whose layout is OpenSSL's ``SSL_SESSION_ASN1`` sequence:

====================  =====================================================
field                 where in the SEQUENCE
====================  =====================================================
``protocol_version``  2nd element, INTEGER (``TLS1_3_VERSION``, ...)
``cipher``            3rd element, OCTET STRING holding the 2-byte suite
                      code (named with ``SSL_CIPHER_find``)
``id``                4th element, OCTET STRING
``time``              ``[1]`` EXPLICIT INTEGER, seconds since the epoch
``timeout``           ``[2]`` EXPLICIT INTEGER, seconds
``ticket_lifetime_``  ``[9]`` EXPLICIT INTEGER, seconds
``hint``
``has_ticket``        ``[10]`` EXPLICIT OCTET STRING present and non-empty
====================  =====================================================

Optional fields are omitted from the encoding when zero or empty, and then
read as ``0``/``b""``/``False``. The encoding is produced by OpenSSL itself,
and it is read with the package's one DER reader (``_der``), which checks
every length: a surprise gives ``ValueError``.

:class:`SessionConnection` adds ``Connection.session_reused()``.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from OpenSSL._der import elements
from OpenSSL._ssl_errors import Error
from OpenSSL._util import _drain_error_queue, checked, ffi, lib, not_null

__all__ = ["SessionConnection", "SessionExport"]

_S = TypeVar("_S", bound="SessionExport")

#: d2i_SSL_SESSION takes a C long; DER sessions are a few KiB at most (a
#: peer certificate chain is not stored, only the leaf).
_MAX_IMPORT = 1 << 20


def der_elements(data: bytes) -> list[tuple[int, bytes]]:
    """``(tag, contents)`` of each DER element in *data* (``ValueError``: malformed)."""
    return [(tag, contents) for tag, contents, _ in elements(data)]


def _integer(contents: bytes) -> int:
    return int.from_bytes(contents, "big", signed=True) if contents else 0


class _Facts:
    """The fields of one DER-encoded session (see the module docstring)."""

    __slots__ = (
        "cipher_code",
        "has_ticket",
        "id",
        "protocol_version",
        "ticket_lifetime_hint",
        "time",
        "timeout",
    )

    def __init__(self, der: bytes) -> None:
        outer = der_elements(der)
        if len(outer) != 1 or outer[0][0] != 0x30:
            raise ValueError("a session is one DER SEQUENCE")
        fields = der_elements(outer[0][1])
        if len(fields) < 5 or [tag for tag, _ in fields[:5]] != [2, 2, 4, 4, 4]:
            raise ValueError("not an OpenSSL SSL_SESSION_ASN1 sequence")
        self.protocol_version = _integer(fields[1][1])
        self.cipher_code = fields[2][1]
        self.id = fields[3][1]
        tagged = {tag: contents for tag, contents in fields[5:]}
        self.time = self._explicit(tagged, 1, 0x02)
        self.timeout = self._explicit(tagged, 2, 0x02)
        self.ticket_lifetime_hint = self._explicit(tagged, 9, 0x02)
        ticket = tagged.get(0xA0 | 10)
        self.has_ticket = False
        if ticket is not None:
            ((tag, value),) = der_elements(ticket)
            self.has_ticket = tag == 0x04 and len(value) > 0

    @staticmethod
    def _explicit(tagged: dict[int, bytes], number: int, inner: int) -> int:
        contents = tagged.get(0xA0 | number)
        if contents is None:
            return 0
        items = der_elements(contents)
        if len(items) != 1 or items[0][0] != inner:
            raise ValueError(f"unexpected contents of session field [{number}]")
        return _integer(items[0][1])


class _NoFacts(_Facts):
    """What an incomplete session (no DER form yet) reports: nothing."""

    def __init__(self) -> None:
        self.protocol_version = self.time = self.timeout = 0
        self.ticket_lifetime_hint = 0
        self.cipher_code = self.id = b""
        self.has_ticket = False


_EMPTY_FACTS = _NoFacts()


@functools.cache
def _cipher_lookup() -> Any:
    """An ``SSL *`` to ask ``SSL_CIPHER_find`` (it looks ciphers up per SSL)."""
    ctx = checked(Error, lib.SSL_CTX_new, lib.TLS_method(), ok=not_null)
    ctx = ffi.gc(ctx, lib.SSL_CTX_free)
    ssl = checked(Error, lib.SSL_new, ctx, ok=not_null)
    return ffi.gc(ssl, lib.SSL_free), ctx


def _cipher_name(code: bytes) -> str | None:
    if len(code) != 2:
        return None
    ssl, _ctx = _cipher_lookup()
    cipher = lib.SSL_CIPHER_find(ssl, code)
    if cipher == ffi.NULL:
        lib.ERR_clear_error()
        return None
    return ffi.string(lib.SSL_CIPHER_get_name(cipher)).decode("ascii")


class SessionExport:
    """Export/import and read-only facts of ``Session`` (a base class of it)."""

    _session: Any
    _context: Any

    def _pointer(self) -> Any:
        if self._session is None:
            raise ValueError("this Session holds no TLS session")
        return self._session

    def to_bytes(self) -> bytes:
        """The session in OpenSSL's DER form, to keep and resume elsewhere.

        The bytes hold the session's secret (its resumption master secret):
        store them as carefully as a private key. :meth:`from_bytes` loads
        them back, in this process or another one.

        :raises ValueError: the session is empty or not complete yet (taken
            from a connection in the middle of its handshake).
        """
        pointer = self._pointer()
        size = lib.i2d_SSL_SESSION(pointer, ffi.NULL)
        buffer = ffi.new("unsigned char[]", max(size, 1))
        cursor = ffi.new("unsigned char **", buffer)
        if size <= 0 or lib.i2d_SSL_SESSION(pointer, cursor) != size:
            lib.ERR_clear_error()
            raise ValueError(
                "OpenSSL cannot encode this session (taken before its "
                "handshake got far enough)"
            )
        return ffi.buffer(buffer, size)[:]

    #: Whether an imported session's own pointer went to a connection.
    _lent = False

    def _lend(self) -> Any:
        """The ``SSL_SESSION *`` for a connection: ours once, then copies.

        A copy costs a DER round trip (tens of microseconds); most imported
        sessions are used once, so the first use takes the original.
        """
        if not self._lent:
            self._lent = True
            return self._pointer()
        return _load(self.to_bytes())

    @classmethod
    def from_bytes(cls: type[_S], data: bytes) -> _S:
        """Load a session written by :meth:`to_bytes` (or ``openssl -sess_out``).

        The result can be given to :meth:`Connection.set_session` of a
        connection made from any Context; whether the server resumes it is
        up to the server (a session it does not know, or one for another
        server, is simply not resumed).

        :raises TypeError: *data* is not bytes.
        :raises ValueError: *data* is not exactly one session that OpenSSL
            can load (malformed, truncated, trailing bytes, hostile).
        """
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        if not isinstance(data, bytes):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        if not data or len(data) > _MAX_IMPORT:
            raise ValueError(f"a DER session is 1 to {_MAX_IMPORT} bytes long")
        pointer = _load(data)
        session = cls()
        session._session = pointer
        # Imported: not tied to a Context (see Connection.set_session).
        session._context = None
        try:
            session._facts()
        except ValueError as exc:
            raise ValueError(f"not a usable TLS session ({exc})") from None
        return session

    def _facts(self) -> _Facts:
        try:
            der = self.to_bytes()
        except ValueError:
            if self._session is None:
                raise
            return _EMPTY_FACTS  # a session still being negotiated
        return _Facts(der)

    @property
    def id(self) -> bytes:
        """The session ID (``b""`` when the server gave none; from the DER form)."""
        return self._facts().id

    @property
    def time(self) -> int:
        """When the session was made, in seconds since the epoch (DER form)."""
        return self._facts().time

    @property
    def timeout(self) -> int:
        """How many seconds after :attr:`time` it may be resumed (DER form)."""
        return self._facts().timeout

    @property
    def ticket_lifetime_hint(self) -> int:
        """The server's ticket lifetime hint in seconds, 0 if none (DER form)."""
        return self._facts().ticket_lifetime_hint

    @property
    def has_ticket(self) -> bool:
        """Whether the session carries a session ticket (DER form)."""
        return self._facts().has_ticket

    @property
    def protocol_version(self) -> int:
        """The protocol version, ``TLS1_3_VERSION`` etc. (DER form)."""
        return self._facts().protocol_version

    @property
    def cipher(self) -> str | None:
        """The cipher suite's OpenSSL name; ``None`` if this OpenSSL lacks it.

        Read from the DER form and named with ``SSL_CIPHER_find``.
        """
        return _cipher_name(self._facts().cipher_code)

    @property
    def max_early_data(self) -> int:
        """How many bytes of early data the server accepts with this session.

        0 means no early data (``SSL_SESSION_get_max_early_data``).
        """
        return int(lib.SSL_SESSION_get_max_early_data(self._pointer()))

    def __repr__(self) -> str:
        if self._session is None:
            return "<OpenSSL.SSL.Session (empty)>"
        return f"<OpenSSL.SSL.Session id={self.id.hex() or '-'} cipher={self.cipher}>"


def _load(data: bytes) -> Any:
    """``d2i_SSL_SESSION`` of exactly *data*; ``ValueError`` if it is not one."""
    buffer = ffi.new("unsigned char[]", data)
    cursor = ffi.new("unsigned char **", buffer)
    pointer = lib.d2i_SSL_SESSION(ffi.NULL, cursor, len(data))
    if pointer == ffi.NULL:
        raise ValueError(f"not a TLS session OpenSSL can load ({_reasons()})")
    pointer = ffi.gc(pointer, lib.SSL_SESSION_free)
    consumed = cursor[0] - buffer
    if consumed != len(data):
        raise ValueError(
            f"{len(data) - consumed} bytes follow the DER session; "
            "pass exactly what to_bytes() returned"
        )
    return pointer


def _reasons() -> str:
    reasons = [entry[2] for entry in _drain_error_queue() if entry[2]]
    return "; ".join(reasons) or "no reason given"


class SessionConnection:
    """Session methods of ``Connection`` (a base class of it)."""

    _ssl: Any

    def session_reused(self) -> bool:
        """Whether the last handshake resumed a session (``SSL_session_reused``)."""
        return bool(lib.SSL_session_reused(self._ssl))
