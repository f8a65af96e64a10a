"""Settings made on an ssl_compat context after it has made connections.

The standard library applies context-level callbacks (ALPN selection, key
logging) to connections made before they were set; so must ssl_compat.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from tests.support import ObjectEnd, handshake, ssl_client_context, ssl_server_context


def test_alpn_set_after_the_server_object_exists() -> None:
    sctx = ssl_server_context()
    cctx = ssl_client_context(ssl)
    cctx.set_alpn_protocols(["h2"])
    server = ObjectEnd(sctx, server_side=True, bio_type=ssl.MemoryBIO)
    sctx.set_alpn_protocols(["h2", "http/1.1"])
    client = ObjectEnd(cctx, server_side=False, server_hostname="localhost")
    handshake(client, server)
    assert server.obj.selected_alpn_protocol() == "h2"
    assert client.obj.selected_alpn_protocol() == "h2"


def test_keylog_set_after_the_client_object_exists(tmp_path: Path) -> None:
    sctx = ssl_server_context()
    cctx = ssl_client_context()
    client = ObjectEnd(
        cctx, server_side=False, server_hostname="localhost", bio_type=ssl.MemoryBIO
    )
    keylog = tmp_path / "keys.log"
    cctx.keylog_filename = str(keylog)
    server = ObjectEnd(sctx, server_side=True, bio_type=ssl.MemoryBIO)
    handshake(client, server)
    assert b"CLIENT_HANDSHAKE_TRAFFIC_SECRET" in keylog.read_bytes()
