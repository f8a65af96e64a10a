"""What a connection's keys are bound to: the extended master secret.

Channel binding with keying-material exporters (RFC 9266 ``tls-exporter``,
RFC 5705) is only unique to one connection under TLS 1.2 when the session
used the extended master secret (RFC 7627); TLS 1.3 always binds its keys to
the handshake. :class:`ChannelMethods` lets callers (``ssl_compat``'s
``get_channel_binding("tls-exporter")`` among them) ask.
"""

from __future__ import annotations

from OpenSSL._util import lib

__all__ = ["ChannelMethods"]


class ChannelMethods:
    """``Connection`` methods about the binding of its keys (a mixin)."""

    _ssl: object

    def get_extms_support(self) -> bool | None:
        """Whether the session uses the extended master secret (RFC 7627).

        ``True`` or ``False`` once the handshake has negotiated it or not;
        ``None`` before the handshake, and where the OpenSSL in use cannot
        tell. A TLS 1.3 session reports ``False``: TLS 1.3 has no such
        extension because its key schedule always binds the keys to the
        handshake transcript.
        """
        if not lib.Cryptography_HAS_GET_EXTMS_SUPPORT:
            return None
        result = lib.SSL_get_extms_support(self._ssl)
        if result < 0:
            return None
        return bool(result)
