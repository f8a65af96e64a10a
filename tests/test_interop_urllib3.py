"""urllib3's pyOpenSSL backend running on this package.

``urllib3.contrib.pyopenssl.inject_into_urllib3()`` swaps urllib3's
``SSLContext`` for one built on ``OpenSSL.SSL``; every request then goes
through ``Connection`` in socket mode: ``do_handshake`` in a want-read loop,
``sendall``/``send``, ``recv_into`` (via ``socket.makefile``),
``get_peer_certificate().to_cryptography()`` for urllib3's own hostname
match, ``get_alpn_proto_negotiated``, ``get_protocol_version_name``,
``get_shutdown`` and the ``SysCallError(-1, 'Unexpected EOF')`` convention.

The far end is the standard library: ``http.server`` behind ``ssl`` in a
thread, serving the test PKI's server certificate. These tests are only
meaningful with pyOpenSSL itself absent (it would be what ``import OpenSSL``
finds), so they skip, with the reason, when it is installed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from cryptography.hazmat.primitives import serialization

from OpenSSL import SSL
from tests.support import (
    PEER_TIMEOUT,
    PKI,
    Background,
    ca_file,
    identity_files,
    listener,
    recv_exactly,
    ssl_server_context,
    unrelated_ca_file,
)


def _pyopenssl_installed() -> bool:
    try:
        importlib.metadata.distribution("pyOpenSSL")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    _pyopenssl_installed(),
    reason="pyOpenSSL is installed and would shadow this package's OpenSSL",
)

urllib3 = pytest.importorskip("urllib3")
pyopenssl_backend = pytest.importorskip("urllib3.contrib.pyopenssl")

BIG = bytes(range(256)) * 8192  # 2 MiB

Serve = Callable[..., "_Server"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = PEER_TIMEOUT

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _reply(self, body: bytes, *, length: bool = True) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        server: _Server = self.server  # type: ignore[assignment]
        server.seen.append(
            {
                "sni": server.sni[-1] if server.sni else None,
                "alpn": self.request.selected_alpn_protocol(),
                "peer": self.request.getpeercert(binary_form=True),
            }
        )
        if self.path == "/big":
            self._reply(BIG)
        elif self.path == "/until-eof":
            # HTTP/1.0-style body delimited by the end of the connection; the
            # server then closes TCP without a TLS close_notify.
            self.protocol_version = "HTTP/1.0"
            self._reply(b"read me until EOF", length=False)
        else:
            self._reply(b"hello from " + self.path.encode())

    def do_POST(self) -> None:
        size = int(self.headers["Content-Length"])
        data = self.rfile.read(size)
        self._reply(hashlib.sha256(data).hexdigest().encode())


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ctx: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[dict[str, object]] = []
        self.sni: list[Optional[str]] = []

        def record(obj: object, name: Optional[str], context: object) -> None:
            self.sni.append(name)

        ctx.sni_callback = record  # type: ignore[assignment]
        self.socket = ctx.wrap_socket(self.socket, server_side=True)

    @property
    def port(self) -> int:
        port: int = self.server_address[1]
        return port


@pytest.fixture
def serve() -> Iterator[Serve]:
    """``serve(ctx)`` starts an HTTPS server in a thread and returns it."""
    servers: list[tuple[_Server, threading.Thread]] = []

    def start(ctx: Optional[ssl.SSLContext] = None) -> _Server:
        if ctx is None:
            ctx = ssl_server_context(ssl)
            ctx.set_alpn_protocols(["http/1.1"])
        server = _Server(ctx)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,))
        thread.daemon = True
        thread.start()
        servers.append((server, thread))
        return server

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(PEER_TIMEOUT)


@pytest.fixture
def injected() -> Iterator[None]:
    """urllib3 with the pyOpenSSL backend for the test; restored afterwards."""
    util = urllib3.util
    assert util.ssl_.SSLContext is ssl.SSLContext
    pyopenssl_backend.inject_into_urllib3()
    try:
        assert util.ssl_.SSLContext is pyopenssl_backend.PyOpenSSLContext
        assert util.ssl_.IS_PYOPENSSL
        yield
    finally:
        pyopenssl_backend.extract_from_urllib3()
    assert util.ssl_.SSLContext is ssl.SSLContext
    assert not util.ssl_.IS_PYOPENSSL


def _pool(**kwargs: object) -> urllib3.PoolManager:
    kwargs.setdefault("ca_certs", str(ca_file()))
    kwargs.setdefault("cert_reqs", "CERT_REQUIRED")
    kwargs.setdefault("timeout", PEER_TIMEOUT)
    kwargs.setdefault("retries", False)
    return urllib3.PoolManager(**kwargs)


def test_package_is_what_urllib3_imports() -> None:
    import OpenSSL

    assert pyopenssl_backend.OpenSSL.SSL is SSL
    assert importlib.metadata.distribution("pyopenssl-ng") is not None
    assert OpenSSL.__file__ is not None


def test_verified_get(pki: PKI, serve: Serve, injected: None) -> None:
    server = serve()
    with _pool() as pool:
        response = pool.request(
            "GET", f"https://localhost:{server.port}/hello", preload_content=False
        )
        sock = response.connection.sock
        assert isinstance(sock, pyopenssl_backend.WrappedSocket)
        assert isinstance(sock.connection, SSL.Connection)
        assert sock.version() == "TLSv1.3"
        assert sock.selected_alpn_protocol() == "http/1.1"
        der = sock.getpeercert(binary_form=True)
        assert der == pki.server.cert.public_bytes(serialization.Encoding.DER)
        info = sock.getpeercert()
        assert ("DNS", "localhost") in info["subjectAltName"]
        assert ("IP Address", "127.0.0.1") in info["subjectAltName"]
        assert info["subject"] == ((("commonName", "localhost"),),)
        assert response.status == 200
        assert response.read() == b"hello from /hello"
        response.release_conn()
        # The kept-alive connection serves a second request.
        again = pool.request("GET", f"https://localhost:{server.port}/again")
        assert again.data == b"hello from /again"
    assert [seen["sni"] for seen in server.seen] == ["localhost", "localhost"]
    assert server.seen[0]["alpn"] == "http/1.1"


def test_tls12_server(serve: Serve, injected: None) -> None:
    ctx = ssl_server_context(ssl, version="TLSv1.2")
    ctx.set_alpn_protocols(["http/1.1"])
    server = serve(ctx)
    with _pool() as pool:
        response = pool.request(
            "GET", f"https://localhost:{server.port}/v", preload_content=False
        )
        assert response.connection.sock.version() == "TLSv1.2"
        assert response.read() == b"hello from /v"


def test_ip_address_host_without_sni(serve: Serve, injected: None) -> None:
    server = serve()
    with _pool() as pool:
        response = pool.request("GET", f"https://127.0.0.1:{server.port}/ip")
    assert response.data == b"hello from /ip"
    assert server.seen[0]["sni"] is None


def test_large_download_via_recv_into(serve: Serve, injected: None) -> None:
    server = serve()
    with _pool() as pool:
        response = pool.request("GET", f"https://localhost:{server.port}/big")
    assert response.status == 200
    assert len(response.data) == len(BIG)
    assert response.data == BIG


def test_large_upload_via_sendall(serve: Serve, injected: None) -> None:
    server = serve()
    with _pool() as pool:
        response = pool.request("POST", f"https://localhost:{server.port}/", body=BIG)
    assert response.data == hashlib.sha256(BIG).hexdigest().encode()


def test_body_until_unexpected_eof(serve: Serve, injected: None) -> None:
    """A body ended by TCP EOF (no close_notify) is read whole.

    urllib3 maps ``SysCallError(-1, 'Unexpected EOF')`` from ``recv_into``
    to end of stream; any other exception would surface here.
    """
    server = serve()
    with _pool() as pool:
        response = pool.request("GET", f"https://localhost:{server.port}/until-eof")
    assert response.data == b"read me until EOF"


def test_client_certificate(pki: PKI, serve: Serve, injected: None) -> None:
    ctx = ssl_server_context(ssl, require_client_cert=True)
    server = serve(ctx)
    certfile, keyfile = identity_files("client")
    with _pool(cert_file=str(certfile), key_file=str(keyfile)) as pool:
        response = pool.request("GET", f"https://localhost:{server.port}/me")
    assert response.data == b"hello from /me"
    peer = server.seen[0]["peer"]
    assert peer == pki.client.cert.public_bytes(serialization.Encoding.DER)


def test_client_certificate_encrypted_key(
    pki: PKI, serve: Serve, injected: None, tmp_path: Path
) -> None:
    """``key_password`` goes through ``Context.use_privatekey`` (cryptography key)."""
    keyfile = tmp_path / "client-encrypted.key"
    keyfile.write_bytes(
        pki.client.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    certfile, _ = identity_files("client")
    server = serve(ssl_server_context(ssl, require_client_cert=True))
    pool = _pool(cert_file=str(certfile), key_file=str(keyfile), key_password="s3cret")
    with pool:
        response = pool.request("GET", f"https://localhost:{server.port}/enc")
    assert response.data == b"hello from /enc"


def test_hostname_mismatch(serve: Serve, injected: None) -> None:
    server = serve(ssl_server_context(ssl, "wrong_host_server"))
    with _pool() as pool:
        with pytest.raises(urllib3.exceptions.SSLError) as info:
            pool.request("GET", f"https://localhost:{server.port}/")
    assert "localhost" in str(info.value)
    assert "wrong.example" in str(info.value)


def test_hostname_mismatch_with_retries(serve: Serve, injected: None) -> None:
    server = serve(ssl_server_context(ssl, "wrong_host_server"))
    with _pool(retries=urllib3.Retry(total=1)) as pool:
        with pytest.raises(urllib3.exceptions.MaxRetryError) as info:
            pool.request("GET", f"https://localhost:{server.port}/")
    assert isinstance(info.value.reason, urllib3.exceptions.SSLError)


def test_untrusted_server(serve: Serve, injected: None) -> None:
    server = serve()
    with _pool(ca_certs=str(unrelated_ca_file())) as pool:
        with pytest.raises(urllib3.exceptions.SSLError) as info:
            pool.request("GET", f"https://localhost:{server.port}/")
    assert "certificate verify failed" in str(info.value)


def test_without_injection_urllib3_uses_stdlib(serve: Serve) -> None:
    """Control: the same request without the backend goes through ``ssl``."""
    server = serve()
    with _pool() as pool:
        response = pool.request(
            "GET", f"https://localhost:{server.port}/std", preload_content=False
        )
        assert isinstance(response.connection.sock, ssl.SSLSocket)
        assert response.read() == b"hello from /std"


# --- WrappedSocket directly: the paths between urllib3 and Connection ----------


def _wrapped_client(port: int) -> Any:
    """``PyOpenSSLContext.wrap_socket`` to 127.0.0.1:*port*: a ``WrappedSocket``."""
    ctx = pyopenssl_backend.PyOpenSSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cafile=str(ca_file()))
    sock = socket.create_connection(("127.0.0.1", port), PEER_TIMEOUT)
    return ctx.wrap_socket(sock, server_hostname="localhost")


def _send_close_notify_and_close(tls: ssl.SSLSocket) -> None:
    """Send close_notify without waiting for the peer's, then close TCP."""
    tls.setblocking(False)
    try:
        tls.unwrap()
    except ssl.SSLWantReadError:
        pass
    tls.close()


