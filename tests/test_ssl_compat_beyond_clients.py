"""ssl_compat's extensions through real client libraries and event loops.

Mutual TLS with a client certificate and an *encrypted* key given in memory,
through urllib3 (``PoolManager(ssl_context=...)``), httpx and
``http.client``, against a standard-library HTTPS server that requires
client certificates and answers with the name it verified. OCSP stapling,
the verify callback and ``tls-exporter`` through asyncio (client, server,
``start_tls``) and trio.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import http.server
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import trio
import urllib3
from cryptography.hazmat.primitives import serialization

from OpenSSL import ssl_compat as compat
from tests.support import IO_TIMEOUT, PKI, WhoAmIHandler, files, https_server
from tests.support.trio_streams import run_together, ssl_stream_pair

PASSWORD = b"in memory only"


def mtls_client_context(pki: PKI) -> Any:
    """Trust the test root; present the client certificate from memory."""
    ctx = compat.create_default_context(cadata=pki.root.cert)
    key = pki.client.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSWORD),
    )
    ctx.load_cert_chain(pki.client.chain_pem(), key, password=PASSWORD)
    return ctx


@contextlib.contextmanager
def mtls_server(pki: PKI) -> Iterator[str]:
    """A stdlib HTTPS server requiring client certificates; yields its URL."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certfile, keyfile = files().identities["server"]
    ctx.load_cert_chain(certfile, keyfile)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=pki.root_pem().decode())
    with https_server(ctx, WhoAmIHandler) as (_, port):
        yield f"https://localhost:{port}/"


class TestMutualTLSFromMemory:
    def test_urllib3(self, pki: PKI) -> None:
        with mtls_server(pki) as url:
            with urllib3.PoolManager(ssl_context=mtls_client_context(pki)) as pool:
                response = pool.request("GET", url, retries=False, timeout=IO_TIMEOUT)
        assert (response.status, response.data) == (200, b"hello client")

    def test_urllib3_without_client_certificate_is_refused(self, pki: PKI) -> None:
        ctx = compat.create_default_context(cadata=pki.root.cert)
        with mtls_server(pki) as url:
            with urllib3.PoolManager(ssl_context=ctx) as pool:
                with pytest.raises(urllib3.exceptions.HTTPError):
                    pool.request("GET", url, retries=False, timeout=IO_TIMEOUT)

    def test_httpx(self, pki: PKI) -> None:
        with mtls_server(pki) as url:
            with httpx.Client(verify=mtls_client_context(pki), timeout=IO_TIMEOUT) as c:
                response = c.get(url)
        assert (response.status_code, response.content) == (200, b"hello client")

    def test_http_client(self, pki: PKI) -> None:
        with mtls_server(pki) as url:
            port = int(url.rsplit(":", 1)[1].strip("/"))
            conn = http.client.HTTPSConnection(
                "localhost", port, context=mtls_client_context(pki), timeout=IO_TIMEOUT
            )
            try:
                conn.request("GET", "/")
                response = conn.getresponse()
                body = response.read()
                sock = conn.sock
                assert len(sock.get_channel_binding("tls-exporter")) == 32
                assert len(sock.export_keying_material("EXPORTER-x", 8)) == 8
            finally:
                conn.close()
        assert body == b"hello client"


# -- asyncio -------------------------------------------------------------------------


def stapling_server_context(pki: PKI, staple: bytes) -> Any:
    ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.server.chain_pem(), pki.server.key)
    ctx.set_ocsp_response_callback(lambda obj: staple)
    return ctx


def checking_client_context(pki: PKI, depths: list[int]) -> Any:
    ctx = compat.create_default_context(cadata=pki.root.cert)
    ctx.ocsp_mode = "require_good"
    ctx.set_verify_callback(
        lambda obj, cert, depth, err, ok: depths.append(depth) or ok
    )
    return ctx


async def _asyncio_exchange(pki: PKI, start_tls: bool) -> dict[str, Any]:
    staple = pki.ocsp_response()
    server_ctx = stapling_server_context(pki, staple)
    depths: list[int] = []
    client_ctx = checking_client_context(pki, depths)
    seen: dict[str, Any] = {}

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if start_tls:
            await reader.readline()
            writer.write(b"OK\n")  # the client starts TLS only after this
            await writer.drain()
            await writer.start_tls(server_ctx)  # type: ignore[attr-defined]
        obj = writer.get_extra_info("ssl_object")
        seen["server_binding"] = obj.get_channel_binding("tls-exporter")
        seen["server_staple"] = obj.get_ocsp_response()
        seen["server_ekm"] = obj.export_keying_material("EXPORTER-test", 24)
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(
        handle, "127.0.0.1", 0, ssl=None if start_tls else server_ctx
    )
    port = server.sockets[0].getsockname()[1]
    async with server:
        if start_tls:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"STARTTLS\n")
            await writer.drain()
            assert await reader.readline() == b"OK\n"
            await writer.start_tls(  # type: ignore[attr-defined]
                client_ctx, server_hostname="localhost"
            )
        else:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=client_ctx, server_hostname="localhost"
            )
        obj = writer.get_extra_info("ssl_object")
        seen["client_binding"] = obj.get_channel_binding("tls-exporter")
        seen["client_staple"] = obj.get_ocsp_response()
        seen["client_ekm"] = obj.export_keying_material("EXPORTER-test", 24)
        writer.write(b"ping\n")
        seen["echo"] = await reader.readline()
        writer.close()
    seen["staple"] = staple
    seen["depths"] = depths
    return seen


