"""pyopenssl-ng: the ``OpenSSL`` package, a drop-in replacement for pyOpenSSL.

``OpenSSL.SSL`` (TLS and DTLS connections), ``OpenSSL.crypto`` (certificates,
keys and stores) and ``OpenSSL.rand`` have pyOpenSSL 26.4's API, built on the
cffi bindings that ``cryptography`` ships. ``OpenSSL.ssl_compat`` offers the
standard library's ``ssl`` surface on top of ``OpenSSL.SSL``.
"""

# First of all: refuse, with the repair command, an OpenSSL package that
# pyOpenSSL's files share (the module checks when imported).
import OpenSSL._install_check  # noqa: F401
from OpenSSL import SSL, crypto
from OpenSSL.version import (
    __author__,
    __copyright__,
    __email__,
    __license__,
    __summary__,
    __title__,
    __uri__,
    __version__,
)

__all__ = [
    "SSL",
    "__author__",
    "__copyright__",
    "__email__",
    "__license__",
    "__summary__",
    "__title__",
    "__uri__",
    "__version__",
    "crypto",
]
