"""Channel binding for TLS 1.3 (RFC 9266) and exported keying material.

``tls-unique`` is undefined for TLS 1.3; ``tls-exporter`` is its
replacement, and what SCRAM-SHA-256-PLUS or token binding send to prove that
authentication happened on *this* TLS connection. Both ends compute the same
32 bytes; a man in the middle, with two TLS connections, sees two values.
"""

from __future__ import annotations

from typing import Any

from OpenSSL import ssl_compat


def binding_for_scram(tls_socket: Any) -> bytes:
    data = tls_socket.get_channel_binding("tls-exporter")
    if data is None:
        raise ValueError("no TLS handshake yet")
    return b"p=tls-exporter,," + data


def session_key(tls_socket: Any) -> bytes:
    # An application's own exporter: a label of its own, 32 bytes.
    return tls_socket.export_keying_material("EXPORTER-my-app-session-key", 32)


def supported() -> bool:
    return "tls-exporter" in ssl_compat.CHANNEL_BINDING_TYPES
