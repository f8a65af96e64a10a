"""Argument types and error wording shared by the sub-commands.

Bad input is refused by ``argparse`` through the types below (exit status 2,
one line on stderr). Failures at run time are raised as :class:`CommandError`
with a one-line message; :func:`OpenSSL._cli.main` prints it and exits 1.
"""

from __future__ import annotations

import argparse
import ipaddress
import os

import cryptography

from OpenSSL import SSL
from OpenSSL.version import __title__, __version__

from .report import verify_message

__all__ = [
    "CommandError",
    "UsageError",
    "alpn_list",
    "describe_ssl_error",
    "host_port",
    "is_ip_address",
    "port_number",
    "seconds",
    "version_line",
]


class CommandError(Exception):
    """A run-time failure, reported as one line and exit status 1."""


class UsageError(CommandError):
    """Arguments that make no sense together: one line and exit status 2."""


def version_line() -> str:
    """This project's, OpenSSL's and cryptography's versions, for ``--version``."""
    openssl = SSL.OpenSSL_version(SSL.OPENSSL_VERSION).decode("ascii", "replace")
    return (
        f"{__title__} {__version__} on {openssl} "
        f"(cryptography {cryptography.__version__})"
    )


def is_ip_address(host: str) -> bool:
    """Whether *host* is an IPv4 or IPv6 literal (no brackets)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _port(value: str, *, allow_zero: bool) -> int:
    try:
        port = int(value, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {value!r}") from None
    low = 0 if allow_zero else 1
    if not low <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"port {port} out of range (expected {low}-65535)"
        )
    return port


def port_number(value: str) -> int:
    """``argparse`` type: a listening port, 0 meaning "any free port"."""
    return _port(value, allow_zero=True)


def host_port(value: str) -> tuple[str, int]:
    """``argparse`` type: ``HOST:PORT`` or ``[IPv6]:PORT``."""
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket or not rest.startswith(":") or not host:
            raise argparse.ArgumentTypeError(
                f"malformed address {value!r} (expected [IPv6]:PORT)"
            )
        port = rest[1:]
    else:
        host, colon, port = value.rpartition(":")
        if not colon or not host:
            raise argparse.ArgumentTypeError(
                f"malformed address {value!r} (expected HOST:PORT)"
            )
        if ":" in host:
            raise argparse.ArgumentTypeError(
                f"malformed address {value!r} (write IPv6 addresses as [ADDR]:PORT)"
            )
    return host, _port(port, allow_zero=False)


def seconds(value: str) -> float:
    """``argparse`` type: a positive number of seconds."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {value!r}") from None
    if not 0 < number < 1e6:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number of seconds")
    return number


def alpn_list(value: str) -> list[bytes]:
    """``argparse`` type: one protocol name or a comma-separated list."""
    protocols: list[bytes] = []
    for name in value.split(","):
        name = name.strip()
        try:
            encoded = name.encode("ascii")
        except UnicodeEncodeError:
            raise argparse.ArgumentTypeError(
                f"ALPN protocol {name!r} is not ASCII"
            ) from None
        if not 1 <= len(encoded) <= 255:
            raise argparse.ArgumentTypeError(
                f"invalid ALPN protocol {name!r} (1 to 255 characters)"
            )
        protocols.append(encoded)
    return protocols


def _error_reasons(exc: SSL.Error) -> str:
    details = exc.args[0] if exc.args else None
    if isinstance(details, list):
        reasons = [
            str(entry[2])
            for entry in details
            if isinstance(entry, tuple) and len(entry) == 3 and entry[2]
        ]
        if reasons:
            return "; ".join(reasons)
    return str(exc) or type(exc).__name__


def describe_ssl_error(exc: SSL.Error, conn: SSL.Connection | None = None) -> str:
    """One line saying why a TLS operation failed.

    A failed certificate verification is reported with OpenSSL's reason for it
    (the connection's verification result), which says far more than the
    generic "certificate verify failed" in the error queue.
    """
    if isinstance(exc, SSL.SysCallError):
        if exc.args and exc.args[0] == -1:
            return "the peer closed the connection"
        if exc.args and isinstance(exc.args[0], int) and exc.args[0] > 0:
            return f"{os.strerror(exc.args[0])} (errno {exc.args[0]})"
        return str(exc)
    if isinstance(exc, SSL.ZeroReturnError):
        return "the peer closed the TLS session"
    reasons = _error_reasons(exc)
    if conn is not None and conn.get_verify_mode() != SSL.VERIFY_NONE:
        code = conn.get_verify_result()
        if code != 0:
            return f"certificate verify failed: {verify_message(code)} (code {code})"
    return reasons
