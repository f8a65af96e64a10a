"""Mutual TLS with urllib3, the client certificate and key from memory.

The certificate chain and the (encrypted) private key come from wherever the
application keeps them -- a secrets manager, an environment variable, a
database -- as PEM bytes or text. Nothing is written to disk: the standard
library would need files, ``ssl_compat`` takes the contents. One context
goes to ``PoolManager(ssl_context=...)``; urllib3 needs no plug-in.
"""

from __future__ import annotations

import urllib3

from OpenSSL import ssl_compat


def mtls_pool(
    client_chain_pem: bytes,
    client_key_pem: bytes,
    key_password: bytes,
    trusted_ca_pem: str,
) -> urllib3.PoolManager:
    context = ssl_compat.create_default_context(cadata=trusted_ca_pem)
    context.load_cert_chain(client_chain_pem, client_key_pem, password=key_password)
    return urllib3.PoolManager(ssl_context=context)


def fetch(pool: urllib3.PoolManager, url: str) -> tuple[int, bytes]:
    response = pool.request("GET", url, retries=False, timeout=10)
    return response.status, response.data
