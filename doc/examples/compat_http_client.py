"""``http.client`` and ``urllib.request`` over ``OpenSSL.ssl_compat``.

Both accept an ``ssl.SSLContext``; ``ssl_compat.SSLContext`` is one, so the
standard library's HTTP clients run on ``OpenSSL.SSL`` unchanged.
"""

from __future__ import annotations

import http.client
import urllib.request

from OpenSSL import ssl_compat


def get_with_http_client(host: str, port: int, cafile: str | None = None) -> bytes:
    context = ssl_compat.create_default_context(cafile=cafile)
    connection = http.client.HTTPSConnection(host, port, context=context)
    try:
        connection.request("GET", "/")
        return connection.getresponse().read()
    finally:
        connection.close()


def get_with_urllib(url: str, cafile: str | None = None) -> bytes:
    context = ssl_compat.create_default_context(cafile=cafile)
    with urllib.request.urlopen(url, context=context) as response:
        body: bytes = response.read()
        return body
