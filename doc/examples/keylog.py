"""Writing TLS secrets for Wireshark (the ``SSLKEYLOGFILE`` format).

OpenSSL calls the keylog callback with one line of the NSS key log format
per secret as the handshake derives it. Appending the lines to a file lets
Wireshark decrypt a capture of the session. Only do this for debugging:
anyone with the file can read the traffic.
"""

from __future__ import annotations

import os
from typing import Callable

from OpenSSL import SSL


def keylog_to_file(
    path: str | os.PathLike[str],
) -> Callable[[SSL.Connection, bytes], None]:
    """A keylog callback that appends each line to *path*."""

    def write_line(conn: SSL.Connection, line: bytes) -> None:
        with open(path, "ab") as keylog:
            keylog.write(line + b"\n")

    return write_line


def enable_keylog(context: SSL.Context) -> None:
    """Log secrets to ``$SSLKEYLOGFILE`` when that variable is set."""
    path = os.environ.get("SSLKEYLOGFILE")
    if path:
        context.set_keylog_callback(keylog_to_file(path))
