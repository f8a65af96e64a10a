"""``ssl_compat`` contexts handed to real stdlib and third-party clients/servers.

http.client, urllib.request, http.server, urllib3, asyncio and trio never
heard of this project: they take the context because it is an
``ssl.SSLContext`` and catch the stdlib's exceptions.
"""

from __future__ import annotations

import asyncio
import http.client
import ssl
import urllib.error
import urllib.request
from typing import Any

import pytest
import trio
import trio.testing
import urllib3

from OpenSSL import ssl_compat
from tests.support import (
    IO_TIMEOUT,
    asyncio_tls_server,
    https_server,
    ssl_client_context,
    ssl_server_context,
)
from tests.support.trio_streams import run_together

MODULES = [ssl, ssl_compat]


# -- http.client, urllib.request, http.server --------------------------------


@pytest.mark.parametrize("server_module", MODULES)
def test_http_client(server_module: Any) -> None:
    with https_server(ssl_server_context(server_module)) as (_host, port):
        conn = http.client.HTTPSConnection(
            "localhost", port, context=ssl_client_context(), timeout=IO_TIMEOUT
        )
        for path in ("/a", "/b"):  # two requests on one kept-alive connection
            conn.request("GET", path)
            response = conn.getresponse()
            assert (response.status, response.read()) == (200, f"hello {path}".encode())
        assert conn.sock.version() == "TLSv1.3"
        conn.close()


@pytest.mark.parametrize(
    ("host", "identity", "context_factory", "code"),
    [
        ("localhost", "server", ssl_compat.create_default_context, 20),  # unknown CA
        ("127.0.0.1", "wrong_host_server", ssl_client_context, 64),  # IP mismatch
        ("localhost", "expired_server", ssl_client_context, 10),  # expired
    ],
)
def test_http_client_verification_failures(
    host: str, identity: str, context_factory: Any, code: int
) -> None:
    with https_server(ssl_server_context(identity=identity)) as (_host, port):
        conn = http.client.HTTPSConnection(
            host, port, context=context_factory(), timeout=IO_TIMEOUT
        )
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            conn.request("GET", "/")
        assert info.value.verify_code == code
        conn.close()


def test_http_client_hostname_mismatch() -> None:
    with https_server(ssl_server_context(identity="wrong_host_server")) as (
        _host,
        port,
    ):
        conn = http.client.HTTPSConnection(
            "localhost", port, context=ssl_client_context(), timeout=IO_TIMEOUT
        )
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            conn.request("GET", "/")
        assert info.value.verify_code == 62
        assert info.value.verify_message == (
            "Hostname mismatch, certificate is not valid for 'localhost'."
        )
        conn.close()


@pytest.mark.parametrize("server_module", MODULES)
def test_urllib_request(server_module: Any) -> None:
    with https_server(ssl_server_context(server_module)) as (_host, port):
        with urllib.request.urlopen(
            f"https://localhost:{port}/path",
            context=ssl_client_context(),
            timeout=IO_TIMEOUT,
        ) as response:
            assert response.read() == b"hello /path"


def test_urllib_request_failures() -> None:
    with https_server(ssl_server_context(identity="wrong_host_server")) as (
        _host,
        port,
    ):
        with pytest.raises(urllib.error.URLError) as info:
            urllib.request.urlopen(
                f"https://localhost:{port}/",
                context=ssl_client_context(),
                timeout=IO_TIMEOUT,
            )
        assert isinstance(info.value.reason, ssl.SSLCertVerificationError)
        assert info.value.reason.verify_code == 62
    with https_server(ssl_server_context()) as (_host, port):
        with pytest.raises(urllib.error.URLError) as info:
            urllib.request.urlopen(
                f"https://localhost:{port}/",
                context=ssl_compat.create_default_context(),
                timeout=IO_TIMEOUT,
            )
        assert isinstance(info.value.reason, ssl.SSLCertVerificationError)
        assert info.value.reason.verify_code == 20


def test_http_server_with_compat_context_reached_by_stdlib_client() -> None:
    with https_server(ssl_server_context()) as (_host, port):
        with urllib.request.urlopen(
            f"https://localhost:{port}/std",
            context=ssl_client_context(ssl),
            timeout=IO_TIMEOUT,
        ) as response:
            assert response.read() == b"hello /std"


# -- urllib3 -----------------------------------------------------------------


def test_urllib3_pool_manager() -> None:
    with https_server(ssl_server_context()) as (_host, port):
        ctx = ssl_client_context()
        pool = urllib3.PoolManager(ssl_context=ctx)
        for i in range(3):
            # Connection: close makes urllib3 open (and configure) new sockets
            # with the same, already used, context.
            response = pool.request(
                "GET",
                f"https://localhost:{port}/{i}",
                headers={"Connection": "close"},
                retries=False,
                timeout=IO_TIMEOUT,
            )
            assert (response.status, response.data) == (200, f"hello /{i}".encode())
        pool.clear()
        assert ctx.session_stats()["connect_good"] >= 3


