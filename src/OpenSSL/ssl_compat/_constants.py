"""Constants and enums of the ``ssl`` surface, with values from our OpenSSL.

Where code written for the standard library compares a value with the
stdlib's (``ctx.minimum_version == ssl.TLSVersion.TLSv1_2``,
``verify_mode is ssl.CERT_REQUIRED``, ``purpose == ssl.Purpose.SERVER_AUTH``)
the enum *classes* are the stdlib's own, re-exported -- except that
``VerifyFlags`` gains the members of the newest CPython where the running
interpreter's lacks them (Python 3.9); it is then our own ``IntFlag`` of the
same name, equal member for member to the stdlib's ints. The *values* of the
module-level ``OP_*`` and ``VERIFY_*`` names are read from the binding where
it has them, so they describe the OpenSSL this project runs on (cryptography's
bundled one), not the one the interpreter's ``_ssl`` was linked against. The
``OPENSSL_VERSION*`` names likewise describe the bundled OpenSSL.

Families are built the way ``Lib/ssl.py`` builds them: a list of names and one
loop, never a hand-copied table of numbers.
"""

from __future__ import annotations

import enum
import ssl as _stdlib_ssl
from typing import TYPE_CHECKING, Any

from OpenSSL import SSL, crypto

__all__ = [
    "CHANNEL_BINDING_TYPES",
    "DEFAULT_CIPHERS",
    "OPENSSL_VERSION",
    "OPENSSL_VERSION_INFO",
    "OPENSSL_VERSION_NUMBER",
    "AlertDescription",
    "Options",
    "Purpose",
    "SSLErrorNumber",
    "TLSVersion",
    "VerifyFlags",
    "VerifyMode",
    "module_constants",
]

# The enum classes themselves: identity with the stdlib's is what lets
# ``isinstance``/``==``/``is`` comparisons in third-party code keep working.
# ``VerifyFlags`` is the exception where the running
# interpreter's ``ssl`` predates some members (see _complete_flags below).
TLSVersion = _stdlib_ssl.TLSVersion
VerifyMode = _stdlib_ssl.VerifyMode
AlertDescription = _stdlib_ssl.AlertDescription
SSLErrorNumber = _stdlib_ssl.SSLErrorNumber
Purpose = _stdlib_ssl.Purpose
_SSLMethod: Any = _stdlib_ssl._SSLMethod

CHANNEL_BINDING_TYPES = ["tls-unique", "tls-exporter"]

# The cipher string CPython (3.10+) installs in every new context: security
# level 2, forward-secret AEAD suites first, no anonymous, NULL, DSS, SHA-1
# MAC or CCM suites.
DEFAULT_CIPHERS = (
    "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:"
    "!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"
)
# The security level that DEFAULT_CIPHERS selects (read back by
# SSLContext.security_level until set_ciphers() changes it).
DEFAULT_SECURITY_LEVEL = 2

OPENSSL_VERSION_NUMBER: int = SSL.OPENSSL_VERSION_NUMBER
OPENSSL_VERSION: str = SSL.OpenSSL_version(SSL.OPENSSL_VERSION).decode(
    "ascii", "replace"
)


def _version_info(number: int) -> tuple[int, int, int, int, int]:
    # OpenSSL 3+ packs MNN00PP0 (major, minor, patch) with a status nibble;
    # CPython reports (major, minor, fix, patch, status) from the same bits.
    status = number & 0xF
    number >>= 4
    patch = number & 0xFF
    number >>= 8
    fix = number & 0xFF
    number >>= 8
    minor = number & 0xFF
    number >>= 8
    return (number & 0xFF, minor, fix, patch, status)


OPENSSL_VERSION_INFO = _version_info(OPENSSL_VERSION_NUMBER)

# The OP_* names the stdlib documents; values from our binding where it has
# the constant, otherwise the stdlib's (OpenSSL keeps these bit values stable).
_OPTION_NAMES = [
    "OP_ALL",
    "OP_CIPHER_SERVER_PREFERENCE",
    "OP_ENABLE_MIDDLEBOX_COMPAT",
    "OP_IGNORE_UNEXPECTED_EOF",
    "OP_NO_COMPRESSION",
    "OP_NO_RENEGOTIATION",
    "OP_NO_SSLv2",
    "OP_NO_SSLv3",
    "OP_NO_TICKET",
    "OP_NO_TLSv1",
    "OP_NO_TLSv1_1",
    "OP_NO_TLSv1_2",
    "OP_NO_TLSv1_3",
    "OP_SINGLE_DH_USE",
    "OP_SINGLE_ECDH_USE",
]
# OP_* names that newer stdlibs added (3.12: OP_LEGACY_SERVER_CONNECT,
# OP_ENABLE_KTLS): offered exactly where the running interpreter's ``ssl``
# has them (``Options`` is the stdlib's class; see below).
_LATER_OPTION_NAMES = ["OP_ENABLE_KTLS", "OP_LEGACY_SERVER_CONNECT"]

_VERIFY_FLAG_NAMES = [
    "VERIFY_DEFAULT",
    "VERIFY_CRL_CHECK_LEAF",
    "VERIFY_CRL_CHECK_CHAIN",
    "VERIFY_X509_STRICT",
    "VERIFY_ALLOW_PROXY_CERTS",
    "VERIFY_X509_TRUSTED_FIRST",
    "VERIFY_X509_PARTIAL_CHAIN",
]

