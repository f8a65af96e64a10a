"""Kept only so branches written against the old helpers merge; remove after.

Everything here lives in :mod:`tests.support`; import from there.
"""

from __future__ import annotations

from tests.support import (
    MAX_ROUNDS,
    ca_file,
    client_context,
    drain,
    dtls_step,
    handshake,
    handshake_pair,
    interact_in_memory,
    loopback_tcp,
    memory_pair,
    move_datagram,
    pump,
    read_all,
    server_context,
    socket_connection_pair,
    socket_pair,
    transfer,
)
from tests.support.legacy import close_all, collect_calls

__all__ = [
    "MAX_ROUNDS",
    "ca_file",
    "client_context",
    "close_all",
    "collect_calls",
    "drain",
    "dtls_step",
    "handshake",
    "handshake_pair",
    "interact_in_memory",
    "loopback_tcp",
    "memory_pair",
    "move_datagram",
    "pump",
    "read_all",
    "server_context",
    "socket_connection_pair",
    "socket_pair",
    "transfer",
]
