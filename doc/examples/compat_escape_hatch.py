"""The stdlib surface plus pyOpenSSL's controls: ``openssl_context``.

``SSLContext.openssl_context`` is the ``OpenSSL.SSL.Context`` underneath.
Anything the standard library cannot express (an info callback, OCSP
stapling, a verify callback) is set there, and every socket or
``SSLObject`` the ``ssl_compat`` context makes afterwards has it.
"""

from __future__ import annotations

from OpenSSL import SSL, ssl_compat


def traced_client_context(cafile: str, events: list[str]) -> ssl_compat.SSLContext:
    """A default client context that records handshake start and end."""
    context = ssl_compat.create_default_context(cafile=cafile)

    def info(conn: SSL.Connection, where: int, ret: int) -> None:
        if where & SSL.SSL_CB_HANDSHAKE_START:
            events.append("handshake started")
        if where & SSL.SSL_CB_HANDSHAKE_DONE:
            events.append("handshake done")

    context.openssl_context.set_info_callback(info)
    return context
