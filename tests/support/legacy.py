"""Adapters for the call signatures of the old helper modules.

``tests/ssl_helpers.py``, ``tests/interop_helpers.py`` and
``tests/compat_helpers.py`` now only re-export from :mod:`tests.support`;
where the unified API changed a signature, the old one is kept here so that
branches written against the old helpers merge. Kept only until those
branches are merged; remove after, together with the re-export modules.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Callable, Optional

from OpenSSL import SSL
from tests.support.contexts import (
    client_context,
    server_context,
    ssl_client_context,
    ssl_server_context,
)
from tests.support.memory import MAX_ROUNDS, End, handshake, run_handshake
from tests.support.objects import ObjectEnd
from tests.support.pki import Identity

__all__ = [
    "close_all",
    "collect_calls",
    "interop_handshake",
    "iter_lines",
    "object_handshake",
    "our_client_context",
    "our_server_context",
    "stdlib_client_context",
    "stdlib_server_context",
]


def our_server_context(
    identity: Optional[Identity] = None,
    *,
    version: Optional[str] = None,
    require_client_cert: bool = False,
) -> SSL.Context:
    """Old ``interop_helpers`` spelling: ``server_context`` on TLS_SERVER_METHOD."""
    return server_context(
        identity,
        method=SSL.TLS_SERVER_METHOD,
        version=version,
        require_client_cert=require_client_cert,
    )


def our_client_context(
    *,
    version: Optional[str] = None,
    identity: Optional[Identity] = None,
    cafile: Optional[Path] = None,
    verify: bool = True,
) -> SSL.Context:
    """Old ``interop_helpers`` spelling: ``client_context`` on TLS_CLIENT_METHOD."""
    return client_context(
        method=SSL.TLS_CLIENT_METHOD,
        version=version,
        identity=identity,
        cafile=cafile,
        verify=verify,
    )


def stdlib_server_context(
    name: str = "server",
    *,
    version: Optional[str] = None,
    require_client_cert: bool = False,
) -> ssl.SSLContext:
    """Old ``interop_helpers`` spelling of ``ssl_server_context(ssl, name, ...)``."""
    ctx: ssl.SSLContext = ssl_server_context(
        ssl, name, version=version, require_client_cert=require_client_cert
    )
    return ctx


def stdlib_client_context(
    *,
    version: Optional[str] = None,
    client_cert: bool = False,
    cafile: Optional[Path] = None,
) -> ssl.SSLContext:
    """Old ``interop_helpers`` spelling of ``ssl_client_context(ssl, ...)``."""
    ctx: ssl.SSLContext = ssl_client_context(
        ssl, version=version, client_cert=client_cert, cafile=cafile
    )
    return ctx


def interop_handshake(client: End, server: End) -> None:
    """Old ``interop_helpers.handshake``: the client's failure wins.

    Both ends run until each finished or failed (the failing side's alert
    still reaches the other), then the client's exception is raised, else
    the server's. :func:`~tests.support.memory.handshake` instead raises the
    first failure the moment it happens.
    """
    outcome = run_handshake(client, server)
    for end in (client, server):
        exc = outcome.error(end)
        if exc is not None:
            raise exc
    assert all(outcome.done.get(id(e)) for e in (client, server)), "stalled"


def object_handshake(
    client: Any, server: Any, links: list[tuple[Any, Any]], rounds: int = MAX_ROUNDS
) -> None:
    """Old ``compat_helpers`` handshake of two bare ``SSLObject``s.

    *links* is ``[(client_out, server_in), (server_out, client_in)]``; use
    :class:`~tests.support.objects.ObjectEnd` and ``handshake`` instead.
    """
    (c_out, s_in), (s_out, c_in) = links
    handshake(
        ObjectEnd.around(client, c_in, c_out), ObjectEnd.around(server, s_in, s_out)
    )


# Unused by the suite; kept because the old modules exported them.


def close_all(objects: Iterable[Any]) -> None:
    """Close sockets / socket-mode connections, ignoring ones already closed."""
    for obj in objects:
        try:
            obj.close()
        except OSError:
            pass


def collect_calls(
    result: Any = None,
) -> tuple[Callable[..., Any], Sequence[tuple[Any, ...]]]:
    """A callback that records its positional arguments and returns *result*."""
    calls: list[tuple[Any, ...]] = []

    def callback(*args: Any) -> Any:
        calls.append(args)
        return result

    return callback, calls


def iter_lines(text: str, prefixes: Sequence[str]) -> Iterator[str]:
    """Lines of *text* (stripped) that start with one of *prefixes*."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(tuple(prefixes)):
            yield stripped
