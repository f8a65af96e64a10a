"""``SSLSession``: a resumable TLS session, as the stdlib exposes it.

Wraps an ``OpenSSL.SSL.Session`` together with the ``SSLContext`` that made
it (OpenSSL only resumes a session with the context it came from). Give it
back as ``session=`` to ``wrap_socket``/``wrap_bio`` or assign it to
``SSLSocket.session`` before the handshake; ``session_reused`` then says
whether the server accepted it.
"""

from __future__ import annotations

from typing import Any

from OpenSSL import SSL
from OpenSSL.ssl_compat import _knobs

__all__ = ["SSLSession"]


class SSLSession:
    """A TLS session: ``id``, ``time``, ``timeout``, ``ticket_lifetime_hint``,
    ``has_ticket``. Obtained from ``SSLSocket.session``; not built directly.
    """

    __slots__ = ("__weakref__", "_context", "_session")
    _context: Any
    _session: SSL.Session

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(
            f"{type(self).__name__} objects come from SSLSocket.session or "
            "SSLObject.session; they cannot be created directly"
        )

    @classmethod
    def _create(cls, session: SSL.Session, context: Any) -> SSLSession:
        self = object.__new__(cls)
        self._session = session
        self._context = context
        return self

    def _details(self) -> _knobs.SessionDetails:
        return _knobs.session_details(self._session)

    @property
    def id(self) -> bytes:
        """The session id (bytes)."""
        return self._details().id

    @property
    def time(self) -> int:
        """Creation time, in seconds since the epoch."""
        return self._details().time

    @property
    def timeout(self) -> int:
        """Lifetime in seconds."""
        return self._details().timeout

    @property
    def ticket_lifetime_hint(self) -> int:
        """The server's ticket lifetime hint, in seconds."""
        return self._details().ticket_lifetime_hint

    @property
    def has_ticket(self) -> bool:
        """Whether the session carries a session ticket."""
        return self._details().has_ticket

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SSLSession):
            return NotImplemented
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} id={self.id.hex()}>"
