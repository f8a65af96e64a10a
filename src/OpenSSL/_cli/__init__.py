"""The command line: ``python -m OpenSSL [demo | client | server]``.

``demo`` (the default) runs a complete, verified TLS session over loopback
with throwaway certificates and explains it; ``client`` is a readable
``openssl s_client``; ``server`` is an echo server for trying clients out.
Each sub-command lives in its own module (``demo``, ``client``, ``server``);
``report`` formats sessions and certificates, ``_io`` drives non-blocking
socket-mode Connections with deadlines, ``_files`` reads certificates, keys
and passphrases, ``_protocol`` holds the version and cipher options.

Exit status: 0 on success, 1 for a failure at run time (connection refused,
handshake or verification failure, unreadable certificate), 2 for bad
command-line input, 130 after Ctrl-C. Either failure is one line on stderr,
never a traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence

from ._common import CommandError, UsageError, version_line

__all__ = ["build_parser", "main"]

_PROG = "python -m OpenSSL"


def _description(doc: str | None, fallback: str) -> str:
    """The paragraph after a sub-command module's title line."""
    paragraphs = (doc or "").split("\n\n")
    if len(paragraphs) < 2:
        return fallback
    # Docstrings are reST: keep the text of ``literals`` and :role:`targets`.
    plain = re.sub(r":\w+:`~?(?:[\w.]+\.)?([^`]+)`", r"\1", paragraphs[1])
    return " ".join(plain.replace("``", "").split())


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its three sub-commands."""
    from . import client, demo, server

    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="TLS from the command line with pyopenssl-ng's OpenSSL.SSL. "
        "Without a command, runs the demo.",
    )
    version = version_line()
    parser.add_argument("--version", action="version", version=version)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module, summary in (
        ("demo", demo, "a verified TLS session over loopback, explained (offline)"),
        ("client", client, "connect to a TLS server and show what was negotiated"),
        ("server", server, "a TLS echo server for testing clients"),
    ):
        sub = commands.add_parser(
            name, help=summary, description=_description(module.__doc__, summary)
        )
        sub.add_argument(
            "--version",
            action="version",
            version=version,
            help="show this project's, OpenSSL's and cryptography's versions",
        )
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    parser.set_defaults(run=demo.run, show_certs=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else 2
    command = args.command or "demo"
    try:
        status: int = args.run(args)
    except CommandError as exc:
        sys.stderr.write(f"{_PROG} {command}: error: {exc}\n")
        return 2 if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        sys.stderr.write(f"{_PROG} {command}: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (``... | head``): stop quietly, as cat does.
        _silence_stdout()
        return 1
    return status


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # not a real file (captured in tests)
        pass
