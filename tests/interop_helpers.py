"""Kept only so branches written against the old helpers merge; remove after.

Everything here lives in :mod:`tests.support`; import from there. The old
names map as: ``our_server_context``/``our_client_context`` ->
``server_context``/``client_context``; ``StdlibEnd`` -> ``ObjectEnd``;
``stdlib_server_context``/``stdlib_client_context`` ->
``ssl_server_context(ssl, ...)``/``ssl_client_context(ssl, ...)``;
``handshake`` -> ``handshake`` (which raises the first failure at once; the
old one, kept in ``tests.support.legacy``, let the client's failure win).
"""

from __future__ import annotations

from tests.support import (
    MAX_ROUNDS,
    PEER_TIMEOUT,
    VERSIONS,
    Background,
    HandshakeOutcome,
    OurEnd,
    blocking_with_deadline,
    ca_file,
    deliver,
    free_port,
    identity_files,
    listener,
    read_exactly,
    reasons,
    recv_exactly,
    recv_line,
    run_handshake,
    scratch_dir,
    unrelated_ca_file,
    wait_for_port,
)
from tests.support import ObjectEnd as StdlibEnd
from tests.support.legacy import (
    interop_handshake as handshake,
)
from tests.support.legacy import (
    iter_lines,
    our_client_context,
    our_server_context,
    stdlib_client_context,
    stdlib_server_context,
)

__all__ = [
    "MAX_ROUNDS",
    "PEER_TIMEOUT",
    "VERSIONS",
    "Background",
    "HandshakeOutcome",
    "OurEnd",
    "StdlibEnd",
    "blocking_with_deadline",
    "ca_file",
    "deliver",
    "free_port",
    "handshake",
    "identity_files",
    "iter_lines",
    "listener",
    "our_client_context",
    "our_server_context",
    "read_exactly",
    "reasons",
    "recv_exactly",
    "recv_line",
    "run_handshake",
    "scratch_dir",
    "stdlib_client_context",
    "stdlib_server_context",
    "unrelated_ca_file",
    "wait_for_port",
]
