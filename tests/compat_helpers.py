"""Kept only so branches written against the old helpers merge; remove after.

Everything here lives in :mod:`tests.support`; import from there. The old
``server_context``/``client_context`` (of a module, default ``ssl_compat``)
are ``ssl_server_context``/``ssl_client_context``.
"""

from __future__ import annotations

from tests.support import (
    IO_TIMEOUT,
    MAX_ROUNDS,
    EchoServer,
    connect,
    files,
    https_server,
    stdlib,
)
from tests.support import ssl_client_context as client_context
from tests.support import ssl_server_context as server_context
from tests.support.legacy import object_handshake

__all__ = [
    "IO_TIMEOUT",
    "MAX_ROUNDS",
    "EchoServer",
    "client_context",
    "connect",
    "files",
    "https_server",
    "object_handshake",
    "server_context",
    "stdlib",
]
