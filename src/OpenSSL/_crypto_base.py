"""Shared pieces of ``OpenSSL.crypto``: its exception, constants and checks.

Split out so that the private modules implementing parts of ``crypto``
(:mod:`OpenSSL._pkey`, :mod:`OpenSSL._x509name`) can share them without
importing ``crypto`` itself. Everything public here is re-exported by
``OpenSSL.crypto`` and presents itself as living there.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Union

from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from OpenSSL._util import (
    byte_string,
    exact_bytes,
    ffi,
    lib,
)
from OpenSSL._util import clear_errors as _clear_errors

if sys.version_info >= (3, 10):
    from typing import TypeAlias
else:  # pragma: no cover - old Pythons
    from typing_extensions import TypeAlias

_Key: TypeAlias = Union[
    dsa.DSAPrivateKey,
    dsa.DSAPublicKey,
    ec.EllipticCurvePrivateKey,
    ec.EllipticCurvePublicKey,
    ed25519.Ed25519PrivateKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PrivateKey,
    ed448.Ed448PublicKey,
    rsa.RSAPrivateKey,
    rsa.RSAPublicKey,
]
_PrivateKey: TypeAlias = Union[
    dsa.DSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
    rsa.RSAPrivateKey,
]
PassphraseCallableT: TypeAlias = Union[bytes, Callable[..., bytes]]

_PRIVATE_KEY_TYPES = (
    dsa.DSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
    rsa.RSAPrivateKey,
)
_PUBLIC_KEY_TYPES = (
    dsa.DSAPublicKey,
    ec.EllipticCurvePublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
    rsa.RSAPublicKey,
)

FILETYPE_PEM: int = lib.SSL_FILETYPE_PEM
FILETYPE_ASN1: int = lib.SSL_FILETYPE_ASN1
# Not an OpenSSL constant: pyOpenSSL's marker for "human-readable dump".
FILETYPE_TEXT: int = 2**16 - 1

TYPE_RSA: int = lib.EVP_PKEY_RSA
TYPE_DSA: int = lib.EVP_PKEY_DSA
TYPE_DH: int = lib.EVP_PKEY_DH
TYPE_EC: int = lib.EVP_PKEY_EC


class Error(Exception):
    """An OpenSSL call in this module failed.

    ``args[0]`` is the list of ``(library, function, reason)`` tuples that
    OpenSSL recorded.
    """


Error.__module__ = "OpenSSL.crypto"


def _input_bytes(buffer: Any, what: str = "buffer") -> bytes:
    """*buffer* as bytes: ``str`` is encoded as ASCII (as pyOpenSSL does)."""
    if isinstance(buffer, str):
        # A str subclass may return a lying bytes subclass from encode().
        return exact_bytes(buffer.encode("ascii"))
    if isinstance(buffer, bytes):
        return exact_bytes(buffer)
    if isinstance(buffer, (bytearray, memoryview)):
        return bytes(buffer)
    raise TypeError(f"{what} must be bytes or str, not {type(buffer).__name__}")


def _digest_by_name(digest_name: Any) -> Any:
    """The ``EVP_MD *`` called *digest_name*; ``ValueError`` if unknown."""
    if isinstance(digest_name, bytes):
        name = digest_name
    elif isinstance(digest_name, str):
        try:
            name = byte_string(digest_name)
        except UnicodeEncodeError:
            raise ValueError("No such digest method") from None
    else:
        raise TypeError(f"digest name must be str, not {type(digest_name).__name__}")
    digest = ffi.NULL if b"\0" in name else lib.EVP_get_digestbyname(name)
    if digest == ffi.NULL:
        _clear_errors()
        raise ValueError("No such digest method")
    return digest


def _check_filetype(type: Any, allowed: tuple[int, ...], names: str) -> None:
    if type not in allowed:
        raise ValueError(f"type argument must be {names}")


def _require_int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an integer")
    return value
