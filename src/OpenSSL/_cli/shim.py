"""``python -m OpenSSL shim``: build the placeholder ``pyOpenSSL`` distribution.

Writes a wheel named pyOpenSSL that installs no files and requires this
project, plus a constraints file pinning it, so that packages requiring
pyOpenSSL (Twisted's tls extra, google-auth, ...) are satisfied without the
real pyOpenSSL overwriting the OpenSSL package. Prints the pip and uv
commands that use them.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TextIO

from OpenSSL._shim import PLACEHOLDER_NAME, PLACEHOLDER_VERSION, write_placeholder

from ._common import CommandError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``shim`` sub-command's arguments."""
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=Path("dist"),
        help="directory for the wheel and the constraints file (default: dist)",
    )


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Write the placeholder and print how to use it."""
    out = out or sys.stdout
    try:
        wheel, constraints = write_placeholder(args.out)
    except OSError as exc:
        raise CommandError(f"cannot write to {args.out}: {exc.strerror}") from None
    folder = shlex.quote(str(args.out))
    pinned = shlex.quote(str(constraints))
    out.write(
        f"wrote {wheel}\n"
        f"wrote {constraints}\n"
        "\n"
        f"{PLACEHOLDER_NAME} {PLACEHOLDER_VERSION} installs no files and requires "
        "this project. With pip (keep the constraint for every later install):\n"
        f"    pip install --find-links {folder} -c {pinned} pyopenssl-ng "
        f"{PLACEHOLDER_NAME}=={PLACEHOLDER_VERSION}\n"
        f"    pip install --find-links {folder} -c {pinned} 'twisted[tls]'\n"
        "or set PIP_CONSTRAINT and PIP_FIND_LINKS once. With uv:\n"
        f"    uv pip install --find-links {folder} --override {pinned} 'twisted[tls]'\n"
    )
    return 0
