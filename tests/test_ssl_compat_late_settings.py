"""Settings made on an ssl_compat context after it has made connections.

The standard library applies context-level callbacks (ALPN selection, key
logging) to connections made before they were set; so must ssl_compat.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from tests.support import ssl_client_context, ssl_server_context


def _handshake(client: Any, server: Any, bios: tuple[Any, Any, Any, Any]) -> None:
    si, so, ci, co = bios
    for _ in range(20):
        done = 0
        for end in (client, server):
            try:
                end.do_handshake()
                done += 1
            except ssl.SSLWantReadError:
                pass
        data = co.read()
        if data:
            si.write(data)
        data = so.read()
        if data:
            ci.write(data)
        if done == 2:
            return
    raise AssertionError("handshake made no progress")


def test_alpn_set_after_the_server_object_exists() -> None:
    sctx = ssl_server_context()
    cctx = ssl_client_context(ssl)
    cctx.set_alpn_protocols(["h2"])
    si, so, ci, co = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    server = sctx.wrap_bio(si, so, server_side=True)
    sctx.set_alpn_protocols(["h2", "http/1.1"])
    client = cctx.wrap_bio(ci, co, server_hostname="localhost")
    _handshake(client, server, (si, so, ci, co))
    assert server.selected_alpn_protocol() == "h2"
    assert client.selected_alpn_protocol() == "h2"


def test_keylog_set_after_the_client_object_exists(tmp_path: Path) -> None:
    sctx = ssl_server_context()
    cctx = ssl_client_context()
    si, so, ci, co = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client = cctx.wrap_bio(ci, co, server_hostname="localhost")
    keylog = tmp_path / "keys.log"
    cctx.keylog_filename = str(keylog)
    server = sctx.wrap_bio(si, so, server_side=True)
    _handshake(client, server, (si, so, ci, co))
    assert b"CLIENT_HANDSHAKE_TRAFFIC_SECRET" in keylog.read_bytes()