@pytest.mark.parametrize(
    "start_tls",
    [
        False,
        pytest.param(
            True,
            marks=pytest.mark.skipif(
                not hasattr(asyncio.StreamWriter, "start_tls"), reason="Python < 3.11"
            ),
        ),
    ],
    ids=["client-server", "start_tls"],
)
def test_asyncio(pki: PKI, start_tls: bool) -> None:
    seen = asyncio.run(asyncio.wait_for(_asyncio_exchange(pki, start_tls), 20))
    assert seen["echo"] == b"ping\n"
    assert seen["client_binding"] == seen["server_binding"]
    assert len(seen["client_binding"]) == 32
    assert seen["client_staple"] == seen["server_staple"] == seen["staple"]
    assert seen["depths"] == [2, 1, 0]
    assert seen["client_ekm"] == seen["server_ekm"]
    assert len(seen["client_ekm"]) == 24


def test_asyncio_revoked_staple_fails_the_connection(pki: PKI) -> None:
    async def main() -> None:
        server_ctx = stapling_server_context(pki, pki.ocsp_response(revoked=True))

        async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            w.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx)
        port = server.sockets[0].getsockname()[1]
        async with server:
            with pytest.raises(ssl.SSLCertVerificationError, match="revoked"):
                await asyncio.open_connection(
                    "127.0.0.1",
                    port,
                    ssl=checking_client_context(pki, []),
                    server_hostname="localhost",
                )

    asyncio.run(asyncio.wait_for(main(), 20))


# -- trio ------------------------------------------------------------------------------


def test_trio(pki: PKI) -> None:
    staple = pki.ocsp_response()
    served: list[Any] = []

    def staple_for(obj: Any) -> bytes:
        served.append(obj)
        return staple

    server_ctx = compat.SSLContext(compat.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(pki.server.chain_pem(), pki.server.key)
    server_ctx.set_ocsp_response_callback(staple_for)
    server_ctx.verify_mode = compat.CERT_REQUIRED
    server_ctx.load_verify_locations(cadata=[pki.root.cert])
    depths: list[int] = []
    client_ctx = checking_client_context(pki, depths)
    client_ctx.load_cert_chain([pki.client.cert, *pki.client.chain], pki.client.key)
    bindings: dict[str, Any] = {}

    async def main() -> None:
        server, client = ssl_stream_pair(server_ctx, client_ctx)

        async def serve() -> None:
            await server.do_handshake()
            bindings["server"] = server.get_channel_binding("tls-exporter")
            await server.send_all(await server.receive_some(100))

        async def talk() -> None:
            await client.do_handshake()
            bindings["client"] = client.get_channel_binding("tls-exporter")
            await client.send_all(b"hi")
            bindings["echo"] = await client.receive_some(100)

        await run_together(20, serve, talk)

    trio.run(main)
    assert bindings["echo"] == b"hi"
    assert bindings["client"] == bindings["server"]
    assert len(bindings["client"]) == 32
    assert len(served) == 1 and served[0].get_ocsp_response() == staple
    assert depths == [2, 1, 0]


# -- OCSP and the verify callback through urllib3 and httpx -------------------------


@pytest.mark.parametrize("revoked", [False, True], ids=["good", "revoked"])
def test_urllib3_and_httpx_require_a_good_staple(pki: PKI, revoked: bool) -> None:
    staple = pki.ocsp_response(revoked=revoked)
    depths: list[int] = []
    client_ctx = checking_client_context(pki, depths)
    with https_server(stapling_server_context(pki, staple)) as (_host, port):
        url = f"https://localhost:{port}/x"
        with urllib3.PoolManager(ssl_context=client_ctx) as pool:
            if revoked:
                with pytest.raises(urllib3.exceptions.SSLError, match="revoked"):
                    pool.request("GET", url, retries=False, timeout=IO_TIMEOUT)
            else:
                response = pool.request("GET", url, retries=False, timeout=IO_TIMEOUT)
                assert response.data == b"hello /x"
        with httpx.Client(verify=client_ctx, timeout=IO_TIMEOUT) as client:
            if revoked:
                with pytest.raises(httpx.ConnectError, match="revoked"):
                    client.get(url)
            else:
                assert client.get(url).content == b"hello /x"
    assert depths[:3] == [2, 1, 0]


def test_asyncio_verify_callback_exception_reaches_the_client(pki: PKI) -> None:
    class Refused(Exception):
        pass

    raised = Refused("not this server")

    def callback(*args: Any) -> bool:
        raise raised

    async def main() -> None:
        server_ctx = stapling_server_context(pki, pki.ocsp_response())

        async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            w.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx)
        port = server.sockets[0].getsockname()[1]
        client_ctx = compat.create_default_context(cadata=pki.root.cert)
        client_ctx.set_verify_callback(callback)
        async with server:
            with pytest.raises(Refused) as info:
                await asyncio.open_connection(
                    "127.0.0.1", port, ssl=client_ctx, server_hostname="localhost"
                )
            assert info.value is raised

    asyncio.run(asyncio.wait_for(main(), 20))
