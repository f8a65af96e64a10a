"""``python -m OpenSSL server`` as a process: memory, closing, ``--www``, Ctrl-C.

Every test runs the server as a subprocess (:mod:`tests.cli_helpers`) and
talks to it over loopback with independent peers: the standard library's
``ssl``, ``openssl s_client`` and curl (each skipped, visibly, where the tool
is missing).
"""

from __future__ import annotations

import socket
import sys
from types import SimpleNamespace

import pytest

from tests.cli_helpers import TIMEOUT, server_args, server_process

# -- memory --------------------------------------------------------------------


def _plain_clients(port: int, count: int) -> None:
    """*count* TCP clients that connect and hang up without a ClientHello."""
    for _ in range(count):
        with socket.create_connection(("127.0.0.1", port), TIMEOUT):
            pass


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads VmRSS from /proc (Linux)"
)
def test_memory_stays_flat_over_thousands_of_clients(
    pki_files: SimpleNamespace,
) -> None:
    warm_up, clients = 300, 3000
    with server_process(*server_args(pki_files)) as server:
        _plain_clients(server.port, warm_up)
        server.wait_for("failed:", warm_up, stderr=True)
        before = server.resident_kib()
        _plain_clients(server.port, clients)
        server.wait_for("failed:", warm_up + clients, stderr=True)
        after = server.resident_kib()
        status, _, err = server.interrupt()
    assert status == 130, err
    growth = after - before
    print(f"server RSS {before} KiB -> {after} KiB over {clients} clients")
    assert "Traceback" not in err
    # Kept per-client state would be ~2 KiB each (6 MB here); allow noise.
    assert growth < 1536, f"RSS grew {growth} KiB over {clients} clients"
