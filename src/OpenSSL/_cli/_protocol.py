"""Protocol options shared by ``client`` and ``server``, named as in ``openssl``.

``--tls1_2`` / ``--tls1_3`` allow one version only; ``--min-version`` and
``--max-version`` bound the range (the default range is TLS 1.2 and up, as
in the standard library's default context); ``--ciphers`` is the TLS 1.2
cipher list and ``--ciphersuites`` the TLS 1.3 suites, both in OpenSSL's
syntax; ``--groups`` names the key-exchange groups and ``--sigalgs`` the
signature algorithms. A bad value is refused before anything connects (exit
status 2).
"""

from __future__ import annotations

import argparse
from typing import Callable

from OpenSSL import SSL

from ._common import UsageError

__all__ = ["VERSIONS", "add_arguments", "apply", "version_name"]

#: The names ``--min-version``/``--max-version`` accept, as ``openssl`` spells them.
VERSIONS = {
    "TLSv1": SSL.TLS1_VERSION,
    "TLSv1.1": SSL.TLS1_1_VERSION,
    "TLSv1.2": SSL.TLS1_2_VERSION,
    "TLSv1.3": SSL.TLS1_3_VERSION,
}

_DEFAULT_MIN = "TLSv1.2"


def version_name(value: str) -> str:
    """``argparse`` type: one of :data:`VERSIONS` (case-insensitive)."""
    for name in VERSIONS:
        if value.lower() == name.lower():
            return name
    raise argparse.ArgumentTypeError(
        f"unknown TLS version {value!r} (expected {', '.join(VERSIONS)})"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Versions, cipher lists, groups and signature algorithms."""
    group = parser.add_argument_group("protocol")
    only = group.add_mutually_exclusive_group()
    for name, flag in (("TLSv1.2", "--tls1_2"), ("TLSv1.3", "--tls1_3")):
        only.add_argument(
            flag,
            dest="only_version",
            action="store_const",
            const=name,
            help=f"use {name} only",
        )
    group.add_argument(
        "--min-version",
        metavar="VERSION",
        type=version_name,
        help=f"lowest version to use: {', '.join(VERSIONS)} (default: {_DEFAULT_MIN})",
    )
    group.add_argument(
        "--max-version",
        metavar="VERSION",
        type=version_name,
        help="highest version to use (default: the highest OpenSSL knows)",
    )
    group.add_argument(
        "--ciphers",
        metavar="LIST",
        help="TLS 1.2 (and older) cipher list in OpenSSL's syntax, "
        "e.g. ECDHE+AESGCM:ECDHE+CHACHA20",
    )
    group.add_argument(
        "--ciphersuites",
        metavar="LIST",
        help="TLS 1.3 cipher suites, colon-separated, "
        "e.g. TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256",
    )
    group.add_argument(
        "--groups",
        metavar="LIST",
        help="key-exchange groups, colon-separated, most preferred first, "
        "e.g. X25519MLKEM768:X25519:P-256",
    )
    group.add_argument(
        "--sigalgs",
        metavar="LIST",
        help="signature algorithms, colon-separated, most preferred first, "
        "e.g. ECDSA+SHA256:rsa_pss_rsae_sha256:ed25519",
    )


def _version_range(args: argparse.Namespace) -> tuple[str, str | None]:
    if args.only_version:
        if args.min_version or args.max_version:
            flag = "--tls1_2" if args.only_version == "TLSv1.2" else "--tls1_3"
            raise UsageError(f"{flag} cannot be combined with --min/--max-version")
        return args.only_version, args.only_version
    low: str = args.min_version or _DEFAULT_MIN
    high: str | None = args.max_version
    if high is not None and VERSIONS[low] > VERSIONS[high]:
        if args.min_version is None:
            low = high  # only a maximum below the default minimum: honour it
        else:
            raise UsageError(f"--min-version {low} is above --max-version {high}")
    return low, high


def apply(ctx: SSL.Context, args: argparse.Namespace) -> None:
    """Put the protocol options of *args* on *ctx*; :class:`UsageError` if bad."""
    low, high = _version_range(args)
    ctx.set_min_proto_version(VERSIONS[low])
    if high is not None:
        ctx.set_max_proto_version(VERSIONS[high])
    # Each option: its value, how it goes on the Context, and what a value
    # OpenSSL refuses is not.
    settings: list[tuple[str, str | None, Callable[[str], object], str]] = [
        (
            "--ciphers",
            args.ciphers,
            lambda value: ctx.set_cipher_list(value.encode("ascii")),
            "no cipher in it that OpenSSL knows",
        ),
        (
            "--ciphersuites",
            args.ciphersuites,
            lambda value: ctx.set_tls13_ciphersuites(value.encode("ascii")),
            "not a list of TLS 1.3 cipher suites that OpenSSL knows",
        ),
        (
            "--groups",
            args.groups,
            lambda value: ctx.set_groups(value.split(":")),
            "not a list of names that OpenSSL knows",
        ),
        (
            "--sigalgs",
            args.sigalgs,
            lambda value: ctx.set_sigalgs(value.split(":")),
            "not a list of names that OpenSSL knows",
        ),
    ]
    for option, value, put, refused in settings:
        if value is None:
            continue
        try:
            put(value)
        except (SSL.Error, ValueError):  # UnicodeEncodeError is a ValueError
            raise UsageError(f"{option} {value!r}: {refused}") from None
