"""``SSLSession``: a resumable TLS session, as the stdlib exposes it.

Wraps an ``OpenSSL.SSL.Session`` together with the ``SSLContext`` that made
it (``None`` for a session loaded with ``SSLSession.from_bytes``). Give it
back as ``session=`` to ``wrap_socket``/``wrap_bio`` or assign it to
``SSLSocket.session`` before the handshake; ``session_reused`` then says
whether the server accepted it.
"""

from __future__ import annotations

from typing import Any

from OpenSSL import SSL

__all__ = ["SSLSession"]


class SSLSession:
    """A TLS session: ``id``, ``time``, ``timeout``, ``ticket_lifetime_hint``,
    ``has_ticket``. Obtained from ``SSLSocket.session``/``SSLObject.session``,
    or loaded with :meth:`from_bytes`; not built directly.

    Beyond the stdlib: :meth:`to_bytes`/:meth:`from_bytes` keep a session in
    a file or a shared cache, so another process can resume it (pass it as
    ``session=`` to ``wrap_socket``/``wrap_bio``, or set
    ``SSLSocket.session``). An imported session belongs to no context:
    whether it resumes is the server's decision.
    """

    __slots__ = ("__weakref__", "_context", "_session")
    _context: Any
    _session: SSL.Session

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(
            f"{type(self).__name__} objects come from SSLSocket.session, "
            "SSLObject.session or SSLSession.from_bytes(); they cannot be "
            "created directly"
        )

    @classmethod
    def _create(cls, session: SSL.Session, context: Any) -> SSLSession:
        self = object.__new__(cls)
        self._session = session
        self._context = context
        return self

    def to_bytes(self) -> bytes:
        """The session in OpenSSL's DER form (it holds a secret: store it safely)."""
        return self._session.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> SSLSession:
        """Load a session written by :meth:`to_bytes` (else ``ValueError``)."""
        return cls._create(SSL.Session.from_bytes(data), None)

    @property
    def id(self) -> bytes:
        """The session id (bytes)."""
        return self._session.id

    @property
    def time(self) -> int:
        """Creation time, in seconds since the epoch."""
        return self._session.time

    @property
    def timeout(self) -> int:
        """Lifetime in seconds."""
        return self._session.timeout

    @property
    def ticket_lifetime_hint(self) -> int:
        """The server's ticket lifetime hint, in seconds."""
        return self._session.ticket_lifetime_hint

    @property
    def has_ticket(self) -> bool:
        """Whether the session carries a session ticket."""
        return self._session.has_ticket

    @property
    def max_early_data(self) -> int:
        """How much TLS 1.3 early data the server accepts with it (an extension)."""
        return self._session.max_early_data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SSLSession):
            return NotImplemented
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} id={self.id.hex()}>"
