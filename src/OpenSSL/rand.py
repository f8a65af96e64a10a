"""Deprecated: OpenSSL's random number generator, as pyOpenSSL exposed it.

OpenSSL seeds itself from the operating system; there is nothing to feed it.
Use :func:`os.urandom` or :mod:`secrets` for random bytes. Importing this
module emits a ``DeprecationWarning`` (pyOpenSSL's text); the functions, as
in pyOpenSSL, warn no further.
"""

from __future__ import annotations

from OpenSSL._util import deprecated, exact_bytes, lib

__all__ = ["add", "status"]

deprecated(
    "OpenSSL.rand is deprecated - you should use os.urandom instead", stacklevel=3
)


def add(buffer: bytes, entropy: int) -> None:
    """Deprecated: mix *buffer* into the PRNG state, crediting *entropy* bytes."""
    if not isinstance(buffer, bytes):
        raise TypeError("buffer must be a byte string")
    if not isinstance(entropy, int) or isinstance(entropy, bool):
        raise TypeError("entropy must be an integer")
    buffer = exact_bytes(buffer)
    lib.RAND_add(buffer, len(buffer), entropy)


def status() -> int:
    """Deprecated: 1 when the PRNG has been seeded enough, else 0."""
    return int(lib.RAND_status())