@pytest.mark.parametrize("method", ["recv", "recv_into"])
@pytest.mark.parametrize("ending", ["close_notify", "abrupt"])
def test_wrapped_socket_recv_and_eof(ending: str, method: str) -> None:
    """Data through ``recv``/``recv_into``, then EOF reads as ``b""``/``0``.

    close_notify arrives as ``ZeroReturnError`` with ``RECEIVED_SHUTDOWN``;
    a TCP close without it as ``SysCallError(-1, 'Unexpected EOF')``, which
    urllib3 suppresses. Any other exception would surface here.
    """
    sctx = ssl_server_context(ssl)
    with listener() as lsn:

        def serve() -> bytes:
            tls = sctx.wrap_socket(lsn.accept(), server_side=True)
            got = recv_exactly(tls.recv, 4)
            tls.sendall(b"pong" + b"x" * 10)
            if ending == "close_notify":
                _send_close_notify_and_close(tls)
            else:
                tls.close()
            return got

        peer = Background(serve)
        wrapped = _wrapped_client(lsn.port)
        try:
            assert isinstance(wrapped.connection, SSL.Connection)
            wrapped.sendall(b"ping")
            assert recv_exactly(wrapped.recv, 4) == b"pong"
            buf = bytearray(100)
            got = 0
            while got < 10:
                n = wrapped.recv_into(memoryview(buf)[got:])
                assert n > 0
                got += n
            assert bytes(buf[:10]) == b"x" * 10
            assert peer.result() == b"ping"
            if method == "recv":
                assert wrapped.recv(10) == b""
            else:
                assert wrapped.recv_into(buf) == 0
            shutdown = wrapped.connection.get_shutdown()
            if ending == "close_notify":
                assert shutdown == SSL.RECEIVED_SHUTDOWN
            else:
                assert shutdown == 0
        finally:
            wrapped.close()


def test_wrapped_socket_read_timeout() -> None:
    """With a socket timeout, ``WantReadError`` becomes urllib3's wait and timeout."""
    sctx = ssl_server_context(ssl)
    release = threading.Event()
    with listener() as lsn:

        def serve() -> None:
            tls = sctx.wrap_socket(lsn.accept(), server_side=True)
            release.wait(PEER_TIMEOUT)
            tls.close()

        peer = Background(serve)
        wrapped = _wrapped_client(lsn.port)
        try:
            wrapped.settimeout(0.2)
            with pytest.raises(TimeoutError):
                wrapped.recv(10)
        finally:
            release.set()
            wrapped.close()
        peer.result()
