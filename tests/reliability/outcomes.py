"""The exceptions a caller may see: anything else is a defect.

The rule (DESIGN.md) is that misuse and bad input end in a documented
exception. These tuples are that list, in one place, so every module of the
suite judges outcomes the same way.

* ``OverflowError`` is Python's own answer for an integer that does not fit
  the C type an argument maps to (``socket.recv(2**70)`` raises it too); it
  is accepted wherever an integer argument is taken.
* ``NotImplementedError`` is documented for the few calls that cannot work
  in this build (``Connection.makefile``, NPN, ``SSLSocket.dup`` ...).
* ``AttributeError`` is documented only for ``X509Name``'s attribute access;
  the API fuzzers allow it for that class alone.
"""

from __future__ import annotations

import ssl

from OpenSSL import SSL, crypto

__all__ = [
    "CALLER_ERRORS",
    "COMPAT_DOCUMENTED",
    "NETWORK_ERRORS_COMPAT",
    "NETWORK_ERRORS_SSL",
    "SSL_DOCUMENTED",
]

#: Wrong types, bad values and "not in this build": the same in every layer.
CALLER_ERRORS: tuple[type[BaseException], ...] = (
    TypeError,
    ValueError,
    OverflowError,
    NotImplementedError,
)

#: What ``OpenSSL.SSL`` and ``OpenSSL.crypto`` calls may raise
#: (``X509StoreContextError`` is not a ``crypto.Error``, as in pyOpenSSL).
SSL_DOCUMENTED: tuple[type[BaseException], ...] = (
    *CALLER_ERRORS,
    SSL.Error,
    crypto.Error,
    crypto.X509StoreContextError,
)

#: What ``OpenSSL.ssl_compat`` calls may raise: the stdlib's own classes
#: (``ssl.SSLError`` and ``socket.timeout`` are both ``OSError``).
COMPAT_DOCUMENTED: tuple[type[BaseException], ...] = (
    *CALLER_ERRORS,
    OSError,
)

#: What bad bytes from the network may cause in ``OpenSSL.SSL``.
NETWORK_ERRORS_SSL: tuple[type[BaseException], ...] = (SSL.Error,)

#: What bad bytes from the network may cause in ``OpenSSL.ssl_compat``.
NETWORK_ERRORS_COMPAT: tuple[type[BaseException], ...] = (ssl.SSLError,)
