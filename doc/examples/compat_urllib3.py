"""urllib3 (and so requests' transport) with an ``ssl_compat`` context.

``PoolManager(ssl_context=...)`` takes any ``ssl.SSLContext``; urllib3 wraps
its sockets with the context's ``wrap_socket``, which here is
``OpenSSL.SSL`` underneath. Unlike ``urllib3.contrib.pyopenssl``, nothing is
monkey-patched: only the pools given this context use it.
"""

from __future__ import annotations

import urllib3

from OpenSSL import ssl_compat


def get(url: str, cafile: str | None = None) -> tuple[int, bytes]:
    context = ssl_compat.create_default_context(cafile=cafile)
    with urllib3.PoolManager(ssl_context=context) as pool:
        response = pool.request("GET", url, retries=False)
        return response.status, response.data