def test_urllib3_verification_failure() -> None:
    with https_server(ssl_server_context()) as (_host, port):
        pool = urllib3.PoolManager(ssl_context=ssl_compat.create_default_context())
        with pytest.raises(urllib3.exceptions.SSLError) as info:
            pool.request("GET", f"https://localhost:{port}/", retries=False)
        assert isinstance(info.value.args[0], ssl.SSLCertVerificationError)


# -- asyncio -----------------------------------------------------------------


async def _asyncio_echo(server_module: Any, client_module: Any) -> tuple[Any, ...]:
    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        line = await reader.readline()
        writer.write(b"echo:" + line)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    async with asyncio_tls_server(handle, ssl_server_context(server_module)) as port:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1",
            port,
            ssl=ssl_client_context(client_module),
            server_hostname="localhost",
        )
        writer.write(b"hi\n")
        await writer.drain()
        data = await reader.read()
        info = (
            data,
            writer.get_extra_info("peercert")["subject"],
            writer.get_extra_info("cipher"),
            writer.get_extra_info("ssl_object").version(),
        )
        writer.close()
        await writer.wait_closed()
        return info


@pytest.mark.parametrize(
    ("server_module", "client_module"),
    [(ssl, ssl_compat), (ssl_compat, ssl), (ssl_compat, ssl_compat)],
)
def test_asyncio_streams(server_module: Any, client_module: Any) -> None:
    ours = asyncio.run(
        asyncio.wait_for(_asyncio_echo(server_module, client_module), 20)
    )
    reference = asyncio.run(asyncio.wait_for(_asyncio_echo(ssl, ssl), 20))
    assert ours == reference
    assert ours[0] == b"echo:hi\n"


async def _asyncio_start_tls(server_module: Any, client_module: Any) -> bytes:
    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        assert await reader.readline() == b"STARTTLS\n"
        writer.write(b"OK\n")
        await writer.drain()
        await writer.start_tls(ssl_server_context(server_module))
        line = await reader.readline()
        writer.write(b"secure:" + line)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"STARTTLS\n")
        await writer.drain()
        assert await reader.readline() == b"OK\n"
        await writer.start_tls(
            ssl_client_context(client_module), server_hostname="localhost"
        )
        writer.write(b"x\n")
        await writer.drain()
        data = await reader.read()
        writer.close()
        return data
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.skipif(
    not hasattr(asyncio.StreamWriter, "start_tls"), reason="Python < 3.11"
)
@pytest.mark.parametrize(
    ("server_module", "client_module"), [(ssl, ssl_compat), (ssl_compat, ssl)]
)
def test_asyncio_start_tls(server_module: Any, client_module: Any) -> None:
    data = asyncio.run(
        asyncio.wait_for(_asyncio_start_tls(server_module, client_module), 20)
    )
    assert data == b"secure:x\n"


def test_asyncio_verification_failure() -> None:
    async def main() -> None:
        async with asyncio_tls_server(
            lambda r, w: w.close(), ssl_server_context()
        ) as port:
            with pytest.raises(ssl.SSLCertVerificationError) as info:
                await asyncio.open_connection(
                    "127.0.0.1",
                    port,
                    ssl=ssl_compat.create_default_context(),
                    server_hostname="localhost",
                )
            assert info.value.verify_code == 20

    asyncio.run(asyncio.wait_for(main(), 20))


# -- trio --------------------------------------------------------------------


def test_trio_ssl_stream_with_compat_contexts_on_both_ends() -> None:
    results: dict[str, Any] = {}

    async def main() -> None:
        left, right = trio.testing.memory_stream_pair()
        server = trio.SSLStream(left, ssl_server_context(), server_side=True)
        client = trio.SSLStream(
            right, ssl_client_context(), server_hostname="localhost"
        )

        async def serve() -> None:
            await server.do_handshake()
            data = await server.receive_some(100)
            await server.send_all(b"echo:" + data)
            await server.aclose()

        async def talk() -> None:
            await client.send_all(b"hi")
            received = b""
            while True:
                chunk = await client.receive_some(100)
                if not chunk:
                    break
                received += chunk
            results["data"] = received
            results["version"] = client.version()
            results["cert"] = client.getpeercert()["subject"][-1]
            await client.aclose()

        await run_together(20, serve, talk)

    trio.run(main)
    assert results == {
        "data": b"echo:hi",
        "version": "TLSv1.3",
        "cert": (("commonName", "localhost"),),
    }


def test_trio_verification_failure() -> None:
    async def main() -> None:
        left, right = trio.testing.memory_stream_pair()
        server = trio.SSLStream(left, ssl_server_context(), server_side=True)
        client = trio.SSLStream(
            right, ssl_compat.create_default_context(), server_hostname="localhost"
        )

        failures: list[BaseException] = []

        async def serve() -> None:
            with pytest.raises(trio.BrokenResourceError):
                await server.do_handshake()

        async def talk() -> None:
            try:
                await client.do_handshake()
            except trio.BrokenResourceError as exc:
                failures.append(exc)
            await right.aclose()  # as an application would after a failure

        await run_together(20, serve, talk)
        (failure,) = failures
        assert isinstance(failure.__cause__, ssl.SSLCertVerificationError)
        assert failure.__cause__.verify_code == 20

    trio.run(main)