_ERROR_NUMBER_NAMES = [
    "SSL_ERROR_EOF",
    "SSL_ERROR_INVALID_ERROR_CODE",
    "SSL_ERROR_SSL",
    "SSL_ERROR_SYSCALL",
    "SSL_ERROR_WANT_CONNECT",
    "SSL_ERROR_WANT_READ",
    "SSL_ERROR_WANT_WRITE",
    "SSL_ERROR_WANT_X509_LOOKUP",
    "SSL_ERROR_ZERO_RETURN",
]

# Protocols the bundled OpenSSL can still speak. SSLv2 is gone from every
# OpenSSL this project supports, SSLv3 from cryptography's builds.
_PROTOCOL_SUPPORT = {
    "SSLv2": False,
    "SSLv3": False,
    "TLSv1": hasattr(SSL, "TLS1_VERSION"),
    "TLSv1_1": hasattr(SSL, "TLS1_1_VERSION"),
    "TLSv1_2": hasattr(SSL, "TLS1_2_VERSION"),
    "TLSv1_3": hasattr(SSL, "TLS1_3_VERSION"),
}


# Every VerifyFlags member of the newest CPython, and the OpenSSL flag it is.
_VERIFY_FLAG_VALUES = {
    "VERIFY_DEFAULT": 0,
    "VERIFY_CRL_CHECK_LEAF": crypto.X509StoreFlags.CRL_CHECK,
    "VERIFY_CRL_CHECK_CHAIN": (
        crypto.X509StoreFlags.CRL_CHECK | crypto.X509StoreFlags.CRL_CHECK_ALL
    ),
    "VERIFY_X509_STRICT": crypto.X509StoreFlags.X509_STRICT,
    "VERIFY_ALLOW_PROXY_CERTS": crypto.X509StoreFlags.ALLOW_PROXY_CERTS,
    "VERIFY_X509_TRUSTED_FIRST": SSL.X509_V_FLAG_TRUSTED_FIRST,
    "VERIFY_X509_PARTIAL_CHAIN": crypto.X509StoreFlags.PARTIAL_CHAIN,
}


def _complete_flags(stdlib_enum: Any, values: dict[str, int]) -> Any:
    """The stdlib's flag enum, or an ``IntFlag`` with all of ``values``.

    Where the running interpreter's enum already has every member, it is
    returned as is (identity keeps ``isinstance(x, ssl.VerifyFlags)`` true).
    Where it predates some (Python 3.9 has no ``VERIFY_X509_PARTIAL_CHAIN``
    or ``VERIFY_ALLOW_PROXY_CERTS``), a same-named ``IntFlag`` with
    the stdlib's members plus the missing ones takes its place, so values
    print as ``VerifyFlags.VERIFY_X509_PARTIAL_CHAIN|...`` rather than as a
    bare number; being ints, its members still equal the stdlib's.
    """
    members = {member.name: int(member) for member in stdlib_enum}
    missing = {n: v for n, v in values.items() if n not in stdlib_enum.__members__}
    if not missing:
        return stdlib_enum
    members.update(missing)
    flags = enum.IntFlag(  # type: ignore[misc]
        stdlib_enum.__name__, members, module=__name__
    )
    flags.__doc__ = stdlib_enum.__doc__
    return flags


def _option_value(name: str) -> int:
    value = getattr(SSL, name, None)
    if value is None:
        value = int(getattr(_stdlib_ssl, name))
    if name == "OP_ALL":
        # CPython's OP_ALL leaves out empty-fragment insertion (a CBC
        # countermeasure that breaks some peers); so do its default options.
        value &= ~int(SSL.OP_DONT_INSERT_EMPTY_FRAGMENTS)
    return int(value)


# Options stays the stdlib's class: the members it lacks before 3.12 only
# change how a value prints, while a class of our own would break
# ``isinstance(ctx.options, ssl.Options)`` on the Pythons most in use.
Options = _stdlib_ssl.Options
if TYPE_CHECKING:
    VerifyFlags = _stdlib_ssl.VerifyFlags
else:
    VerifyFlags = _complete_flags(_stdlib_ssl.VerifyFlags, _VERIFY_FLAG_VALUES)


def _verify_flag(name: str) -> Any:
    return getattr(VerifyFlags, name)


def module_constants() -> dict[str, Any]:
    """Every module-level constant name of the ``ssl`` surface and its value."""
    names: dict[str, Any] = {}
    for name in _OPTION_NAMES:
        names[name] = Options(_option_value(name))
    for name in _LATER_OPTION_NAMES:
        if hasattr(_stdlib_ssl, name):
            names[name] = Options(_option_value(name))
    for name in _VERIFY_FLAG_NAMES:
        names[name] = _verify_flag(name)
    for mode in VerifyMode:
        names[mode.name] = mode
    for number_name in _ERROR_NUMBER_NAMES:
        names[number_name] = getattr(SSLErrorNumber, number_name)
    for alert in AlertDescription:
        names[alert.name] = alert
    for method in _SSLMethod:
        names[method.name] = method
    for proto, supported in _PROTOCOL_SUPPORT.items():
        names["HAS_" + proto] = supported
    names.update(
        HAS_SNI=True,
        HAS_ALPN=True,
        HAS_ECDH=True,
        HAS_NEVER_CHECK_COMMON_NAME=True,
        # NPN is gone from the OpenSSL in use (and set_npn_protocols refuses).
        HAS_NPN=False,
        HAS_PSK=True,
        HAS_PSK_TLS13=True,  # 3.15's: external PSKs in TLS 1.3 work here
        HAS_PHA=SSL.HAS_POST_HANDSHAKE_AUTH,
    )
    return names
