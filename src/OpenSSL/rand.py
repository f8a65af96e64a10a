"""Deprecated: OpenSSL's random number generator, as pyOpenSSL exposed it.

OpenSSL seeds itself from the operating system; there is nothing to feed it.
Use :func:`os.urandom` or :mod:`secrets` for random bytes. Importing this
module, and calling either function, emits a ``DeprecationWarning``.
"""

from __future__ import annotations

from OpenSSL._util import deprecated, exact_bytes, lib

__all__ = ["add", "status"]

deprecated("OpenSSL.rand is deprecated; use os.urandom() instead", stacklevel=3)


def add(buffer: bytes, entropy: int) -> None:
    """Deprecated: mix *buffer* into the PRNG state, crediting *entropy* bytes."""
    deprecated("OpenSSL.rand.add is deprecated; there is no need to seed OpenSSL")
    if not isinstance(buffer, bytes):
        raise TypeError("buffer must be a byte string")
    if not isinstance(entropy, int) or isinstance(entropy, bool):
        raise TypeError("entropy must be an integer")
    buffer = exact_bytes(buffer)
    lib.RAND_add(buffer, len(buffer), entropy)


def status() -> int:
    """Deprecated: 1 when the PRNG has been seeded enough, else 0."""
    deprecated("OpenSSL.rand.status is deprecated; OpenSSL seeds itself")
    return int(lib.RAND_status())
