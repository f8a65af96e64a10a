"""pyopenssl-ng: the ``OpenSSL`` package, a drop-in replacement for pyOpenSSL.

``OpenSSL.SSL`` (TLS and DTLS connections), ``OpenSSL.crypto`` (certificates,
keys and stores) and ``OpenSSL.rand`` have pyOpenSSL 26.4's API, built on the
cffi bindings that ``cryptography`` ships. ``OpenSSL.ssl_compat`` offers the
standard library's ``ssl`` surface on top of ``OpenSSL.SSL``.
"""

# First of all: refuse, with the repair command, an OpenSSL package that
# pyOpenSSL's files share (the module checks when imported).
import OpenSSL._install_check  # noqa: F401
from OpenSSL import SSL, crypto, version
from OpenSSL.version import *  # noqa: F403 -- the metadata names, listed once there

__all__ = ["SSL", "crypto"]
__all__ += version.__all__
