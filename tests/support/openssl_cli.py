"""The ``openssl`` command-line tool as the independent peer.

* :func:`s_client` runs ``openssl s_client`` to completion with some input
  and returns its status and output; :func:`serve_once` is our server for
  such a client (in a thread), :func:`rev_line` one exchange with an
  ``s_server -rev``, :data:`VERSION_FLAG` the flag that pins a version.
* :func:`s_server` (a context manager) runs ``openssl s_server`` on a port
  of its own choosing and yields an :class:`OpenSSLProcess`;
  :func:`s_client_process` does the same for an ``openssl s_client`` that a
  test talks to while it runs. :func:`identity_args` gives either the
  ``-cert``/``-key``/``-cert_chain`` arguments of a PKI identity.

A running process writes stdout and stderr to one log file, which
:meth:`~tests.support.processes.LoggedProcess.wait_for` polls: nothing can
stall on a full pipe, and what the process printed is there to read after it
was killed. Every wait is bounded by
:data:`~tests.support.sockets.PEER_TIMEOUT`; a process is killed when its
``with`` block ends.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Callable, Optional

from OpenSSL import SSL
from tests.support.pki import Identity
from tests.support.processes import LoggedProcess
from tests.support.sockets import (
    PEER_TIMEOUT,
    Background,
    blocking_with_deadline,
    listener,
    recv_line,
)

__all__ = [
    "OPENSSL",
    "VERSION_FLAG",
    "OpenSSLProcess",
    "identity_args",
    "needs_openssl",
    "rev_line",
    "s_client",
    "s_client_process",
    "s_server",
    "serve_once",
]

#: The ``openssl`` command-line tool, the independent peer; None where absent.
OPENSSL = shutil.which("openssl")

#: The ``s_server``/``s_client`` flag that pins each protocol version.
VERSION_FLAG = {"TLSv1.2": "-tls1_2", "TLSv1.3": "-tls1_3"}

#: Skip marker for tests that need :data:`OPENSSL`.
needs_openssl: Any
try:
    import pytest
except ImportError:  # pragma: no cover - only in the oracle's interpreter
    # tests/reliability/hostile_helpers.py runs its pyOpenSSL 26.4 oracle
    # under the bench's interpreter, which has no pytest; the oracle imports
    # this package but uses no marker.
    needs_openssl = None
else:
    needs_openssl = pytest.mark.skipif(
        OPENSSL is None, reason="the openssl command-line tool is not installed"
    )


def s_client(port: int, *args: str, data: bytes = b"ping\n") -> tuple[int, str]:
    """Run ``openssl s_client`` against 127.0.0.1:*port*, feeding *data*.

    ``-ign_eof`` makes it stay until the server closes; ``-no_ign_eof`` in
    *args* (which come after it) makes it leave at the end of *data*.
    Returns its exit status and its whole output (stdout and stderr).
    """
    assert OPENSSL is not None
    proc = subprocess.run(
        [OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", "-ign_eof", *args],
        input=data,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=PEER_TIMEOUT,
    )
    return proc.returncode, proc.stdout.decode(errors="replace")


def identity_args(identity: Identity, directory: Path) -> list[str]:
    """``-cert``, ``-key`` and ``-cert_chain`` for *identity*.

    The tool's ``-cert`` takes the first certificate of its file only, so the
    leaf, the key and the intermediates go to three files in *directory*.
    """
    cert = directory / f"{identity.name}-leaf.pem"
    key = directory / f"{identity.name}-key.pem"
    chain = directory / f"{identity.name}-intermediates.pem"
    cert.write_bytes(identity.cert_pem())
    key.write_bytes(identity.key_pem())
    chain.write_bytes(identity.chain_pem()[len(identity.cert_pem()) :])
    return ["-cert", str(cert), "-key", str(key), "-cert_chain", str(chain)]


class OpenSSLProcess(LoggedProcess):
    """A running ``openssl`` subcommand, stdout and stderr in the file *log*.

    With *stdin*, its standard input is a pipe that stays open (EOF on stdin
    makes ``s_server`` and ``s_client`` stop) and :meth:`say` writes to it;
    otherwise it reads from ``/dev/null``. ``port`` is the port it listens on
    (``s_server``) or connected to (``s_client``).
    """

    def __init__(
        self, args: Sequence[str], log: Path, *, stdin: bool = False, port: int = 0
    ) -> None:
        assert OPENSSL is not None
        super().__init__([OPENSSL, *args], log, stdin=stdin)
        self.port = port


@contextlib.contextmanager
def s_server(*args: str, log: Path, stdin: bool = False) -> Iterator[OpenSSLProcess]:
    """Run ``openssl s_server *args`` on 127.0.0.1; yield it once it listens.

    The server picks a free port itself (``-accept 127.0.0.1:0``) and prints
    ``ACCEPT 127.0.0.1:PORT`` once it listens, so no port can be lost to
    another process between choosing and binding it. Output goes to *log*;
    *stdin* keeps a pipe to its standard input open (without ``-rev`` or
    ``-www``, s_server relays its stdin to the client and stops at EOF).
    """
    server = OpenSSLProcess(
        ["s_server", "-accept", "127.0.0.1:0", *args], log, stdin=stdin
    )
    try:
        text = server.wait_for(r"^ACCEPT .*:\d+$")
        accept = re.search(r"^ACCEPT .*:(\d+)$", text, re.MULTILINE)
        assert accept is not None
        server.port = int(accept.group(1))
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def s_client_process(port: int, *args: str, log: Path) -> Iterator[OpenSSLProcess]:
    """Run ``openssl s_client`` to 127.0.0.1:*port* while the test talks to it.

    Its stdin is a pipe kept open (:meth:`OpenSSLProcess.say`), so it is the
    connection, not the end of its input, that ends it; output goes to *log*.
    """
    client = OpenSSLProcess(
        ["s_client", "-connect", f"127.0.0.1:{port}", *args],
        log,
        stdin=True,
        port=port,
    )
    try:
        yield client
    finally:
        client.stop()


def rev_line(conn: SSL.Connection, line: bytes) -> bytes:
    """Send *line* to an ``s_server -rev`` and return its answer (reversed)."""
    conn.sendall(line + b"\n")
    return recv_line(conn.recv).rstrip(b"\n")


def serve_once(
    ctx: SSL.Context, after_handshake: Optional[Callable[[SSL.Connection], Any]] = None
) -> tuple[int, Background]:
    """Our server for one ``openssl s_client``, in a thread; returns its port.

    It completes the handshake, calls *after_handshake* (its result is the
    ``"extra"`` entry), answers one line with ``you said: <line>`` and
    closes. The thread's result is a dict of what it saw: ``line``,
    ``cipher``, ``group``, ``peer`` (the client's certificate) and ``extra``.
    """
    lst = listener()

    def run() -> dict[str, Any]:
        try:
            conn = SSL.Connection(ctx, blocking_with_deadline(lst.accept()))
            conn.set_accept_state()
            conn.do_handshake()
            extra = after_handshake(conn) if after_handshake else None
            line = recv_line(conn.recv)
            conn.sendall(b"you said: " + line)
            conn.shutdown()
            result = {
                "line": line,
                "cipher": conn.get_cipher_name(),
                "group": conn.get_group_name(),
                "peer": conn.get_peer_certificate(as_cryptography=True),
                "extra": extra,
            }
            conn.close()
            return result
        finally:
            lst.__exit__()

    return lst.port, Background(run)
